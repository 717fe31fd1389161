"""The annotation queue behind ``multitag serve``: the unanswered tasks of every chosen round, the
newest round's ranking first (:mod:`.tasks`), each held by one annotator at a time (leases that
expire), answers stored at once.

* :meth:`AnnotationQueue.next` gives an annotator the task they hold (a reload shows it again), or
  leases them the best-ranked open task that is neither held by someone else nor skipped by them.
* :meth:`AnnotationQueue.answer` validates the tags exactly as ``multitag project import`` does and
  stores them, and marks the lease answered, in one transaction: an answer is stored exactly once
  (a second post on the same lease is refused).
* :meth:`AnnotationQueue.undo` retracts the annotator's last answer (its rows stay, marked
  retracted; the annotations they had replaced are current again) and hands the task back.
"""
from __future__ import annotations

import dataclasses
import hashlib
import time
import uuid

from multitag.annotation.levels import EntityLevel
from multitag.errors import MultitagError
from multitag.project.formats import ImportedTask, TaskRef
from multitag.project.importer import apply_import, now, plan_import
from multitag.project.project import Project
from multitag.project.spans import TagSequenceError, check_answer_tags
from multitag.project.store import LeaseRow, RoundRow, Store
from multitag.serve import tasks
from multitag.serve.adjudication import disagreements
from multitag.project.agreement import agreement
from multitag.serve.history import current_draft, history
from multitag.serve.teach import check_decision, span_tags, suggestion


class QueueError(MultitagError):
    """An API request that cannot be done; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class AnnotationQueue:
    """Queue operations on one project (a new store connection per call: safe across threads)."""

    def __init__(self, project: str, *, lease_seconds: float = 600.0, predictor=None, overlap: float = 0.0):
        self.project = project
        self.lease_seconds = lease_seconds
        self.overlap = overlap          # the share of tasks given to two annotators (agreement)
        self.predictor = predictor      # f(project, round_row, sentence_rows) -> list of tag lists, or None
        self._pool_tokens: int | None = None   # the text never changes after init: counted once (a scan)

    def _open(self) -> Project:
        return Project(self.project)

    # ------------------------------------------------------------------ annotators
    def annotator_of_token(self, token: str) -> str | None:
        """The registered annotator whose personal token this is, or ``None``."""
        with Store(self.project) as store:
            row = store.annotators.by_token(token)
        return None if row is None else row.name

    def has_annotators(self) -> bool:
        with Store(self.project) as store:
            return store.annotators.count() > 0

    # ------------------------------------------------------------------ reading
    @staticmethod
    def current_round(p: Project) -> RoundRow | None:
        return p.store.rounds.latest_chosen()

    def _payload(self, p: Project, lease: LeaseRow, task: dict) -> dict:
        s = p.store.text.sentence(task["sentence"])
        rnd = p.store.rounds.get(lease.round_id)
        tags = suggested = None
        if self.predictor is not None and rnd.model_id is not None:
            preds, labels = self.predictor.predict(p, rnd, [{"tokens": s.tokens, "pos": s.pos}])
            tags = list(preds[0].tags)
            suggested = suggestion(preds[0], labels, p.settings.entity_types)   # for teach mode
        current = p.store.annotations.current_tags(task["sentence"])
        return {"lease": lease.id, "round": lease.round_id, "sentence": task["sentence"], "tokens": s.tokens,
                "tags": tags, "annotated": [current.get(i) for i in range(len(s.tokens))], "asked": task["asked"],
                "unit": task["unit"], "score": task["score"], "queries": task["queries"], "hash": s.hash,
                "project": p.uid, "labels": p.settings.entity_types, "expires": lease.expires,
                "draft": p.store.leases.draft(lease.id), "round_kind": rnd.kind, "rank": task["rank"],
                "strategy": rnd.strategy, "suggestion": suggested, "context": tasks.context_of(p.store, s.id)}

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
                    task = tasks.task_of(store, lease.round_id, lease.sentence_id)
                    correction = store.leases.reopened(lease.id) is not None    # served though answered
                    if task is not None and (correction or not tasks.answered(store, lease.sentence_id, task["asked"])
                                             or self._second_wanted(store, task, annotator)):
                        store.leases.renew(lease.id, t_now + self.lease_seconds)
                        chosen = (dataclasses.replace(lease, expires=t_now + self.lease_seconds), task)
                        break
                    store.leases.set_state(lease.id, "answered")  # answered elsewhere
                else:
                    chosen = None
                if chosen is None:
                    busy = store.leases.sentences_held_by_others(annotator, t_now)
                    skipped: dict[int, set[int]] = {}       # round -> sentences this annotator skipped
                    for task in tasks.open_tasks(store, lambda t: self._second_wanted(store, t)):
                        sid = task["sentence"]
                        if task["round"] not in skipped:
                            skipped[task["round"]] = store.leases.sentences_skipped_by(annotator, task["round"])
                        if sid in skipped[task["round"]]:
                            continue
                        answerers = store.leases.annotators_who_answered(sid, task["round"])
                        if annotator in answerers:
                            continue
                        if self.is_overlap(sid):      # two annotators in all, holding or done
                            if len(store.leases.holders_of(sid, t_now) - {annotator}) + len(answerers) >= 2:
                                continue
                        elif sid in busy:
                            continue
                        lease = store.leases.add(round_id=task["round"], sentence_id=sid, annotator=annotator,
                                                 created=now(), expires=t_now + self.lease_seconds)
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

    def is_overlap(self, sentence_id: int) -> bool:
        """Whether the sentence's task goes to two annotators (``overlap``: the share of tasks that
        do, chosen by a hash of the sentence id, so every server of the project agrees)."""
        if self.overlap <= 0:
            return False
        return int(hashlib.sha256(f"overlap:{sentence_id}".encode()).hexdigest()[:8], 16) % 10_000 < self.overlap * 10_000

    def _second_wanted(self, store: Store, task: dict, annotator: str | None = None) -> bool:
        """An overlap task answered by fewer than two annotators (and not by ``annotator``)."""
        if not self.is_overlap(task["sentence"]):
            return False
        answerers = store.leases.annotators_who_answered(task["sentence"], task["round"])
        return len(answerers) < 2 and annotator not in answerers

    def _check_not_finished_by_other(self, store: Store, lease: LeaseRow) -> None:
        """A late answer (or skip) on a task another annotator has finished meanwhile is a conflict,
        never a silent replacement of their answer (an overlap task takes a second annotator's)."""
        if self.is_overlap(lease.sentence_id):
            if len(store.leases.annotators_who_answered(lease.sentence_id, lease.round_id) - {lease.annotator}) < 2:
                return
        other = store.leases.finished_by_other(lease)
        if other is not None:
            raise QueueError(f"conflict: lease {lease.id} expired and annotator {other!r} has finished this "
                             "task meanwhile; your answer was not stored", 409)

    def answer(self, annotator: str, lease_id: int, tags: list, seconds: float | None = None) -> dict:
        """Store the annotator's tags for the task of ``lease_id`` (validated as an import), and the
        active ``seconds`` the page measured for it."""
        if not isinstance(tags, list):
            raise QueueError("tags must be a list of tags (or nulls), one per token")
        with self._open() as p:
            lease = self._held_lease(p.store, lease_id, annotator)
            task = tasks.task_of(p.store, lease.round_id, lease.sentence_id)
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
            except TagSequenceError as e:     # the same rule as `project import`
                raise QueueError(str(e), 422) from None
            except MultitagError as e:
                raise QueueError(str(e)) from None

            def mark(import_id: int) -> None:
                if p.store.leases.get(lease_id).state != "held":   # another request answered it while this one was validated
                    raise QueueError(f"lease {lease_id} was already answered", 409)
                self._check_not_finished_by_other(p.store, lease)
                p.store.leases.mark_answered(lease_id, import_id)
                p.store.leases.record_answer(lease_id, tags, seconds)

            result = apply_import(p.store, plan, path=f"api:{annotator}", sha256=f"serve:{uuid.uuid4().hex}",
                                  fmt="serve", annotator=annotator, within=mark)
            return {"lease": lease_id, "sentence": lease.sentence_id, "annotated_tokens": result["annotated_tokens"],
                    "correction": p.store.leases.reopened(lease_id) is not None}

    def reopen(self, annotator: str, lease_id: int) -> dict:
        """Reopen one of the annotator's answers for a correction: a new lease on its task, held by
        them, with the sentence's current tags as the draft. Its answer supersedes the old rows
        (which stay, as history), like a corrected import."""
        with self._open() as p:
            store = p.store
            with store.transaction():
                old = store.leases.get(lease_id)
                if old is None or old.annotator != annotator:
                    raise QueueError(f"no answer of yours with lease {lease_id}", 404)
                if old.state != "answered":
                    raise QueueError(f"lease {lease_id} is {old.state}, not answered", 409)
                new = store.leases.reopen(old, created=now(), expires=time.time() + self.lease_seconds,
                                          draft=current_draft(store, old.sentence_id))
        return {"lease": new.id, "reopens": lease_id, "sentence": old.sentence_id}

    def settle(self, reviewer: str, sentence_id: int, tags: list) -> dict:
        """A reviewer's answer settling a disagreement of the overlap on ``sentence_id``: stored like
        an answer to the task the annotators answered (it supersedes theirs), and marked settled."""
        if not isinstance(tags, list):
            raise QueueError("tags must be a list of tags (or nulls), one per token")
        with self._open() as p:
            store = p.store
            if sentence_id not in {d["sentence"] for d in disagreements(store)}:
                raise QueueError(f"sentence {sentence_id} has no disagreement to settle", 404)
            answered = store.leases.latest_answered_on(sentence_id)
            task = tasks.task_of(store, answered.round_id, sentence_id)
            s = store.text.sentence(sentence_id)
            if len(tags) != len(s.tokens):
                raise QueueError(f"{len(tags)} tags for the {len(s.tokens)} tokens of sentence {sentence_id}")
            where = f"settlement of sentence {sentence_id}"
            ref = TaskRef(project=p.uid, sentence=sentence_id, hash=s.hash, round=answered.round_id,
                          queries=task["queries"], asked=task["asked"], unit=task["unit"])
            try:
                check_answer_tags(tags, where)
                plan = plan_import(store, [ImportedTask(where=where, ref=ref, tokens=s.tokens, tags=tags,
                                                        annotator=reviewer)])
            except TagSequenceError as e:
                raise QueueError(str(e), 422) from None
            except MultitagError as e:
                raise QueueError(str(e)) from None
            result = apply_import(store, plan, path=f"api:{reviewer}", sha256=f"serve:{uuid.uuid4().hex}", fmt="serve",
                                  annotator=reviewer, within=lambda import_id: store.settlements.add(
                                      sentence_id=sentence_id, import_id=import_id, annotator=reviewer, created=now()))
        return {"sentence": sentence_id, "annotated_tokens": result["annotated_tokens"]}

    def disagreements(self) -> list[dict]:
        with self._open() as p:
            return disagreements(p.store)

    def history(self, annotator: str) -> list[dict]:
        with self._open() as p:
            return history(p.store, annotator)

    def decide(self, annotator: str, lease_id: int, data: dict, seconds: float | None = None) -> dict:
        """Teach mode: accept, reject or ignore one suggested span of the task of ``lease_id``
        (:mod:`.teach`); the annotator then moves on to the next task."""
        with self._open() as p:
            lease = self._held_lease(p.store, lease_id, annotator)
            s = p.store.text.sentence(lease.sentence_id)
            try:
                decision, start, end, label = check_decision(data, len(s.tokens), p.settings.entity_types)
            except MultitagError as e:
                raise QueueError(str(e)) from None

            def record(import_id: int | None) -> None:
                if p.store.leases.get(lease_id).state != "held":
                    raise QueueError(f"lease {lease_id} was already answered", 409)
                p.store.decisions.add(lease_id=lease_id, sentence_id=s.id, start=start, end=end, label=label,
                                      decision=decision, annotator=annotator, import_id=import_id, created=now())
                p.store.leases.set_state(lease_id, "decided")
                p.store.leases.record_answer(lease_id, None, seconds)

            if decision != "accept":
                with p.store.transaction():
                    record(None)
                return {"lease": lease_id, "decision": decision, "annotated_tokens": 0}
            # an accept: the span's tokens, as an answer to no query (an entity-level answer)
            ref = TaskRef(project=p.uid, sentence=s.id, hash=s.hash, round=lease.round_id, unit=EntityLevel.name)
            task = ImportedTask(where=f"accept on lease {lease_id}", ref=ref, tokens=s.tokens,
                                tags=span_tags(len(s.tokens), start, end, label), annotator=annotator)
            try:
                plan = plan_import(p.store, [task])
            except TagSequenceError as e:
                raise QueueError(str(e), 422) from None
            result = apply_import(p.store, plan, path=f"api:{annotator}", sha256=f"serve:{uuid.uuid4().hex}",
                                  fmt="serve", annotator=annotator, within=record)
            return {"lease": lease_id, "decision": decision, "annotated_tokens": result["annotated_tokens"]}

    def skip(self, annotator: str, lease_id: int) -> dict:
        with self._open() as p:
            with p.store.transaction():
                self._held_lease(p.store, lease_id, annotator)
                p.store.leases.set_state(lease_id, "skipped")
        return {"lease": lease_id, "skipped": True}

    def undo(self, annotator: str) -> dict:
        """Retract the annotator's last answer that is not retracted yet; its task is theirs again,
        with the undone tags as a draft to edit (``task["draft"]``)."""
        with self._open() as p:
            store = p.store
            with store.transaction():
                lease = store.leases.last_answered_by(annotator)
                if lease is None:
                    raise QueueError("nothing to undo", 409)
                stamp = now()
                draft: list[str | None] = [None] * len(store.text.sentence(lease.sentence_id).tokens)
                for row in store.annotations.unretracted_of_import(lease.import_id):
                    draft[row.token] = row.tag
                    if row.superseded_by is None:
                        # the annotation it had replaced (if any) is current again
                        store.annotations.restore_superseded_by(row.id)
                    store.annotations.retract(row.id, stamp)
                store.leases.hand_back(lease.id, time.time() + self.lease_seconds, draft)
        return {"lease": lease.id, "sentence": lease.sentence_id, "undone": True, "draft": draft}

    def status(self, annotator: str | None = None) -> dict:
        with self._open() as p:
            rnd = self.current_round(p)
            total = answered = 0
            if rnd is not None:
                of_round = tasks.round_tasks(p.store, rnd.id)
                total = len(of_round)
                answered = sum(1 for t in of_round if tasks.answered(p.store, t["sentence"], t["asked"]))
            queue_tasks = len(tasks.open_tasks(p.store, lambda t: self._second_wanted(p.store, t)))
            tokens = p.store.annotations.count_current()
            if self._pool_tokens is None:
                self._pool_tokens = p.store.text.pool_tokens()
            pool = self._pool_tokens
            model = p.latest_model_row()
            mine = p.store.leases.count_answered_by(annotator) if annotator else 0
            timed, active = p.store.leases.active_seconds()
            my_timed, my_active = p.store.leases.active_seconds(annotator) if annotator else (0, 0.0)
            return {"round": None if rnd is None else rnd.id, "round_kind": None if rnd is None else rnd.kind,
                    "round_tasks": total, "round_answered": answered, "annotated_tokens": tokens, "pool_tokens": pool,
                    "model_round": None if model is None else model.round_id,
                    "model_f1": None if model is None else model.f1, "my_answers": mine, "queue_tasks": queue_tasks,
                    "timed_answers": timed, "active_seconds": round(active, 1), "my_timed_answers": my_timed,
                    "my_active_seconds": round(my_active, 1), "overlap": self.overlap,
                    "my_decisions": sum(p.store.decisions.count_by_decision(annotator).values()) if annotator else 0,
                    "agreement": agreement(p.store.leases.submitted_answers()),
                    "labels": p.settings.entity_types, "level": p.settings.level}
