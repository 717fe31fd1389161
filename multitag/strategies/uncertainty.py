"""Uncertainty strategies on model marginals and best-path probabilities.

Sentence-level (from ``Prediction.logprob``):

* ``lc``: least confidence, ``1 - P(best path)``;
* ``mnlp``: maximum normalised log-probability, ``-logprob / n`` (Shen et al. 2017; Shelmanov et al. 2021).

Token-level (from marginals ``p`` of shape (n, L)), aggregated to a sentence score by ``max``
(the most uncertain token decides, as in paper 000), ``mean`` or ``sum``:

* ``tlc``: token least confidence, ``1 - max_c p_c``;
* ``bt``: breaking ties, ``1 - (p_(1) - p_(2))`` (the margin between the two most probable labels);
* ``entropy``: ``-sum_c p_c log p_c``.

Higher scores mean more informative for every strategy.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from multitag.strategies.aggregation import AGGREGATIONS, aggregate, flatten
from multitag.strategies.base import QueryContext, ScoringStrategy


class LeastConfidence(ScoringStrategy):
    name = "lc"
    needs = frozenset({"marginals"})

    def sentence_scores(self, ctx: QueryContext) -> np.ndarray:
        return 1.0 - np.exp(np.array([p.logprob for p in ctx.predictions], dtype=np.float64))


class MNLP(ScoringStrategy):
    name = "mnlp"
    needs = frozenset({"marginals"})

    def sentence_scores(self, ctx: QueryContext) -> np.ndarray:
        logprob = np.array([p.logprob for p in ctx.predictions], dtype=np.float64)
        n = np.array([len(p.tags) for p in ctx.predictions], dtype=np.float64)
        return -logprob / np.maximum(n, 1.0)


class AggregatingStrategy(ScoringStrategy):
    """Scores every token; a sentence scores an aggregation of its token scores (``max``, ``mean``
    or ``sum``, chosen by the name suffix: ``bt-mean``). Works at every annotation level."""

    token_level: ClassVar[bool] = True
    aggregations: ClassVar[tuple[str, ...]] = AGGREGATIONS
    aggregation_default: ClassVar[str] = "max"

    def __init__(self, aggregation: str | None = None):
        self.aggregation = aggregation or self.aggregation_default

    def sentence_scores(self, ctx: QueryContext) -> np.ndarray:
        scores, offsets = self.token_scores(ctx)
        return aggregate(scores, offsets, self.aggregation)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(aggregation={self.aggregation!r})"


class TokenScoringStrategy(AggregatingStrategy):
    """Token scores from each token's marginal distribution."""

    @staticmethod
    def flat_token_scores(marginals: np.ndarray) -> np.ndarray:  # (T, L) -> (T,)
        raise NotImplementedError

    def token_scores(self, ctx: QueryContext) -> tuple[np.ndarray, np.ndarray]:
        """Flat token scores (T,) over all candidates and their offsets (N+1,)."""
        flat, offsets = flatten([np.asarray(p.marginals) for p in ctx.predictions])
        if flat.ndim == 1:  # no tokens at all
            return np.zeros(0), offsets
        return self.flat_token_scores(flat), offsets


class TokenLeastConfidence(TokenScoringStrategy):
    name = "tlc"
    needs = frozenset({"marginals"})

    @staticmethod
    def flat_token_scores(marginals: np.ndarray) -> np.ndarray:
        return 1.0 - marginals.max(axis=1)


class BreakingTies(TokenScoringStrategy):
    name = "bt"
    needs = frozenset({"marginals"})

    @staticmethod
    def flat_token_scores(marginals: np.ndarray) -> np.ndarray:
        if marginals.shape[1] < 2:
            return np.zeros(len(marginals))
        top2 = np.partition(marginals, marginals.shape[1] - 2, axis=1)[:, -2:]
        return 1.0 - (top2[:, 1] - top2[:, 0])


class Entropy(TokenScoringStrategy):
    name = "entropy"
    needs = frozenset({"marginals"})

    @staticmethod
    def flat_token_scores(marginals: np.ndarray) -> np.ndarray:
        p = np.clip(marginals, 1e-12, 1.0)
        return -(marginals * np.log(p)).sum(axis=1)
