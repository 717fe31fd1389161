"""The project's text: documents, their sentences (the pool) and the gold evaluation set."""
from __future__ import annotations

import json
from typing import Sequence

from multitag.project.store.rows import EvalSentenceRow, SentenceRow
from multitag.project.store.table import Table


class TextTables(Table):
    """``documents``, ``sentences`` and ``eval_sentences``."""

    def add_document(self, name: str, text: str) -> int:
        return self._insert("INSERT INTO documents (name, text) VALUES (?, ?)", (name, text))

    def add_sentence(self, *, document_id: int, offset: int, text: str, tokens: Sequence[str], starts: Sequence[int],
                     ends: Sequence[int], pos: Sequence[str] | None, hash: str, source: str) -> int:
        return self._insert(
            "INSERT INTO sentences (document_id, offset, text, tokens, starts, ends, pos, hash, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (document_id, offset, text, json.dumps(tokens, ensure_ascii=False), json.dumps(starts), json.dumps(ends),
             None if pos is None else json.dumps(pos), hash, source))

    def add_eval_sentence(self, *, tokens: Sequence[str], tags: Sequence[str], pos: Sequence[str] | None, source: str) -> int:
        return self._insert("INSERT INTO eval_sentences (tokens, tags, pos, source) VALUES (?, ?, ?, ?)",
                            (json.dumps(list(tokens)), json.dumps(list(tags)), None if pos is None else json.dumps(list(pos)),
                             source))

    def sentences(self) -> list[SentenceRow]:
        """The pool, in order."""
        return self._rows(SentenceRow, "SELECT * FROM sentences ORDER BY id")

    def sentence(self, sentence_id: int) -> SentenceRow | None:
        return self._row(SentenceRow, "SELECT * FROM sentences WHERE id = ?", (sentence_id,))

    def pool_tokens(self) -> int:
        """The number of tokens of the pool."""
        return self._scalar("SELECT SUM(json_array_length(tokens)) FROM sentences") or 0

    def eval_sentences(self) -> list[EvalSentenceRow]:
        return self._rows(EvalSentenceRow, "SELECT * FROM eval_sentences ORDER BY id")
