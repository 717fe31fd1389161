"""JSONL batches: one object per sentence, ``{"multitag": {...}, "tokens": [...], "tags": [...],
"asked": [...], "score": ...}``; ``tags`` holds the model's prediction (or ``null`` per token when
there is none), which the annotator corrects at the asked positions. ``null`` means "not annotated".
Files without ``multitag`` references are matched by their tokens."""
from __future__ import annotations

import json
from typing import Sequence

from multitag.data.schemes import is_valid_tag
from multitag.errors import MultitagError
from multitag.fileio import atomic_write
from multitag.project.formats import ImportedTask, Task, TaskRef, json_lines
from multitag.project.spans import check_answer_tags


def write_tasks(tasks: Sequence[Task], path: str) -> None:
    with atomic_write(path) as fh:
        for t in tasks:
            d = {"multitag": t.ref.to_json(), "tokens": t.tokens,
                 "tags": list(t.tags) if t.tags is not None else [None] * len(t.tokens), "asked": t.ref.asked}
            if t.score is not None and not t.annotated:
                d["score"] = t.score
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")


def read_answers(path: str) -> list[ImportedTask]:
    out = []
    for where, d in json_lines(path):
        if not isinstance(d, dict):
            raise MultitagError(f"{where}: expected a JSON object with \"tokens\" and \"tags\"")
        toks, tags = d.get("tokens"), d.get("tags")
        if "tokens" not in d and isinstance(d.get("data"), dict):
            raise MultitagError(f"{where}: this looks like a Label Studio task; a Label Studio export is a JSON list "
                                "of tasks (import it with --format labelstudio)")
        if not isinstance(toks, list) or not all(isinstance(t, str) for t in toks):
            raise MultitagError(f"{where}: \"tokens\" must be a list of strings")
        if "tags" not in d:
            raise MultitagError(f"{where}: no \"tags\" (write null for a token that is not annotated)")
        if not isinstance(tags, list) or len(tags) != len(toks):
            raise MultitagError(f"{where}: \"tags\" must be a list of {len(toks)} tags or nulls")
        for t in tags:
            if t is not None and not (isinstance(t, str) and is_valid_tag(t) and t[0] in "OBI"):
                raise MultitagError(f"{where}: invalid tag {t!r} (expected O, B-TYPE, I-TYPE or null)")
        check_answer_tags(tags, where)
        ref = d.get("multitag")
        who = d.get("annotator")
        out.append(ImportedTask(where=where, ref=None if ref is None else TaskRef.from_json(ref, where),
                                tokens=toks, tags=tags, annotator=None if who is None else str(who)))
    return out
