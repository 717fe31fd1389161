"""Named annotators of the annotation page: each signs in with a token of their own (the store
keeps only its sha256, so a copy of the project file gives nobody's token away)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from multitag.errors import MultitagError
from multitag.project.store.rows import StoredRow
from multitag.project.store.table import Table


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AnnotatorRow(StoredRow):
    """A named annotator (``token_sha256``: the sha256 of their token)."""

    id: int
    name: str
    token_sha256: str
    created: str


def check_name(name: str) -> str:
    """The annotator's name, stripped; refused when empty, too long or with control characters."""
    name = (name or "").strip()
    if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
        raise MultitagError(f"an annotator's name must be 1 to 100 printable characters, not {name!r}")
    return name


class AnnotatorTables(Table):
    """``annotators``."""

    def add(self, name: str, created: str) -> str:
        """Register ``name``; returns their new token (shown once, never stored)."""
        name = check_name(name)
        if self.by_name(name) is not None:
            raise MultitagError(f"annotator {name!r} exists already (`multitag project annotators token` gives a new token)")
        token = secrets.token_urlsafe(18)
        self._insert("INSERT INTO annotators (name, token_sha256, created) VALUES (?, ?, ?)",
                     (name, token_sha256(token), created))
        return token

    def new_token(self, name: str) -> str:
        """A new token for ``name`` (the old one stops working)."""
        if self.by_name(name) is None:
            raise MultitagError(f"no annotator {name!r}; add one with `multitag project annotators add`")
        token = secrets.token_urlsafe(18)
        self._run("UPDATE annotators SET token_sha256 = ? WHERE name = ?", (token_sha256(token), name))
        return token

    def by_name(self, name: str) -> AnnotatorRow | None:
        return self._row(AnnotatorRow, "SELECT * FROM annotators WHERE name = ?", (name,))

    def by_token(self, token: str) -> AnnotatorRow | None:
        """The annotator whose token this is, or ``None``."""
        return self._row(AnnotatorRow, "SELECT * FROM annotators WHERE token_sha256 = ?", (token_sha256(token),))

    def all(self) -> list[AnnotatorRow]:
        return self._rows(AnnotatorRow, "SELECT * FROM annotators ORDER BY id")

    def count(self) -> int:
        return self._scalar("SELECT COUNT(*) FROM annotators")
