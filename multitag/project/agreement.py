"""Agreement between annotators who answered the same sentences (the overlap of ``multitag serve
--overlap``): span-level F1 between the two (symmetric) and Cohen's kappa on their token tags, per
annotator pair."""
from __future__ import annotations

import itertools
from collections import Counter
from typing import Sequence

from multitag.data.entity_spans import entity_spans


def _spans(tags: Sequence[str | None]) -> set[tuple[str, int, int]]:
    return set(entity_spans([t if t is not None else "O" for t in tags], "IOB2"))


def span_f1(pairs: list[tuple[Sequence, Sequence]]) -> float:
    """Span-level F1 of one annotator's entities against the other's, over sentence pairs (1.0 when
    neither marks any entity)."""
    both = a_n = b_n = 0
    for a, b in pairs:
        sa, sb = _spans(a), _spans(b)
        both += len(sa & sb)
        a_n += len(sa)
        b_n += len(sb)
    return 1.0 if a_n + b_n == 0 else 2 * both / (a_n + b_n)


def cohen_kappa(pairs: list[tuple[Sequence, Sequence]]) -> float | None:
    """Cohen's kappa on the token tags both annotated (None when there is no such token)."""
    tokens = [(x, y) for a, b in pairs for x, y in zip(a, b) if x is not None and y is not None]
    if not tokens:
        return None
    n = len(tokens)
    observed = sum(x == y for x, y in tokens) / n
    ca, cb = Counter(x for x, _ in tokens), Counter(y for _, y in tokens)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def agreement(answers: list[tuple[int, str, list]]) -> list[dict]:
    """Per annotator pair that answered at least one sentence in common: the sentences, span F1 and
    Cohen's kappa. ``answers``: (sentence id, annotator, tags), one per annotator and sentence."""
    by_sentence: dict[int, dict[str, list]] = {}
    for sid, who, tags in answers:
        by_sentence.setdefault(sid, {})[who] = tags
    pairs: dict[tuple[str, str], list] = {}
    for sid, answered in sorted(by_sentence.items()):
        for a, b in itertools.combinations(sorted(answered), 2):
            pairs.setdefault((a, b), []).append((answered[a], answered[b]))
    out = []
    for (a, b), got in sorted(pairs.items()):
        kappa = cohen_kappa(got)
        out.append({"annotators": [a, b], "sentences": len(got), "span_f1": round(span_f1(got), 4),
                    "kappa": None if kappa is None else round(kappa, 4)})
    return out
