"""The rows the project store returns: one small dataclass per table, its JSON columns decoded.

A row reads by attribute (``round.model_id``) and, like the ``sqlite3.Row`` it is made from, by
column name (``round["model_id"]``).
"""
from __future__ import annotations

import dataclasses
import json
import sqlite3
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

R = TypeVar("R", bound="StoredRow")


class StoredRow:
    """A table row: built from a ``SELECT *`` row, its :attr:`json_columns` decoded."""

    json_columns: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_sql(cls: type[R], row: sqlite3.Row) -> R:
        values = {k: row[k] for k in row.keys()}
        for k in cls.json_columns:
            if values[k] is not None:
                values[k] = json.loads(values[k])
        return cls(**values)

    @classmethod
    def from_sql_or_none(cls: type[R], row: sqlite3.Row | None) -> R | None:
        return None if row is None else cls.from_sql(row)

    def __getitem__(self, column: str) -> Any:
        if column not in self.__dataclass_fields__:      # type: ignore[attr-defined]
            raise KeyError(column)
        return getattr(self, column)

    def keys(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self)]   # type: ignore[arg-type]


@dataclass(frozen=True)
class SentenceRow(StoredRow):
    """A pool sentence; ``id`` (1-based) is the pool order."""

    json_columns: ClassVar[tuple[str, ...]] = ("tokens", "starts", "ends", "pos")
    id: int
    document_id: int
    offset: int
    text: str
    tokens: list[str]
    starts: list[int]
    ends: list[int]
    pos: list[str] | None
    hash: str
    source: str


@dataclass(frozen=True)
class EvalSentenceRow(StoredRow):
    """A sentence of the gold evaluation set."""

    json_columns: ClassVar[tuple[str, ...]] = ("tokens", "tags", "pos")
    id: int
    tokens: list[str]
    tags: list[str]
    pos: list[str] | None
    source: str


@dataclass(frozen=True)
class RoundRow(StoredRow):
    """A round: ``kind`` is 'text' (round 0), 'seed', 'query' or 'import'."""

    id: int
    kind: str
    created: str
    strategy: str | None
    level: str
    budget: int | None
    model_id: int | None
    labeled_hash: str | None
    train_seconds: float | None
    predict_seconds: float | None
    select_seconds: float | None


@dataclass(frozen=True)
class QueryRow(StoredRow):
    """One query of a round: the asked token positions of one sentence."""

    json_columns: ClassVar[tuple[str, ...]] = ("tokens",)
    id: int
    round_id: int
    sentence_id: int
    tokens: list[int]
    unit: str
    score: float | None
    rank: int
    created: str


@dataclass(frozen=True)
class ModelRow(StoredRow):
    """A trained model: its folder under the project and its scores on the gold set (if any)."""

    id: int
    round_id: int | None
    path: str
    labeled_hash: str
    created: str
    train_sentences: int
    train_tokens: int
    train_seconds: float
    f1: float | None
    precision: float | None
    recall: float | None


@dataclass(frozen=True)
class AnnotationRow(StoredRow):
    """The tag of one token; current while ``superseded_by`` is NULL."""

    id: int
    sentence_id: int
    token: int
    tag: str
    round_id: int
    query_id: int | None
    annotator: str | None
    import_id: int | None
    created: str
    superseded_by: int | None
    retracted: str | None


@dataclass(frozen=True)
class LeaseRow(StoredRow):
    """A task of a round held by one annotator: ``state`` is 'held', 'answered' or 'skipped'."""

    id: int
    round_id: int
    sentence_id: int
    annotator: str
    created: str
    expires: float
    state: str
    import_id: int | None


__all__ = ["AnnotationRow", "EvalSentenceRow", "LeaseRow", "ModelRow", "QueryRow", "RoundRow", "SentenceRow", "StoredRow"]
