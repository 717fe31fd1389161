"""Leases: a task of a round held by one annotator of the annotation page until it expires."""
from __future__ import annotations

import json

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

    def latest_answered_on(self, sentence_id: int) -> LeaseRow | None:
        """The newest answered lease on the sentence, of any annotator."""
        return self._row(LeaseRow, "SELECT * FROM leases WHERE sentence_id = ? AND state = 'answered' "
                                   "ORDER BY id DESC LIMIT 1", (sentence_id,))

    def sentences_held_by_others(self, annotator: str, now: float) -> set[int]:
        """Sentences that another annotator holds a live lease on at unix time ``now``."""
        return set(self._column("SELECT sentence_id FROM leases WHERE state = 'held' AND expires > ? AND annotator != ?",
                                (now, annotator)))

    def sentences_skipped_by(self, annotator: str, round_id: int) -> set[int]:
        """Sentences of the round the annotator skipped, or decided a suggestion on (teach mode)."""
        return set(self._column("SELECT sentence_id FROM leases WHERE round_id = ? AND annotator = ? AND "
                                "state IN ('skipped', 'decided')", (round_id, annotator)))

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
        """The annotator's answers (a correction of an answer is not another one)."""
        return self._scalar("SELECT COUNT(*) FROM leases WHERE annotator = ? AND state = 'answered' AND id NOT IN "
                            "(SELECT lease_id FROM lease_drafts WHERE reopens IS NOT NULL)", (annotator,))

    def renew(self, lease_id: int, expires: float) -> None:
        self._run("UPDATE leases SET expires = ? WHERE id = ?", (expires, lease_id))

    def set_state(self, lease_id: int, state: str) -> None:
        """'answered' (elsewhere: nothing left to ask) or 'skipped'."""
        self._run("UPDATE leases SET state = ? WHERE id = ?", (state, lease_id))

    def mark_answered(self, lease_id: int, import_id: int) -> None:
        self._run("UPDATE leases SET state = 'answered', import_id = ? WHERE id = ?", (import_id, lease_id))

    def hand_back(self, lease_id: int, expires: float, draft: list | None = None) -> None:
        """Held again by its annotator (an undone answer), until ``expires``; ``draft``: the undone
        answer's tags, offered again for editing."""
        reopens = self.reopened(lease_id)       # an undone correction stays a correction
        self._run("UPDATE leases SET state = 'held', import_id = NULL, expires = ? WHERE id = ?", (expires, lease_id))
        self._run("DELETE FROM lease_drafts WHERE lease_id = ?", (lease_id,))
        if draft is not None:
            self._run("INSERT INTO lease_drafts (lease_id, tags, reopens) VALUES (?, ?, ?)",
                      (lease_id, json.dumps(draft), reopens))

    def draft(self, lease_id: int) -> list | None:
        """The undone (or reopened) answer's tags that a held lease offers for editing, or ``None``."""
        row = self.conn.execute("SELECT tags FROM lease_drafts WHERE lease_id = ?", (lease_id,)).fetchone()
        return None if row is None else json.loads(row[0])

    def reopened(self, lease_id: int) -> int | None:
        """The answered lease that ``lease_id`` reopens for a correction, or ``None``."""
        row = self.conn.execute("SELECT reopens FROM lease_drafts WHERE lease_id = ?", (lease_id,)).fetchone()
        return None if row is None else row[0]

    def reopen(self, answered: LeaseRow, *, created: str, expires: float, draft: list) -> LeaseRow:
        """A new held lease on the task of ``answered`` (an answered lease of the same annotator),
        with its current tags as the draft of a correction."""
        lease = self.add(round_id=answered.round_id, sentence_id=answered.sentence_id, annotator=answered.annotator,
                         created=created, expires=expires)
        self._run("INSERT INTO lease_drafts (lease_id, tags, reopens) VALUES (?, ?, ?)",
                  (lease.id, json.dumps(draft), answered.id))
        return lease

    def history_of(self, annotator: str, limit: int) -> list[LeaseRow]:
        """The annotator's answered leases, newest first, one per sentence (its latest answer)."""
        out, seen = [], set()
        for lease in self._rows(LeaseRow, "SELECT * FROM leases WHERE annotator = ? AND state = 'answered' "
                                          "ORDER BY id DESC", (annotator,)):
            if lease.sentence_id not in seen:
                seen.add(lease.sentence_id)
                out.append(lease)
            if len(out) >= limit:
                break
        return out

    def record_answer(self, lease_id: int, tags: list | None, seconds: float | None) -> None:
        """What the page sent for the answer on ``lease_id``: its tags (replacing those of an answer
        on it that was undone) and its active seconds (added to those: the time spent in all)."""
        self._run("INSERT INTO lease_answers (lease_id, tags, seconds) VALUES (?, ?, ?) ON CONFLICT(lease_id) DO UPDATE "
                  "SET tags = COALESCE(excluded.tags, tags), seconds = COALESCE(seconds, 0) + COALESCE(excluded.seconds, 0)",
                  (lease_id, None if tags is None else json.dumps(tags), seconds))

    def active_seconds(self, annotator: str | None = None) -> tuple[int, float]:
        """(answers timed, their active seconds in all), of one annotator or of everyone."""
        row = self.conn.execute("SELECT COUNT(*), COALESCE(SUM(t.seconds), 0) FROM lease_answers t JOIN leases l "
                                "ON l.id = t.lease_id WHERE t.seconds IS NOT NULL AND l.state IN ('answered', 'decided') "
                                "AND (? IS NULL OR l.annotator = ?)", (annotator, annotator)).fetchone()
        return int(row[0]), float(row[1])

    def submitted_answers(self) -> list[tuple[int, str, list]]:
        """(sentence id, annotator, tags) of every standing answer as the page submitted it (the
        latest of each annotator per sentence)."""
        rows = self.conn.execute("SELECT l.sentence_id, l.annotator, a.tags FROM lease_answers a JOIN leases l "
                                 "ON l.id = a.lease_id WHERE l.state = 'answered' AND a.tags IS NOT NULL ORDER BY l.id")
        latest = {(r[0], r[1]): json.loads(r[2]) for r in rows}
        return [(sid, who, tags) for (sid, who), tags in latest.items()]

    def annotators_who_answered(self, sentence_id: int, round_id: int) -> set[str]:
        return set(self._column("SELECT annotator FROM leases WHERE sentence_id = ? AND round_id = ? AND "
                                "state = 'answered'", (sentence_id, round_id)))

    def holders_of(self, sentence_id: int, now: float) -> set[str]:
        """The annotators holding a live lease on the sentence."""
        return set(self._column("SELECT annotator FROM leases WHERE sentence_id = ? AND state = 'held' AND expires > ?",
                                (sentence_id, now)))
