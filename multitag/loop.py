"""The active learner: one annotation cycle for simulations and real rounds alike.

``query(budget)`` chooses what to annotate at the learner's annotation level, ``teach(answers)``
reveals the answers in the pool and accounts for them (tokens, entity spans, sentences touched,
estimated seconds under the cost model), ``fit()`` trains the acquisition model on what is known.
:class:`~multitag.experiments.simulation.Simulation` drives it with a gold-label oracle; a real
annotation project drives it with people.

It sees the backend only through the :class:`~multitag.backend.Tagger` contract, the strategy only
through :class:`~multitag.strategies.base.Strategy` and the level only through
:class:`~multitag.annotation.levels.AnnotationLevel`; no code here branches on a backend class.

All randomness derives from the learner's ``seed``: :meth:`ActiveLearner.rng` gives the generator of
an iteration and a stream, so the same seed gives the same seed set and selections.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import numpy as np

from multitag.annotation.budget import InitialSize
from multitag.annotation.cost import CostModel
from multitag.annotation.initial import InitialSelection, get_initial_selection
from multitag.annotation.levels import DEFAULT_LEVEL, LEVELS, Annotate, AnnotationLevel, get_level, whole_sentence_query
from multitag.annotation.pool import Annotation, Pool, Query, RevealStats
from multitag.annotation.training_modes import apply_mode, resolve_mode
from multitag.backend import Tagger
from multitag.data.sentence import Corpus
from multitag.errors import CompatibilityError, MultitagError
from multitag.pool_pass import ScoreRequest, ShardRunner, sharded_scores, shardable
from multitag.settings import LearnerSettings
from multitag.strategies.base import QueryContext, Strategy

#: random streams: ``np.random.default_rng([seed, iteration, stream])``
SELECT, VALID, SUBSAMPLE, INITIAL = 1, 2, 3, 4

__all__ = ["ActiveLearner", "QueryBatch", "check_compatible", "LEVELS", "SELECT", "VALID", "INITIAL"]


def check_compatible(tagger_cls: type[Tagger], strategy: Strategy, *, mc_mode: str | None = None,
                     backend_name: str | None = None) -> str | None:
    """Why ``strategy`` cannot run with backends of ``tagger_cls`` (``None`` if it can)."""
    name = backend_name or tagger_cls.__name__
    needs = strategy.needs
    if "samples" in needs:
        if not tagger_cls.mc_modes:
            return f"strategy {strategy.name!r} needs MC-dropout samples, but backend {name!r} has no mc_modes"
        if mc_mode is not None and mc_mode not in tagger_cls.mc_modes:
            return f"backend {name!r} has no MC-dropout mode {mc_mode!r} (it has {', '.join(tagger_cls.mc_modes)})"
    if needs & {"hidden", "labeled_hidden"} and not tagger_cls.hidden_states:
        return f"strategy {strategy.name!r} needs hidden states, but backend {name!r} returns none"
    return None


@dataclass
class QueryBatch:
    """What :meth:`ActiveLearner.query` chose: ``queries`` in the order chosen and, when an
    ``annotate`` callable answered them as they were chosen, ``answers`` (one per query)."""

    queries: list[Query]
    answers: list[Annotation] = field(default_factory=list)

    def __iter__(self) -> Iterator[Query]:
        return iter(self.queries)

    def __len__(self) -> int:
        return len(self.queries)

    def __getitem__(self, i):
        return self.queries[i]

    def sentence_ids(self, pool: Pool) -> list[str]:
        """Ids of the sentences queried, in the order first queried."""
        return list(dict.fromkeys(pool.sentences[q.sentence].id for q in self.queries))


class ActiveLearner:
    """Pool-based active learning with one acquisition model, at one annotation level.

    Parameters
    ----------
    pool : the pool (its reveal mask is updated by :meth:`teach`).
    tagger : an unfitted acquisition backend; each :meth:`fit` trains a fresh clone.
    strategy : the query strategy.
    settings : how the learner runs (:class:`~multitag.settings.LearnerSettings`: the level, the cost
        model of the accounting, MC-dropout, pool subsampling, the training mode of partially
        annotated sentences; ``auto`` masks when the backend learns from partial labels, else drops).
        Single fields may be given as keywords instead (``level="entity"``, ``cost=CostModel(...)``);
        ``level`` may also be an :class:`AnnotationLevel` instance.
    scheme : the tag scheme of the answers (entity spans are counted in it).
    seed : the seed every random choice derives from (:meth:`rng`).
    training_data : ``f(pool) -> Corpus``, overriding what the model trains on.
    shards : where the shards of a pool pass run (:mod:`multitag.pool_pass`; default: here, one
        after another).
    """

    def __init__(self, pool: Pool, tagger: Tagger, strategy: Strategy, settings: LearnerSettings | None = None, *,
                 level: str | AnnotationLevel | None = None, cost: CostModel | None = None, scheme: str = "IOB2",
                 seed: int = 0, training_data: Callable[[Pool], Corpus] | None = None,
                 shards: ShardRunner | None = None, **changes):
        settings = settings or LearnerSettings()
        if cost is not None:
            changes["cost_model"] = cost
        if isinstance(level, str):
            changes["level"] = level
        settings = settings.replace(**changes) if changes else settings
        self.settings = settings
        self.level = level if isinstance(level, AnnotationLevel) else get_level(settings.level)
        mc_mode = settings.mc_mode
        problem = check_compatible(type(tagger), strategy, mc_mode=mc_mode) or self.level.refusal(strategy)
        if problem:
            raise CompatibilityError(problem)
        self.pool = pool
        self.template = tagger
        self.strategy = strategy
        self.cost = settings.cost_model
        self.scheme = scheme
        self.seed = seed
        self.mc_samples = settings.mc_samples
        self.mc_mode = mc_mode or (type(tagger).mc_modes[0] if type(tagger).mc_modes else None)
        self.pool_subsample = settings.pool_subsample
        self.training_mode = resolve_mode(settings.training_mode, type(tagger).partial_training)
        self.training_data = training_data
        self.shards = shards
        self.model: Tagger | None = None
        self.timings: dict[str, float] = {}
        self.totals = RevealStats()

    # ------------------------------------------------------------------ randomness
    def rng(self, iteration: int, stream: int = SELECT) -> np.random.Generator:
        """The generator of ``stream`` at ``iteration`` (same seed, same draws)."""
        return np.random.default_rng([self.seed, iteration, stream])

    # ------------------------------------------------------------------ the seed set
    def initial_queries(self, size: InitialSize, selection: InitialSelection | str = "random", *,
                        rng: np.random.Generator | None = None) -> list[Query]:
        """Whole-sentence queries for the seed set: untouched sentences in the order ``selection``
        gives, until they hold ``size`` (the last sentence taken whole)."""
        if isinstance(selection, str):
            selection = get_initial_selection(selection)
        rng = rng if rng is not None else self.rng(0, INITIAL)
        untouched = self.pool.untouched()
        # an untouched pool is handed over as it is (a project's pool may be a lazy view of its store)
        text = self.pool.sentences if len(untouched) == len(self.pool) else [self.pool.sentences[i] for i in untouched]
        order = untouched[np.asarray(selection.order(text, rng), dtype=np.int64)]
        if size.sentences is not None:
            chosen = order[: size.sentences]
        else:
            budget = size.token_budget(self.pool.n_tokens)
            cum = np.cumsum(self.pool.lengths[order])
            chosen = order[: int(np.searchsorted(cum, budget) + 1)]
        return [whole_sentence_query(self.pool, i) for i in chosen]

    # ------------------------------------------------------------------ training
    def labeled(self) -> Corpus:
        """What the model trains on: the touched sentences with their revealed tags, under the
        training mode."""
        if self.training_data is not None:
            return self.training_data(self.pool)
        return apply_mode(self.pool.labeled(), self.training_mode)

    def fit(self, *, train: Corpus | None = None, dev: Corpus | None = None, seed: int | None = None,
            unlabeled: Sequence | None = None, incremental: bool | None = None) -> Tagger:
        """Train the acquisition backend on ``train`` (default: :meth:`labeled`): a fresh clone, or,
        with ``incremental`` and a model from an earlier round, that model again (a backend built
        with ``warm_start=True`` continues from its current weights)."""
        if incremental is None:
            incremental = self.settings.incremental
        if incremental and self.model is not None:
            model = self.model
        else:
            model = self.template.clone(**({} if seed is None else {"seed": seed}))
            if unlabeled is not None:
                model.observe_unlabeled(unlabeled)
        corpus = self.labeled() if train is None else train
        t0 = time.perf_counter()
        model.fit(corpus, dev)
        self.timings["train_seconds"] = time.perf_counter() - t0
        self.model = model
        return model

    # ------------------------------------------------------------------ querying
    def candidates(self, rng: np.random.Generator) -> np.ndarray:
        """The level's candidate sentences, subsampled when ``pool_subsample`` is set; for a strategy
        that needs the model but sees all candidates at once (Core-set, BADGE), at most
        ``diversity_candidates`` of them (a uniform sample without replacement, in pool order)."""
        cand = self.level.candidates(self.pool)
        if self.pool_subsample is not None and len(cand):
            k = max(1, int(round(len(cand) * self.pool_subsample)))
            cand = np.sort(rng.choice(cand, size=min(k, len(cand)), replace=False))
        cap = self.settings.diversity_candidates
        if cap is not None and len(cand) > cap and self.strategy.needs and not shardable(self.strategy):
            cand = np.sort(rng.choice(cand, size=cap, replace=False))
        return cand

    def context(self, cand: np.ndarray, rng: np.random.Generator) -> QueryContext:
        """Compute exactly what the strategy needs for the candidates."""
        needs = self.strategy.needs
        ctx = QueryContext(lengths=self.pool.lengths[cand] - self.pool.revealed_counts()[cand], rng=rng,
                           sizes=self.pool.lengths[cand])
        sentences = [self.pool.sentences[i] for i in cand]
        t0 = time.perf_counter()
        if needs & {"marginals", "hidden"}:
            ctx.predictions = self._require_model().predict(sentences, hidden="hidden" in needs)
        if "samples" in needs:
            ctx.samples = self._require_model().sample(sentences, n_samples=self.mc_samples, mode=self.mc_mode)
        if "labeled_hidden" in needs:
            labeled = [self.pool.sentences[i] for i in self.pool.touched()]
            ctx.labeled_hidden = [p.hidden for p in self._require_model().predict(labeled, hidden=True)] if labeled else []
        self.timings["predict_seconds"] = time.perf_counter() - t0
        return ctx

    def query(self, budget: int, *, iteration: int | None = None, rng: np.random.Generator | None = None,
              annotate: Annotate | None = None) -> QueryBatch:
        """Choose what to annotate next, about ``budget`` tokens.

        Parameters
        ----------
        budget : tokens to annotate (a sentence that overshoots is taken whole).
        iteration : the round number; the random generator is :meth:`rng` of it (or give ``rng``).
        annotate : ``f(query) -> Annotation``, when answers come back one at a time (a simulation
            oracle, an annotator in the loop): at sub-sentence levels the budget then counts the
            tokens each answer revealed. The pool is not changed: pass the answers to :meth:`teach`.
        """
        if rng is None:
            if iteration is None:
                raise MultitagError("ActiveLearner.query needs the iteration (or an rng)")
            rng = self.rng(iteration, SELECT)
        cand = self.candidates(rng)
        if len(cand) == 0:
            self.timings.update(predict_seconds=0.0, select_seconds=0.0)
            return QueryBatch([])
        strategy, ctx = self._scored(cand, rng)
        if ctx is None:
            ctx = self.context(cand, rng)
        t0 = time.perf_counter()
        queries, answers = self.level.plan(strategy, ctx, cand, self.pool, budget, annotate)
        self.timings["select_seconds"] = time.perf_counter() - t0
        return QueryBatch(queries, answers)

    def _scored(self, cand: np.ndarray, rng: np.random.Generator) -> tuple[Strategy, QueryContext | None]:
        """The strategy with its scores computed shard by shard, and the context the level plans
        with, when the pass over ``cand`` takes more than one shard (else the strategy and ``None``:
        the caller computes the context in one pass)."""
        if not shardable(self.strategy) or not getattr(self.level, "plans_from_scores", True):
            return self.strategy, None
        model = self._require_model()
        revealed = self.pool.revealed_counts()[cand]
        sizes = self.pool.lengths[cand]
        request = ScoreRequest(self.strategy, self.level.token_level, self.mc_samples, self.mc_mode)
        t0 = time.perf_counter()
        scored = sharded_scores(model, request, lambda m: self.pool.sentences.subset(cand[m]),
                                sizes - revealed, sizes, self.settings.shard_size, self.shards)
        if scored is None:
            return self.strategy, None
        self.timings["predict_seconds"] = time.perf_counter() - t0
        return scored, QueryContext(lengths=sizes - revealed, rng=rng, sizes=sizes)

    # ------------------------------------------------------------------ answers
    def teach(self, answers: Sequence[Annotation], iteration: int) -> RevealStats:
        """Reveal ``answers`` in the pool (tokens revealed before keep their first iteration) and
        account for them; returns what this call added (also summed into :attr:`totals`)."""
        before = self.pool.revealed_counts()
        # a sentence is opened once: at its first answer (a rejection reveals no token, yet opens it)
        new_sentences = len({a.sentence for a in answers if before[a.sentence] == 0 and not self.pool.rejections(a.sentence)})
        stats = self.pool.reveal(answers, iteration)
        by_unit: dict[str, list[Annotation]] = {}
        for a in answers:
            by_unit.setdefault(a.unit, []).append(a)
        read = labels = 0
        for unit, group in by_unit.items():
            effort = get_level(unit).effort(self.pool, group, self.scheme)
            stats.entities += effort.entities
            read += effort.tokens_read
            labels += effort.labels
        stats.seconds = self.cost.seconds(sentences=0, tokens_read=read, labels=labels) + self.cost.sentence * new_sentences
        self.totals += stats
        return stats

    def _require_model(self) -> Tagger:
        if self.model is None:
            raise MultitagError("ActiveLearner.query before fit: train the model on the labeled set first")
        return self.model
