"""Span-level precision / recall / F1 with seqeval in strict mode under an explicit scheme."""
from __future__ import annotations

from typing import Sequence

from multitag.data.schemes import convert, normalize_scheme
from multitag.errors import MultitagError


def evaluate(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], *, scheme: str = "IOB2") -> dict:
    """Micro-averaged span P/R/F1 plus per-type figures, JSON-serialisable.

    Parameters
    ----------
    gold, predicted : sequences of tag sequences, aligned sentence by sentence and token by token.
    scheme : the tag scheme of both (IOB1 is converted to IOB2 first, since seqeval's strict mode
        has no IOB1). As in seqeval's strict mode, a predicted ``I-`` that does not continue an
        entity is not a span.

    Returns
    -------
    dict with ``precision``, ``recall``, ``f1``, ``support`` (gold spans) and ``per_type``
    (type -> the same four keys).
    """
    from seqeval.scheme import IOB2, IOBES, Entities

    scheme = normalize_scheme(scheme)
    if len(gold) != len(predicted):
        raise MultitagError(f"evaluate: {len(gold)} gold sentences but {len(predicted)} predicted")
    for i, (g, p) in enumerate(zip(gold, predicted)):
        if len(g) != len(p):
            raise MultitagError(f"evaluate: sentence {i} has {len(g)} gold tags but {len(p)} predicted")
        if any(t is None for t in g):
            raise MultitagError(f"evaluate: sentence {i} has unannotated gold tags")
    gold = [list(g) for g in gold]
    predicted = [list(p) for p in predicted]
    if scheme == "IOB1":
        gold = [convert(g, "IOB1", "IOB2") for g in gold]
        predicted = [convert(p, "IOB1", "IOB2") for p in predicted]
        scheme = "IOB2"
    mode = {"IOB2": IOB2, "BIOES": IOBES}[scheme]
    # seqeval's strict span extraction, once for each side; every figure follows from its counts
    # (the same counting as seqeval.metrics.precision_recall_fscore_support, without repeating it
    # for each metric)
    true_entities = Entities(gold, mode, False)
    pred_entities = Entities(predicted, mode, False)
    per_type = {}
    totals = [0, 0, 0]
    for typ in sorted(true_entities.unique_tags | pred_entities.unique_tags):
        t, p = true_entities.filter(typ), pred_entities.filter(typ)
        counts = (len(t & p), len(p), len(t))
        per_type[typ] = _prf(*counts)
        totals = [a + b for a, b in zip(totals, counts)]
    return {**_prf(*totals), "per_type": per_type}


def _prf(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "support": n_gold}
