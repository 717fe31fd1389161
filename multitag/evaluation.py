"""Span-level precision / recall / F1, identical to seqeval in strict mode under an explicit scheme
(spans from :mod:`multitag.data.entity_spans`, the one span function of multitag)."""
from __future__ import annotations

from collections import Counter
from typing import Sequence

from multitag.data.entity_spans import strict_bioes_spans, strict_iob2_spans
from multitag.data.schemes import convert, normalize_scheme
from multitag.errors import MultitagError


class Evaluator:
    """Scores predictions against fixed gold tags with seqeval's strict-mode span extraction.

    The gold spans are extracted once, so scoring a model every AL iteration costs one pass over the
    predictions, and only over the sentences whose predicted tags differ from the gold ones (a
    sentence predicted exactly has exactly the gold spans). The counts are those of
    ``seqeval.metrics.precision_recall_fscore_support(mode="strict")``.

    Parameters
    ----------
    gold : sequences of gold tag sequences (no ``None``).
    scheme : their tag scheme (IOB1 is converted to IOB2 first, since seqeval's strict mode has no
        IOB1). As in seqeval's strict mode, a predicted ``I-`` that does not continue an entity is
        not a span.
    """

    def __init__(self, gold: Sequence[Sequence[str]], *, scheme: str = "IOB2"):
        self.scheme = normalize_scheme(scheme)
        for i, g in enumerate(gold):
            if any(t is None for t in g):
                raise MultitagError(f"evaluate: sentence {i} has unannotated gold tags")
        self._bioes = self.scheme == "BIOES"
        self._gold = [tuple(self._in_scheme(g)) for g in gold]
        self._gold_spans = [self._spans(g) for g in self._gold]
        self._true = Counter(t for spans in self._gold_spans for t, _, _ in spans)

    def _in_scheme(self, tags: Sequence[str]) -> list[str]:
        return convert(tags, "IOB1", "IOB2") if self.scheme == "IOB1" else list(tags)

    def _spans(self, tags: Sequence[str]) -> set[tuple[str, int, int]]:
        return strict_bioes_spans(tags) if self._bioes else strict_iob2_spans(tags)

    def score(self, predicted: Sequence[Sequence[str]]) -> dict:
        """Micro P/R/F1 and support (gold spans), plus ``per_type``: type -> the same four keys."""
        if len(predicted) != len(self._gold):
            raise MultitagError(f"evaluate: {len(self._gold)} gold sentences but {len(predicted)} predicted")
        tp: Counter = Counter()
        n_pred: Counter = Counter()
        for i, (g, p) in enumerate(zip(self._gold, predicted)):
            if len(g) != len(p):
                raise MultitagError(f"evaluate: sentence {i} has {len(g)} gold tags but {len(p)} predicted")
            gs = self._gold_spans[i]
            if tuple(p) == g:
                hits = ps = gs
            else:
                ps = self._spans(self._in_scheme(p))
                hits = ps & gs
            tp.update(t for t, _, _ in hits)
            n_pred.update(t for t, _, _ in ps)
        per_type = {t: _prf(tp[t], n_pred[t], self._true[t]) for t in sorted(set(self._true) | set(n_pred))}
        return {**_prf(sum(tp.values()), sum(n_pred.values()), sum(self._true.values())), "per_type": per_type}


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
