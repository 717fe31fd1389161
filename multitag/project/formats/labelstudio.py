"""Label Studio: tasks (``data`` + ``predictions``) for import, and its JSON export for answers.

A task's ``data`` holds ``text`` (the sentence), ``asked`` (the sentence with the asked words
marked, shown above it by :func:`labeling_config`) and ``multitag`` (the task reference). The
model's prediction is a Label Studio prediction (``model_version``, ``score``, and ``labels``
results with character offsets), which the annotator accepts or corrects.
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


def _result(task: Task, kind: str) -> list[dict]:
    out = []
    for k, (s, e, typ) in enumerate(tags_to_char_spans(task.tags or [], task.starts, task.ends)):
        out.append({"id": f"mt{task.ref.sentence}-{k}", "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
                    "value": {"start": s, "end": e, "text": task.text[s:e], "labels": [typ]}, "origin": kind})
    return out


def task_json(task: Task) -> dict:
    d: dict = {"data": {"text": task.text, "asked": task.asked_text(), "multitag": task.ref.to_json()}}
    if task.tags is not None and task.annotated:
        d["annotations"] = [{"result": _result(task, "manual")}]
    elif task.tags is not None:
        d["predictions"] = [{"model_version": task.model or "multitag", "score": task.score,
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
    if not isinstance(data, list):
        raise MultitagError(f"{path}: a Label Studio JSON export is a list of tasks")
    out = []
    for k, task in enumerate(data):
        where = f"{path}: task {k + 1}" + (f" (Label Studio id {task.get('id')})" if isinstance(task, dict) and "id" in task else "")
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise MultitagError(f"{where}: not a Label Studio task (no data)")
        anns = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
        if not anns:
            continue
        ann = max(anns, key=lambda a: (str(a.get("updated_at") or a.get("created_at") or ""), a.get("id") or 0))
        spans = []
        for r in ann.get("result") or []:
            if not isinstance(r, dict) or r.get("type") != "labels":
                continue
            v = r.get("value") or {}
            labels = v.get("labels") or []
            if "start" not in v or "end" not in v or len(labels) != 1:
                raise MultitagError(f"{where}: a labels result without start, end and exactly one label: {v!r}")
            spans.append((v["start"], v["end"], str(labels[0])))
        ref = task["data"].get("multitag")
        out.append(ImportedTask(where=where, ref=None if ref is None else TaskRef.from_json(ref, where),
                                text=task["data"].get("text"), spans=spans, annotator=_annotator(ann)))
    return out
