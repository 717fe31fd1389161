"""Replaying the store into a pool: the project's sentences, its current annotations, and the
:class:`~multitag.loop.ActiveLearner` with every current annotation taught, round by round."""
from __future__ import annotations

import hashlib

from multitag import registry
from multitag.annotation.levels import unasked_level
from multitag.annotation.pool import Annotation, Pool
from multitag.data.sentence import Sentence
from multitag.loop import ActiveLearner
from multitag.project.opened import OpenedProject
from multitag.project.settings import Settings
from multitag.project.store import SentenceRow, Store
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


def replay(p: OpenedProject) -> tuple[ActiveLearner, list[SentenceRow]]:
    """The pool and learner with every current annotation taught, round by round.

    Returns (learner, sentences) where ``sentences[i]`` is the row of pool sentence ``i``.
    """
    s = p.settings
    rows = p.store.text.sentences()
    index = {r.id: i for i, r in enumerate(rows)}
    pool = Pool([Sentence(r.tokens, None, r.pos, id=str(r.id)) for r in rows])
    learner = ActiveLearner(pool, make_backend(s), get_strategy(s.strategy), s.learner, scheme="IOB2", seed=s.seed)
    queries = p.store.queries.by_id()
    by_round: dict[int, dict[tuple, list]] = {}
    for a in p.store.annotations.current():
        key = ("q", a.query_id) if a.query_id is not None else ("s", a.sentence_id)
        by_round.setdefault(a.round_id, {}).setdefault(key, []).append(a)
    for round_id in sorted(by_round):
        answers = []
        for key, group in by_round[round_id].items():
            i = index[group[0].sentence_id]
            toks = tuple(a.token for a in group)
            tags = tuple(a.tag for a in group)
            if key[0] == "q":
                q = queries[key[1]]
                answers.append(Annotation(i, toks, tags, asked=tuple(q.tokens), unit=q.unit))
            else:
                whole = len(toks) == len(rows[i].tokens)
                answers.append(Annotation(i, toks, tags, asked=toks, unit=unasked_level(whole)))
        learner.teach(answers, round_id)
    for sentence_id, start, end, label in p.store.decisions.rejections():   # teach mode: "not this type here"
        pool.reject(index[sentence_id], start, end, label)
    return learner, rows
