"""Successors of a mismatch run: when they are trained, and what they train on.

* :func:`successors_due`: with ``--successor-every K`` successors are trained and evaluated at
  iterations 0, K, 2K, ... and at the last one (the acquisition model at every iteration), so a
  costly successor does not dominate a run.
* :func:`pseudo_labelled`: with ``--successor-pseudo-labels FRACTION`` (PLASM, Tsvigun et al. 2022)
  each successor trains on the annotated set plus the acquisition model's own predictions for the
  most confident FRACTION of the unannotated pool; confidence is the model's sequence probability
  normalised by length, ``log P(best path) / n`` (the negative of the MNLP score).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from multitag.annotation.pool import Pool
from multitag.backend import Tagger
from multitag.data.sentence import Sentence


def successors_due(iteration: int, *, last: int, every: int) -> bool:
    """Whether successors are trained and evaluated at ``iteration`` (of ``0..last``)."""
    return iteration % every == 0 or iteration == last


@dataclass
class PseudoLabels:
    """The pseudo-labelled sentences of one iteration, in pool order, and the pool indices they came
    from with their confidences (for records and tests)."""

    sentences: list[Sentence] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)
    confidences: list[float] = field(default_factory=list)


def most_confident(confidence: np.ndarray, fraction: float) -> np.ndarray:
    """Positions of the ``ceil(fraction * N)`` highest confidences, in ascending position order
    (ties broken by position: the earlier sentence wins)."""
    n = len(confidence)
    k = min(n, int(np.ceil(fraction * n - 1e-9)))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.arange(n), -confidence))   # highest confidence first, then position
    return np.sort(order[:k])


def pseudo_labelled(model: Tagger, pool: Pool, fraction: float) -> PseudoLabels:
    """The acquisition model's predictions for the most confident ``fraction`` of the pool's
    untouched sentences (those nobody has annotated a token of), as fully tagged sentences."""
    untouched = pool.untouched()
    if fraction <= 0 or len(untouched) == 0:
        return PseudoLabels()
    text = [pool.sentences[i] for i in untouched]
    preds = model.predict(text)
    lengths = np.array([max(len(p.tags), 1) for p in preds], dtype=np.float64)
    confidence = np.array([p.logprob for p in preds], dtype=np.float64) / lengths
    chosen = most_confident(confidence, fraction)
    return PseudoLabels(sentences=[text[j].with_tags(preds[j].tags) for j in chosen],
                        indices=[int(untouched[j]) for j in chosen],
                        confidences=[float(confidence[j]) for j in chosen])
