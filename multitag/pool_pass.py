"""A round's pool pass in shards: predictions or MC samples of the candidates and the strategy's
scores, shard by shard, merged into exactly the scores one pass over the whole pool gives.

A strategy whose scores are a per-candidate function of the model's outputs (a
:class:`~multitag.strategies.base.ScoringStrategy`: ``shardable``) is scored shard by shard: each
shard is predicted (or sampled), scored and dropped, so no list of predictions for the whole pool is
ever held, and only the scores come back: one float per candidate at sentence level, one per token
below it. The level then plans the round from the merged scores with the round's own random
generator, so the selection, the records and every recorded score are those of an unsharded pass.

Shards are cut at the boundaries of the backend's inference groups
(:meth:`~multitag.backend.Tagger.inference_groups`): sentences whose outputs depend only on each
other (a batch of a backend that sorts by length and seeds each batch). A backend whose outputs depend
on each sentence alone has one group per sentence, and shards are runs of consecutive candidates.
Groups are taken in the backend's order until a shard holds ``shard_size`` sentences.

Where the shards run is a :class:`ShardRunner`: :class:`SequentialShards` scores them one after
another in this process; :class:`~multitag.experiments.executor_dask.DaskShards` as tasks on the
run's Dask cluster, the model shipped once per round. Scoring never draws random numbers (a shard has
no generator: :data:`NO_RANDOMNESS` refuses every draw), so it does not matter where or in which
order shards run.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from multitag.data.sentence import Sentence
from multitag.errors import MultitagError
from multitag.strategies.base import QueryContext, ScoringStrategy, Strategy

#: sentences per shard of a round's pool pass, unless the settings say otherwise
DEFAULT_SHARD_SIZE = 20_000


class _NoRandomness:
    """Stands in for a random generator where none may be used (scoring a shard)."""

    def __getattr__(self, name: str) -> Any:
        raise MultitagError(f"a strategy drew random numbers (rng.{name}) while scoring a shard of the pool: "
                            "its scores must be a function of the model's outputs alone (or declare shardable = False)")


NO_RANDOMNESS: Any = _NoRandomness()


@dataclass(frozen=True)
class ScoreRequest:
    """What every shard computes: the strategy's scores (per token when ``token_level``) from the
    model's marginals and/or ``mc_samples`` MC-dropout samples in ``mc_mode``."""

    strategy: Strategy
    token_level: bool
    mc_samples: int
    mc_mode: str | None

    @property
    def needs(self) -> frozenset[str]:
        return self.strategy.needs

    @property
    def n_samples(self) -> int | None:
        return self.mc_samples if "samples" in self.needs else None


@dataclass
class Shard:
    """One shard: ``members`` are positions into the round's candidates, in the order scored;
    ``sentences`` their text (a packed subset of the pool: its sentence objects are made while the
    shard is scored, and dropped with it)."""

    members: np.ndarray
    sentences: Sequence[Sentence]
    lengths: np.ndarray     # tokens still to annotate (the budget cost)
    sizes: np.ndarray       # tokens

    def shippable(self) -> "Shard":
        """The shard as it travels to another process: packed sentences over a string table of
        their own strings only (not the whole pool's)."""
        compact = getattr(self.sentences, "compact", None)
        return self if compact is None else replace(self, sentences=compact())


@dataclass
class ShardScores:
    """A shard's scores: (n,) sentence scores, or flat token scores with their offsets (n+1,)."""

    scores: np.ndarray
    offsets: np.ndarray | None = None


class ShardRunner(Protocol):
    """Runs ``score(model, request, shard)`` for every shard and returns the results in order."""

    def run(self, model: Any, request: ScoreRequest, shards: Sequence[Shard]) -> list[ShardScores]: ...


class SequentialShards:
    """Shard after shard, in this process (the default)."""

    def run(self, model: Any, request: ScoreRequest, shards: Sequence[Shard]) -> list[ShardScores]:
        return [score_shard(model, request, shard) for shard in shards]


def shardable(strategy: Strategy) -> bool:
    """Whether ``strategy``'s scores can be computed shard by shard (and it needs a model pass)."""
    return bool(getattr(strategy, "shardable", False)) and bool(strategy.needs & {"marginals", "samples"}) \
        and not strategy.needs & {"hidden", "labeled_hidden"}


def plan_shards(groups: Sequence[np.ndarray] | None, n: int, shard_size: int) -> list[np.ndarray]:
    """Positions ``0..n-1`` cut into shards: whole ``groups`` (``None``: one per position, in order)
    taken in order until a shard holds at least ``shard_size`` positions."""
    if shard_size < 1:
        raise MultitagError(f"shard size must be >= 1, got {shard_size}")
    if groups is None:
        return [np.arange(a, min(n, a + shard_size)) for a in range(0, n, shard_size)]
    seen = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups]) if len(groups) else np.zeros(0, np.int64)
    if len(seen) != n or not np.array_equal(np.sort(seen), np.arange(n)):
        raise MultitagError(f"the backend's inference groups do not cover each of the {n} sentences exactly once")
    shards, current, size = [], [], 0
    for g in groups:
        current.append(np.asarray(g, dtype=np.int64))
        size += len(g)
        if size >= shard_size:
            shards.append(np.concatenate(current))
            current, size = [], 0
    if current:
        shards.append(np.concatenate(current))
    return shards


def score_shard(model: Any, request: ScoreRequest, shard: Shard) -> ShardScores:
    """The strategy's scores of one shard (computed wherever the shard runs)."""
    ctx = QueryContext(lengths=shard.lengths, sizes=shard.sizes, rng=NO_RANDOMNESS)
    sentences = list(shard.sentences)    # made once for the shard (a backend may read each more than once)
    if "marginals" in request.needs:
        ctx.predictions = model.predict(sentences)
    if "samples" in request.needs:
        ctx.samples = model.sample(sentences, n_samples=request.mc_samples, mode=request.mc_mode)
    strategy = request.strategy
    if request.token_level:
        scores, offsets = strategy.token_scores(ctx)
        return ShardScores(np.asarray(scores, dtype=np.float64), np.asarray(offsets, dtype=np.int64))
    return ShardScores(np.asarray(strategy.sentence_scores(ctx), dtype=np.float64))


def merge(shards: Sequence[Shard], results: Sequence[ShardScores], sizes: np.ndarray,
          token_level: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The shards' scores in candidate order: (N,) sentence scores, or flat token scores over every
    token of the candidates (laid out by ``sizes``) and their offsets (N+1,)."""
    if not token_level:
        out = np.empty(len(sizes), dtype=np.float64)
        for shard, res in zip(shards, results):
            if res.scores.shape != (len(shard.members),):
                raise MultitagError(f"a shard of {len(shard.members)} sentences got {res.scores.shape[0]} scores")
            out[shard.members] = res.scores
        return out, None
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    out = np.empty(int(offsets[-1]), dtype=np.float64)
    for shard, res in zip(shards, results):
        counts = np.diff(res.offsets)
        if not np.array_equal(counts, sizes[shard.members]):
            raise MultitagError("a shard's token scores do not match its sentences' lengths")
        # token j of the shard's k-th sentence goes to offsets[member k] + (j - res.offsets[k])
        dest = np.repeat(offsets[shard.members] - res.offsets[:-1], counts) + np.arange(int(res.offsets[-1]))
        out[dest] = res.scores
    return out, offsets


class ScoredStrategy(ScoringStrategy):
    """The round's strategy with its scores already computed (by the shards): the level plans from
    these exactly as from the strategy itself."""

    shardable = False

    def __init__(self, base: Strategy, scores: np.ndarray, offsets: np.ndarray | None):
        self.base, self._scores, self._offsets = base, scores, offsets
        self.name = base.name
        self.token_level = base.token_level

    def sentence_scores(self, ctx: QueryContext) -> np.ndarray:
        if self._offsets is not None:
            raise MultitagError(f"strategy {self.name!r}: sentence scores were not computed for this round")
        return self._scores

    def token_scores(self, ctx: QueryContext) -> tuple[np.ndarray, np.ndarray]:
        if self._offsets is None:
            raise MultitagError(f"strategy {self.name!r}: token scores were not computed for this round")
        return self._scores, self._offsets


def sharded_scores(model: Any, request: ScoreRequest, sentences: Callable[[np.ndarray], Sequence[Sentence]],
                   lengths: np.ndarray, sizes: np.ndarray, shard_size: int,
                   runner: ShardRunner | None = None) -> ScoredStrategy | None:
    """Plan the shards of a pass over candidates of ``sizes`` tokens (``lengths`` still to annotate;
    ``sentences(positions)`` gives their text) and, when there is more than one, score them with
    ``runner``. Returns the strategy with its merged scores (``None`` when the pass is one shard:
    the caller scores it as one pass)."""
    groups = model.inference_groups(sizes, n_samples=request.n_samples,
                                    mode=request.mc_mode if request.n_samples else None)
    plan = plan_shards(groups, len(sizes), shard_size)
    if len(plan) <= 1:
        return None
    shards = [Shard(m, sentences(m), lengths[m], sizes[m]) for m in plan]
    results = (runner or SequentialShards()).run(model, request, shards)
    scores, offsets = merge(shards, results, sizes, request.token_level)
    return ScoredStrategy(request.strategy, scores, offsets)
