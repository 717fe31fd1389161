"""Choosing a round: retrain when the labeled set changed, choose about ``budget`` tokens to
annotate (the seed set while nothing is annotated), and record the round with its queries and
model in one transaction. One query at a time per project (a folder lock)."""
from __future__ import annotations

from typing import Callable, Sequence

from multitag.annotation.budget import InitialSize
from multitag.annotation.initial import get_initial_selection
from multitag.annotation.levels import DEFAULT_LEVEL
from multitag.annotation.pool import Query
from multitag.errors import MultitagError
from multitag.fileio import FolderLock
from multitag.loop import ActiveLearner
from multitag.project.importer import now
from multitag.project.models import clean_orphan_models, evaluate_on_gold, load_model, save_new_model
from multitag.project.opened import OpenedProject
from multitag.project.replay import labeled_hash, make_backend, replay
from multitag.project.store import Store
from multitag.project.stored_pool import StoredPool
from multitag.strategies import get_strategy

QUERY_LOCK = ".query.lock"


def choose_round(p: OpenedProject, budget: int, *, progress: Callable[[str], None] | None = None,
                 reuse: bool = True) -> tuple[int, bool]:
    """Retrain when the labeled set changed, choose about ``budget`` tokens to annotate, and
    record the round. Returns (round id, whether an unanswered round was reused).

    While nothing is annotated, the round is the seed set (whole sentences by the project's
    initial selection, no model), chosen from a :class:`~.stored_pool.StoredPool`: the pool's ids
    and lengths, not its sentences, so a first query of a large project takes little memory.
    ``reuse``: when nothing was annotated since the newest round and it had this budget, return it
    instead of choosing again.
    """
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise MultitagError(f"--budget must be a positive number of tokens, not {budget!r}")
    say = progress or (lambda phase: None)
    with FolderLock(p.path, QUERY_LOCK, advice="wait for that query to finish"):
        clean_orphan_models(p)
        say("reading the project")
        labeled = labeled_hash(p.store)
        reused = reusable_round(p.store, labeled, budget) if reuse else None
        if reused is not None:
            return reused, True
        if p.store.annotations.count_current() == 0:
            say("choosing the seed set")
            pool = StoredPool(p.store)
            queries = seed_queries(p, pool, budget)
            timings = {"train_seconds": None, "predict_seconds": None, "select_seconds": None}
            return record_round(p, "seed", budget, labeled, queries, pool.ids, timings, None, None, None), False
        return _query_round(p, budget, labeled, say), False


def seed_queries(p: OpenedProject, pool: StoredPool, budget: int) -> list[Query]:
    """The seed set of about ``budget`` tokens, :meth:`ActiveLearner.initial_queries` over the
    stored pool: nothing is annotated, so the selection reads the stored sentences as one lazy
    sequence, in pool order (a replayed pool would hold them all)."""
    s = p.settings
    learner = ActiveLearner(pool, make_backend(s), get_strategy(s.strategy), s.learner, scheme="IOB2", seed=s.seed)
    return learner.initial_queries(InitialSize(tokens=budget), get_initial_selection(s.initial, model=s.initial_lm))


def _query_round(p: OpenedProject, budget: int, labeled: str, say: Callable[[str], None]) -> int:
    """A round chosen by the model (trained on the labeled set when no model was): the store
    replayed into the learner's pool."""
    learner, rows = replay(p)
    pool = learner.pool
    timings = {"train_seconds": None, "predict_seconds": None, "select_seconds": None}
    new_model = None
    model_row = p.store.models.latest_trained_on(labeled)
    if model_row is not None:
        learner.model = load_model(p, model_row)
    else:
        say("training")
        model = learner.fit(unlabeled=pool.sentences)
        timings["train_seconds"] = learner.timings["train_seconds"]
        say("evaluating")
        new_model = (model, evaluate_on_gold(p.store, model), len(learner.labeled()),
                     sum(len(s) for s in learner.labeled()))
    iteration = p.store.rounds.count_query_rounds()
    say("predicting the pool and selecting")
    batch = learner.query(budget, iteration=iteration)
    timings["predict_seconds"] = learner.timings.get("predict_seconds")
    timings["select_seconds"] = learner.timings.get("select_seconds")
    model_path = None
    if new_model is not None:
        say("saving the model")
        model_path = save_new_model(p, new_model[0])
    return record_round(p, "query", budget, labeled, batch.queries, rows.ids, timings, model_row, new_model, model_path)


def reusable_round(store: Store, labeled: str, budget: int) -> int | None:
    """The newest round, when nothing was annotated since it was chosen and it had this budget:
    asking again gives the same batch (an interrupted query completes; nothing is chosen twice)."""
    last = store.rounds.latest_chosen()
    if last is None or last.labeled_hash != labeled or last.budget != budget:
        return None
    return None if store.annotations.count_answering_round(last.id) else last.id


def record_round(p: OpenedProject, kind, budget, labeled, queries: list[Query], ids: Sequence[int], timings, model_row,
                 new_model, model_path) -> int:
    """Write the round, its queries (``ids[i]``: the store id of pool sentence ``i``) and its new
    model (if any) in one transaction."""
    store, settings = p.store, p.settings
    with store.transaction():
        if labeled_hash(store) != labeled:
            # annotations arrived while this query trained: drop asked tokens that are annotated now
            current = store.annotations.current_positions()
            queries = [q for q in queries if not any((int(ids[q.sentence]), t) in current for t in q.tokens)]
        model_id = model_row.id if model_row is not None else None
        if new_model is not None:
            model, scores, n_sent, n_tok = new_model
            model_id = store.models.add(path=model_path, labeled_hash=labeled, created=now(), train_sentences=n_sent,
                                        train_tokens=n_tok, train_seconds=timings["train_seconds"] or 0.0,
                                        f1=None if scores is None else scores["f1"],
                                        precision=None if scores is None else scores["precision"],
                                        recall=None if scores is None else scores["recall"])
        round_id = store.rounds.add(kind=kind, created=now(),
                                    strategy=settings.strategy if kind == "query" else settings.initial,
                                    level=settings.level if kind == "query" else DEFAULT_LEVEL, budget=budget,
                                    model_id=model_id, labeled_hash=labeled, train_seconds=timings["train_seconds"],
                                    predict_seconds=timings["predict_seconds"], select_seconds=timings["select_seconds"])
        if new_model is not None:
            store.models.set_round(model_id, round_id)
        stamp = now()
        for rank, q in enumerate(queries):
            store.queries.add(round_id=round_id, sentence_id=int(ids[q.sentence]), tokens=q.tokens, unit=q.unit,
                              score=q.score, rank=rank, created=stamp)
    return round_id
