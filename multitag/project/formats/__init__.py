"""Batch and export formats of annotation projects: Label Studio, doccano, CoNLL, JSONL.

Each format module offers ``write_tasks(tasks, path)`` (a query batch, or an export) and
``read_answers(path) -> list[ImportedTask]`` (what annotators returned). Every task carries a
reference (:class:`TaskRef`: project, sentence, text hash, round, queries, asked tokens), so an
answer is matched to the exact sentence and query it answers; files without references (a CoNLL
file annotated by hand) are matched by their tokens.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from multitag.annotation.levels import DEFAULT_LEVEL, get_level
from multitag.errors import MultitagError

FORMATS = ("labelstudio", "doccano", "conll", "jsonl")


@dataclass
class TaskRef:
    """What a task answers: project uid, sentence id, the sentence's text hash, the round and its
    query ids, the asked token positions and the annotation level."""

    project: str
    sentence: int
    hash: str
    round: int | None = None
    queries: list[int] = field(default_factory=list)
    asked: list[int] = field(default_factory=list)
    unit: str = DEFAULT_LEVEL

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: Any, where: str) -> "TaskRef":
        if not isinstance(d, dict):
            raise MultitagError(f"{where}: the multitag reference must be an object, got {d!r}")
        def whole(key, x):
            if isinstance(x, bool) or not isinstance(x, int):
                raise MultitagError(f"{where}: a damaged multitag reference (\"{key}\" must be an integer, got {x!r})")
            return x

        def whole_list(key):
            x = d.get(key, [])
            if not isinstance(x, list):
                raise MultitagError(f"{where}: a damaged multitag reference (\"{key}\" must be a list of integers, "
                                    f"got {x!r})")
            return [whole(key, v) for v in x]

        if "sentence" not in d or "project" not in d or "hash" not in d:
            missing = next(k for k in ("project", "sentence", "hash") if k not in d)
            raise MultitagError(f"{where}: a damaged multitag reference (no \"{missing}\")")
        ref = cls(project=str(d["project"]), sentence=whole("sentence", d["sentence"]), hash=str(d["hash"]),
                  round=None if d.get("round") is None else whole("round", d["round"]),
                  queries=whole_list("queries"), asked=whole_list("asked"), unit=str(d.get("unit", DEFAULT_LEVEL)))
        return ref


@dataclass
class Task:
    """One sentence going out: its text and tokens (with character offsets), the asked positions, and
    the model's prediction (IOB2 tags over every token) with the query score, when there is a model."""

    ref: TaskRef
    text: str
    tokens: list[str]
    starts: list[int]
    ends: list[int]
    tags: list[str | None] | None = None      # prediction (a batch) or current annotation (an export)
    score: float | None = None                 # the query strategy's informativeness
    model: str | None = None
    annotated: bool = False                    # tags are annotations (an export), not predictions
    confidence: float | None = None            # the model's P(predicted tags | sentence)

    def asked_text(self) -> str:
        """What the task asks, with the asked tokens marked: ``Label each marked word: He flew to New
        [[York]] today`` (the level's :meth:`~multitag.annotation.levels.AnnotationLevel.instruction`)."""
        return get_level(self.ref.unit).instruction(self.tokens, self.ref.asked)


@dataclass
class ImportedTask:
    """One answer read from a file: where it is (for messages), its reference (or ``None``), the
    text and/or tokens it shows, and the annotation as character spans or as token tags."""

    where: str
    ref: TaskRef | None
    text: str | None = None
    tokens: list[str] | None = None
    spans: list[tuple[int, int, str]] | None = None
    tags: list[str | None] | None = None
    annotator: str | None = None


def read_text_lines(path: str) -> list[str]:
    """The lines of a UTF-8 answers file (a BOM is dropped), or a one-line error naming it."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            return fh.read().splitlines()
    except OSError as e:
        raise MultitagError(f"{path}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError:
        raise MultitagError(f"{path}: not UTF-8 text") from None


def json_lines(path: str):
    """``(where, object)`` for every non-blank line of a JSONL file; invalid JSON is an error at its line."""
    for lineno, line in enumerate(read_text_lines(path), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as e:
            raise MultitagError(f"{where}: invalid JSON ({e.msg})") from None


def module(name: str):
    """The module of format ``name``."""
    if name not in FORMATS:
        raise MultitagError(f"unknown format {name!r}; use one of {', '.join(FORMATS)}")
    import importlib

    return importlib.import_module(f"multitag.project.formats.{name}")


def guess_format(path: str) -> str:
    """The format of an answers file from its name and first bytes."""
    low = path.lower()
    if low.endswith((".conll", ".iob", ".bio", ".tsv", ".txt")):
        return "conll"
    try:
        with open(path, encoding="utf-8-sig") as fh:
            head = fh.read(4096).lstrip()
    except OSError as e:
        raise MultitagError(f"{path}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError:
        raise MultitagError(f"{path}: not UTF-8 text") from None
    if head.startswith("["):
        return "labelstudio"
    if head.startswith("{"):
        first = head.split("\n", 1)[0]
        try:
            obj = json.loads(first)
        except json.JSONDecodeError:
            # not one object per line: one (pretty-printed) JSON object, e.g. a single Label Studio
            # task, whose reader says what is wrong with it
            try:
                with open(path, encoding="utf-8-sig") as fh:
                    whole = json.load(fh)
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                return "jsonl"
            return "labelstudio" if isinstance(whole, dict) and "tokens" not in whole else "jsonl"
        if isinstance(obj, dict) and "data" in obj and "text" not in obj and "tokens" not in obj:
            return "labelstudio"      # a Label Studio task (not in a list): its reader says so
        return "jsonl" if isinstance(obj, dict) and "tokens" in obj else "doccano"
    return "conll"
