"""The project's text: documents, their sentences (the pool) and the gold evaluation set."""
from __future__ import annotations

import json
from array import array
from typing import Iterable, Iterator, Sequence

import numpy as np

from multitag.project.store.rows import EvalSentenceRow, SentenceRow
from multitag.project.store.table import Table


_SENTENCE_COLUMNS = "document_id, offset, text, tokens, starts, ends, pos, hash, source"
_CHUNK = 500      # ids per ``IN (...)`` (SQLite allows 999 parameters in older builds)


def _sentence_values(document_id: int, offset: int, text: str, tokens: Sequence[str], starts: Sequence[int],
                     ends: Sequence[int], pos: Sequence[str] | None, hash: str, source: str) -> tuple:
    """A sentence's column values, its lists encoded as JSON."""
    return (document_id, offset, text, json.dumps(tokens, ensure_ascii=False), json.dumps(starts), json.dumps(ends),
            None if pos is None else json.dumps(pos), hash, source)


class TextTables(Table):
    """``documents``, ``sentences`` and ``eval_sentences``."""

    def add_document(self, name: str, text: str) -> int:
        return self._insert("INSERT INTO documents (name, text) VALUES (?, ?)", (name, text))

    def add_sentence(self, *, document_id: int, offset: int, text: str, tokens: Sequence[str], starts: Sequence[int],
                     ends: Sequence[int], pos: Sequence[str] | None, hash: str, source: str) -> int:
        return self._insert(f"INSERT INTO sentences ({_SENTENCE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            _sentence_values(document_id, offset, text, tokens, starts, ends, pos, hash, source))

    def add_documents(self, rows: Iterable[tuple[int, str, str]]) -> None:
        """Many documents at once: (id, name, text) each."""
        self.conn.executemany("INSERT INTO documents (id, name, text) VALUES (?, ?, ?)", rows)

    def add_sentences(self, rows: Iterable[tuple]) -> None:
        """Many sentences at once: (id, document id, offset, text, tokens, starts, ends, pos, hash,
        source) each, lists as Python lists (as :meth:`add_sentence` takes them)."""
        self.conn.executemany(f"INSERT INTO sentences (id, {_SENTENCE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              ((r[0], *_sentence_values(*r[1:])) for r in rows))

    def add_eval_sentence(self, *, tokens: Sequence[str], tags: Sequence[str], pos: Sequence[str] | None, source: str) -> int:
        return self._insert("INSERT INTO eval_sentences (tokens, tags, pos, source) VALUES (?, ?, ?, ?)",
                            (json.dumps(list(tokens)), json.dumps(list(tags)), None if pos is None else json.dumps(list(pos)),
                             source))

    def sentences(self) -> list[SentenceRow]:
        """The pool, in order."""
        return self._rows(SentenceRow, "SELECT * FROM sentences ORDER BY id")

    def sentence(self, sentence_id: int) -> SentenceRow | None:
        return self._row(SentenceRow, "SELECT * FROM sentences WHERE id = ?", (sentence_id,))

    def sentences_with_ids(self, ids: Iterable[int]) -> dict[int, SentenceRow]:
        """The sentences of ``ids``, by id (read in chunks: a round's sentences, not the pool)."""
        wanted = sorted(set(int(i) for i in ids))
        out = {}
        for k in range(0, len(wanted), _CHUNK):
            part = wanted[k: k + _CHUNK]
            marks = ", ".join("?" * len(part))
            for r in self._rows(SentenceRow, f"SELECT * FROM sentences WHERE id IN ({marks})", tuple(part)):
                out[r.id] = r
        return out

    def iter_sentences(self, batch: int = 10_000) -> Iterator[SentenceRow]:
        """The pool in order, read ``batch`` rows at a time (memory bounded by ``batch``)."""
        last = 0
        while True:
            rows = self._rows(SentenceRow, "SELECT * FROM sentences WHERE id > ? ORDER BY id LIMIT ?", (last, batch))
            yield from rows
            if len(rows) < batch:
                return
            last = rows[-1].id

    def ids_and_lengths(self) -> tuple[np.ndarray, np.ndarray]:
        """The pool's sentence ids and token counts, in order: two int64 arrays (n,)."""
        ids, lengths = array("q"), array("q")
        for sentence_id, n in self.conn.execute("SELECT id, json_array_length(tokens) FROM sentences ORDER BY id"):
            ids.append(sentence_id)
            lengths.append(n)
        return np.frombuffer(ids, dtype=np.int64).copy(), np.frombuffer(lengths, dtype=np.int64).copy()

    def pool_tokens(self) -> int:
        """The number of tokens of the pool."""
        return self._scalar("SELECT SUM(json_array_length(tokens)) FROM sentences") or 0

    def eval_sentences(self) -> list[EvalSentenceRow]:
        return self._rows(EvalSentenceRow, "SELECT * FROM eval_sentences ORDER BY id")
