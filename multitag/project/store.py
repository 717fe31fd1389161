"""The project store: one SQLite file (``P/project.sqlite``) holding a project's text, rounds,
queries, annotations, models and gold set.

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

DB_NAME = "project.sqlite"
SCHEMA_VERSION = 2

SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE TABLE sentences (
    id INTEGER PRIMARY KEY,            -- 1-based; the pool order
    document_id INTEGER NOT NULL REFERENCES documents(id),
    offset INTEGER NOT NULL,           -- character offset of the sentence in its document
    text TEXT NOT NULL,
    tokens TEXT NOT NULL,              -- JSON list of str
    starts TEXT NOT NULL,              -- JSON list of int: character offsets in text
    ends TEXT NOT NULL,
    pos TEXT,                          -- JSON list of str, or NULL
    hash TEXT NOT NULL,                -- sha256 of text and tokens: a task names it
    source TEXT NOT NULL               -- file:line it was read from
);
CREATE TABLE eval_sentences (
    id INTEGER PRIMARY KEY,
    tokens TEXT NOT NULL,
    tags TEXT NOT NULL,
    pos TEXT,
    source TEXT NOT NULL
);
CREATE TABLE rounds (
    id INTEGER PRIMARY KEY,            -- 0: the annotations that came with the text
    kind TEXT NOT NULL,                -- 'text' | 'seed' | 'query'
    created TEXT NOT NULL,
    strategy TEXT,
    level TEXT NOT NULL,
    budget INTEGER,
    model_id INTEGER REFERENCES models(id),
    labeled_hash TEXT,                 -- the labeled set the round was chosen from
    train_seconds REAL,
    predict_seconds REAL,
    select_seconds REAL
);
CREATE TABLE queries (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds(id),
    sentence_id INTEGER NOT NULL REFERENCES sentences(id),
    tokens TEXT NOT NULL,              -- JSON list of the asked positions
    unit TEXT NOT NULL,                -- 'sentence' | 'entity' | 'token'
    score REAL,
    rank INTEGER NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,       -- a file imported twice is recognised
    path TEXT NOT NULL,
    format TEXT NOT NULL,
    created TEXT NOT NULL,
    tasks INTEGER NOT NULL,
    tokens INTEGER NOT NULL
);
CREATE TABLE annotations (
    id INTEGER PRIMARY KEY,
    sentence_id INTEGER NOT NULL REFERENCES sentences(id),
    token INTEGER NOT NULL,
    tag TEXT NOT NULL,
    round_id INTEGER NOT NULL REFERENCES rounds(id),
    query_id INTEGER REFERENCES queries(id),
    annotator TEXT,
    import_id INTEGER REFERENCES imports(id),
    created TEXT NOT NULL,
    superseded_by INTEGER REFERENCES annotations(id)
);
CREATE INDEX annotations_current ON annotations(sentence_id, token) WHERE superseded_by IS NULL;
CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    round_id INTEGER,                  -- the round it chose (set when the round is written)
    path TEXT NOT NULL,                -- folder under the project, written through the model template
    labeled_hash TEXT NOT NULL,        -- the labeled set it was trained on
    created TEXT NOT NULL,
    train_sentences INTEGER NOT NULL,
    train_tokens INTEGER NOT NULL,
    train_seconds REAL NOT NULL,
    f1 REAL, precision REAL, recall REAL  -- on the gold evaluation set, when there is one
);
"""

#: version 2: the annotation page (``multitag serve``): leases (a task held by one annotator until
#: it expires), retracted answers (undo), and who made an import
MIGRATION_1_TO_2 = """
CREATE TABLE leases (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds(id),
    sentence_id INTEGER NOT NULL REFERENCES sentences(id),
    annotator TEXT NOT NULL,
    created TEXT NOT NULL,
    expires REAL NOT NULL,             -- unix time; a held lease past it is free again
    state TEXT NOT NULL,               -- 'held' | 'answered' | 'skipped'
    import_id INTEGER REFERENCES imports(id)
);
CREATE INDEX leases_by_round ON leases(round_id, sentence_id);
ALTER TABLE annotations ADD COLUMN retracted TEXT;
ALTER TABLE imports ADD COLUMN annotator TEXT;
"""

#: version -> SQL that upgrades a store of that version to the next one
MIGRATIONS: dict[int, str] = {1: MIGRATION_1_TO_2}


def statements(script: str) -> list[str]:
    """The statements of an SQL script (comments may hold semicolons)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        raise MultitagError("incomplete SQL statement in the project schema")
    return out


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
        return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
