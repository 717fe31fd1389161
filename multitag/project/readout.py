"""Reading a project out: its current annotations as a file, its status (counts, rounds, the
learning curve on the gold set, optionally as a PNG, the annotation time measured on the page
beside the cost model's estimate, agreement between annotators), and a Label Studio labeling config."""
from __future__ import annotations

from multitag.data.entity_spans import entity_spans
from multitag.project import formats
from multitag.project.agreement import agreement
from multitag.project.curve_plot import plot_curve
from multitag.project.formats.labelstudio import labeling_config
from multitag.project.opened import OpenedProject
from multitag.project.replay import replay


def tasks_for_export(p: OpenedProject, only_complete: bool) -> list[formats.Task]:
    """One task per sentence with an annotation (every token annotated, with ``only_complete``)."""
    rows = p.store.text.sentences()
    tags: dict[int, list] = {r.id: [None] * len(r.tokens) for r in rows}
    for a in p.store.annotations.current():
        tags[a.sentence_id][a.token] = a.tag
    out = []
    for r in rows:
        t = tags[r.id]
        if all(x is None for x in t) or (only_complete and any(x is None for x in t)):
            continue
        ref = formats.TaskRef(project=p.uid, sentence=r.id, hash=r.hash)
        out.append(formats.Task(ref=ref, text=r.text, tokens=r.tokens, starts=r.starts, ends=r.ends,
                                tags=t, annotated=True))
    return out


def export(p: OpenedProject, fmt: str, out: str, *, only_complete: bool = False) -> dict:
    tasks = tasks_for_export(p, only_complete)
    formats.module(fmt).write_tasks(tasks, out)
    return {"sentences": len(tasks), "out": out}


def _round_summaries(p: OpenedProject) -> list[dict]:
    store = p.store
    rounds = []
    for r in store.rounds.all():
        model = store.models.get(r.model_id) if r.model_id else None
        rounds.append({"round": r.id, "kind": r.kind, "created": r.created, "strategy": r.strategy,
                       "level": r.level, "budget": r.budget, "queries": store.queries.count_of_round(r.id),
                       "annotated_tokens": store.annotations.count_current_of_round(r.id),
                       "train_seconds": r.train_seconds, "predict_seconds": r.predict_seconds,
                       "select_seconds": r.select_seconds, "model_f1": model.f1 if model else None})
    return rounds


def status(p: OpenedProject, *, png: str | None = None) -> dict:
    learner, rows = replay(p)
    pool = learner.pool
    complete = int(sum(1 for i in range(len(pool)) if pool.revealed_counts()[i] == pool.lengths[i]))
    types: dict[str, int] = {}
    tag_counts: dict[str, int] = {}
    for i in pool.touched():
        tags = pool.tags(int(i))
        for t in tags:
            if t is not None:
                tag_counts[t] = tag_counts.get(t, 0) + 1
        for typ, _, _ in entity_spans(tags, "IOB2"):
            types[typ] = types.get(typ, 0) + 1
    curve = [{"model": r.id, "round": r.round_id, "train_tokens": r.train_tokens,
              "train_sentences": r.train_sentences, "f1": r.f1, "precision": r.precision, "recall": r.recall}
             for r in p.store.models.all() if r.f1 is not None]
    result = {"project": p.path, "sentences": len(pool), "tokens": pool.n_tokens,
              "annotated_tokens": pool.n_revealed_tokens, "touched_sentences": pool.n_touched_sentences,
              "complete_sentences": complete, "entities": learner.totals.entities,
              "estimated_hours": learner.totals.seconds / 3600, "entity_types": dict(sorted(types.items())),
              "tags": dict(sorted(tag_counts.items())), "rounds": _round_summaries(p), "curve": curve, "png": None}
    timed, seconds = p.store.leases.active_seconds()
    result["measured"] = {"answers": timed, "active_seconds": round(seconds, 1)}   # on the page (multitag serve)
    result["agreement"] = agreement(p.store.leases.submitted_answers())
    if curve and png:
        plot_curve(curve, pool.n_tokens, png)
        result["png"] = png
    return result


def labelstudio_config(p: OpenedProject) -> str:
    return labeling_config(p.settings.entity_types)
