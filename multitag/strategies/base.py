"""The query-strategy interface: small classes that work on arrays.

A strategy declares what it ``needs`` from the backend (``"marginals"``, ``"samples"``,
``"hidden"``); the engine computes exactly that for the candidate sentences and hands it over in a
:class:`QueryContext`. Strategies never see a backend.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Sequence

import numpy as np

from multitag.backend import Prediction

NEEDS = frozenset({"marginals", "samples", "hidden"})


@dataclass
class QueryContext:
    """What a strategy sees for ``N`` candidate sentences.

    Attributes
    ----------
    lengths : ndarray (N,) int
        Number of tokens still to annotate in each candidate (the budget cost of picking it).
    sizes : ndarray (N,) int or None
        Number of tokens of each candidate (``lengths`` when None); token scores are laid out over
        all ``sizes[i]`` tokens of each sentence.
    predictions : list of N Prediction, or None
        Given when the strategy needs ``marginals`` or ``hidden`` (``hidden`` filled when needed).
    samples : list of N arrays (n_samples, n_tokens, L), or None
        MC-dropout samples, given when the strategy needs ``samples``.
    labeled_hidden : list of arrays (n_tokens, d), or None
        Hidden states of the already-labeled sentences (Core-set starts from them).
    rng : numpy Generator
        The only source of randomness (ties, sampling); seeded per run and iteration.
    """

    lengths: np.ndarray
    rng: np.random.Generator
    sizes: np.ndarray | None = None
    predictions: Sequence[Prediction] | None = None
    samples: Sequence[np.ndarray] | None = None
    labeled_hidden: Sequence[np.ndarray] | None = None

    @property
    def token_counts(self) -> np.ndarray:
        return self.lengths if self.sizes is None else self.sizes

    @property
    def n(self) -> int:
        return len(self.lengths)


def take_until_budget(order: Sequence[int], lengths: np.ndarray, budget: int) -> list[int]:
    """Candidates in ``order`` until their tokens reach ``budget``; the last one is taken whole
    even if it overshoots."""
    picked, spent = [], 0
    for i in order:
        if spent >= budget:
            break
        picked.append(int(i))
        spent += int(lengths[i])
    return picked


def rank_descending(scores: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices by decreasing score, ties broken by a random permutation drawn from ``rng``."""
    scores = np.asarray(scores, dtype=np.float64)
    tiebreak = rng.permutation(len(scores))
    return np.lexsort((tiebreak, -scores))


class Strategy(ABC):
    """Chooses sentences to annotate. Subclasses set ``name`` and ``needs``."""

    name: ClassVar[str]
    needs: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def select(self, ctx: QueryContext, budget: int) -> list[int]:
        """Indices into the candidates, in the order chosen, costing at least ``budget`` tokens
        (or all candidates when they cost less)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ScoringStrategy(Strategy):
    """A strategy that scores each sentence (higher = more informative) and takes the top ones."""

    @abstractmethod
    def sentence_scores(self, ctx: QueryContext) -> np.ndarray:
        """Shape (N,): one informativeness score per candidate."""

    def select(self, ctx: QueryContext, budget: int) -> list[int]:
        return take_until_budget(rank_descending(self.sentence_scores(ctx), ctx.rng), ctx.lengths, budget)
