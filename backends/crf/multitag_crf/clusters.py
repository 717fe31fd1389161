"""Word clusters from word vectors trained on the unlabeled text (gensim Word2Vec + k-means).

The clusters are a pure function of (text, parameters, seed): Word2Vec runs with one worker and a
fixed seed, k-means with a fixed ``random_state``. Results are memoised per process so that the
fresh clone the AL engine fits every iteration on the same pool does not retrain the vectors.
"""
from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from multitag_crf.features import normalize

_MEMO: "OrderedDict[tuple, WordClusters]" = OrderedDict()
_MEMO_SIZE = 4


@dataclass(frozen=True)
class WordClusters:
    """Cluster ids per normalised word.

    Attributes
    ----------
    granularities : tuple of int
        The requested cluster counts (an id column per count, coarsest first as given).
    ids : dict str -> tuple of int
        Normalised word -> one cluster id per granularity.
    fingerprint : str
        A digest of ``granularities`` and ``ids``; two objects with the same fingerprint give the
        same features.
    """

    granularities: tuple[int, ...]
    ids: dict[str, tuple[int, ...]]
    fingerprint: str

    @classmethod
    def from_ids(cls, granularities: Sequence[int], ids: dict[str, Sequence[int]]) -> "WordClusters":
        g = tuple(int(k) for k in granularities)
        clean = {w: tuple(int(c) for c in v) for w, v in ids.items()}
        h = hashlib.sha1(json.dumps([g, sorted(clean.items())], ensure_ascii=True).encode()).hexdigest()
        return cls(g, clean, h)

    def to_json(self) -> dict:
        return {"granularities": list(self.granularities), "ids": {w: list(v) for w, v in self.ids.items()}}

    @classmethod
    def from_json(cls, data: dict) -> "WordClusters":
        return cls.from_ids(data["granularities"], data["ids"])


def text_fingerprint(sentences: Iterable[Sequence[str]]) -> str:
    """A digest of the token sequences, in order."""
    h = hashlib.sha1()
    for toks in sentences:
        h.update("\x1f".join(toks).encode("utf-8", "surrogatepass"))
        h.update(b"\x1e")
    return h.hexdigest()


def train_clusters(sentences: Sequence[Sequence[str]], *, granularities: Sequence[int], vector_size: int,
                   epochs: int, seed: int) -> WordClusters:
    """Train skip-gram Word2Vec on ``sentences`` (normalised words) and k-means the unit vectors.

    Parameters
    ----------
    sentences : sequence of token sequences
    granularities : cluster counts, e.g. ``(32, 128, 512)``; each is capped at the vocabulary size
    vector_size, epochs : Word2Vec size and passes
    seed : seeds Word2Vec and k-means (Word2Vec runs with ``workers=1``, so it is deterministic)
    """
    key = (text_fingerprint(sentences), tuple(granularities), vector_size, epochs, seed)
    if key in _MEMO:
        _MEMO.move_to_end(key)
        return _MEMO[key]
    from gensim.models import Word2Vec
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    text = [[normalize(w) for w in s] for s in sentences if len(s)]
    if not text:
        result = WordClusters.from_ids(granularities, {})
    else:
        model = Word2Vec(sentences=text, vector_size=vector_size, window=5, min_count=1, sg=1, negative=5,
                         epochs=epochs, workers=1, seed=seed, sample=1e-3)
        words = list(model.wv.index_to_key)
        vecs = np.asarray(model.wv.vectors, dtype=np.float64)
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        columns = []
        for k in granularities:
            k_eff = max(1, min(int(k), len(words)))
            if k_eff == 1:
                columns.append(np.zeros(len(words), dtype=int))
                continue
            # random init + one thread: k-means++ over hundreds of centres is the slow part on
            # busy machines, and one thread keeps the result independent of the core count
            km = KMeans(n_clusters=k_eff, init="random", n_init=1, max_iter=30, random_state=seed)
            with threadpool_limits(limits=1):
                columns.append(km.fit_predict(vecs))
        ids = {w: tuple(int(col[i]) for col in columns) for i, w in enumerate(words)}
        result = WordClusters.from_ids(granularities, ids)
    _MEMO[key] = result
    while len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return result


def clear_memo() -> None:
    """Forget memoised clusters (tests)."""
    _MEMO.clear()
