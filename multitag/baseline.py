"""``CountTagger``: a tiny, honest numpy backend (per-word tag counts), for tests and smoke runs.

Each word's tag distribution is its smoothed training counts (``alpha`` add-one style smoothing
toward the label prior; unseen words get the prior of unseen-word shapes); the best path is the
per-token argmax, so the marginals are exact for this model and ``logprob`` is the sum of the log
maxima. ``sample`` draws word distributions from their Dirichlet posterior (``mode="dirichlet"``),
a real MC sample of the model's uncertainty. ``hidden`` = log-count features (n, L).
Partially annotated sentences train on their known tags only.
"""
from __future__ import annotations

import json
import os
import zlib
from collections import defaultdict
from typing import Sequence

import numpy as np

from multitag.backend import Prediction, Tagger
from multitag.data.sentence import Corpus, Sentence
from multitag.errors import MultitagError


def _shape(word: str) -> str:
    return "".join("X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c for c in word[:4])


class CountTagger(Tagger):
    """Per-word tag counts with Dirichlet MC samples (a test and smoke-run backend).

    Parameters
    ----------
    labels : list of str
        The label set; column ``j`` of the marginals is ``labels[j]``.
    seed : int
        Seeds the Dirichlet draws of :meth:`sample`.
    alpha : float
        Smoothing: pseudo-counts toward the label prior, per label.
    """

    mc_modes = ("dirichlet",)
    partial_training = True
    hidden_states = True

    def __init__(self, *, labels, seed: int = 0, alpha: float = 0.5):
        self.labels = labels
        self.seed = seed
        self.alpha = alpha

    def fit(self, train: Corpus, dev: Corpus | None = None) -> "CountTagger":
        self._check_trainable(train)
        L = len(self.labels)
        index = {l: i for i, l in enumerate(self.labels)}
        words: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(L))
        shapes: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(L))
        prior = np.zeros(L)
        for s in train:
            for w, t in zip(s.tokens, s.tags):
                if t is None:
                    continue
                words[w][index[t]] += 1
                shapes[_shape(w)][index[t]] += 1
                prior[index[t]] += 1
        self.prior_ = (prior + 1.0) / (prior.sum() + L)
        self.words_ = {w: c for w, c in words.items()}
        self.shapes_ = {w: c for w, c in shapes.items()}
        return self

    def _concentration(self, word: str) -> np.ndarray:
        counts = self.words_.get(word)
        if counts is None:
            counts = self.shapes_.get(_shape(word), np.zeros(len(self.labels))) * 0.1
        return counts + self.alpha * len(self.labels) * self.prior_

    def predict(self, sentences: Sequence[Sentence], *, hidden: bool = False) -> list[Prediction]:
        out = []
        for s in sentences:
            conc = np.array([self._concentration(w) for w in s.tokens]).reshape(len(s), len(self.labels))
            m = conc / conc.sum(axis=1, keepdims=True)
            best = m.argmax(axis=1)
            out.append(Prediction(tags=[self.labels[i] for i in best], marginals=m,
                                  logprob=float(np.log(m.max(axis=1)).sum()),
                                  hidden=np.log1p(conc).astype(np.float32) if hidden else None))
        return out

    def sample(self, sentences: Sequence[Sentence], *, n_samples: int, mode: str) -> list[np.ndarray]:
        self._check_mode(mode)
        out = []
        for s in sentences:
            # seeded per sentence (the seed and the sentence's tokens): a sentence's draws do not
            # depend on the others of the call, so a sharded pool pass equals one pass
            rng = np.random.default_rng([self.seed, zlib.crc32("\x1f".join(s.tokens).encode("utf-8", "surrogatepass"))])
            conc = np.array([self._concentration(w) for w in s.tokens]).reshape(len(s), len(self.labels))
            out.append(np.stack([np.stack([rng.dirichlet(c) for c in conc]) if len(s) else np.zeros((0, len(self.labels)))
                                 for _ in range(n_samples)]))
        return out

    def _save_state(self, folder: str) -> None:
        """``count-tagger.json``: the label prior and the per-word and per-shape counts."""
        state = {"prior": self.prior_.tolist(),
                 "words": {w: c.tolist() for w, c in self.words_.items()},
                 "shapes": {w: c.tolist() for w, c in self.shapes_.items()}}
        with open(os.path.join(folder, "count-tagger.json"), "w", encoding="utf-8") as fh:
            fh.write(json.dumps(state))

    def _load_state(self, folder: str) -> None:
        with open(os.path.join(folder, "count-tagger.json"), encoding="utf-8") as fh:
            d = json.load(fh)
        L = len(self.labels)

        def row(c) -> np.ndarray:
            a = np.asarray(c, dtype=float)
            if a.shape != (L,):
                raise MultitagError(f"count-tagger.json: a count row has shape {a.shape}, expected ({L},)")
            return a

        self.prior_ = row(d["prior"])
        self.words_ = {w: row(c) for w, c in d["words"].items()}
        self.shapes_ = {w: row(c) for w, c in d["shapes"].items()}
