"""The project store's schema: the tables of version 1, the migrations to the current version, and
the splitting of an SQL script into statements."""
from __future__ import annotations

import sqlite3

from multitag.errors import MultitagError

DB_NAME = "project.sqlite"
SCHEMA_VERSION = 3

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

#: version 3: named annotators of the annotation page (each signs in with a token of their own;
#: only its sha256 is stored), the drafts of undone or reopened answers (offered for editing), and
#: the accept / reject / ignore decisions on suggested entities (teach mode; a rejection is stored
#: as what it is: not this type at this span), and each answer as submitted with its measured
#: active seconds (agreement between annotators of an overlap reads them), and the reviewer's
#: settlements of their disagreements
MIGRATION_2_TO_3 = """
CREATE TABLE annotators (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    token_sha256 TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL
);
CREATE TABLE lease_drafts (
    lease_id INTEGER PRIMARY KEY REFERENCES leases(id),
    tags TEXT NOT NULL,                -- JSON list: the answer's tag per token (null: not in it)
    reopens INTEGER REFERENCES leases(id)  -- a correction: the answered lease it reopens (NULL: an undo)
);
CREATE TABLE span_decisions (          -- accept / reject / ignore of one suggested entity (teach mode)
    id INTEGER PRIMARY KEY,
    lease_id INTEGER REFERENCES leases(id),
    sentence_id INTEGER NOT NULL REFERENCES sentences(id),
    start_token INTEGER NOT NULL,      -- the span is tokens [start_token, end_token)
    end_token INTEGER NOT NULL,
    label TEXT NOT NULL,               -- the entity type suggested
    decision TEXT NOT NULL,            -- 'accept' (stored as annotations too) | 'reject' ("not this type
                                       -- at this span") | 'ignore'
    annotator TEXT,
    import_id INTEGER REFERENCES imports(id),   -- an accept's annotations
    created TEXT NOT NULL
);
CREATE INDEX span_decisions_by_sentence ON span_decisions(sentence_id);
CREATE TABLE settlements (             -- a reviewer's answer that settles the annotators' disagreement
    id INTEGER PRIMARY KEY,
    sentence_id INTEGER NOT NULL REFERENCES sentences(id),
    import_id INTEGER REFERENCES imports(id),
    annotator TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE lease_answers (           -- what the page sent for an answer: agreement reads it
    lease_id INTEGER PRIMARY KEY REFERENCES leases(id),
    tags TEXT,                         -- JSON list: the answer's tag per token, as submitted
    seconds REAL                       -- the active seconds the page measured (idle time left out)
);
"""

#: version -> SQL that upgrades a store of that version to the next one
MIGRATIONS: dict[int, str] = {1: MIGRATION_1_TO_2, 2: MIGRATION_2_TO_3}


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
