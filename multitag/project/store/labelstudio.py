"""The Label Studio ML backend's rows: which Label Studio annotations the store holds (each is an
import whose ``path`` names it) and the connection it serves (a ``meta`` entry)."""
from __future__ import annotations

import json

from multitag.project.store.table import Table

META_KEY = "labelstudio"


def annotation_path(ls_project: int, annotation: int) -> str:
    """The ``imports.path`` of a Label Studio annotation's answers."""
    return f"labelstudio:project/{ls_project}/annotation/{annotation}"


class LabelStudioTables(Table):
    """Label Studio annotations stored as imports, and the Label Studio connection in ``meta``."""

    def imports_of_annotation(self, ls_project: int, annotation: int) -> list[tuple[int, str]]:
        """(import id, key) of every import of one Label Studio annotation, oldest first."""
        return [(r[0], r[1]) for r in self.conn.execute(
            "SELECT id, sha256 FROM imports WHERE path = ? ORDER BY id", (annotation_path(ls_project, annotation),))]

    def stored_annotations(self, ls_project: int) -> set[int]:
        """Ids of the Label Studio annotations of a project that have answers in the store (not
        retracted)."""
        prefix = annotation_path(ls_project, 0)[:-1]
        rows = self.conn.execute(
            "SELECT DISTINCT i.path FROM imports i JOIN annotations a ON a.import_id = i.id "
            "WHERE i.path LIKE ? AND a.retracted IS NULL", (prefix + "%",))
        return {int(r[0][len(prefix):]) for r in rows}

    def connection(self) -> dict:
        """The Label Studio connection recorded by the backend (``project``, ``url``), or {}."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
        return {} if row is None else json.loads(row[0])

    def set_connection(self, value: dict) -> None:
        self._run("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (META_KEY, json.dumps(value)))
