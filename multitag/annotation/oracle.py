"""Oracles answer queries with tags: the simulation oracle reads gold labels."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

from multitag.annotation.levels import get_level, widen_to_entities
from multitag.annotation.pool import Annotation, Query
from multitag.annotation.teach_level import Suggestion, judge
from multitag.data.sentence import Sentence
from multitag.errors import MultitagError


class Oracle(ABC):
    """Returns tags for queried tokens."""

    @abstractmethod
    def answer(self, query: Query) -> Annotation:
        """The annotation of one query (it may cover more tokens than asked, e.g. a whole entity)."""

    def annotate(self, queries: Sequence[Query]) -> list[Annotation]:
        return [self.answer(q) for q in queries]


class SimulationOracle(Oracle):
    """Reveals gold tags.

    Parameters
    ----------
    gold : the pool sentences with their gold tags, in pool order.
    widen_to_entities : when True, every queried token inside a gold entity reveals the whole entity
        (``York`` in ``New York`` reveals ``B-LOC I-LOC``); otherwise the query's level says which
        tokens an answer covers (:meth:`~multitag.annotation.levels.AnnotationLevel.covers`: the
        ``entity`` level always widens).
    scheme : the gold tag scheme (to find entity spans).

    A suggested entity (a :class:`~multitag.annotation.teach_level.Suggestion`, teach level) is
    accepted when gold has exactly that entity and rejected otherwise
    (:func:`~multitag.annotation.teach_level.judge`).
    """

    def __init__(self, gold: Sequence[Sentence], *, widen_to_entities: bool = False, scheme: str = "IOB2"):
        self.gold = gold
        self.widen_to_entities = widen_to_entities
        self.scheme = scheme

    def answer(self, query: Query) -> Annotation:
        gold = self.gold[query.sentence].tags
        if any(gold[k] is None for k in query.tokens):
            raise MultitagError(f"the simulation oracle has no gold tag for sentence {query.sentence}")
        if isinstance(query, Suggestion):
            return judge(query, gold, self.scheme)  # type: ignore[arg-type]
        if self.widen_to_entities:
            toks = widen_to_entities(query.tokens, gold, self.scheme)
        else:
            toks = get_level(query.unit).covers(query.tokens, gold, self.scheme)
        return Annotation(query.sentence, toks, tuple(gold[k] for k in toks),  # type: ignore[misc]
                          asked=tuple(query.tokens), unit=query.unit)
