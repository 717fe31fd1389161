"""Label Studio: tasks (``data`` + ``predictions``) for import, and its JSON export for answers.

A task's ``data`` holds ``text`` (the sentence), ``asked`` (the sentence with the asked words
marked, shown above it by :func:`labeling_config`), ``multitag`` (the task reference) and
``informativeness`` (the query strategy's score: sort the Data Manager by this column, highest
first, for the active-learning order). The model's prediction is a Label Studio prediction
(``model_version``, ``score`` = the model's confidence in its labelling of the sentence, and
``labels`` results with character offsets), which the annotator accepts or corrects.
"""
from __future__ import annotations

import json
from typing import Sequence
from xml.sax.saxutils import quoteattr

from multitag.errors import MultitagError
from multitag.fileio import atomic_write
from multitag.project.formats import ImportedTask, Task, TaskRef
from multitag.project.spans import tags_to_char_spans

FROM_NAME, TO_NAME = "label", "text"


def labeling_config(entity_types: Sequence[str]) -> str:
    """The Label Studio labeling config for a project's entity types."""
    labels = "\n".join(f"    <Label value={quoteattr(t)}/>" for t in entity_types)
    return (f'<View>\n  <Header value="$asked" size="5"/>\n  <Labels name="{FROM_NAME}" toName="{TO_NAME}">\n{labels}\n'
            f'  </Labels>\n  <Text name="{TO_NAME}" value="$text"/>\n</View>\n')


def regions(sentence: int, text: str, tags, starts, ends, kind: str) -> list[dict]:
    """Label Studio ``labels`` results (character offsets) of IOB2 ``tags`` over a sentence."""
    out = []
    for k, (s, e, typ) in enumerate(tags_to_char_spans(tags or [], starts, ends)):
        out.append({"id": f"mt{sentence}-{k}", "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
                    "value": {"start": s, "end": e, "text": text[s:e], "labels": [typ]}, "origin": kind})
    return out


def _result(task: Task, kind: str) -> list[dict]:
    return regions(task.ref.sentence, task.text, task.tags, task.starts, task.ends, kind)


def task_json(task: Task) -> dict:
    """One task in Label Studio's import format: the prediction's ``score`` is the model's
    confidence, ``data.informativeness`` the strategy's score (absent for the seed set)."""
    d: dict = {"data": {"text": task.text, "asked": task.asked_text(), "multitag": task.ref.to_json()}}
    if task.score is not None:
        d["data"]["informativeness"] = task.score
    if task.tags is not None and task.annotated:
        d["annotations"] = [{"result": _result(task, "manual")}]
    elif task.tags is not None:
        d["predictions"] = [{"model_version": task.model or "multitag", "score": task.confidence,
                             "result": _result(task, "prediction")}]
    return d


def write_tasks(tasks: Sequence[Task], path: str) -> None:
    with atomic_write(path) as fh:
        json.dump([task_json(t) for t in tasks], fh, ensure_ascii=False, indent=1)
        fh.write("\n")


def _annotator(ann: dict) -> str | None:
    who = ann.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("id"))
    return None if who is None else str(who)


def read_answers(path: str) -> list[ImportedTask]:
    """Answers from a Label Studio JSON export: for each task the latest annotation that was not
    cancelled (skipped); tasks nobody annotated are not answers."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            data = json.load(fh)
    except OSError as e:
        raise MultitagError(f"{path}: cannot read ({e.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise MultitagError(f"{path}: not a Label Studio JSON export ({e})") from None
    if isinstance(data, dict):
        raise MultitagError(f"{path}: a Label Studio export is a JSON list of tasks; this file holds one object"
                            + (" (one task: put it in a list, [ ... ])" if "data" in data else ""))
    if not isinstance(data, list):
        raise MultitagError(f"{path}: a Label Studio JSON export is a list of tasks")
    out = []
    for k, task in enumerate(data):
        where = f"{path}: task {k + 1}" + (f" (Label Studio id {task.get('id')})" if isinstance(task, dict) and "id" in task else "")
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise MultitagError(f"{where}: not a Label Studio task (no data)")
        raw = task.get("annotations")
        if raw is not None and not isinstance(raw, list):
            raise MultitagError(f"{where}: \"annotations\" must be a list, got {type(raw).__name__}")
        for a in raw or []:
            if not isinstance(a, dict):
                raise MultitagError(f"{where}: an annotation must be an object, got {a!r:.80}")
        anns = [a for a in raw or [] if not a.get("was_cancelled")]
        if not anns:
            continue
        out.append(imported_task(task, max(anns, key=_newest), where))
    return out


def imported_task(task: dict, ann: dict, where: str, *, annotator: str | None = None) -> ImportedTask:
    """One Label Studio annotation of ``task`` as an answer (the rules of :func:`read_answers`,
    also for an annotation that arrives by the ML backend's webhook); ``annotator`` replaces the
    one the annotation names."""
    if not isinstance(task.get("data"), dict):
        raise MultitagError(f"{where}: not a Label Studio task (no data)")
    result = ann.get("result")
    if result is None:
        result = []
    if not isinstance(result, list):
        raise MultitagError(f"{where}: the annotation's \"result\" must be a list of results, got "
                            f"{type(result).__name__} {result!r:.60}")
    spans = []
    for r in result:
        if not isinstance(r, dict):
            raise MultitagError(f"{where}: a result must be an object, got {r!r:.80}")
        if r.get("type") != "labels":
            raise MultitagError(f"{where}: a result of type {r.get('type')!r} is not understood (this project's "
                                "labeling config gives \"labels\" results only)")
        v = r.get("value")
        if not isinstance(v, dict):
            raise MultitagError(f"{where}: a labels result's \"value\" must be an object, got {v!r:.80}")
        labels = v.get("labels")
        if "start" not in v or "end" not in v or not isinstance(labels, list) or len(labels) != 1 \
                or not isinstance(labels[0], str):
            raise MultitagError(f"{where}: a labels result without start, end and exactly one label: {v!r}")
        spans.append((v["start"], v["end"], labels[0]))
    ref = task["data"].get("multitag")
    text = task["data"].get("text")
    if text is not None and not isinstance(text, str):
        raise MultitagError(f"{where}: the task's \"text\" must be a string")
    return ImportedTask(where=where, ref=None if ref is None else TaskRef.from_json(ref, where),
                        text=text, spans=spans, annotator=annotator or _annotator(ann))


def _newest(ann: dict):
    """Sort key of an annotation: its time, then its id (integer ids before others, compared as such)."""
    i = ann.get("id")
    num = isinstance(i, int) and not isinstance(i, bool)
    return (str(ann.get("updated_at") or ann.get("created_at") or ""), num, i if num else 0, "" if num else str(i))
