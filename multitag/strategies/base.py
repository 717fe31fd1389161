"""The query-strategy interface: small classes that work on arrays.

A strategy declares what it ``needs`` from the backend (see :data:`NEEDS`); the engine computes
exactly that for the candidate sentences and hands it over in a :class:`QueryContext`. Strategies
never see a backend. A strategy that can score single tokens sets ``token_level = True`` and
implements :meth:`Strategy.token_scores`; only those run at entity and token level.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Sequence

import numpy as np

from multitag.backend import Prediction
from multitag.errors import CompatibilityError, MultitagError

#: What a strategy may need: ``marginals`` (predictions of the candidates: tags, marginals,
#: logprob), ``hidden`` (the same with hidden states), ``samples`` (MC-dropout samples of the
#: candidates), ``labeled_hidden`` (hidden states of the already-labeled sentences; costs a
#: prediction over the labeled set, so only strategies that use it ask for it).
NEEDS = frozenset({"marginals", "samples", "hidden", "labeled_hidden"})


def check_needs(cls: type) -> None:
    """Refuse a strategy class whose ``needs`` names something the engine cannot compute."""
    needs = getattr(cls, "needs", None)
    if not isinstance(needs, (set, frozenset)) or not all(isinstance(n, str) for n in needs):
        raise MultitagError(f"strategy class {cls.__name__}: needs must be a frozenset of names from {', '.join(sorted(NEEDS))}")
    unknown = set(needs) - NEEDS
    if unknown:
        raise MultitagError(f"strategy {getattr(cls, 'name', cls.__name__)!r} needs {', '.join(sorted(unknown))}, "
                            f"which the engine does not provide (known needs: {', '.join(sorted(NEEDS))})")


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
    """Chooses what to annotate.

    Class attributes
    ----------------
    name : str
        The registered name.
    needs : frozenset of str
        What the engine must compute for the candidates (a subset of :data:`NEEDS`).
    token_level : bool
        Whether :meth:`token_scores` scores single tokens (required at entity and token level).
    aggregations : tuple of str
        Suffixes the name accepts (``bt-mean``): how token scores become a sentence score.
    shardable : bool
        Whether the scores are a per-candidate function of the model's outputs that draws no random
        numbers, so a big pool is scored shard by shard (:mod:`multitag.pool_pass`); true for
        :class:`ScoringStrategy`. Other strategies (Core-set, BADGE) see the whole candidate set.
    """

    name: ClassVar[str]
    needs: ClassVar[frozenset[str]] = frozenset()
    token_level: ClassVar[bool] = False
    aggregations: ClassVar[tuple[str, ...]] = ()
    shardable: ClassVar[bool] = False

    @abstractmethod
    def select(self, ctx: QueryContext, budget: int) -> list[int]:
        """Indices into the candidates, in the order chosen, costing at least ``budget`` tokens
        (or all candidates when they cost less)."""

    def choose(self, ctx: QueryContext, budget: int) -> tuple[list[int], np.ndarray | None]:
        """:meth:`select` and, where the strategy scores sentences, the score of each candidate
        (N,) (``None`` otherwise); the engine records the score of every query."""
        return self.select(ctx, budget), None

    def token_scores(self, ctx: QueryContext) -> tuple[np.ndarray, np.ndarray]:
        """Flat token scores (T,) over all ``ctx.token_counts`` tokens of the candidates, and their
        offsets (N+1,) (``offsets[i]`` = index of candidate ``i``'s first token). Higher = more
        informative. Only strategies with ``token_level`` implement it."""
        raise CompatibilityError(f"strategy {self.name!r} scores sentences, not single tokens")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ScoringStrategy(Strategy):
    """A strategy that scores each sentence (higher = more informative) and takes the top ones."""

    shardable: ClassVar[bool] = True

    @abstractmethod
    def sentence_scores(self, ctx: QueryContext) -> np.ndarray:
        """Shape (N,): one informativeness score per candidate."""

    def choose(self, ctx: QueryContext, budget: int) -> tuple[list[int], np.ndarray]:
        scores = np.asarray(self.sentence_scores(ctx), dtype=np.float64)
        return take_until_budget(rank_descending(scores, ctx.rng), ctx.lengths, budget), scores

    def select(self, ctx: QueryContext, budget: int) -> list[int]:
        return self.choose(ctx, budget)[0]
