"""ELMo as a flair token embedding, with vectors cached per sentence.

ELMo is not fine-tuned, so a sentence's vectors never change in deterministic mode: they are
computed once per process and reused across epochs and across active-learning iterations (the
cache is shared by every :class:`ElmoTokenEmbeddings` over the same weights). This is what makes
ELMo-BiLSTM-CRF iterations short (Shelmanov et al. 2021, section 5).
"""
from __future__ import annotations

import hashlib
import os
from typing import Any

import numpy as np
import torch

import flair
from flair.data import Sentence as FlairSentence
from flair.embeddings import TokenEmbeddings
from flair.embeddings.base import register_embeddings

from multitag.errors import MultitagError
from multitag_flair.elmo import ElmoBiLm

MODES = ("all", "top", "average")

# process-wide: loaded models (by file identity) and vector caches (by weights fingerprint)
_MODELS: dict[tuple, ElmoBiLm] = {}
_CACHES: dict[tuple, dict[tuple[str, ...], np.ndarray]] = {}


def _file_key(path: str) -> tuple:
    st = os.stat(path)
    return (os.path.realpath(path), st.st_size, st.st_mtime_ns)


def load_bilm(options_file: str, weight_file: str, *, stateful: bool = False) -> ElmoBiLm:
    """The biLM of these files, loaded once per process (per mode)."""
    for p in (options_file, weight_file):
        if not os.path.isfile(p):
            raise MultitagError(f"ELMo file not found: {p}; give elmo:OPTIONS_JSON,WEIGHTS_HDF5 with existing files")
    key = (_file_key(options_file), _file_key(weight_file), stateful)
    if key not in _MODELS:
        # building the modules draws initial weights; keep that off the global RNG so a tagger's
        # initialisation does not depend on whether the model was already loaded
        with torch.random.fork_rng(devices=[]):
            _MODELS[key] = ElmoBiLm.from_files(options_file, weight_file, stateful=stateful)
    return _MODELS[key]


def fingerprint(model: ElmoBiLm) -> str:
    """sha1 of the model's weights (computed once per model object)."""
    fp = getattr(model, "_fingerprint", None)
    if fp is None:
        h = hashlib.sha1()
        for name, t in sorted(model.state_dict().items()):
            h.update(name.encode())
            h.update(t.detach().cpu().contiguous().numpy().tobytes())
        fp = h.hexdigest()
        model._fingerprint = fp
    return fp


def clear_cache() -> None:
    """Drop every cached ELMo vector of this process."""
    _CACHES.clear()


@register_embeddings("MultitagElmoEmbeddings")
class ElmoTokenEmbeddings(TokenEmbeddings):
    """ELMo vectors for flair tokens.

    Parameters
    ----------
    model : ElmoBiLm
    mode : {"all", "top", "average"}
        ``all`` concatenates the ``n_layers + 1`` layers (width ``(n_layers + 1) * 2P``, flair's
        default for ELMo), ``top`` takes the last layer, ``average`` their mean (width ``2P``).
    cache : bool
        Reuse vectors of sentences seen before (keyed by the token tuple), in this process, across
        epochs and taggers. Exact in deterministic mode; in state-carrying mode the first computed
        vectors are kept. ``False``: the biLM runs every time a sentence is embedded (every epoch).
    batch_size : int
        Sentences per biLM call.
    """

    def __init__(self, model: ElmoBiLm, mode: str = "all", cache: bool = True, batch_size: int = 32,
                 name: str | None = None):
        if mode not in MODES:
            raise MultitagError(f"ELMo mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.name = name or f"elmo-{mode}"
        # static = kept on the tokens between batches; without the cache ELMo runs every time
        self.static_embeddings = cache
        super().__init__()
        self.model = model
        self.mode = mode
        self.cache = cache
        self.batch_size = batch_size
        k = model.n_layers + 1
        self._length = model.output_dim * (k if mode == "all" else 1)
        self.calls = 0  # number of sentences run through the biLM (for tests and benchmarks)

    @classmethod
    def from_files(cls, options_file: str, weight_file: str, *, stateful: bool = False, **kw: Any) -> "ElmoTokenEmbeddings":
        return cls(load_bilm(options_file, weight_file, stateful=stateful), **kw)

    @property
    def embedding_length(self) -> int:
        return self._length

    def _reduce(self, layers: torch.Tensor) -> torch.Tensor:
        """(K, n, 2P) -> (n, D)."""
        if self.mode == "all":
            return layers.permute(1, 0, 2).reshape(layers.shape[1], -1)
        if self.mode == "top":
            return layers[-1]
        return layers.mean(dim=0)

    def _store(self) -> dict[tuple[str, ...], np.ndarray] | None:
        if not self.cache:
            return None
        key = (fingerprint(self.model), self.model.stateful, self.mode)
        return _CACHES.setdefault(key, {})

    def _add_embeddings_internal(self, sentences: list[FlairSentence]) -> list[FlairSentence]:
        store = self._store()
        keys = [tuple(t.text for t in s.tokens) for s in sentences]
        vectors: dict[int, np.ndarray] = {}
        todo = []
        for i, k in enumerate(keys):
            if store is not None and k in store:
                vectors[i] = store[k]
            elif len(k) > 0:
                todo.append(i)
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start:start + self.batch_size]
            layers, _ = self.model.embed_sentences([list(keys[i]) for i in chunk])
            self.calls += len(chunk)
            for row, i in enumerate(chunk):
                v = self._reduce(layers[row, :, :len(keys[i])]).cpu().numpy().astype(np.float32)
                vectors[i] = v
                if store is not None:
                    store[keys[i]] = v
        for i, s in enumerate(sentences):
            if i not in vectors:
                continue
            v = torch.from_numpy(vectors[i]).to(flair.device)
            for t, tok in enumerate(s.tokens):
                tok.set_embedding(self.name, v[t])
        return sentences

    def __str__(self) -> str:
        return self.name

    # flair save/load: options here, weights through the tagger's state_dict
    def to_params(self) -> dict[str, Any]:
        return {"options": self.model.options, "stateful": self.model.stateful, "mode": self.mode,
                "cache": self.cache, "batch_size": self.batch_size, "name": self.name}

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "ElmoTokenEmbeddings":
        model = ElmoBiLm(params["options"], stateful=params.get("stateful", False))
        return cls(model, mode=params["mode"], cache=params["cache"], batch_size=params["batch_size"],
                   name=params["name"])

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):  # noqa: D102
        out = super().load_state_dict(state_dict, strict=strict, assign=assign)
        self.model._fingerprint = None
        return out
