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
        has no IOB1).

    Returns
    -------
    dict with ``precision``, ``recall``, ``f1``, ``support`` (gold spans) and ``per_type``
    (type -> the same four keys).
    """
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
    from seqeval.scheme import IOB2, IOBES

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
    if scheme == "IOB2":
        # strict mode rejects an I- that does not continue an entity; repair predictions the way
        # a decoder would be read (an orphan I- starts a new span), gold must already be valid.
        predicted = [convert(p, "IOB1", "IOB2") for p in predicted]
    mode = {"IOB2": IOB2, "BIOES": IOBES}[scheme]
    kw = dict(mode="strict", scheme=mode, zero_division=0)
    report = classification_report(gold, predicted, output_dict=True, **kw)
    per_type = {
        typ: {"precision": float(v["precision"]), "recall": float(v["recall"]), "f1": float(v["f1-score"]),
              "support": int(v["support"])}
        for typ, v in report.items() if not typ.endswith("avg")
    }
    return {
        "precision": float(precision_score(gold, predicted, **kw)),
        "recall": float(recall_score(gold, predicted, **kw)),
        "f1": float(f1_score(gold, predicted, **kw)),
        "support": int(sum(v["support"] for v in per_type.values())),
        "per_type": per_type,
    }
