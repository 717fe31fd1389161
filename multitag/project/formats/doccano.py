"""doccano's sequence-labeling JSONL: ``{"text": ..., "label": [[start, end, "TYPE"], ...]}``.

Batches carry the model's prediction in ``label`` (doccano shows imported labels as annotations
to accept or correct), the marked sentence in ``asked`` and the task reference in ``multitag``;
doccano keeps extra keys and writes them back on export (older versions nest them under
``meta``). Exports may name the spans ``label``, ``labels`` (older versions) or ``entities`` (the
relation-labeling and slot-filling exports, with ``{"start_offset", "end_offset", "label"}``
objects).
"""
from __future__ import annotations

import json
from typing import Sequence

from multitag.errors import MultitagError
from multitag.fileio import atomic_write
from multitag.project.formats import ImportedTask, Task, TaskRef, json_lines
from multitag.project.spans import tags_to_char_spans


def write_tasks(tasks: Sequence[Task], path: str) -> None:
    with atomic_write(path) as fh:
        for t in tasks:
            spans = [[s, e, typ] for s, e, typ in tags_to_char_spans(t.tags or [], t.starts, t.ends)]
            d = {"text": t.text, "label": spans, "asked": t.asked_text(), "multitag": t.ref.to_json()}
            if t.score is not None and not t.annotated:
                d["score"] = t.score
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")


def _spans(value, where: str) -> list[tuple[int, int, str]]:
    out = []
    if not isinstance(value, list):
        raise MultitagError(f"{where}: \"label\" must be a list of [start, end, \"TYPE\"]")
    for item in value:
        if isinstance(item, dict) and {"start_offset", "end_offset", "label"} <= set(item):
            out.append((item["start_offset"], item["end_offset"], item["label"]))
        elif isinstance(item, (list, tuple)) and len(item) == 3:
            out.append((item[0], item[1], item[2]))
        else:
            raise MultitagError(f"{where}: a label must be [start, end, \"TYPE\"], got {item!r}")
        if not isinstance(out[-1][2], str):
            raise MultitagError(f"{where}: a label's TYPE must be a string, got {out[-1][2]!r}")
    return out


def read_answers(path: str) -> list[ImportedTask]:
    out = []
    for where, d in json_lines(path):
        if not isinstance(d, dict) or not isinstance(d.get("text"), str):
            raise MultitagError(f"{where}: a doccano line needs a \"text\" string")
        key = next((k for k in ("label", "labels", "entities") if k in d), None)
        spans = _spans(d[key], where) if key else []
        meta = d.get("meta") if isinstance(d.get("meta"), dict) else {}
        ref = d.get("multitag", meta.get("multitag"))
        who = d.get("user", d.get("annotator", d.get("username")))
        out.append(ImportedTask(where=where, ref=None if ref is None else TaskRef.from_json(ref, where), text=d["text"],
                                spans=spans, annotator=None if who is None else str(who)))
    return out
