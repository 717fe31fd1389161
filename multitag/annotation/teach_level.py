"""The ``teach`` annotation level: a query is one entity the model suggests, and the answer accepts
or rejects it (the accept/reject mode of ``multitag serve ?mode=teach``, as a simulation level).

* Suggestions: the entity spans of the model's best paths (``ctx.predictions``) in the candidate
  sentences that touch no revealed token and were not rejected before; a span's score is the
  largest token score of the strategy over its tokens; most informative first (ties broken with
  the round's generator). The strategy must score single tokens and need the model's
  predictions (``marginals``).
* Answers: an accepted suggestion reveals its tokens with their tags (an entity-level answer); a
  rejected one reveals nothing and is stored in the pool (:class:`~multitag.annotation.pool.Rejection`,
  :meth:`~multitag.annotation.pool.Pool.reject`), which passes it to training as the sentence's
  ``rejected`` spans; backends that learn from rejections exclude that type at those tokens.
  The gold oracle accepts when gold has exactly that entity (type and span), see :func:`judge`.
* Budget: every suggestion costs its tokens, accepted or not.
* Accounting: one decision per suggestion; tokens read are the suggested span plus
  :data:`~multitag.annotation.cost.CONTEXT_WINDOW` tokens either side; entities are the accepted ones.
* Records: ``selected_tokens`` lists the accepted spans, ``rejected`` ``[id, start, end, type]``
  per rejection; :meth:`TeachLevel.replay` rebuilds both.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from multitag.annotation.cost import CONTEXT_WINDOW
from multitag.annotation.levels import AnnotationLevel, Effort, TokenLevel, _by_sentence
from multitag.annotation.pool import Annotation, Pool, Query, Rejection
from multitag.data.allowed import label_type
from multitag.data.entity_spans import entity_spans
from multitag.strategies.base import QueryContext, Strategy, rank_descending

__all__ = ["Suggestion", "TeachLevel", "judge", "predicted_spans"]


@dataclass(frozen=True)
class Suggestion(Query):
    """A query of the teach level: is ``tokens`` (a contiguous span) an entity of ``entity_type``?"""

    entity_type: str = ""

    @property
    def span(self) -> tuple[int, int]:
        return self.tokens[0], self.tokens[-1] + 1


def predicted_spans(tags: Sequence[str | None]) -> list[tuple[str, int, int]]:
    """Entity spans ``(type, start, end)`` of predicted tags read leniently in any scheme: an entity
    starts at ``B-``/``S-`` or at an ``I-``/``E-`` that does not continue one of its type, and
    ends at ``O``, at ``E-``/``S-`` or where the next tag does not continue it."""
    spans: list[tuple[str, int, int]] = []
    cur: list | None = None   # [type, start]
    for t, tag in enumerate(list(tags) + ["O"]):
        typ = label_type(tag) if tag else None
        prefix = tag[:2] if tag and typ is not None else ""
        continues = cur is not None and typ == cur[0] and prefix in ("I-", "E-")
        if cur is not None and not continues:
            spans.append((cur[0], cur[1], t))
            cur = None
        if typ is not None and cur is None:
            cur = [typ, t]
        if cur is not None and prefix in ("E-", "S-"):
            spans.append((cur[0], cur[1], t + 1))
            cur = None
    return spans


def judge(query: Suggestion, gold: Sequence[str], scheme: str = "IOB2") -> Annotation:
    """The gold oracle's answer: accept (the span's gold tags) when gold has exactly this entity,
    else a :class:`Rejection`."""
    start, end = query.span
    if (query.entity_type, start, end) in set(entity_spans(gold, scheme)):
        return Annotation(query.sentence, tuple(query.tokens), tuple(gold[k] for k in query.tokens),
                          asked=tuple(query.tokens), unit=query.unit)
    return rejection(query.sentence, start, end, query.entity_type, query.unit)


def rejection(sentence: int, start: int, end: int, entity_type: str, unit: str = "teach") -> Rejection:
    return Rejection(int(sentence), (), (), asked=tuple(range(start, end)), unit=unit,
                     span=(int(start), int(end)), entity_type=entity_type)


class TeachLevel(AnnotationLevel):
    name = "teach"
    token_level = True
    plans_from_scores = False   # the suggestions are the predictions' entities
    asks_for = "whether the marked words are one entity of the suggested type (accept or reject)"

    def refusal(self, strategy: Strategy) -> str | None:
        problem = super().refusal(strategy)
        if problem is None and not strategy.needs & {"marginals", "hidden"}:
            return (f"teach-level annotation suggests the model's predicted entities and needs a strategy "
                    f"that asks for its predictions (entropy, tlc, bt), not {strategy.name!r}")
        return problem

    def candidates(self, pool: Pool) -> np.ndarray:
        return pool.incomplete()

    def suggestions(self, strategy: Strategy, ctx: QueryContext, cand: np.ndarray, pool: Pool) -> list[Suggestion]:
        """Every new predicted entity of the candidates, most informative first."""
        scores, offsets = strategy.token_scores(ctx)
        found: list[Suggestion] = []
        for k, i in enumerate(cand.tolist()):
            revealed = pool.revealed_at[i] >= 0
            rejected = set(pool.rejections(i))
            for typ, start, end in predicted_spans(ctx.predictions[k].tags):
                if revealed[start:end].any() or (start, end, typ) in rejected:
                    continue
                score = float(np.max(scores[offsets[k] + start: offsets[k] + end]))
                found.append(Suggestion(int(i), tuple(range(start, end)), self.name, score, entity_type=typ))
        order = rank_descending(np.array([q.score for q in found], dtype=np.float64), ctx.rng)
        return [found[j] for j in order.tolist()]

    def plan(self, strategy, ctx, cand, pool, budget, annotate):
        queries: list[Query] = []
        spent = 0
        for q in self.suggestions(strategy, ctx, cand, pool):
            if spent >= budget:
                break
            queries.append(q)
            spent += len(q.tokens)
        return queries, ([annotate(q) for q in queries] if annotate is not None else [])

    def record_fields(self, pool: Pool, answers: Sequence[Annotation]) -> dict[str, Any]:
        """``selected`` (sentence ids, first answered first), ``selected_tokens`` (``[id, span]`` per
        accepted suggestion), ``queried_tokens`` (``[id, tokens suggested]`` per sentence) and
        ``rejected`` (``[id, start, end, type]`` per rejection), in answer order."""
        fields = super().record_fields(pool, [a for a in answers if not isinstance(a, Rejection)])
        fields["selected"] = list(dict.fromkeys(pool.sentences[a.sentence].id for a in answers))
        asked: dict[int, set[int]] = {}
        for a in answers:
            asked.setdefault(a.sentence, set()).update(a.asked_tokens)
        fields["queried_tokens"] = [[pool.sentences[i].id, sorted(t)] for i, t in asked.items()]
        fields["rejected"] = [[pool.sentences[a.sentence].id, *a.span, a.entity_type]
                              for a in answers if isinstance(a, Rejection)]
        return fields

    def replay(self, pool, answer, fields: Mapping[str, Any]) -> list[Annotation]:
        idx = pool.index
        answers: list[Annotation] = []
        for sid, toks in fields.get("selected_tokens") or []:
            ans = answer(Query(idx[sid], tuple(toks), TokenLevel.name))
            answers.append(Annotation(ans.sentence, ans.tokens, ans.tags, tuple(toks), self.name))
        answers += [rejection(idx[sid], start, end, typ, self.name) for sid, start, end, typ in fields.get("rejected") or []]
        return answers

    def effort(self, pool, answers, scheme):
        e = Effort()
        for i, group in _by_sentence(answers).items():
            n = int(pool.lengths[i])
            window: set[int] = set()
            for a in group:
                for t in a.asked_tokens:
                    window.update(range(max(0, t - CONTEXT_WINDOW), min(n, t + CONTEXT_WINDOW + 1)))
            e.entities += sum(1 for a in group if not isinstance(a, Rejection))
            e.tokens_read += len(window)
            e.labels += len(group)        # one accept / reject decision per suggestion
        return e
