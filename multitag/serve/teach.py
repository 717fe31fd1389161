"""Teach mode (Prodigy's ``ner.teach`` way of working): the page shows one suggested entity of a
task, the model's most uncertain span, and the annotator accepts, rejects or ignores it.

An accept is stored as an entity-level answer (the span's tokens, nothing else); a rejection as
what it is, "not this type at this span" (``span_decisions``; backends that can learn from it read
:meth:`~multitag.project.store.annotations.DecisionTables.rejections`); an ignore only as a
decision. Either way the annotator moves on to the next task.
"""
from __future__ import annotations

import numpy as np

from multitag.backend import Prediction, label_index
from multitag.data.entity_spans import entity_spans
from multitag.errors import MultitagError

DECISIONS = ("accept", "reject", "ignore")


def suggestion(pred: Prediction, labels: list[str], entity_types: list[str]) -> dict | None:
    """The model's most uncertain entity span of one sentence: among its predicted entities the one
    whose tags have the lowest mean marginal; with none predicted, the single token and type the
    model finds likeliest to begin an entity. ``None`` when no label can begin an entity."""
    idx = label_index(labels)
    m = np.asarray(pred.marginals)

    def confidence(typ: str, a: int, b: int) -> float:
        cols = [idx.get(("B-" if i == a else "I-") + typ) for i in range(a, b)]
        return float(np.mean([m[i, c] if c is not None else 0.0 for i, c in zip(range(a, b), cols)]))

    predicted = [(confidence(typ, a, b), a, b, typ) for typ, a, b in entity_spans(list(pred.tags), "IOB2")
                 if typ in entity_types]
    begins = [(typ, idx[f"B-{typ}"]) for typ in entity_types if f"B-{typ}" in idx]
    candidates = [(float(m[i, c]), i, i + 1, typ) for i in range(m.shape[0]) for typ, c in begins]
    if not predicted and not candidates:
        return None
    conf, a, b, typ = min(predicted) if predicted else max(candidates)
    return {"start": a, "end": b, "label": typ, "confidence": round(conf, 4)}


def check_decision(data: dict, n_tokens: int, entity_types: list[str]) -> tuple[str, int, int, str]:
    """(decision, start, end, label) of a ``POST /api/decide`` body, checked."""
    decision, start, end, label = data.get("decision"), data.get("start"), data.get("end"), data.get("label")
    if decision not in DECISIONS:
        raise MultitagError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= n_tokens):
        raise MultitagError(f"start and end must be token positions with 0 <= start < end <= {n_tokens}")
    if label not in entity_types:
        raise MultitagError(f"unknown label {label!r}; the project's labels are {', '.join(entity_types)}")
    return decision, start, end, label


def span_tags(n_tokens: int, start: int, end: int, label: str) -> list[str | None]:
    """An accepted span as an answer's tags: B-/I- over the span, the other tokens blank."""
    return [None if not start <= i < end else ("B-" if i == start else "I-") + label for i in range(n_tokens)]
