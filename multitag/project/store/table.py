"""The base of the store's table groups: the statements of one group of tables, run on the
store's connection (so inside :meth:`Store.transaction` they are part of its transaction)."""
from __future__ import annotations

import sqlite3
from typing import Any

from multitag.project.store.rows import R


class Table:
    """Named statements over one group of tables."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def _insert(self, sql: str, params: tuple) -> int:
        """Run an INSERT; the new row's id."""
        return self.conn.execute(sql, params).lastrowid

    def _run(self, sql: str, params: tuple = ()) -> None:
        self.conn.execute(sql, params)

    def _scalar(self, sql: str, params: tuple = ()) -> Any:
        return self.conn.execute(sql, params).fetchone()[0]

    def _column(self, sql: str, params: tuple = ()) -> list:
        return [r[0] for r in self.conn.execute(sql, params)]

    def _rows(self, cls: type[R], sql: str, params: tuple = ()) -> list[R]:
        return [cls.from_sql(r) for r in self.conn.execute(sql, params).fetchall()]

    def _row(self, cls: type[R], sql: str, params: tuple = ()) -> R | None:
        return cls.from_sql_or_none(self.conn.execute(sql, params).fetchone())
