"""Typed result records: one :class:`IterationRecord` per run, model and iteration, one
:class:`ReferenceRecord` per full-data reference. Each JSON line carries ``schema``
(:data:`SCHEMA`); reading a line of another schema, or one with missing or mistyped fields, is a
one-line error naming the file and line. Resume matching lives here (:meth:`RunSpec.owns`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from multitag import settings as learner
from multitag.errors import MultitagError

SCHEMA = 1


@dataclass(frozen=True)
class _RunSpecBase:
    """The grid point of one run: its acquisition backend, strategy, seed and successors, and one
    field per grid axis of the learner settings (``level``, ``training_mode``, ``initial``; see
    :func:`multitag.settings.grid_names`), generated from their metadata."""

    backend: str                       # the acquisition model
    strategy: str
    seed: int
    successors: tuple[str, ...] = ()

    def grid_values(self) -> dict:
        return {k: getattr(self, k) for k in learner.grid_names()}

    def key(self) -> dict:
        d = asdict(self)
        d["successors"] = list(self.successors)
        return d

    def owns(self, record: "IterationRecord") -> bool:
        """Whether ``record`` belongs to this run (the one place resume matching is decided)."""
        return record.run_key() == (self.backend, self.strategy, self.seed, tuple(self.successors),
                                    *self.grid_values().values())

    def label(self) -> str:
        parts = [self.backend, self.strategy, f"seed {self.seed}"]
        for name, value in self.grid_values().items():
            if value != learner.default(name):
                parts.append(learner.info(name).label(value))
        return " / ".join(parts)


RunSpec = dataclasses.make_dataclass(
    "RunSpec", [(n, str, field(default=learner.default(n))) for n in learner.grid_names()], bases=(_RunSpecBase,),
    frozen=True, namespace={"__doc__": _RunSpecBase.__doc__, "__module__": __name__})


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
class _IterationFields:
    """One model of one run after one iteration. ``role`` is ``acquisition`` (the model that selects)
    or ``successor`` (trained on the same labeled set and evaluated)."""

    role: str
    backend: str
    strategy: str
    seed: int
    successors: list[str]
    # here: one keyword-only field per grid axis of the learner settings (see below)
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
    rejected: list | None = _opt()                       # teach level: [[id, start, end, type], ...] per rejection
    initial_selected: list[str] | None = _opt()          # iteration 0: the seed set's sentence ids
    note: str | None = _opt()                            # e.g. why a run stopped early
    group_size: int | None = _opt()                      # records written together in one append


class _IterationMethods(_Record):
    kind: ClassVar[str] = "iteration"

    @classmethod
    def from_json(cls, d: dict, where: str = "record") -> "IterationRecord":  # noqa: F821
        if d.get("role") not in ("acquisition", "successor"):
            raise MultitagError(f"{where}: role {d.get('role')!r} is not acquisition or successor")
        return super().from_json(d, where)

    def run_key(self) -> tuple:
        return (self.backend, self.strategy, self.seed, tuple(self.successors),
                *(getattr(self, k) for k in learner.grid_names()))

    def key(self) -> tuple:
        """What identifies the record: its run, role, model and iteration (unique in a results file)."""
        return self.run_key() + (self.role, self.model, self.iteration)


def _with_grid_fields(name: str, fields_of: type, methods: type) -> type:
    """The dataclass ``name``: the fields of ``fields_of`` with one required field per grid axis
    after ``successors`` (the JSON line names the run first), keyword-only so that the fields after
    them need no default; the methods of ``methods``."""
    own = [(f.name, f.type, dataclasses.field(default=f.default, default_factory=f.default_factory,
                                              metadata=f.metadata)) for f in dataclasses.fields(fields_of)]
    at = next(k for k, (n, _, _) in enumerate(own) if n == "successors") + 1
    grid = [(n, "str", field(kw_only=True)) for n in learner.grid_names()]
    return dataclasses.make_dataclass(name, own[:at] + grid + own[at:], bases=(methods,),
                                      namespace={"__doc__": fields_of.__doc__, "__module__": __name__})


IterationRecord = _with_grid_fields("IterationRecord", _IterationFields, _IterationMethods)


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
    grid = spec.grid_values()
    text = "_".join([spec.backend, spec.strategy, f"seed{spec.seed}", *spec.successors,
                     *(learner.info(k).label(v) for k, v in grid.items())])
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)
