"""The annotation queue behind ``multitag serve``: tasks of the newest round, in the round's rank
order, each held by one annotator at a time (leases that expire), answers stored at once.

* :meth:`AnnotationQueue.next` gives an annotator the task they hold (a reload shows it again), or
  leases them the best-ranked task of the newest round that is neither answered, nor held by
  someone else, nor skipped by them.
* :meth:`AnnotationQueue.answer` validates the tags exactly as ``multitag project import`` does and
  stores them, and marks the lease answered, in one transaction: an answer is stored exactly once
  (a second post on the same lease is refused).
* :meth:`AnnotationQueue.undo` retracts the annotator's last answer (its rows stay, marked
  retracted; the annotations they had replaced are current again) and hands the task back.
"""
from __future__ import annotations

import json
import time
import uuid

from multitag.errors import MultitagError
from multitag.project.formats import ImportedTask, TaskRef
from multitag.project.importer import apply_import, now, plan_import
from multitag.project.project import Project
from multitag.project.spans import check_answer_tags


class QueueError(MultitagError):
    """An API request that cannot be done; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class AnnotationQueue:
    """Queue operations on one project (a new store connection per call: safe across threads)."""

    def __init__(self, project: str, *, lease_seconds: float = 600.0, predictor=None):
        self.project = project
        self.lease_seconds = lease_seconds
        self.predictor = predictor      # f(project, round_row, sentence_rows) -> list of tag lists, or None

    def _open(self) -> Project:
        return Project(self.project)

    # ------------------------------------------------------------------ reading
    @staticmethod
    def current_round(p: Project):
        return next(iter(p.store.query("SELECT * FROM rounds WHERE kind IN ('seed', 'query') ORDER BY id DESC LIMIT 1")), None)

    @staticmethod
    def _answered(c, sentence_id: int, asked: list[int]) -> bool:
        if not asked:
            return False
        rows = c.execute("SELECT token FROM annotations WHERE sentence_id = ? AND superseded_by IS NULL", (sentence_id,))
        have = {r[0] for r in rows}
        return all(t in have for t in asked)

    def _round_tasks(self, c, round_id: int) -> list[dict]:
        """The round's tasks (one per sentence, in rank order) with their queries and asked tokens."""
        tasks: dict[int, dict] = {}
        for q in c.execute("SELECT id, sentence_id, tokens, unit, score, rank FROM queries WHERE round_id = ? ORDER BY rank",
                           (round_id,)):
            t = tasks.setdefault(q["sentence_id"], {"sentence": q["sentence_id"], "queries": [], "asked": set(),
                                                    "unit": q["unit"], "score": q["score"]})
            t["queries"].append(q["id"])
            t["asked"].update(json.loads(q["tokens"]))
        for t in tasks.values():
            t["asked"] = sorted(t["asked"])
        return list(tasks.values())

    def _payload(self, p: Project, lease, task: dict) -> dict:
        s = p.store.query("SELECT * FROM sentences WHERE id = ?", (task["sentence"],))[0]
        rnd = p.store.query("SELECT * FROM rounds WHERE id = ?", (lease["round_id"],))[0]
        tokens = json.loads(s["tokens"])
        tags = None
        if self.predictor is not None and rnd["model_id"] is not None:
            tags = self.predictor(p, rnd, [{"tokens": tokens, "pos": None if s["pos"] is None else json.loads(s["pos"])}])[0]
        current = {r[0]: r[1] for r in p.store.query(
            "SELECT token, tag FROM annotations WHERE sentence_id = ? AND superseded_by IS NULL", (task["sentence"],))}
        return {"lease": lease["id"], "round": lease["round_id"], "sentence": task["sentence"], "tokens": tokens,
                "tags": tags, "annotated": [current.get(i) for i in range(len(tokens))], "asked": task["asked"],
                "unit": task["unit"], "score": task["score"], "queries": task["queries"], "hash": s["hash"],
                "project": p.uid, "labels": p.settings.entity_types, "expires": lease["expires"]}

    # ------------------------------------------------------------------ the operations
    def next(self, annotator: str) -> dict | None:
        """The annotator's task (held, or newly leased); ``None`` when the queue is empty."""
        with self._open() as p:
            rnd = self.current_round(p)
            if rnd is None:
                return None
            with p.store.transaction() as c:
                t_now = time.time()
                held = c.execute("SELECT * FROM leases WHERE annotator = ? AND state = 'held' ORDER BY expires DESC, id DESC",
                                 (annotator,)).fetchall()
                for lease in held:
                    tasks = {t["sentence"]: t for t in self._round_tasks(c, lease["round_id"])}
                    task = tasks.get(lease["sentence_id"])
                    if task is not None and not self._answered(c, lease["sentence_id"], task["asked"]):
                        c.execute("UPDATE leases SET expires = ? WHERE id = ?", (t_now + self.lease_seconds, lease["id"]))
                        chosen = (dict(lease) | {"expires": t_now + self.lease_seconds}, task)
                        break
                    c.execute("UPDATE leases SET state = 'answered' WHERE id = ?", (lease["id"],))  # answered elsewhere
                else:
                    chosen = None
                if chosen is None:
                    busy = {r[0] for r in c.execute(
                        "SELECT sentence_id FROM leases WHERE state = 'held' AND expires > ? AND annotator != ?",
                        (t_now, annotator))}
                    skipped = {r[0] for r in c.execute(
                        "SELECT sentence_id FROM leases WHERE round_id = ? AND annotator = ? AND state = 'skipped'",
                        (rnd["id"], annotator))}
                    for task in self._round_tasks(c, rnd["id"]):
                        sid = task["sentence"]
                        if sid in busy or sid in skipped or self._answered(c, sid, task["asked"]):
                            continue
                        lease_id = c.execute(
                            "INSERT INTO leases (round_id, sentence_id, annotator, created, expires, state) "
                            "VALUES (?, ?, ?, ?, ?, 'held')", (rnd["id"], sid, annotator, now(), t_now + self.lease_seconds)).lastrowid
                        chosen = ({"id": lease_id, "round_id": rnd["id"], "expires": t_now + self.lease_seconds}, task)
                        break
            if chosen is None:
                return None
            return self._payload(p, chosen[0], chosen[1])

    def _held_lease(self, c, lease_id, annotator: str):
        lease = c.execute("SELECT * FROM leases WHERE id = ?", (lease_id,)).fetchone()
        if lease is None:
            raise QueueError(f"no task with lease {lease_id}", 404)
        if lease["annotator"] != annotator:
            raise QueueError(f"lease {lease_id} belongs to another annotator", 409)
        if lease["state"] == "answered":
            raise QueueError(f"lease {lease_id} was already answered", 409)
        self._check_not_finished_by_other(c, lease)
        if lease["state"] != "held":
            raise QueueError(f"lease {lease_id} is {lease['state']}", 409)
        if lease["expires"] <= time.time():
            taken = c.execute("SELECT COUNT(*) FROM leases WHERE sentence_id = ? AND state = 'held' AND id != ? AND "
                              "expires > ?", (lease["sentence_id"], lease_id, time.time())).fetchone()[0]
            if taken:
                raise QueueError(f"lease {lease_id} expired and another annotator holds the task now", 409)
        return lease

    @staticmethod
    def _check_not_finished_by_other(c, lease) -> None:
        """A late answer (or skip) on a task another annotator has finished meanwhile is a conflict,
        never a silent replacement of their answer."""
        other = c.execute("SELECT annotator FROM leases WHERE sentence_id = ? AND round_id = ? AND id != ? AND "
                          "state = 'answered' AND annotator != ? LIMIT 1",
                          (lease["sentence_id"], lease["round_id"], lease["id"], lease["annotator"])).fetchone()
        if other is not None:
            raise QueueError(f"conflict: lease {lease['id']} expired and annotator {other[0]!r} has finished this "
                             "task meanwhile; your answer was not stored", 409)

    def answer(self, annotator: str, lease_id: int, tags: list) -> dict:
        """Store the annotator's tags for the task of ``lease_id`` (validated as an import)."""
        if not isinstance(tags, list):
            raise QueueError("tags must be a list of tags (or nulls), one per token")
        with self._open() as p:
            lease = self._held_lease(p.store.conn, lease_id, annotator)
            task = {t["sentence"]: t for t in self._round_tasks(p.store.conn, lease["round_id"])}.get(lease["sentence_id"])
            s = p.store.query("SELECT tokens, hash FROM sentences WHERE id = ?", (lease["sentence_id"],))[0]
            tokens = json.loads(s["tokens"])
            if len(tags) != len(tokens):
                raise QueueError(f"{len(tags)} tags for the {len(tokens)} tokens of sentence {lease['sentence_id']}")
            for t in tags:
                if t is not None and not (isinstance(t, str) and (t == "O" or t[:2] in ("B-", "I-"))):
                    raise QueueError(f"invalid tag {t!r} (expected O, B-TYPE, I-TYPE or null)")
            try:   # the same IOB2 rules as the data readers and ``project import``
                check_answer_tags(tags, f"answer to lease {lease_id}")
            except MultitagError as e:
                raise QueueError(str(e), 422) from None
            ref = TaskRef(project=p.uid, sentence=lease["sentence_id"], hash=s["hash"], round=lease["round_id"],
                          queries=task["queries"], asked=task["asked"], unit=task["unit"])
            where = f"answer to lease {lease_id}"
            try:
                plan = plan_import(p.store, [ImportedTask(where=where, ref=ref, tokens=tokens, tags=tags, annotator=annotator)])
            except QueueError:
                raise
            except MultitagError as e:
                raise QueueError(str(e)) from None

            def mark(c, import_id):
                again = c.execute("SELECT state FROM leases WHERE id = ?", (lease_id,)).fetchone()["state"]
                if again != "held":   # another request answered it while this one was validated
                    raise QueueError(f"lease {lease_id} was already answered", 409)
                self._check_not_finished_by_other(c, lease)
                c.execute("UPDATE leases SET state = 'answered', import_id = ? WHERE id = ?", (import_id, lease_id))

            result = apply_import(p.store, plan, path=f"api:{annotator}", sha256=f"serve:{uuid.uuid4().hex}",
                                  fmt="serve", annotator=annotator, within=mark)
            return {"lease": lease_id, "sentence": lease["sentence_id"], "annotated_tokens": result["annotated_tokens"]}

    def skip(self, annotator: str, lease_id: int) -> dict:
        with self._open() as p:
            with p.store.transaction() as c:
                self._held_lease(c, lease_id, annotator)
                c.execute("UPDATE leases SET state = 'skipped' WHERE id = ?", (lease_id,))
        return {"lease": lease_id, "skipped": True}

    def undo(self, annotator: str) -> dict:
        """Retract the annotator's last answer that is not retracted yet; its task is theirs again."""
        with self._open() as p:
            with p.store.transaction() as c:
                lease = c.execute("SELECT l.* FROM leases l JOIN imports i ON l.import_id = i.id WHERE l.annotator = ? "
                                  "AND l.state = 'answered' ORDER BY l.id DESC LIMIT 1", (annotator,)).fetchone()
                if lease is None:
                    raise QueueError("nothing to undo", 409)
                stamp = now()
                for row in c.execute("SELECT id, superseded_by FROM annotations WHERE import_id = ? AND retracted IS NULL",
                                     (lease["import_id"],)).fetchall():
                    if row["superseded_by"] is None:
                        # the annotation it had replaced (if any) is current again
                        c.execute("UPDATE annotations SET superseded_by = NULL WHERE superseded_by = ?", (row["id"],))
                    c.execute("UPDATE annotations SET retracted = ?, superseded_by = id WHERE id = ?", (stamp, row["id"]))
                c.execute("UPDATE leases SET state = 'held', import_id = NULL, expires = ? WHERE id = ?",
                          (time.time() + self.lease_seconds, lease["id"]))
        return {"lease": lease["id"], "sentence": lease["sentence_id"], "undone": True}

    def status(self, annotator: str | None = None) -> dict:
        with self._open() as p:
            rnd = self.current_round(p)
            total = answered = 0
            if rnd is not None:
                tasks = self._round_tasks(p.store.conn, rnd["id"])
                total = len(tasks)
                answered = sum(1 for t in tasks if self._answered(p.store.conn, t["sentence"], t["asked"]))
            tokens = p.store.query("SELECT COUNT(*) FROM annotations WHERE superseded_by IS NULL")[0][0]
            pool = p.store.query("SELECT SUM(json_array_length(tokens)) FROM sentences")[0][0] or 0
            model = p.latest_model_row()
            mine = 0
            if annotator:
                mine = p.store.query("SELECT COUNT(*) FROM leases WHERE annotator = ? AND state = 'answered'", (annotator,))[0][0]
            return {"round": None if rnd is None else rnd["id"], "round_kind": None if rnd is None else rnd["kind"],
                    "round_tasks": total, "round_answered": answered, "annotated_tokens": tokens, "pool_tokens": pool,
                    "model_round": None if model is None else model["round_id"],
                    "model_f1": None if model is None else model["f1"], "my_answers": mine,
                    "labels": p.settings.entity_types, "level": p.settings.level}
