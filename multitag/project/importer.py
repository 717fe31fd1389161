"""Importing answers: validate every task of a file, then write its annotations in one transaction.

Nothing is written unless the whole file is valid: unknown labels, spans off token boundaries
(``snap`` widens them), overlapping spans, tasks of another project or of text that has changed,
answers to queries of other sentences, and two tasks giving one token different tags are errors
naming the file and the task or line, and so is an entity that would start with ``I-`` once the
answer is merged with what is stored (:func:`~multitag.project.spans.check_entity_starts`, the
annotation page's rule too). A file imported before (same bytes) is recognised and imports
nothing again.

At sentence level (and for tasks that answer no query) the whole sentence is annotated; at entity
level the asked tokens and every entity span that covers one of them (the entity widens); at token
level only the asked tokens. Asked tokens outside every span are ``O``.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field

from multitag.annotation.levels import DEFAULT_LEVEL, get_level
from multitag.errors import MultitagError
from multitag.project.formats import ImportedTask
from multitag.project.spans import char_spans_to_tags, check_answer_tags, check_entity_starts
from multitag.project.store import SentenceRow, Store


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError as e:
        raise MultitagError(f"{path}: cannot read ({e.strerror})") from None
    return h.hexdigest()


@dataclass
class Row:
    sentence: int
    token: int
    tag: str
    query: int | None
    round: int | None          # None: answers no query (a file annotated by hand): a round of its own
    annotator: str | None
    where: str


@dataclass
class ImportPlan:
    rows: list[Row] = field(default_factory=list)
    tasks: int = 0
    skipped: int = 0


class SentenceIndex:
    """The project's sentences, by id and by token sequence (for files without references)."""

    def __init__(self, store: Store):
        self.by_id: dict[int, SentenceRow] = {}
        self.by_tokens: dict[tuple, list[int]] = {}
        self._used: dict[tuple, int] = {}
        for s in store.text.sentences():
            self.by_id[s.id] = s
            self.by_tokens.setdefault(tuple(s.tokens), []).append(s.id)

    def find(self, task: ImportedTask) -> SentenceRow:
        tokens = task.tokens
        if tokens is None and task.text is not None:
            hits = [s for s in self.by_id.values() if s.text == task.text]
            if len(hits) == 1:
                return hits[0]
            raise MultitagError(f"{task.where}: {'no' if not hits else 'more than one'} sentence of the project has this "
                                "text, and the task carries no multitag reference")
        key = tuple(tokens or ())
        ids = self.by_tokens.get(key, [])
        if not ids:
            raise MultitagError(f"{task.where}: no sentence of the project has these tokens "
                                f"({' '.join((tokens or [])[:8])}...), and the task carries no multitag reference")
        # identical sentences (a dateline repeated): the k-th such task of the file is the k-th such
        # sentence of the project, so a file in the project's order maps back exactly
        k = self._used.get(key, 0)
        if k >= len(ids):
            raise MultitagError(f"{task.where}: the file has more sentences with these tokens "
                                f"({' '.join(key[:8])}...) than the project ({len(ids)})")
        self._used[key] = k + 1
        return self.by_id[ids[k]]


def plan_import(store: Store, tasks: list[ImportedTask], *, snap: bool = False) -> ImportPlan:
    """Validate ``tasks`` and turn them into annotation rows (nothing is written)."""
    settings = store.meta("settings")
    uid = store.meta("project_uid")
    types = set(settings["entity_types"])
    index = SentenceIndex(store)
    queries = store.queries.by_id()
    plan = ImportPlan()
    seen: dict[tuple[int, int], tuple[str, str]] = {}
    planned: dict[int, dict[int, str]] = {}           # sentence -> token -> tag, of the tasks planned so far
    for task in tasks:
        ref = task.ref
        if ref is not None:
            if ref.project != uid:
                raise MultitagError(f"{task.where}: the task belongs to another project ({ref.project}, this one is {uid})")
            sentence = index.by_id.get(ref.sentence)
            if sentence is None or sentence.hash != ref.hash:
                raise MultitagError(f"{task.where}: the text of sentence {ref.sentence} has changed since the task was "
                                    "written (its hash differs); re-export the task with `multitag project query`")
        else:
            sentence = index.find(task)
        where = task.where
        if task.text is not None and task.text != sentence.text:
            raise MultitagError(f"{where}: the task's text differs from sentence {sentence.id} of the project")
        if task.tokens is not None and list(task.tokens) != sentence.tokens:
            raise MultitagError(f"{where}: the task's tokens differ from sentence {sentence.id} of the project")
        n = len(sentence.tokens)
        if task.spans is not None:
            for _, _, label in task.spans:
                if label not in types:
                    raise MultitagError(f"{where}: unknown label {label!r}; the project's labels are {', '.join(sorted(types))}")
            tags: list[str | None] = list(char_spans_to_tags(sentence.text, sentence.starts, sentence.ends,
                                                             task.spans, snap=snap, where=where))
        else:
            tags = list(task.tags or [])
            check_answer_tags(tags, where)
            for t in tags:
                if t is not None and t != "O" and t[2:] not in types:
                    raise MultitagError(f"{where}: unknown label {t[2:]!r} (tag {t}); the project's labels are "
                                        f"{', '.join(sorted(types))}")
        qids = list(ref.queries) if ref is not None else []
        for q in qids:
            if q not in queries or queries[q].sentence_id != sentence.id:
                raise MultitagError(f"{where}: query {q} does not ask about sentence {sentence.id}")
        level = get_level(queries[qids[0]]["unit"]) if qids else None
        if level is not None and not level.whole_sentence:
            asked_by = {}
            for q in qids:
                for t in queries[q].tokens:
                    asked_by.setdefault(t, q)
            asked = set(asked_by)
            known = [t if t is not None else "O" for t in tags]
            keep = level.covers(sorted(asked), known, "IOB2")   # the entity level widens to whole entities
            first_q = qids[0]
            chosen = {t: (known[t], asked_by.get(t, first_q)) for t in sorted(keep)}
        elif task.spans is not None or qids:
            # the whole sentence: spans, O elsewhere (token-tag files must tag every token)
            if task.spans is None and any(t is None for t in tags):
                missing = sum(t is None for t in tags)
                raise MultitagError(f"{where}: sentence {sentence.id} was asked whole, but {missing} of its tokens have no tag")
            chosen = {t: (tags[t], qids[0] if qids else None) for t in range(n)}
        else:
            # a file annotated by hand: what it tags
            chosen = {t: (tag, None) for t, tag in enumerate(tags) if tag is not None}
        if not chosen:
            plan.skipped += 1
            continue
        stored = store.annotations.current_tags(sentence.id)
        stored.update(planned.get(sentence.id, {}))       # what earlier tasks of the file write there
        check_entity_starts(tags, stored, {t: tag for t, (tag, _) in chosen.items()}, where)
        round_id = queries[qids[0]].round_id if qids else None
        for t, (tag, q) in chosen.items():
            key = (sentence.id, t)
            if key in seen and seen[key][0] != tag:
                raise MultitagError(f"{where}: token {t + 1} of sentence {sentence.id} is {tag}, but {seen[key][1]} "
                                    f"says {seen[key][0]}")
            seen[key] = (tag, where)
            planned.setdefault(sentence.id, {})[t] = tag
            plan.rows.append(Row(sentence.id, t, tag, q, round_id, task.annotator, where))
        plan.tasks += 1
    return plan


def apply_import(store: Store, plan: ImportPlan, *, path: str, sha256: str, fmt: str, annotator: str | None = None,
                 within=None) -> dict:
    """Write the plan's rows and the import record in one transaction; returns what changed.

    ``within(import_id)`` runs inside the same transaction (the annotation page marks
    its lease answered there, so an answer and its lease change together or not at all).
    """
    changed = unchanged = 0
    with store.transaction():
        # checked again inside the write transaction (BEGIN IMMEDIATE): two imports of one file
        # started together both pass the caller's check; the second to get here imports nothing
        done = store.imports.created_of(sha256)
        if done is not None:
            return {"already": done, "tasks": 0, "annotated_tokens": 0}
        import_id = store.imports.add(sha256=sha256, path=path, fmt=fmt, created=now(), tasks=plan.tasks,
                                      tokens=len(plan.rows), annotator=annotator)
        stamp = now()
        own_round = None
        if any(r.round is None for r in plan.rows):
            own_round = store.rounds.add_import_round(stamp, DEFAULT_LEVEL)
        for r in plan.rows:
            cur = store.annotations.current_at(r.sentence, r.token)
            if cur is not None and cur.tag == r.tag:
                unchanged += 1
                continue
            new_id = store.annotations.add(sentence_id=r.sentence, token=r.token, tag=r.tag,
                                           round_id=own_round if r.round is None else r.round, query_id=r.query,
                                           annotator=r.annotator, import_id=import_id, created=stamp)
            if cur is not None:
                store.annotations.supersede(cur.id, by=new_id)
            changed += 1
        if within is not None:
            within(import_id)
    return {"import": import_id, "tasks": plan.tasks, "skipped": plan.skipped, "annotated_tokens": changed, "unchanged_tokens": unchanged}
