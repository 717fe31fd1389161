"""An annotation project: real rounds with people, stored in one SQLite file (:mod:`.store`).

A project folder ``P`` holds ``project.sqlite`` and ``models/`` (one model per round that trained
one, written through the model template). The whole annotation cycle is the
:class:`~multitag.loop.ActiveLearner`'s: the store is replayed into a pool (each round's answers
taught in order), so a project driven by a scripted annotator makes, round for round, the
selections of ``multitag compare --query-mode batch`` with the same seed, strategy and level.

:class:`Project` is the operations of an open project; each job is a module of its own:
:mod:`.create` (``init``), :mod:`.replay`, :mod:`.round_choice`, :mod:`.batches`, :mod:`.models`,
:mod:`.importer`, :mod:`.readout` (export, status) and :mod:`.progress`.
"""
from __future__ import annotations

import os
from typing import Callable

from multitag.project import batches, formats, models, readout, replay, round_choice
from multitag.project.create import init_project
from multitag.project.importer import apply_import, file_sha256, plan_import
from multitag.project.opened import OpenedProject
from multitag.project.progress import progress_printer
from multitag.project.settings import Settings
from multitag.project.store import AnnotationRow, ModelRow, SentenceRow


class Project(OpenedProject):
    """An open project. Every method reads the store afresh, so several processes can share it."""

    def __enter__(self) -> "Project":
        return self

    # ------------------------------------------------------------------ replaying the store
    def sentences(self) -> list[SentenceRow]:
        return self.store.text.sentences()

    def current_annotations(self) -> list[AnnotationRow]:
        return self.store.annotations.current()

    def labeled_hash(self) -> str:
        return replay.labeled_hash(self.store)

    def make_backend(self):
        return replay.make_backend(self.settings)

    def learner(self):
        """The pool and learner with every current annotation taught, round by round.

        Returns (learner, rows) where ``rows[i]`` is the store row of pool sentence ``i`` (read from
        the store when asked for: while the project is open).
        """
        return replay.replay(self)

    # ------------------------------------------------------------------ models
    def latest_model_row(self) -> ModelRow | None:
        return models.latest_model_row(self)

    def load_model(self, row):
        return models.load_model(self, row)

    def export_model(self, out: str) -> dict:
        return models.export_model(self, out)

    # ------------------------------------------------------------------ a round
    def query(self, budget: int, *, fmt: str, out: str, progress: Callable[[str], None] | None = None) -> dict:
        """Choose about ``budget`` tokens to annotate and write them as a batch to ``out``."""
        formats.module(fmt)
        say = progress or (lambda phase: None)
        round_id, reused = self.choose_round(budget, progress=say)
        return batches.write_round(self, round_id, fmt, out, say, reused=reused)

    def choose_round(self, budget: int, *, progress: Callable[[str], None] | None = None,
                     reuse: bool = True) -> tuple[int, bool]:
        """See :func:`.round_choice.choose_round`."""
        return round_choice.choose_round(self, budget, progress=progress, reuse=reuse)

    def round_tasks(self, round_id: int) -> list[formats.Task]:
        return batches.round_tasks(self, round_id)

    # ------------------------------------------------------------------ answers
    def import_file(self, path: str, *, fmt: str | None = None, snap: bool = False) -> dict:
        fmt = fmt or formats.guess_format(path)
        sha = file_sha256(path)
        done = self.store.imports.created_of(sha)
        if done is not None:
            return {"already": done, "tasks": 0, "annotated_tokens": 0}
        tasks = formats.module(fmt).read_answers(path)
        plan = plan_import(self.store, tasks, snap=snap)
        return {"format": fmt, **apply_import(self.store, plan, path=os.path.abspath(path), sha256=sha, fmt=fmt)}

    # ------------------------------------------------------------------ reading out
    def tasks_for_export(self, only_complete: bool) -> list[formats.Task]:
        return readout.tasks_for_export(self, only_complete)

    def export(self, fmt: str, out: str, *, only_complete: bool = False) -> dict:
        return readout.export(self, fmt, out, only_complete=only_complete)

    def status(self, *, png: str | None = None) -> dict:
        return readout.status(self, png=png)

    def labelstudio_config(self) -> str:
        return readout.labelstudio_config(self)


__all__ = ["Project", "Settings", "init_project", "progress_printer"]
