"""Shared fixtures of the core tests: small data files in ``tmp_path`` and an honest pure-numpy
dummy backend (:class:`MostFrequentTagger`) for the contract, registry and CLI tests."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from multitag.backend import Prediction, Tagger, label_index

os.environ.setdefault("HF_HUB_OFFLINE", "1")


class MostFrequentTagger(Tagger):
    """Per-word tag counts turned into marginals by a softmax of smoothed log counts.

    Each token's row is ``softmax(log(count(word, tag) + alpha) + jitter)`` where unseen words use
    the corpus-wide tag counts and ``jitter`` (shape ``(L,)``, std 1e-3) comes from ``seed`` (so
    the seed matters, as for any real model). The best path is the row-wise argmax, and
    ``logprob = sum_i log max_j marginals[i, j]``, which is exactly the probability of that path
    under independent tokens, so ``exp(logprob)`` never exceeds a marginal on the path.
    """

    def __init__(self, *, labels, seed: int = 0, alpha: float = 0.5):
        self.labels = labels
        self.seed = seed
        self.alpha = alpha

    # ------------------------------------------------------------------ training
    def _jitter(self) -> np.ndarray:
        return np.random.default_rng(self.seed).normal(0.0, 1e-3, len(self.labels))

    def fit(self, train, dev=None):
        self._check_trainable(train)
        idx = label_index(self.labels)
        L = len(self.labels)
        counts: dict[str, np.ndarray] = {}
        prior = np.zeros(L)
        for s in train:
            for word, tag in zip(s.tokens, s.tags):
                row = counts.setdefault(word.lower(), np.zeros(L))
                row[idx[tag]] += 1
                prior[idx[tag]] += 1
        self.counts_ = {w: c.tolist() for w, c in counts.items()}
        self.prior_ = prior.tolist()
        self.jitter_ = self._jitter().tolist()
        return self

    # ------------------------------------------------------------------ inference
    def _marginals(self, tokens) -> np.ndarray:
        """Shape ``(n, L)``, rows sum to 1."""
        rows = []
        for word in tokens:
            c = np.asarray(self.counts_.get(word.lower(), self.prior_), dtype=float)
            scores = np.log(c + self.alpha) + np.asarray(self.jitter_)
            e = np.exp(scores - scores.max())
            rows.append(e / e.sum())
        return np.asarray(rows, dtype=float).reshape(len(tokens), len(self.labels))

    def _logprob(self, m: np.ndarray) -> float:
        return float(np.log(m.max(axis=1)).sum())

    def predict(self, sentences, *, hidden: bool = False):
        out = []
        for s in sentences:
            m = self._marginals(s.tokens)
            tags = [self.labels[j] for j in m.argmax(axis=1)]
            out.append(Prediction(tags=tags, marginals=m, logprob=self._logprob(m), hidden=None))
        return out

    # ------------------------------------------------------------------ persistence
    def _state(self) -> dict:
        return {"counts": self.counts_, "prior": self.prior_, "jitter": self.jitter_}

    def _save_state(self, folder: str) -> None:
        with open(os.path.join(folder, "model.json"), "w", encoding="utf-8") as fh:
            fh.write(json.dumps(self._state()))

    def _load_state(self, folder: str) -> None:
        with open(os.path.join(folder, "model.json"), encoding="utf-8") as fh:
            state = json.load(fh)
        self.counts_ = state["counts"]
        self.prior_ = state["prior"]
        self.jitter_ = state["jitter"]


@pytest.fixture
def mf_tagger():
    """The :class:`MostFrequentTagger` class."""
    return MostFrequentTagger


@pytest.fixture
def write(tmp_path):
    """``write(name, content)`` writes ``content`` (str as UTF-8, or bytes) to ``tmp_path/name`` and
    returns the path as a str (creating sub-folders as needed)."""

    def _write(name: str, content: str | bytes) -> str:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return str(path)

    return _write
