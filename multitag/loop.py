"""The active learner: ``query(budget)`` chooses what to annotate, ``teach(annotations)`` records it.

It sees the backend only through the :class:`~multitag.backend.Tagger` contract and the strategy
only through :class:`~multitag.strategies.base.Strategy`; no code here branches on a backend class.
:class:`~multitag.experiments.simulation.Simulation` drives it with a gold-label oracle; a real
annotation loop drives it with people.
"""
from __future__ import annotations

import time
from typing import Callable, Iterator, Sequence

import numpy as np

from multitag.annotation.pool import Annotation, Pool, Query, RevealStats
from multitag.backend import Tagger
from multitag.data.sentence import Corpus
from multitag.errors import CompatibilityError
from multitag.strategies.base import QueryContext, Strategy, rank_descending

LEVELS = ("sentence", "entity", "token")


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
    if "hidden" in needs and not tagger_cls.hidden_states:
        return f"strategy {strategy.name!r} needs hidden states, but backend {name!r} returns none"
    return None


class ActiveLearner:
    """Pool-based active learning with one acquisition model.

    Parameters
    ----------
    pool : the pool (its reveal mask is updated by :meth:`teach`).
    tagger : an unfitted acquisition backend; each :meth:`fit` trains a fresh clone.
    strategy : the query strategy.
    mc_samples, mc_mode : MC-dropout settings for strategies that need ``samples``.
    pool_subsample : score only this fraction of the candidates each query (``None``: all).
    training_data : ``f(pool) -> Corpus``: what the model trains on (default: every touched sentence
        with its revealed tags).
    """

    def __init__(self, pool: Pool, tagger: Tagger, strategy: Strategy, *, mc_samples: int = 10,
                 mc_mode: str | None = None, pool_subsample: float | None = None,
                 training_data: Callable[[Pool], Corpus] | None = None):
        problem = check_compatible(type(tagger), strategy, mc_mode=mc_mode)
        if problem:
            raise CompatibilityError(problem)
        self.pool = pool
        self.template = tagger
        self.strategy = strategy
        self.mc_samples = mc_samples
        self.mc_mode = mc_mode or (type(tagger).mc_modes[0] if type(tagger).mc_modes else None)
        self.pool_subsample = pool_subsample
        self.training_data = training_data or (lambda p: p.labeled())
        self.model: Tagger | None = None
        self.timings: dict[str, float] = {}

    def fit(self, *, train: Corpus | None = None, dev: Corpus | None = None, seed: int | None = None,
            unlabeled: Sequence | None = None) -> Tagger:
        """Train a fresh clone of the acquisition backend on ``train`` (default: the labeled part of
        the pool through ``training_data``)."""
        model = self.template.clone(**({} if seed is None else {"seed": seed}))
        if unlabeled is not None:
            model.observe_unlabeled(unlabeled)
        t0 = time.perf_counter()
        model.fit(self.training_data(self.pool) if train is None else train, dev)
        self.timings["train_seconds"] = time.perf_counter() - t0
        self.model = model
        return model

    def candidates(self, rng: np.random.Generator, *, partial: bool = False) -> np.ndarray:
        """Untouched sentences (or, with ``partial``, sentences with unrevealed tokens), optionally subsampled."""
        cand = self.pool.incomplete() if partial else self.pool.untouched()
        if self.pool_subsample is not None and len(cand):
            k = max(1, int(round(len(cand) * self.pool_subsample)))
            cand = np.sort(rng.choice(cand, size=min(k, len(cand)), replace=False))
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
        if "hidden" in needs:
            labeled = [self.pool.sentences[i] for i in self.pool.touched()]
            ctx.labeled_hidden = [p.hidden for p in self._require_model().predict(labeled, hidden=True)] if labeled else []
        self.timings["predict_seconds"] = time.perf_counter() - t0
        return ctx

    def query(self, budget: int, *, rng: np.random.Generator) -> list[Query]:
        """Choose sentences costing at least ``budget`` tokens (the last one taken whole)."""
        cand = self.candidates(rng)
        if len(cand) == 0:
            self.timings.update(predict_seconds=0.0, select_seconds=0.0)
            return []
        ctx = self.context(cand, rng)
        t0 = time.perf_counter()
        picks = self.strategy.select(ctx, budget)
        self.timings["select_seconds"] = time.perf_counter() - t0
        if len(set(picks)) != len(picks):
            raise AssertionError(f"strategy {self.strategy.name} picked a sentence twice")
        return [Query(int(cand[k]), tuple(range(int(self.pool.lengths[cand[k]])))) for k in picks]

    def rank_tokens(self, *, rng: np.random.Generator) -> Iterator[Query]:
        """Unrevealed tokens of the pool, most informative first, as one-token queries (entity- and
        token-level annotation). Needs a strategy with ``token_scores`` (tlc, bt, entropy, random)."""
        if not hasattr(self.strategy, "token_scores"):
            raise CompatibilityError(f"strategy {self.strategy.name!r} scores sentences, not tokens; "
                                     "entity and token levels need tlc, bt, entropy or random")
        cand = self.candidates(rng, partial=True)
        if len(cand) == 0:
            self.timings.update(predict_seconds=0.0, select_seconds=0.0)
            return
        ctx = self.context(cand, rng)
        t0 = time.perf_counter()
        scores, offsets = self.strategy.token_scores(ctx)
        revealed = np.concatenate([self.pool.revealed_at[i] >= 0 for i in cand])
        scores = np.where(revealed, -np.inf, scores)
        order = rank_descending(scores, rng)
        order = order[: int((~revealed).sum())]  # -inf (revealed) sort last
        sent_of = np.searchsorted(offsets, order, side="right") - 1
        self.timings["select_seconds"] = time.perf_counter() - t0
        for flat, k in zip(order.tolist(), sent_of.tolist()):
            yield Query(int(cand[k]), (int(flat - offsets[k]),))

    def teach(self, annotations: Sequence[Annotation], iteration: int) -> RevealStats:
        return self.pool.reveal(annotations, iteration)

    def _require_model(self) -> Tagger:
        if self.model is None:
            raise RuntimeError("ActiveLearner.query before fit")
        return self.model
