"""A project's models: one folder under ``P/models/`` per round that trained one (written through
the model template), recorded in the store with its scores on the gold set."""
from __future__ import annotations

import os
import shutil
import uuid
from typing import Any, Mapping

from multitag.data.sentence import Sentence
from multitag.errors import MultitagError
from multitag.evaluation import evaluate
from multitag.persistence import load_model as load_model_folder
from multitag.project.opened import OpenedProject
from multitag.project.store import ModelRow, Store

MODELS = "models"


def model_dir(p: OpenedProject, rel: str) -> str:
    return os.path.join(p.path, rel)


def latest_model_row(p: OpenedProject) -> ModelRow | None:
    return p.store.models.latest()


def load_model(p: OpenedProject, row: Mapping[str, Any]):
    """The model of a ``models`` row."""
    return load_model_folder(model_dir(p, row["path"]))


def save_new_model(p: OpenedProject, model) -> str:
    """Save a model into a new folder under ``models/``; its path relative to the project."""
    rel = os.path.join(MODELS, f"model-{uuid.uuid4().hex[:12]}")
    model.save(model_dir(p, rel))
    return rel


def clean_orphan_models(p: OpenedProject) -> None:
    """Remove model folders that no row names (left by a query killed before it recorded its round)."""
    known = p.store.models.paths()
    folder = os.path.join(p.path, MODELS)
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        if os.path.join(MODELS, name) not in known:
            shutil.rmtree(os.path.join(folder, name), ignore_errors=True)


def evaluate_on_gold(store: Store, model) -> dict | None:
    """The model's span scores on the project's gold set; ``None`` without one."""
    gold = store.text.eval_sentences()
    if not gold:
        return None
    preds = model.predict([Sentence(r.tokens, None, r.pos) for r in gold])
    return evaluate([r.tags for r in gold], [p.tags for p in preds], scheme="IOB2")


def export_model(p: OpenedProject, out: str) -> dict:
    row = latest_model_row(p)
    if row is None:
        raise MultitagError(f"{p.path}: no model yet (a model is trained by the first `query` after the seed set "
                            "is imported)")
    load_model(p, row).save(out)
    return {"model": out, "round": row.round_id, "f1": row.f1}
