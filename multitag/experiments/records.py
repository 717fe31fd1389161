"""Typed result records: one :class:`IterationRecord` per run, model and iteration, one
:class:`ReferenceRecord` per full-data reference. Each JSON line carries ``schema``
(:data:`SCHEMA`); reading a line of another schema, or one with missing or mistyped fields, is a
one-line error naming the file and line. Resume matching lives here (:meth:`RunSpec.owns`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from multitag.errors import MultitagError

SCHEMA = 1


@dataclass(frozen=True)
class RunSpec:
    """The grid point of one run."""

    backend: str                       # the acquisition model
    strategy: str
    seed: int
    successors: tuple[str, ...] = ()
    level: str = "sentence"
    training_mode: str = "auto"
    initial: str = "random"

    def key(self) -> dict:
        d = asdict(self)
        d["successors"] = list(self.successors)
        return d

    def owns(self, record: "IterationRecord") -> bool:
        """Whether ``record`` belongs to this run (the one place resume matching is decided)."""
        return (record.backend, record.strategy, record.seed, tuple(record.successors), record.level,
                record.training_mode, record.initial) == (self.backend, self.strategy, self.seed, self.successors,
                                                          self.level, self.training_mode, self.initial)

    def label(self) -> str:
        parts = [self.backend, self.strategy, f"seed {self.seed}"]
        if self.level != "sentence":
            parts.append(self.level)
        if self.training_mode != "auto":
            parts.append(self.training_mode)
        if self.initial != "random":
            parts.append(f"init {self.initial}")
        return " / ".join(parts)


def _check_types(cls, obj: "_Record", where: str) -> None:
    hints = {f.name: f.type for f in dataclasses.fields(cls)}
    for name, tp in hints.items():
        v = getattr(obj, name)
        t = str(tp)
        ok = True
        if v is None:
            ok = "None" in t
        elif t.startswith("int"):
            ok = isinstance(v, int) and not isinstance(v, bool)
        elif t.startswith("float"):
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        elif t.startswith("str"):
            ok = isinstance(v, str)
        elif t.startswith(("list", "tuple")):
            ok = isinstance(v, (list, tuple))
        elif t.startswith("dict"):
            ok = isinstance(v, dict)
        if not ok:
            raise MultitagError(f"{where}: field {name!r} has the wrong type ({v!r}); the results file is damaged")


@dataclass
class _Record:
    kind: ClassVar[str] = "record"

    def to_json(self) -> dict:
        """The record as a JSON object with ``schema``; optional fields left out when unset."""
        out: dict[str, Any] = {"schema": SCHEMA}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v is None and f.metadata.get("optional"):
                continue
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out

    @classmethod
    def from_json(cls, d: dict, where: str = "record"):
        names = {f.name for f in dataclasses.fields(cls)}
        required = {f.name for f in dataclasses.fields(cls)
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
        missing = required - set(d)
        if missing:
            raise MultitagError(f"{where}: a {cls.kind} record without {', '.join(sorted(missing))}; the results file is damaged")
        unknown = set(d) - names - {"schema", "role"}
        if unknown:
            raise MultitagError(f"{where}: unknown fields {', '.join(sorted(unknown))} in a {cls.kind} record")
        rec = cls(**{k: v for k, v in d.items() if k in names})
        _check_types(cls, rec, where)
        return rec


def _opt(default=None):
    return field(default=default, metadata={"optional": True})


@dataclass
class IterationRecord(_Record):
    """One model of one run after one iteration. ``role`` is ``acquisition`` (the model that selects)
    or ``successor`` (trained on the same labeled set and evaluated)."""

    role: str
    backend: str
    strategy: str
    seed: int
    successors: list[str]
    level: str
    training_mode: str
    initial: str
    model: str
    iteration: int
    tokens_annotated: int
    tokens_fraction: float
    sentences_annotated: int
    entities_annotated: int
    estimated_seconds: float
    train_sentences: int
    valid_sentences: int
    precision: float
    recall: float
    f1: float
    per_type: dict[str, float]
    train_seconds: float
    eval_seconds: float
    predict_seconds: float = 0.0
    select_seconds: float = 0.0
    # what the acquisition model chose after this iteration (none after the last one)
    budget: int | None = _opt()
    selected: list[str] | None = _opt()                  # sentence ids, in the order chosen
    selected_tokens: list | None = _opt()                # [[id, [revealed positions]], ...] per answer
    queried_tokens: list | None = _opt()                 # [[id, [asked positions]], ...] per sentence
    initial_selected: list[str] | None = _opt()          # iteration 0: the seed set's sentence ids
    note: str | None = _opt()                            # e.g. why a run stopped early
    group_size: int | None = _opt()                      # records written together in one append

    kind: ClassVar[str] = "iteration"

    @classmethod
    def from_json(cls, d: dict, where: str = "record") -> "IterationRecord":
        if d.get("role") not in ("acquisition", "successor"):
            raise MultitagError(f"{where}: role {d.get('role')!r} is not acquisition or successor")
        return super().from_json(d, where)

    def run_key(self) -> tuple:
        return (self.backend, self.strategy, self.seed, tuple(self.successors), self.level, self.training_mode,
                self.initial)

    def key(self) -> tuple:
        """What identifies the record: its run, role, model and iteration (unique in a results file)."""
        return self.run_key() + (self.role, self.model, self.iteration)


@dataclass
class ReferenceRecord(_Record):
    """A model trained once on the whole pool (every gold tag): the full-data F1."""

    kind: ClassVar[str] = "reference"
    model: str
    seed: int
    tokens_annotated: int
    tokens_fraction: float
    precision: float
    recall: float
    f1: float
    train_seconds: float

    def to_json(self) -> dict:
        return {"schema": SCHEMA, "role": "reference", **{k: v for k, v in super().to_json().items() if k != "schema"}}

    def key(self) -> tuple:
        return ("reference", self.model, self.seed)


def parse_record(d: Any, where: str) -> IterationRecord | ReferenceRecord:
    """A record from one JSON line (``where``: ``path:line`` for messages)."""
    if not isinstance(d, dict):
        raise MultitagError(f"{where}: not a JSON object; the results file is damaged")
    schema = d.get("schema")
    if schema != SCHEMA:
        raise MultitagError(f"{where}: record schema {schema!r}, but this multitag reads schema {SCHEMA}; "
                            "the folder was written by another version (use another --out)")
    if d.get("role") == "reference":
        return ReferenceRecord.from_json(d, where)
    return IterationRecord.from_json(d, where)


def run_id(spec: RunSpec) -> str:
    """A file name for a run (``OUT/failed/<run_id>.txt``, ``OUT/checkpoints/<run_id>/``)."""
    text = "_".join([spec.backend, spec.strategy, f"seed{spec.seed}", *spec.successors, spec.level,
                     spec.training_mode, f"init-{spec.initial}"])
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)
