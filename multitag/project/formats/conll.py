"""CoNLL batches: ``TOKEN TAG`` lines, a blank line after each sentence, and before each sentence a
comment ``# multitag {...}`` (the task reference) and ``# asked: ...`` (what to annotate).

In a batch the TAG column holds the model's prediction (``_`` when there is none): the annotator
corrects the tags of the asked tokens. ``_`` means "not annotated". An export is plain CoNLL
(``TOKEN TAG``, no comments), readable by any CoNLL tool and by ``multitag train``. A file without the comments (a
CoNLL file annotated by hand, ``TOKEN TAG`` or ``TOKEN POS CHUNK TAG``) is matched by its tokens.
"""
from __future__ import annotations

import json
from typing import Sequence

from multitag.data.schemes import is_valid_tag
from multitag.errors import MultitagError
from multitag.fileio import atomic_write
from multitag.project.formats import ImportedTask, Task, TaskRef, read_text_lines
from multitag.project.spans import check_answer_tags

PREFIX = "# multitag "


def write_tasks(tasks: Sequence[Task], path: str) -> None:
    with atomic_write(path) as fh:
        for t in tasks:
            if any(not tok or any(c.isspace() for c in tok) for tok in t.tokens):
                raise MultitagError(f"sentence {t.ref.sentence} has a token with spaces; use --format jsonl")
            if not t.annotated:   # a batch: what the sentence is and what to annotate (an export is plain CoNLL)
                fh.write(PREFIX + json.dumps(t.ref.to_json()) + "\n")
                fh.write("# " + t.asked_text() + "\n")
                if t.score is not None:
                    fh.write(f"# score: {t.score:.6g} (the model's prediction is in the tag column)\n")
            for i, tok in enumerate(t.tokens):
                tag = t.tags[i] if t.tags is not None and t.tags[i] is not None else "_"
                fh.write(f"{tok}\t{tag}\n")
            fh.write("\n")


def read_answers(path: str) -> list[ImportedTask]:
    lines = read_text_lines(path)
    out: list[ImportedTask] = []
    ref = None
    tokens: list[str] = []
    tags: list[str | None] = []
    linenos: list[int] = []
    start = 0

    def flush() -> None:
        nonlocal ref, tokens, tags, linenos
        if tokens:
            check_answer_tags(tags, lambda i: f"{path}:{linenos[i]}")
            out.append(ImportedTask(where=f"{path}:{start}", ref=ref, tokens=tokens, tags=tags))
        elif ref is not None:
            raise MultitagError(f"{path}:{start}: a multitag reference without a sentence after it")
        ref, tokens, tags, linenos = None, [], [], []

    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            flush()
            continue
        if line.startswith("#"):
            if line.startswith(PREFIX):
                if tokens:
                    flush()
                try:
                    ref = TaskRef.from_json(json.loads(line[len(PREFIX):]), f"{path}:{lineno}")
                except json.JSONDecodeError:
                    raise MultitagError(f"{path}:{lineno}: a damaged multitag comment") from None
                start = lineno
            continue
        cols = line.split()
        if cols[0] == "-DOCSTART-":
            flush()
            continue
        if len(cols) < 2:
            raise MultitagError(f"{path}:{lineno}: expected TOKEN TAG (use _ for a token that is not annotated)")
        if not tokens and ref is None:
            start = lineno
        tag = cols[-1]
        if tag != "_" and not (is_valid_tag(tag) and tag[0] in "OBI"):
            raise MultitagError(f"{path}:{lineno}: invalid tag {tag!r} (expected O, B-TYPE, I-TYPE or _)")
        tokens.append(cols[0])
        tags.append(None if tag == "_" else tag)
        linenos.append(lineno)
    flush()
    return out
