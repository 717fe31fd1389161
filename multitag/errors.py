"""Errors that multitag reports to users.

Every expected failure (bad input, an impossible configuration, a missing model) raises a
:class:`MultitagError`; the CLI prints its message in one line and exits non-zero.
"""
from __future__ import annotations

import os


class MultitagError(Exception):
    """An error the user can act on; its message is complete on its own."""


class DataError(MultitagError):
    """Bad input data, located by file and (when known) 1-based line number."""

    def __init__(self, message: str, *, path: str | os.PathLike | None = None, line: int | None = None):
        self.path = None if path is None else os.fspath(path)
        self.line = line
        self.reason = message
        where = ""
        if self.path is not None:
            where = self.path if line is None else f"{self.path}:{line}"
            where += ": "
        super().__init__(f"{where}{message}")


class CompatibilityError(MultitagError):
    """A backend cannot do what an experiment asks of it (checked before any training)."""
