"""Replaying the store into a pool: the project's sentences, its current annotations, and the
:class:`~multitag.loop.ActiveLearner` with every current annotation taught, round by round."""
from __future__ import annotations

import hashlib
from array import array

import numpy as np

from multitag import registry
from multitag.annotation.levels import unasked_level
from multitag.annotation.pool import Annotation, Pool
from multitag.loop import ActiveLearner
from multitag.project.opened import OpenedProject
from multitag.project.settings import Settings
from multitag.project.stored_pool import StoredRows, pool_sentence
from multitag.project.store import Store
from multitag.strategies import get_strategy


def labeled_hash(store: Store) -> str:
    """A fingerprint of the current labeled set (every annotated token and its tag, and every
    rejection: the models that learn from them train on them too)."""
    h = hashlib.sha256()
    for sentence_id, token, tag in store.annotations.current_tags_in_position_order():
        h.update(f"{sentence_id}:{token}:{tag};".encode())
    for sentence_id, start, end, label in store.decisions.rejections():
        h.update(f"reject:{sentence_id}:{start}:{end}:{label};".encode())
    return h.hexdigest()


def make_backend(settings: Settings):
    return registry.create(settings.backend, labels=settings.labels, seed=settings.seed, **settings.params)


def replay(p: OpenedProject) -> tuple[ActiveLearner, StoredRows]:
    """The pool and learner with every current annotation taught, round by round.

    Returns (learner, rows) where ``rows[i]`` is the store row of pool sentence ``i`` (read from the
    store when asked for). The store's sentences stream into the pool's packed arrays in batches,
    so replaying a million-sentence project holds no row or sentence object per sentence.
    """
    s = p.settings
    ids = array("q")

    def stored_sentences():
        for r in p.store.text.iter_sentences():
            ids.append(r.id)
            yield pool_sentence(r)

    pool = Pool(stored_sentences())
    ids = np.frombuffer(ids, dtype=np.int64).copy()
    rows = StoredRows(p.store, ids)

    def position(sentence_id: int) -> int:     # the store reads sentences in id order
        return int(np.searchsorted(ids, sentence_id))

    learner = ActiveLearner(pool, make_backend(s), get_strategy(s.strategy), s.learner, scheme="IOB2", seed=s.seed)
    queries = p.store.queries.by_id()
    by_round: dict[int, dict[tuple, list]] = {}
    for a in p.store.annotations.current():
        key = ("q", a.query_id) if a.query_id is not None else ("s", a.sentence_id)
        by_round.setdefault(a.round_id, {}).setdefault(key, []).append(a)
    for round_id in sorted(by_round):
        answers = []
        for key, group in by_round[round_id].items():
            i = position(group[0].sentence_id)
            toks = tuple(a.token for a in group)
            tags = tuple(a.tag for a in group)
            if key[0] == "q":
                q = queries[key[1]]
                answers.append(Annotation(i, toks, tags, asked=tuple(q.tokens), unit=q.unit))
            else:
                whole = len(toks) == pool.lengths[i]
                answers.append(Annotation(i, toks, tags, asked=toks, unit=unasked_level(whole)))
        learner.teach(answers, round_id)
    for sentence_id, start, end, label in p.store.decisions.rejections():   # teach mode: "not this type here"
        pool.reject(position(sentence_id), start, end, label)
    return learner, rows
