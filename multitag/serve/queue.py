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

import dataclasses
import time
import uuid

from multitag.errors import MultitagError
from multitag.project.formats import ImportedTask, TaskRef
from multitag.project.importer import apply_import, now, plan_import
from multitag.project.project import Project
from multitag.project.spans import check_answer_tags
from multitag.project.store import LeaseRow, RoundRow, Store


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
    def current_round(p: Project) -> RoundRow | None:
        return p.store.rounds.latest_chosen()

    @staticmethod
    def _answered(store: Store, sentence_id: int, asked: list[int]) -> bool:
        if not asked:
            return False
        have = store.annotations.current_tags(sentence_id)
        return all(t in have for t in asked)

    def _round_tasks(self, store: Store, round_id: int) -> list[dict]:
        """The round's tasks (one per sentence, in rank order) with their queries and asked tokens."""
        tasks: dict[int, dict] = {}
        for q in store.queries.of_round(round_id):
            t = tasks.setdefault(q.sentence_id, {"sentence": q.sentence_id, "queries": [], "asked": set(),
                                                 "unit": q.unit, "score": q.score})
            t["queries"].append(q.id)
            t["asked"].update(q.tokens)
        for t in tasks.values():
            t["asked"] = sorted(t["asked"])
        return list(tasks.values())

    def _payload(self, p: Project, lease: LeaseRow, task: dict) -> dict:
        s = p.store.text.sentence(task["sentence"])
        rnd = p.store.rounds.get(lease.round_id)
        tags = None
        if self.predictor is not None and rnd.model_id is not None:
            tags = self.predictor(p, rnd, [{"tokens": s.tokens, "pos": s.pos}])[0]
        current = p.store.annotations.current_tags(task["sentence"])
        return {"lease": lease.id, "round": lease.round_id, "sentence": task["sentence"], "tokens": s.tokens,
                "tags": tags, "annotated": [current.get(i) for i in range(len(s.tokens))], "asked": task["asked"],
                "unit": task["unit"], "score": task["score"], "queries": task["queries"], "hash": s.hash,
                "project": p.uid, "labels": p.settings.entity_types, "expires": lease.expires}

    # ------------------------------------------------------------------ the operations
    def next(self, annotator: str) -> dict | None:
        """The annotator's task (held, or newly leased); ``None`` when the queue is empty."""
        with self._open() as p:
            rnd = self.current_round(p)
            if rnd is None:
                return None
            store = p.store
            with store.transaction():
                t_now = time.time()
                for lease in store.leases.held_by(annotator):
                    tasks = {t["sentence"]: t for t in self._round_tasks(store, lease.round_id)}
                    task = tasks.get(lease.sentence_id)
                    if task is not None and not self._answered(store, lease.sentence_id, task["asked"]):
                        store.leases.renew(lease.id, t_now + self.lease_seconds)
                        chosen = (dataclasses.replace(lease, expires=t_now + self.lease_seconds), task)
                        break
                    store.leases.set_state(lease.id, "answered")  # answered elsewhere
                else:
                    chosen = None
                if chosen is None:
                    busy = store.leases.sentences_held_by_others(annotator, t_now)
                    skipped = store.leases.sentences_skipped_by(annotator, rnd.id)
                    for task in self._round_tasks(store, rnd.id):
                        sid = task["sentence"]
                        if sid in busy or sid in skipped or self._answered(store, sid, task["asked"]):
                            continue
                        lease = store.leases.add(round_id=rnd.id, sentence_id=sid, annotator=annotator, created=now(),
                                                 expires=t_now + self.lease_seconds)
                        chosen = (lease, task)
                        break
            if chosen is None:
                return None
            return self._payload(p, chosen[0], chosen[1])

    def _held_lease(self, store: Store, lease_id, annotator: str) -> LeaseRow:
        lease = store.leases.get(lease_id)
        if lease is None:
            raise QueueError(f"no task with lease {lease_id}", 404)
        if lease.annotator != annotator:
            raise QueueError(f"lease {lease_id} belongs to another annotator", 409)
        if lease.state == "answered":
            raise QueueError(f"lease {lease_id} was already answered", 409)
        self._check_not_finished_by_other(store, lease)
        if lease.state != "held":
            raise QueueError(f"lease {lease_id} is {lease.state}", 409)
        if lease.expires <= time.time():
            if store.leases.count_live_holds_of_others(lease, time.time()):
                raise QueueError(f"lease {lease_id} expired and another annotator holds the task now", 409)
        return lease

    @staticmethod
    def _check_not_finished_by_other(store: Store, lease: LeaseRow) -> None:
        """A late answer (or skip) on a task another annotator has finished meanwhile is a conflict,
        never a silent replacement of their answer."""
        other = store.leases.finished_by_other(lease)
        if other is not None:
            raise QueueError(f"conflict: lease {lease.id} expired and annotator {other!r} has finished this "
                             "task meanwhile; your answer was not stored", 409)

    def answer(self, annotator: str, lease_id: int, tags: list) -> dict:
        """Store the annotator's tags for the task of ``lease_id`` (validated as an import)."""
        if not isinstance(tags, list):
            raise QueueError("tags must be a list of tags (or nulls), one per token")
        with self._open() as p:
            lease = self._held_lease(p.store, lease_id, annotator)
            task = {t["sentence"]: t for t in self._round_tasks(p.store, lease.round_id)}.get(lease.sentence_id)
            s = p.store.text.sentence(lease.sentence_id)
            tokens = s.tokens
            if len(tags) != len(tokens):
                raise QueueError(f"{len(tags)} tags for the {len(tokens)} tokens of sentence {lease.sentence_id}")
            for t in tags:
                if t is not None and not (isinstance(t, str) and (t == "O" or t[:2] in ("B-", "I-"))):
                    raise QueueError(f"invalid tag {t!r} (expected O, B-TYPE, I-TYPE or null)")
            try:   # the same IOB2 rules as the data readers and ``project import``
                check_answer_tags(tags, f"answer to lease {lease_id}")
            except MultitagError as e:
                raise QueueError(str(e), 422) from None
            ref = TaskRef(project=p.uid, sentence=lease.sentence_id, hash=s.hash, round=lease.round_id,
                          queries=task["queries"], asked=task["asked"], unit=task["unit"])
            where = f"answer to lease {lease_id}"
            try:
                plan = plan_import(p.store, [ImportedTask(where=where, ref=ref, tokens=tokens, tags=tags, annotator=annotator)])
            except QueueError:
                raise
            except MultitagError as e:
                raise QueueError(str(e)) from None

            def mark(import_id: int) -> None:
                if p.store.leases.get(lease_id).state != "held":   # another request answered it while this one was validated
                    raise QueueError(f"lease {lease_id} was already answered", 409)
                self._check_not_finished_by_other(p.store, lease)
                p.store.leases.mark_answered(lease_id, import_id)

            result = apply_import(p.store, plan, path=f"api:{annotator}", sha256=f"serve:{uuid.uuid4().hex}",
                                  fmt="serve", annotator=annotator, within=mark)
            return {"lease": lease_id, "sentence": lease.sentence_id, "annotated_tokens": result["annotated_tokens"]}

    def skip(self, annotator: str, lease_id: int) -> dict:
        with self._open() as p:
            with p.store.transaction():
                self._held_lease(p.store, lease_id, annotator)
                p.store.leases.set_state(lease_id, "skipped")
        return {"lease": lease_id, "skipped": True}

    def undo(self, annotator: str) -> dict:
        """Retract the annotator's last answer that is not retracted yet; its task is theirs again."""
        with self._open() as p:
            store = p.store
            with store.transaction():
                lease = store.leases.last_answered_by(annotator)
                if lease is None:
                    raise QueueError("nothing to undo", 409)
                stamp = now()
                for row in store.annotations.unretracted_of_import(lease.import_id):
                    if row.superseded_by is None:
                        # the annotation it had replaced (if any) is current again
                        store.annotations.restore_superseded_by(row.id)
                    store.annotations.retract(row.id, stamp)
                store.leases.hand_back(lease.id, time.time() + self.lease_seconds)
        return {"lease": lease.id, "sentence": lease.sentence_id, "undone": True}

    def status(self, annotator: str | None = None) -> dict:
        with self._open() as p:
            rnd = self.current_round(p)
            total = answered = 0
            if rnd is not None:
                tasks = self._round_tasks(p.store, rnd.id)
                total = len(tasks)
                answered = sum(1 for t in tasks if self._answered(p.store, t["sentence"], t["asked"]))
            tokens = p.store.annotations.count_current()
            pool = p.store.text.pool_tokens()
            model = p.latest_model_row()
            mine = p.store.leases.count_answered_by(annotator) if annotator else 0
            return {"round": None if rnd is None else rnd.id, "round_kind": None if rnd is None else rnd.kind,
                    "round_tasks": total, "round_answered": answered, "annotated_tokens": tokens, "pool_tokens": pool,
                    "model_round": None if model is None else model.round_id,
                    "model_f1": None if model is None else model.f1, "my_answers": mine,
                    "labels": p.settings.entity_types, "level": p.settings.level}
