"""The tasks of the annotation queue, read from the project store: a round's tasks (one per
sentence, in the round's rank order) and the open queue over every chosen round.

The open queue is what is unanswered: the newest round's tasks in its rank order (the newest
model's ranking), then the unanswered tasks of older rounds that it did not re-rank, newest round
first. A retrain never drops a task; it re-ranks them.
"""
from __future__ import annotations

from multitag.project.store import Store


def answered(store: Store, sentence_id: int, asked: list[int]) -> bool:
    """Every asked token of the sentence has a current annotation."""
    if not asked:
        return False
    have = store.annotations.current_tags(sentence_id)
    return all(t in have for t in asked)


def round_tasks(store: Store, round_id: int) -> list[dict]:
    """The round's tasks (one per sentence, in rank order) with their queries and asked tokens."""
    tasks: dict[int, dict] = {}
    for q in store.queries.of_round(round_id):
        t = tasks.setdefault(q.sentence_id, {"sentence": q.sentence_id, "round": round_id, "queries": [], "asked": set(),
                                             "unit": q.unit, "score": q.score, "rank": len(tasks) + 1})
        t["queries"].append(q.id)
        t["asked"].update(q.tokens)
    for t in tasks.values():
        t["asked"] = sorted(t["asked"])
    return list(tasks.values())


def task_of(store: Store, round_id: int, sentence_id: int) -> dict | None:
    return next((t for t in round_tasks(store, round_id) if t["sentence"] == sentence_id), None)


def chosen_rounds(store: Store) -> list[int]:
    """The ids of the seed and query rounds, newest first."""
    return [r.id for r in reversed(store.rounds.all()) if r.kind in ("seed", "query")]


def open_tasks(store: Store, wants_another=None) -> list[dict]:
    """The unanswered tasks of every chosen round, each sentence once (from its newest round), in
    queue order (see the module's docstring). ``wants_another(task)``: an answered task that is
    still open (an overlap task waiting for its second annotator)."""
    out, seen = [], set()
    for round_id in chosen_rounds(store):
        for t in round_tasks(store, round_id):
            if t["sentence"] in seen:
                continue
            seen.add(t["sentence"])
            if not answered(store, t["sentence"], t["asked"]) or (wants_another is not None and wants_another(t)):
                out.append(t)
    return out


def unanswered_tokens(store: Store) -> int:
    """The asked tokens of the open queue (a retrain re-ranks at least as many)."""
    return sum(len(t["asked"]) for t in open_tasks(store))


def context_of(store: Store, sentence_id: int) -> dict:
    """The text of the sentences before and after this one in its document (None at its ends)."""
    here = store.text.sentence(sentence_id)
    out = {}
    for key, other_id in (("before", sentence_id - 1), ("after", sentence_id + 1)):
        other = store.text.sentence(other_id) if other_id > 0 else None
        out[key] = other.text if other is not None and other.document_id == here.document_id else None
    return out
