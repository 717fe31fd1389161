"""Rounds, the queries each round asks, and the models that chose them."""
from __future__ import annotations

import json
from typing import Sequence

from multitag.project.store.rows import ModelRow, QueryRow, RoundRow
from multitag.project.store.table import Table


class RoundTables(Table):
    """``rounds``."""

    def add_text_round(self, created: str, level: str) -> None:
        """Round 0: the annotations that came with the text."""
        self._run("INSERT INTO rounds (id, kind, created, level) VALUES (0, 'text', ?, ?)", (created, level))

    def add_import_round(self, created: str, level: str) -> int:
        """The round of an import's answers to no query (a file annotated by hand)."""
        return self._insert("INSERT INTO rounds (kind, created, level) VALUES ('import', ?, ?)", (created, level))

    def add(self, *, kind: str, created: str, strategy: str | None, level: str, budget: int, model_id: int | None,
            labeled_hash: str, train_seconds: float | None, predict_seconds: float | None,
            select_seconds: float | None) -> int:
        """A chosen round ('seed' or 'query')."""
        return self._insert(
            "INSERT INTO rounds (kind, created, strategy, level, budget, model_id, labeled_hash, train_seconds, "
            "predict_seconds, select_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, created, strategy, level, budget, model_id, labeled_hash, train_seconds, predict_seconds,
             select_seconds))

    def get(self, round_id: int) -> RoundRow | None:
        return self._row(RoundRow, "SELECT * FROM rounds WHERE id = ?", (round_id,))

    def all(self) -> list[RoundRow]:
        return self._rows(RoundRow, "SELECT * FROM rounds ORDER BY id")

    def latest_chosen(self) -> RoundRow | None:
        """The newest seed or query round (the one annotators answer)."""
        return self._row(RoundRow, "SELECT * FROM rounds WHERE kind IN ('seed', 'query') ORDER BY id DESC LIMIT 1")

    def count_query_rounds(self) -> int:
        return self._scalar("SELECT COUNT(*) FROM rounds WHERE kind = 'query'")


class QueryTables(Table):
    """``queries``."""

    def add(self, *, round_id: int, sentence_id: int, tokens: Sequence[int], unit: str, score: float | None, rank: int,
            created: str) -> int:
        return self._insert("INSERT INTO queries (round_id, sentence_id, tokens, unit, score, rank, created) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)", (round_id, sentence_id, json.dumps(list(tokens)), unit, score,
                                                             rank, created))

    def by_id(self) -> dict[int, QueryRow]:
        """Every query of the project, by id."""
        return {q.id: q for q in self._rows(QueryRow, "SELECT * FROM queries")}

    def of_round(self, round_id: int) -> list[QueryRow]:
        """The round's queries in rank order."""
        return self._rows(QueryRow, "SELECT * FROM queries WHERE round_id = ? ORDER BY rank", (round_id,))

    def count_of_round(self, round_id: int) -> int:
        return self._scalar("SELECT COUNT(*) FROM queries WHERE round_id = ?", (round_id,))


class ModelTables(Table):
    """``models``."""

    def add(self, *, path: str, labeled_hash: str, created: str, train_sentences: int, train_tokens: int,
            train_seconds: float, f1: float | None, precision: float | None, recall: float | None) -> int:
        return self._insert(
            "INSERT INTO models (path, labeled_hash, created, train_sentences, train_tokens, train_seconds, f1, "
            "precision, recall) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (path, labeled_hash, created, train_sentences, train_tokens, train_seconds, f1, precision, recall))

    def set_round(self, model_id: int, round_id: int) -> None:
        """Name the round a model chose (written with the round)."""
        self._run("UPDATE models SET round_id = ? WHERE id = ?", (round_id, model_id))

    def get(self, model_id: int) -> ModelRow | None:
        return self._row(ModelRow, "SELECT * FROM models WHERE id = ?", (model_id,))

    def all(self) -> list[ModelRow]:
        return self._rows(ModelRow, "SELECT * FROM models ORDER BY id")

    def latest(self) -> ModelRow | None:
        return self._row(ModelRow, "SELECT * FROM models ORDER BY id DESC LIMIT 1")

    def latest_trained_on(self, labeled_hash: str) -> ModelRow | None:
        """The newest model trained on exactly this labeled set."""
        return self._row(ModelRow, "SELECT * FROM models WHERE labeled_hash = ? ORDER BY id DESC LIMIT 1",
                         (labeled_hash,))

    def paths(self) -> set[str]:
        """The folders (under the project) of every recorded model."""
        return set(self._column("SELECT path FROM models"))
