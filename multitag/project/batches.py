"""A round as a batch of tasks: one task per sentence in the order first asked, pre-annotated by
the round's model (none for the seed set), written in an annotation format."""
from __future__ import annotations

import math
from typing import Callable

from multitag.backend import Prediction
from multitag.data.sentence import Sentence
from multitag.project import formats
from multitag.project.models import load_model
from multitag.project.opened import OpenedProject
from multitag.project.store import QueryRow


def confidence(pred: Prediction) -> float:
    """The model's confidence in its labelling of a sentence: P(best path | sentence)."""
    return float(math.exp(min(0.0, pred.logprob)))


def round_tasks(p: OpenedProject, round_id: int) -> list[formats.Task]:
    """The tasks of a round, one per sentence in the order first asked, with the pre-annotation
    of the round's model (none for the seed set); only the round's sentences are read from the
    store."""
    rnd = p.store.rounds.get(round_id)
    grouped: dict[int, list[QueryRow]] = {}
    for q in p.store.queries.of_round(round_id):
        grouped.setdefault(q.sentence_id, []).append(q)
    by_id = p.store.text.sentences_with_ids(grouped)
    model = None
    model_name = None
    if rnd.model_id is not None:
        model = load_model(p, p.store.models.get(rnd.model_id))
        model_name = f"round-{round_id}"
    sentences = [by_id[sid] for sid in grouped]
    preds = model.predict([Sentence(r.tokens, None, r.pos) for r in sentences]) if model is not None else None
    tasks = []
    for k, (sid, group) in enumerate(grouped.items()):
        r = by_id[sid]
        asked = sorted({t for q in group for t in q.tokens})
        scores = [q.score for q in group if q.score is not None]
        ref = formats.TaskRef(project=p.uid, sentence=sid, hash=r.hash, round=round_id,
                              queries=[q.id for q in group], asked=asked, unit=group[0].unit)
        tasks.append(formats.Task(ref=ref, text=r.text, tokens=r.tokens, starts=r.starts, ends=r.ends,
                                  tags=list(preds[k].tags) if preds is not None else None,
                                  score=max(scores) if scores else None, model=model_name,
                                  confidence=confidence(preds[k]) if preds is not None else None))
    return tasks


def write_round(p: OpenedProject, round_id: int, fmt: str, out: str,
                say: Callable[[str], None], *, reused: bool) -> dict:
    """Write the round's tasks to ``out``; what was written."""
    say("writing the batch")
    tasks = round_tasks(p, round_id)
    formats.module(fmt).write_tasks(tasks, out)
    rnd = p.store.rounds.get(round_id)
    asked = sum(len(t.ref.asked) for t in tasks)
    return {"round": round_id, "kind": rnd.kind, "tasks": len(tasks), "asked_tokens": asked, "out": out,
            "reused": reused, "train_seconds": rnd.train_seconds, "predict_seconds": rnd.predict_seconds,
            "select_seconds": rnd.select_seconds}
