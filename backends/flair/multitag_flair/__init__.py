"""multitag-flair: BiLSTM-CRF taggers over flair embeddings, and our own ELMo encoder.

Modules: :mod:`.elmo_chars` (ELMo character ids), :mod:`.elmo` (the biLM), :mod:`.elmo_embedding`
(ELMo as a cached flair embedding), :mod:`.embeddings` (embedding specs), :mod:`.training` (SGD
loop), :mod:`.tagger` (the taggers), :mod:`.presets` (registry entries), :mod:`.lm` and
:mod:`.cli` (``multitag pretrain-lm``). Importing this package imports neither torch nor flair.
"""
__version__ = "0.1.0"
