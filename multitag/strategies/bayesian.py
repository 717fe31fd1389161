"""Bayesian strategies on MC-dropout samples (Shelmanov et al. 2021, section 4).

For token ``i`` with ``M`` stochastic passes giving distributions ``p_i^m`` (shape (M, L)):

* ``vr`` (variation ratio): ``1 - count(mode of argmax_c p_i^m) / M``;
* ``bald``: ``H(mean_m p_i^m) - mean_m H(p_i^m)`` (mutual information; 0 when all passes agree).

A sentence's score is the mean over its tokens (``-max`` and ``-sum`` suffixes choose another
aggregation). Both score single tokens, so they run at entity and token level too.
"""
from __future__ import annotations

import numpy as np

from multitag.strategies.aggregation import flatten
from multitag.strategies.base import QueryContext
from multitag.strategies.uncertainty import AggregatingStrategy


def _flat_samples(ctx: QueryContext) -> tuple[np.ndarray, np.ndarray]:
    """Samples of all candidates as one (T, M, L) array plus offsets (N+1,)."""
    return flatten([np.swapaxes(np.asarray(s), 0, 1) for s in ctx.samples])


def variation_ratio_tokens(samples: np.ndarray) -> np.ndarray:
    """(T, M, L) -> (T,)"""
    T, M, L = samples.shape
    votes = samples.argmax(axis=2)  # (T, M)
    counts = np.zeros((T, L), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(T), M), votes.ravel()), 1)
    return 1.0 - counts.max(axis=1) / M


def bald_tokens(samples: np.ndarray) -> np.ndarray:
    """(T, M, L) -> (T,)"""
    p = samples.astype(np.float64)
    mean = p.mean(axis=1)
    h_mean = -(mean * np.log(np.clip(mean, 1e-12, 1.0))).sum(axis=1)
    mean_h = -(p * np.log(np.clip(p, 1e-12, 1.0))).sum(axis=2).mean(axis=1)
    return np.maximum(h_mean - mean_h, 0.0)


class _SampleStrategy(AggregatingStrategy):
    """Token scores from MC-dropout samples; a sentence scores the mean of its tokens' by default."""

    needs = frozenset({"samples"})
    aggregation_default = "mean"

    @staticmethod
    def token_scores_from(samples: np.ndarray) -> np.ndarray:  # (T, M, L) -> (T,)
        raise NotImplementedError

    def token_scores(self, ctx: QueryContext) -> tuple[np.ndarray, np.ndarray]:
        """Flat token scores (T,) over all candidates and their offsets (N+1,)."""
        flat, offsets = _flat_samples(ctx)
        return (self.token_scores_from(flat) if flat.ndim == 3 else np.zeros(0)), offsets


class VariationRatio(_SampleStrategy):
    name = "vr"
    token_scores_from = staticmethod(variation_ratio_tokens)


class BALD(_SampleStrategy):
    name = "bald"
    token_scores_from = staticmethod(bald_tokens)
