"""Registry entries (imported by ``multitag.registry``; flair is imported only when a tagger is built)."""
from __future__ import annotations

import os

from multitag.registry import Preset


def _flair_cls():
    from multitag_flair.tagger import FlairBiLSTMCRFTagger

    return FlairBiLSTMCRFTagger


def _elmo_cls():
    from multitag_flair.tagger import ElmoBiLSTMCRFTagger

    return ElmoBiLSTMCRFTagger


flair_bilstm_crf = Preset(
    _flair_cls, {},
    "flair BiLSTM-CRF (1x128, SGD 0.1 annealed on dev) over an embedding stack, default "
    "[word:train:fasttext, char]; add flair-lm:FWD,BWD from `multitag pretrain-lm`")

elmo_bilstm_crf = Preset(
    _elmo_cls,
    {"elmo_options": lambda: os.environ.get("MULTITAG_ELMO_OPTIONS"),
     "elmo_weights": lambda: os.environ.get("MULTITAG_ELMO_WEIGHTS")},
    "ELMo-BiLSTM-CRF (Shelmanov et al. 2021): flair BiLSTM-CRF over our ELMo encoder, vectors cached; "
    "elmo_options/elmo_weights (or MULTITAG_ELMO_OPTIONS/_WEIGHTS) name the official files")
