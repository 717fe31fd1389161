"""multitag-crf: a linear-chain CRF backend (python-crfsuite) for multitag.

Registry name ``crf``; see :class:`multitag_crf.tagger.CRFTagger`.
"""
from multitag_crf.tagger import CRFTagger

__all__ = ["CRFTagger"]
