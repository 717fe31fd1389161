"""Label Studio annotations into the project store: the same validation and the same store as
``multitag project import``, each annotation stored exactly once.

An annotation is an import whose ``path`` names it (:func:`annotation_path`) and whose key (the
``imports.sha256`` column, unique) is its Label Studio id, a hash of its content and how many
versions of it came before: a webhook delivered twice, or an annotation seen again by
:func:`reconcile`, finds its key taken and stores nothing; an updated annotation supersedes its
earlier version; a deleted one is retracted (the answers it had replaced are current again).
"""
from __future__ import annotations

import hashlib
import json
import os
import time

from multitag.errors import MultitagError
from multitag.labelstudio.client import LabelStudioAPI
from multitag.project.formats.labelstudio import imported_task
from multitag.project.importer import apply_import, now, plan_import
from multitag.project.opened import OpenedProject
from multitag.project.store.labelstudio import annotation_path

FORMAT = "labelstudio"
#: seconds the backend waits between validating a webhook annotation and storing it (tests use it
#: to kill the backend in the middle of a webhook)
STORE_DELAY_ENV = "MULTITAG_LABELSTUDIO_STORE_DELAY"


def annotator_of(ann: dict, api: LabelStudioAPI | None) -> str | None:
    """The annotator by e-mail (Label Studio's webhook and task list name the user by id only)."""
    who = ann.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("id"))
    if isinstance(who, int) and not isinstance(who, bool):
        if api is not None:
            return api.email_of(who)
        return f"labelstudio-user-{who}"
    return None if who is None else str(who)


def _content_key(ann: dict, annotator: str | None) -> str:
    body = json.dumps({"result": ann.get("result"), "annotator": annotator}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:24]


def annotation_id(ann: dict, where: str) -> int:
    i = ann.get("id")
    if isinstance(i, bool) or not isinstance(i, int):
        raise MultitagError(f"{where}: the annotation has no integer id")
    return i


def store_annotation(p: OpenedProject, ls_project: int, task: dict, ann: dict, annotator: str | None) -> dict:
    """Validate one Label Studio annotation of ``task`` as ``project import`` does and store it
    (nothing when this version of it is stored already). Raises MultitagError when it is refused."""
    where = f"Label Studio project {ls_project}, task {task.get('id')}, annotation {ann.get('id')}"
    ann_id = annotation_id(ann, where)
    answer = imported_task(task, ann, where, annotator=annotator)
    plan = plan_import(p.store, [answer])
    content = _content_key(ann, annotator)
    base = f"labelstudio:{ls_project}:{ann_id}:"
    versions = p.store.labelstudio.imports_of_annotation(ls_project, ann_id)
    if versions and versions[-1][1].startswith(base + content + ":"):
        return {"already": True, "annotation": ann_id, "tasks": 0, "annotated_tokens": 0}
    delay = float(os.environ.get(STORE_DELAY_ENV) or 0)
    if delay > 0:
        time.sleep(delay)
    r = apply_import(p.store, plan, path=annotation_path(ls_project, ann_id), sha256=f"{base}{content}:{len(versions)}",
                     fmt=FORMAT, annotator=annotator)
    return {**r, "annotation": ann_id, "already": bool(r.get("already"))}


def delete_annotations(p: OpenedProject, ls_project: int, ids: list[int]) -> int:
    """Retract every stored version of the Label Studio annotations ``ids``; the number of rows."""
    n = 0
    stamp = now()
    with p.store.transaction():
        for ann_id in ids:
            for import_id, _ in reversed(p.store.labelstudio.imports_of_annotation(ls_project, ann_id)):
                for row in p.store.annotations.unretracted_of_import(import_id):
                    if row.superseded_by is None:
                        p.store.annotations.restore_superseded_by(row.id)
                    p.store.annotations.retract(row.id, stamp)
                    n += 1
    return n


def _newest_last(ann: dict):
    return (str(ann.get("updated_at") or ann.get("created_at") or ""), ann.get("id") or 0)


def reconcile(p: OpenedProject, api: LabelStudioAPI, ls_project: int, log=print) -> dict:
    """Make the store hold exactly the Label Studio project's annotations: store those it lacks
    (a webhook missed while the backend was down), retract those deleted meanwhile."""
    stored = refused = already = 0
    present: set[int] = set()
    for task in api.tasks(ls_project):
        for ann in sorted(task.get("annotations") or [], key=_newest_last):
            if not isinstance(ann, dict) or ann.get("was_cancelled"):
                continue
            present.add(ann.get("id"))
            try:
                r = store_annotation(p, ls_project, task, ann, annotator_of(ann, api))
            except MultitagError as e:
                refused += 1
                log(f"refused: {e}")
                continue
            if r["already"]:
                already += 1
            else:
                stored += 1
    gone = sorted(p.store.labelstudio.stored_annotations(ls_project) - present)
    retracted = delete_annotations(p, ls_project, gone) if gone else 0
    return {"stored": stored, "already": already, "refused": refused, "deleted": len(gone),
            "retracted_tokens": retracted}
