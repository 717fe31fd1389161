"""The project store: one SQLite file (``P/project.sqlite``); every SQL statement of the project
and of the annotation page is a named method of one of its table groups.

* :mod:`.connection`: :class:`Store` (WAL, ``BEGIN IMMEDIATE`` transactions, migrations, ``meta``)
  and its table groups: ``store.text``, ``store.rounds``, ``store.queries``, ``store.models``,
  ``store.annotations``, ``store.imports``, ``store.leases``.
* :mod:`.rows`: the typed rows they return; :mod:`.schema`: the tables and their migrations.
"""
from multitag.project.store.connection import Store, db_path
from multitag.project.store.rows import (AnnotationRow, EvalSentenceRow, LeaseRow, ModelRow, QueryRow, RoundRow,
                                         SentenceRow)
from multitag.project.store.schema import DB_NAME, MIGRATIONS, SCHEMA_VERSION, statements

__all__ = ["AnnotationRow", "DB_NAME", "EvalSentenceRow", "LeaseRow", "MIGRATIONS", "ModelRow", "QueryRow", "RoundRow",
           "SCHEMA_VERSION", "SentenceRow", "Store", "db_path", "statements"]
