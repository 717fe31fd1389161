"""The connection to a project's store: one SQLite file (``P/project.sqlite``) holding its text,
rounds, queries, annotations, models and gold set.

* WAL mode with a busy timeout, so readers never block and two shells importing and querying at
  once wait for each other instead of failing; every change is one ``BEGIN IMMEDIATE`` transaction,
  so a killed command leaves the store as it was before it, or with all its rows.
* A schema version in ``meta``; :data:`MIGRATIONS` upgrade older stores in place, in a transaction.
* Annotations are append-only: a correction is a new row, and the row it replaces gets
  ``superseded_by``; the current annotation of a token is its row with ``superseded_by IS NULL``.
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from typing import Any, Iterator

from multitag.errors import MultitagError
from multitag.project.store.annotations import AnnotationTables, DecisionTables, ImportTables, SettlementTables
from multitag.project.store.annotators import AnnotatorTables
from multitag.project.store.labelstudio import LabelStudioTables
from multitag.project.store.leases import LeaseTables
from multitag.project.store.rounds import ModelTables, QueryTables, RoundTables
from multitag.project.store.schema import DB_NAME, MIGRATIONS, SCHEMA_V1, SCHEMA_VERSION, statements
from multitag.project.store.text import TextTables


def db_path(project: str) -> str:
    return os.path.join(project, DB_NAME)


class Store:
    """A connection to one project's SQLite file."""

    def __init__(self, project: str, *, create: bool = False):
        self.project = project
        self.path = db_path(project)
        if not create and not os.path.isfile(self.path):
            raise MultitagError(f"{project}: not a multitag project (no {DB_NAME}); create one with "
                                "`multitag project init`")
        try:
            self.conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        except sqlite3.Error as e:
            raise MultitagError(f"{self.path}: cannot open the project store ({e})") from None
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA busy_timeout = 60000")
        self.conn.execute("PRAGMA foreign_keys = ON")
        mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise MultitagError(f"{self.path}: the file system does not support SQLite's WAL mode")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.text = TextTables(self.conn)
        self.rounds = RoundTables(self.conn)
        self.queries = QueryTables(self.conn)
        self.models = ModelTables(self.conn)
        self.annotations = AnnotationTables(self.conn)
        self.imports = ImportTables(self.conn)
        self.leases = LeaseTables(self.conn)
        self.labelstudio = LabelStudioTables(self.conn)
        self.annotators = AnnotatorTables(self.conn)
        self.decisions = DecisionTables(self.conn)
        self.settlements = SettlementTables(self.conn)
        if not create:
            self._migrate()

    # ------------------------------------------------------------------ schema
    def create_schema(self, meta: dict[str, Any]) -> None:
        with self.transaction() as c:
            for stmt in statements(SCHEMA_V1):
                c.execute(stmt)
            version = 1
            while version < SCHEMA_VERSION:     # a new store is the first schema plus every migration
                for stmt in statements(MIGRATIONS[version]):
                    c.execute(stmt)
                version += 1
            c.execute("INSERT INTO meta VALUES ('schema_version', ?)", (json.dumps(SCHEMA_VERSION),))
            for k, v in meta.items():
                c.execute("INSERT INTO meta VALUES (?, ?)", (k, json.dumps(v)))

    def schema_version(self) -> int:
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError as e:
            raise MultitagError(f"{self.path}: not a multitag project store ({e})") from None
        if row is None:
            raise MultitagError(f"{self.path}: not a multitag project store (no schema version)")
        return int(json.loads(row[0]))

    def _migrate(self) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise MultitagError(f"{self.path}: written by a newer multitag (schema {version}; this one reads "
                                f"{SCHEMA_VERSION}); upgrade multitag")
        while version < SCHEMA_VERSION:
            sql = MIGRATIONS.get(version)
            if sql is None:
                raise MultitagError(f"{self.path}: no migration from schema {version}")
            with self.transaction() as c:
                for stmt in statements(sql):
                    c.execute(stmt)
                version += 1
                c.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (json.dumps(version),))

    # ------------------------------------------------------------------ access
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): all of it is committed, or none."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise MultitagError(f"{self.path}: the project store is busy or locked ({e})") from None
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as e:
                self.conn.execute("ROLLBACK")
                raise MultitagError(f"{self.path}: could not save the changes ({e}); nothing was changed") from None

    def meta(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        """Raw rows of any statement: for tests and diagnostics (the package's code uses the named
        statements of the table groups)."""
        return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
