"""Oracles answer queries with tags: the simulation oracle reads gold labels."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

from multitag.annotation.pool import Annotation, Query
from multitag.data.schemes import spans
from multitag.data.sentence import Sentence
from multitag.errors import MultitagError


class Oracle(ABC):
    """Returns tags for queried tokens."""

    @abstractmethod
    def annotate(self, queries: Sequence[Query]) -> list[Annotation]:
        ...


class SimulationOracle(Oracle):
    """Reveals gold tags.

    Parameters
    ----------
    gold : the pool sentences with their gold tags, in pool order.
    widen_to_entities : when True (entity-level annotation), a queried token inside a gold entity
        reveals the whole entity (``York`` in ``New York`` reveals ``B-LOC I-LOC``).
    scheme : the gold tag scheme (to find entity spans).
    """

    def __init__(self, gold: Sequence[Sentence], *, widen_to_entities: bool = False, scheme: str = "IOB2"):
        self.gold = gold
        self.widen_to_entities = widen_to_entities
        self.scheme = scheme
        self._spans: dict[int, list[tuple[str, int, int]]] = {}
        self.entities_revealed = 0

    def _entity_of(self, i: int, t: int) -> tuple[int, int] | None:
        if i not in self._spans:
            self._spans[i] = spans(self.gold[i].tags, self.scheme)  # type: ignore[arg-type]
        for _, start, end in self._spans[i]:
            if start <= t < end:
                return start, end
        return None

    def annotate(self, queries: Sequence[Query]) -> list[Annotation]:
        out = []
        for q in queries:
            gold = self.gold[q.sentence].tags
            if any(t is None for t in (gold[k] for k in q.tokens)):
                raise MultitagError(f"the simulation oracle has no gold tag for sentence {q.sentence}")
            positions = set(q.tokens)
            if self.widen_to_entities:
                for t in q.tokens:
                    span = self._entity_of(q.sentence, t)
                    if span is not None:
                        positions.update(range(*span))
            toks = tuple(sorted(positions))
            out.append(Annotation(q.sentence, toks, tuple(gold[k] for k in toks)))  # type: ignore[misc]
        return out
