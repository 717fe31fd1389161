"""Leases: a task of a round held by one annotator of the annotation page until it expires."""
from __future__ import annotations

from multitag.project.store.rows import LeaseRow
from multitag.project.store.table import Table


class LeaseTables(Table):
    """``leases``."""

    def add(self, *, round_id: int, sentence_id: int, annotator: str, created: str, expires: float) -> LeaseRow:
        """A new held lease."""
        lease_id = self._insert("INSERT INTO leases (round_id, sentence_id, annotator, created, expires, state) "
                                "VALUES (?, ?, ?, ?, ?, 'held')", (round_id, sentence_id, annotator, created, expires))
        return LeaseRow(id=lease_id, round_id=round_id, sentence_id=sentence_id, annotator=annotator, created=created,
                        expires=expires, state="held", import_id=None)

    def get(self, lease_id: int) -> LeaseRow | None:
        return self._row(LeaseRow, "SELECT * FROM leases WHERE id = ?", (lease_id,))

    def held_by(self, annotator: str) -> list[LeaseRow]:
        """The annotator's held leases, the latest to expire first."""
        return self._rows(LeaseRow, "SELECT * FROM leases WHERE annotator = ? AND state = 'held' "
                                    "ORDER BY expires DESC, id DESC", (annotator,))

    def last_answered_by(self, annotator: str) -> LeaseRow | None:
        """The annotator's newest answered lease (with its import)."""
        return self._row(LeaseRow, "SELECT l.* FROM leases l JOIN imports i ON l.import_id = i.id WHERE l.annotator = ? "
                                   "AND l.state = 'answered' ORDER BY l.id DESC LIMIT 1", (annotator,))

    def sentences_held_by_others(self, annotator: str, now: float) -> set[int]:
        """Sentences that another annotator holds a live lease on at unix time ``now``."""
        return set(self._column("SELECT sentence_id FROM leases WHERE state = 'held' AND expires > ? AND annotator != ?",
                                (now, annotator)))

    def sentences_skipped_by(self, annotator: str, round_id: int) -> set[int]:
        return set(self._column("SELECT sentence_id FROM leases WHERE round_id = ? AND annotator = ? AND state = 'skipped'",
                                (round_id, annotator)))

    def count_live_holds_of_others(self, lease: LeaseRow, now: float) -> int:
        """Live held leases on the lease's sentence other than this one."""
        return self._scalar("SELECT COUNT(*) FROM leases WHERE sentence_id = ? AND state = 'held' AND id != ? AND "
                            "expires > ?", (lease.sentence_id, lease.id, now))

    def finished_by_other(self, lease: LeaseRow) -> str | None:
        """Another annotator who has answered the lease's task in its round, or ``None``."""
        row = self.conn.execute("SELECT annotator FROM leases WHERE sentence_id = ? AND round_id = ? AND id != ? AND "
                                "state = 'answered' AND annotator != ? LIMIT 1",
                                (lease.sentence_id, lease.round_id, lease.id, lease.annotator)).fetchone()
        return None if row is None else row[0]

    def count_answered_by(self, annotator: str) -> int:
        return self._scalar("SELECT COUNT(*) FROM leases WHERE annotator = ? AND state = 'answered'", (annotator,))

    def renew(self, lease_id: int, expires: float) -> None:
        self._run("UPDATE leases SET expires = ? WHERE id = ?", (expires, lease_id))

    def set_state(self, lease_id: int, state: str) -> None:
        """'answered' (elsewhere: nothing left to ask) or 'skipped'."""
        self._run("UPDATE leases SET state = ? WHERE id = ?", (state, lease_id))

    def mark_answered(self, lease_id: int, import_id: int) -> None:
        self._run("UPDATE leases SET state = 'answered', import_id = ? WHERE id = ?", (import_id, lease_id))

    def hand_back(self, lease_id: int, expires: float) -> None:
        """Held again by its annotator (an undone answer), until ``expires``."""
        self._run("UPDATE leases SET state = 'held', import_id = NULL, expires = ? WHERE id = ?", (expires, lease_id))
