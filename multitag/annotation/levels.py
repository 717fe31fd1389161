"""Annotation levels: what a query asks for, how strategy scores become queries within a token
budget, and what an answer adds to the accounting (paper 000, section 3.2).

* ``sentence``: a query is a whole untouched sentence; the strategy ranks sentences.
* ``entity``: a query is one token; the answer covers the token and, when it lies in an entity,
  the whole entity (an annotator who is shown ``York`` labels ``New York``).
* ``token``: a query is one token; the answer covers that token alone.

Budgets are counted in annotated tokens. A sentence that overshoots the budget is still taken
whole. When answers come back one at a time (a gold oracle, or an annotator working inside the
loop), the sub-sentence levels count the tokens each answer revealed, so an entity that widens
counts whole and a token already revealed this round by a wider answer is not asked again; when
a whole batch is written out before anyone answers, they count the tokens asked.

Accounting (estimated annotation seconds, see :mod:`multitag.annotation.cost`): entity spans are
counted with :func:`multitag.data.entity_spans.entity_spans` over each answer's tags (the one span
function of multitag); tokens read are the whole sentence at sentence level and the revealed tokens
plus a window of :data:`~multitag.annotation.cost.CONTEXT_WINDOW` tokens either side at the
sub-sentence levels; decisions are one per entity span plus, at sub-sentence levels, one per asked
token labelled ``O`` and, at token level, one per asked inside token labelled without its entity.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, ClassVar, Sequence

import numpy as np

from multitag.annotation.cost import CONTEXT_WINDOW
from multitag.annotation.pool import Annotation, Pool, Query
from multitag.data.entity_spans import entity_spans
from multitag.errors import MultitagError
from multitag.strategies.base import QueryContext, Strategy, rank_descending

Annotate = Callable[[Query], Annotation]


@dataclass
class Effort:
    """What a group of answers cost: entity spans annotated, tokens read, decisions taken."""

    entities: int = 0
    tokens_read: int = 0
    labels: int = 0


def _layout(pool: Pool, i: int, answers: Sequence[Annotation]) -> list[str | None]:
    """The tags the answers give sentence ``i`` (``None`` where they say nothing)."""
    tags: list[str | None] = [None] * int(pool.lengths[i])
    for a in answers:
        for t, tag in zip(a.tokens, a.tags):
            tags[t] = tag
    return tags


def _by_sentence(answers: Sequence[Annotation]) -> dict[int, list[Annotation]]:
    groups: dict[int, list[Annotation]] = defaultdict(list)
    for a in answers:
        groups[a.sentence].append(a)
    return groups


class AnnotationLevel(ABC):
    """One annotation level. ``name`` is its registered name; ``token_level`` whether its strategy
    must score single tokens."""

    name: ClassVar[str]
    token_level: ClassVar[bool] = False

    def refusal(self, strategy: Strategy) -> str | None:
        """Why ``strategy`` cannot query at this level (``None`` if it can)."""
        if self.token_level and not strategy.token_level:
            from multitag.strategies import token_level_names

            return (f"{self.name}-level annotation needs a strategy that scores single tokens "
                    f"({', '.join(token_level_names())}), not {strategy.name!r}")
        return None

    @abstractmethod
    def candidates(self, pool: Pool) -> np.ndarray:
        """Pool indices of the sentences that can still be queried."""

    @abstractmethod
    def plan(self, strategy: Strategy, ctx: QueryContext, cand: np.ndarray, pool: Pool, budget: int,
             annotate: Annotate | None) -> tuple[list[Query], list[Annotation]]:
        """Queries (and, with ``annotate``, their answers) costing at least ``budget`` tokens.

        ``ctx`` describes the candidates ``cand`` (pool indices) in that order.
        """

    @abstractmethod
    def effort(self, pool: Pool, answers: Sequence[Annotation], scheme: str) -> Effort:
        """The entities, tokens read and decisions of answers to queries of this level (one round)."""


class SentenceLevel(AnnotationLevel):
    name = "sentence"

    def candidates(self, pool: Pool) -> np.ndarray:
        return pool.untouched()

    def plan(self, strategy, ctx, cand, pool, budget, annotate):
        picks, scores = strategy.choose(ctx, budget)
        if len(set(picks)) != len(picks):
            raise MultitagError(f"strategy {strategy.name!r} picked a sentence twice")
        queries = [Query(int(cand[k]), tuple(range(int(pool.lengths[cand[k]]))), "sentence",
                         None if scores is None else float(scores[k])) for k in picks]
        return queries, ([annotate(q) for q in queries] if annotate is not None else [])

    def effort(self, pool, answers, scheme):
        e = Effort()
        for i, group in _by_sentence(answers).items():
            spans = len(entity_spans(_layout(pool, i, group), scheme))
            e.entities += spans
            e.tokens_read += int(pool.lengths[i])
            e.labels += spans          # the annotator marks entities; O tokens cost no decision
        return e


class _SubSentenceLevel(AnnotationLevel):
    token_level = True

    def candidates(self, pool: Pool) -> np.ndarray:
        return pool.incomplete()

    def _is_decision(self, tag: str) -> bool:
        """Whether labelling an asked token ``tag`` is a decision of its own (beyond entity spans)."""
        return tag == "O"

    def ranked(self, strategy: Strategy, ctx: QueryContext, cand: np.ndarray, pool: Pool) -> list[Query]:
        """Every unrevealed token of the candidates as a one-token query, most informative first."""
        scores, offsets = strategy.token_scores(ctx)
        revealed = np.concatenate([pool.revealed_at[i] >= 0 for i in cand]) if len(cand) else np.zeros(0, bool)
        if scores.shape != revealed.shape:
            raise MultitagError(f"strategy {strategy.name!r} scored {scores.shape[0]} tokens; the candidates have {revealed.shape[0]}")
        scores = np.where(revealed, -np.inf, scores)
        order = rank_descending(scores, ctx.rng)[: int((~revealed).sum())]  # revealed (-inf) sort last
        sent_of = np.searchsorted(offsets, order, side="right") - 1
        return [Query(int(cand[k]), (int(flat - offsets[k]),), self.name, float(scores[flat]))
                for flat, k in zip(order.tolist(), sent_of.tolist())]

    def plan(self, strategy, ctx, cand, pool, budget, annotate):
        queries: list[Query] = []
        answers: list[Annotation] = []
        spent = 0
        if annotate is None:  # a batch written out before anyone answers: count the tokens asked
            for q in self.ranked(strategy, ctx, cand, pool):
                if spent >= budget:
                    break
                queries.append(q)
                spent += len(q.tokens)
            return queries, answers
        revealed_now: dict[int, set[int]] = defaultdict(set)
        for q in self.ranked(strategy, ctx, cand, pool):
            seen = revealed_now[q.sentence]
            if q.tokens[0] in seen:
                continue  # already revealed this round by a wider answer
            ans = annotate(q)
            spent += sum(1 for k in ans.tokens if k not in seen)
            seen.update(ans.tokens)
            queries.append(q)
            answers.append(ans)
            if spent >= budget:
                break
        return queries, answers

    def effort(self, pool, answers, scheme):
        e = Effort()
        for i, group in _by_sentence(answers).items():
            tags = _layout(pool, i, group)
            spans = len(entity_spans(tags, scheme))
            n = len(tags)
            window: set[int] = set()
            for a in group:
                for t in a.tokens:
                    window.update(range(max(0, t - CONTEXT_WINDOW), min(n, t + CONTEXT_WINDOW + 1)))
            asked = {t for a in group for t in a.asked_tokens}
            e.entities += spans
            e.tokens_read += len(window)
            e.labels += spans + sum(1 for t in asked if tags[t] is not None and self._is_decision(tags[t]))
        return e


class EntityLevel(_SubSentenceLevel):
    name = "entity"


class TokenLevel(_SubSentenceLevel):
    name = "token"

    def _is_decision(self, tag: str) -> bool:
        # an inside token labelled on its own is a decision too: its entity is not annotated with it
        return tag == "O" or tag[:2] in ("I-", "E-")


LEVELS: dict[str, AnnotationLevel] = {lv.name: lv for lv in (SentenceLevel(), EntityLevel(), TokenLevel())}


def get_level(name: str) -> AnnotationLevel:
    try:
        return LEVELS[name]
    except (KeyError, TypeError):
        raise MultitagError(f"unknown annotation level {name!r}; use one of {', '.join(LEVELS)}") from None
