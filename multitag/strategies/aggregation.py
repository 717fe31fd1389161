"""Token scores -> sentence scores, vectorised over a flat token array.

The engine concatenates the token scores of all candidates into one 1-d array with ``offsets``
(``offsets[i]`` = index of sentence ``i``'s first token, ``offsets[N]`` = total), so aggregation is
one ``reduceat`` call instead of a Python loop over sentences.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

AGGREGATIONS = ("max", "mean", "sum")


def flatten(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate per-sentence arrays along axis 0; returns (flat, offsets of shape (N+1,))."""
    lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if len(arrays) == 0:
        return np.zeros((0,)), offsets
    return np.concatenate(arrays, axis=0), offsets


def aggregate(token_scores: np.ndarray, offsets: np.ndarray, how: str) -> np.ndarray:
    """Sentence scores (N,) from flat token scores; empty sentences score ``-inf`` (never chosen first)."""
    if how not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {how!r}; use one of {AGGREGATIONS}")
    n = len(offsets) - 1
    lengths = np.diff(offsets)
    out = np.full(n, -np.inf)
    nonempty = lengths > 0
    if not nonempty.any():
        return out
    starts = offsets[:-1][nonempty]
    if how == "max":
        out[nonempty] = np.maximum.reduceat(token_scores, starts)
    else:
        sums = np.add.reduceat(token_scores.astype(np.float64), starts)
        out[nonempty] = sums / lengths[nonempty] if how == "mean" else sums
    return out
