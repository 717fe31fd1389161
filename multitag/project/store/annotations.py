"""Annotations (append-only: a correction supersedes the row it replaces), the imports that
brought them, and the decisions on suggested entities (teach mode)."""
from __future__ import annotations

from typing import Iterable

from multitag.project.store.rows import AnnotationRow
from multitag.project.store.table import Table

CURRENT = "superseded_by IS NULL"


class AnnotationTables(Table):
    """``annotations``; the current annotation of a token is its row that is not superseded."""

    def add(self, *, sentence_id: int, token: int, tag: str, round_id: int, query_id: int | None, annotator: str | None,
            import_id: int | None, created: str) -> int:
        return self._insert(
            "INSERT INTO annotations (sentence_id, token, tag, round_id, query_id, annotator, import_id, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (sentence_id, token, tag, round_id, query_id, annotator, import_id, created))

    def add_many(self, rows: Iterable[tuple]) -> None:
        """Many annotations at once: (sentence id, token, tag, round id, query id, annotator, import
        id, created) each, written in order (ids follow it)."""
        self.conn.executemany(
            "INSERT INTO annotations (sentence_id, token, tag, round_id, query_id, annotator, import_id, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def supersede(self, annotation_id: int, by: int) -> None:
        self._run("UPDATE annotations SET superseded_by = ? WHERE id = ?", (by, annotation_id))

    def current(self) -> list[AnnotationRow]:
        """Every current annotation, round by round in the order written."""
        return self._rows(AnnotationRow, f"SELECT * FROM annotations WHERE {CURRENT} ORDER BY round_id, id")

    def current_tags_in_position_order(self) -> list[tuple[int, int, str]]:
        """(sentence id, token, tag) of every current annotation, by sentence and token."""
        return [tuple(r) for r in self.conn.execute(
            f"SELECT sentence_id, token, tag FROM annotations WHERE {CURRENT} ORDER BY sentence_id, token")]

    def current_positions(self) -> set[tuple[int, int]]:
        """(sentence id, token) of every annotated token."""
        return {(r[0], r[1]) for r in self.conn.execute(f"SELECT sentence_id, token FROM annotations WHERE {CURRENT}")}

    def current_at(self, sentence_id: int, token: int) -> AnnotationRow | None:
        return self._row(AnnotationRow, f"SELECT * FROM annotations WHERE sentence_id = ? AND token = ? AND {CURRENT}",
                         (sentence_id, token))

    def current_tags(self, sentence_id: int) -> dict[int, str]:
        """The sentence's annotated tokens and their tags."""
        return {r[0]: r[1] for r in self.conn.execute(
            f"SELECT token, tag FROM annotations WHERE sentence_id = ? AND {CURRENT}", (sentence_id,))}

    def count_current(self) -> int:
        return self._scalar(f"SELECT COUNT(*) FROM annotations WHERE {CURRENT}")

    def count_current_of_round(self, round_id: int) -> int:
        return self._scalar(f"SELECT COUNT(*) FROM annotations WHERE round_id = ? AND {CURRENT}", (round_id,))

    def count_answering_round(self, round_id: int) -> int:
        """Annotation rows (current or not) that answer a query of the round."""
        return self._scalar("SELECT COUNT(*) FROM annotations a JOIN queries q ON a.query_id = q.id "
                            "WHERE q.round_id = ?", (round_id,))

    def unretracted_of_import(self, import_id: int) -> list[AnnotationRow]:
        return self._rows(AnnotationRow, "SELECT * FROM annotations WHERE import_id = ? AND retracted IS NULL", (import_id,))

    def restore_superseded_by(self, annotation_id: int) -> None:
        """The annotation that ``annotation_id`` had replaced (if any) is current again."""
        self._run("UPDATE annotations SET superseded_by = NULL WHERE superseded_by = ?", (annotation_id,))

    def retract(self, annotation_id: int, stamp: str) -> None:
        """Mark a row retracted (it supersedes itself, so it is never current again)."""
        self._run("UPDATE annotations SET retracted = ?, superseded_by = id WHERE id = ?", (stamp, annotation_id))


class ImportTables(Table):
    """``imports``: one row per imported file (or answer of the annotation page)."""

    def created_of(self, sha256: str) -> str | None:
        """When the file with these bytes was imported, or ``None``."""
        row = self.conn.execute("SELECT created FROM imports WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else row[0]

    def add(self, *, sha256: str, path: str, fmt: str, created: str, tasks: int, tokens: int,
            annotator: str | None) -> int:
        return self._insert("INSERT INTO imports (sha256, path, format, created, tasks, tokens, annotator) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)", (sha256, path, fmt, created, tasks, tokens, annotator))


class DecisionTables(Table):
    """``span_decisions``: accept / reject / ignore of one suggested entity span."""

    def add(self, *, lease_id: int | None, sentence_id: int, start: int, end: int, label: str, decision: str,
            annotator: str | None, import_id: int | None, created: str) -> int:
        return self._insert(
            "INSERT INTO span_decisions (lease_id, sentence_id, start_token, end_token, label, decision, annotator, "
            "import_id, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (lease_id, sentence_id, start, end, label, decision, annotator, import_id, created))

    def rejections(self) -> list[tuple[int, int, int, str]]:
        """Every rejection as (sentence id, start token, end token (exclusive), label): "not this
        type at this span", for the backends that learn from it."""
        return [tuple(r) for r in self.conn.execute(
            "SELECT sentence_id, start_token, end_token, label FROM span_decisions WHERE decision = 'reject' "
            "ORDER BY id")]

    def count_by_decision(self, annotator: str | None = None) -> dict[str, int]:
        rows = self.conn.execute("SELECT decision, COUNT(*) FROM span_decisions WHERE ? IS NULL OR annotator = ? "
                                 "GROUP BY decision", (annotator, annotator))
        return {r[0]: r[1] for r in rows}


class SettlementTables(Table):
    """``settlements``: a reviewer's answer that settles a disagreement of the overlap."""

    def add(self, *, sentence_id: int, import_id: int | None, annotator: str, created: str) -> int:
        return self._insert("INSERT INTO settlements (sentence_id, import_id, annotator, created) VALUES (?, ?, ?, ?)",
                            (sentence_id, import_id, annotator, created))

    def settled_sentences(self) -> set[int]:
        return set(self._column("SELECT sentence_id FROM settlements"))
