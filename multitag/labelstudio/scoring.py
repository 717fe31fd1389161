"""The current model's view of Label Studio tasks: its pre-annotation as a Label Studio
prediction (``score`` = its confidence in the labelling) and the query strategy's informativeness.

The informativeness is the project strategy's sentence score when the strategy scores sentences
from the model's marginals (lc, mnlp, bt, entropy, ...); for strategies that need more (MC
samples, hidden states, a batch-wise choice) it is ``1 - confidence``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from multitag.data.sentence import Sentence
from multitag.project.batches import confidence
from multitag.project.formats.labelstudio import regions
from multitag.project.opened import OpenedProject
from multitag.project.store import SentenceRow
from multitag.strategies import get_strategy
from multitag.strategies.base import QueryContext, ScoringStrategy


@dataclass
class Scored:
    """One sentence as the model sees it."""

    result: list[dict]            # Label Studio ``labels`` results
    confidence: float             # P(predicted tags | sentence)
    informativeness: float        # the strategy's score (higher: ask sooner)


def model_version(model_id: int | None) -> str:
    return "multitag-untrained" if model_id is None else f"multitag-model-{model_id}"


def informativeness(strategy_name: str, predictions, seed: int = 0) -> list[float]:
    """The strategy's sentence scores of ``predictions`` (see the module's docstring)."""
    strategy = get_strategy(strategy_name)
    if isinstance(strategy, ScoringStrategy) and strategy.needs <= {"marginals"}:
        n = np.array([len(p.tags) for p in predictions])
        ctx = QueryContext(lengths=n, rng=np.random.default_rng(seed), sizes=n, predictions=predictions)
        return [float(x) for x in strategy.sentence_scores(ctx)]
    return [1.0 - confidence(p) for p in predictions]


def score(p: OpenedProject, model, rows: list[SentenceRow]) -> list[Scored]:
    """The model's prediction, confidence and informativeness of each sentence."""
    if not rows:
        return []
    preds = model.predict([Sentence(r.tokens, None, r.pos) for r in rows])
    info = informativeness(p.settings.strategy, preds, p.settings.seed)
    return [Scored(regions(r.id, r.text, list(pr.tags), r.starts, r.ends, "prediction"), confidence(pr), i)
            for r, pr, i in zip(rows, preds, info)]


def prediction_json(scored: Scored | None, version: str) -> dict:
    """A Label Studio prediction (the ML backend's ``/predict`` answer for one task)."""
    if scored is None:
        return {"result": [], "score": None, "model_version": version}
    return {"result": scored.result, "score": scored.confidence, "model_version": version}
