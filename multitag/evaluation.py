"""Span-level precision / recall / F1 with seqeval in strict mode under an explicit scheme."""
from __future__ import annotations

from typing import Sequence

from multitag.data.schemes import convert, normalize_scheme
from multitag.errors import MultitagError


class Evaluator:
    """Scores predictions against fixed gold tags; the gold spans are extracted once, so scoring a
    model every AL iteration costs one pass over the predictions.

    Parameters
    ----------
    gold : sequences of gold tag sequences (no ``None``).
    scheme : their tag scheme (IOB1 is converted to IOB2 first, since seqeval's strict mode has no
        IOB1). As in seqeval's strict mode, a predicted ``I-`` that does not continue an entity is
        not a span.
    """

    def __init__(self, gold: Sequence[Sequence[str]], *, scheme: str = "IOB2"):
        from seqeval.scheme import IOB2, IOBES, Entities

        self.scheme = normalize_scheme(scheme)
        for i, g in enumerate(gold):
            if any(t is None for t in g):
                raise MultitagError(f"evaluate: sentence {i} has unannotated gold tags")
        self.lengths = [len(g) for g in gold]
        gold = [list(g) for g in gold]
        if self.scheme == "IOB1":
            gold = [convert(g, "IOB1", "IOB2") for g in gold]
        self._mode = {"IOB1": IOB2, "IOB2": IOB2, "BIOES": IOBES}[self.scheme]
        self._true = Entities(gold, self._mode, False)

    def score(self, predicted: Sequence[Sequence[str]]) -> dict:
        """Micro P/R/F1 and support (gold spans), plus ``per_type``: type -> the same four keys."""
        from seqeval.scheme import Entities

        if len(predicted) != len(self.lengths):
            raise MultitagError(f"evaluate: {len(self.lengths)} gold sentences but {len(predicted)} predicted")
        for i, (n, p) in enumerate(zip(self.lengths, predicted)):
            if n != len(p):
                raise MultitagError(f"evaluate: sentence {i} has {n} gold tags but {len(p)} predicted")
        predicted = [list(p) for p in predicted]
        if self.scheme == "IOB1":
            predicted = [convert(p, "IOB1", "IOB2") for p in predicted]
        # the same counting as seqeval.metrics.precision_recall_fscore_support (strict mode)
        pred_entities = Entities(predicted, self._mode, False)
        per_type = {}
        totals = [0, 0, 0]
        for typ in sorted(self._true.unique_tags | pred_entities.unique_tags):
            t, p = self._true.filter(typ), pred_entities.filter(typ)
            counts = (len(t & p), len(p), len(t))
            per_type[typ] = _prf(*counts)
            totals = [a + b for a, b in zip(totals, counts)]
        return {**_prf(*totals), "per_type": per_type}


def evaluate(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], *, scheme: str = "IOB2") -> dict:
    """Micro-averaged span P/R/F1 plus per-type figures, JSON-serialisable (see :class:`Evaluator`).

    Returns
    -------
    dict with ``precision``, ``recall``, ``f1``, ``support`` (gold spans) and ``per_type``
    (type -> the same four keys).
    """
    if len(gold) != len(predicted):
        raise MultitagError(f"evaluate: {len(gold)} gold sentences but {len(predicted)} predicted")
    return Evaluator(gold, scheme=scheme).score(predicted)


def _prf(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "support": n_gold}
