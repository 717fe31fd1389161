"""Choosing the seed set (paper 000, section 3.3). The seed set is always whole sentences.

Seed-set selections are plugins of the entry-point group ``multitag.initial`` (the built-in
``random`` and ``nnp`` are registered in multitag's ``setup.cfg``; ``lm`` by multitag-transformers):

* ``random``: a random order of the pool;
* ``nnp``: sentences with ``count_nnp(s) >= log(len(s))`` (natural log) in random order, then the
  rest in random order (used only if the filtered ones do not fill the budget);
* ``lm`` (multitag-transformers): sentences by increasing masked-LM margin (each word masked in
  turn; the margin between the two most probable predicted tokens; a sentence scores its smallest
  margin): the hardest first. Needs a local masked-LM folder (``--initial-lm PATH``).

A selection subclasses :class:`InitialSelection` and returns pool indices in the order the seed set
takes them; :func:`order_by_score` turns per-sentence scores into that order.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import ClassVar, Sequence

import numpy as np

from multitag.data.sentence import Sentence
from multitag.errors import CompatibilityError, MultitagError

NNP_TAGS = frozenset({"NNP", "NNPS"})


def nnp_count(s: Sentence) -> int:
    return sum(p in NNP_TAGS for p in (s.pos or ()))


def passes_nnp_filter(s: Sentence) -> bool:
    """``count_nnp(s) >= log(len(s))``."""
    return len(s) > 0 and nnp_count(s) >= math.log(len(s))


def order_by_score(scores: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices by increasing score (the smallest first), ties broken by a permutation from ``rng``."""
    scores = np.asarray(scores, dtype=np.float64)
    tiebreak = rng.permutation(len(scores))
    return np.lexsort((tiebreak, scores))


class InitialSelection(ABC):
    """How the seed set is chosen.

    Class attributes
    ----------------
    name : str
    needs_pos : bool
        Needs POS tags on the pool sentences.
    needs_model : bool
        Needs a local model folder (``model``).
    """

    name: ClassVar[str]
    needs_pos: ClassVar[bool] = False
    needs_model: ClassVar[bool] = False

    def __init__(self, model: str | None = None):
        self.model = model

    def check(self) -> None:
        """Raise a :class:`MultitagError` when this selection cannot run (before anything is done)."""
        if self.needs_model and not self.model:
            raise CompatibilityError(f"initial selection {self.name!r} needs a model folder (--initial-lm PATH)")

    @abstractmethod
    def order(self, sentences: Sequence[Sentence], rng: np.random.Generator) -> np.ndarray:
        """Pool indices (m,) in the order the seed set takes them (a permutation of range(m))."""


class RandomInitial(InitialSelection):
    name = "random"

    def order(self, sentences: Sequence[Sentence], rng: np.random.Generator) -> np.ndarray:
        return rng.permutation(len(sentences))


class NNPInitial(InitialSelection):
    name = "nnp"
    needs_pos = True

    def order(self, sentences: Sequence[Sentence], rng: np.random.Generator) -> np.ndarray:
        if not all(s.pos is not None for s in sentences):
            raise CompatibilityError("initial selection 'nnp' needs POS tags, and this data has none")
        perm = rng.permutation(len(sentences))
        ok = np.array([passes_nnp_filter(sentences[i]) for i in perm], dtype=bool)
        return np.concatenate([perm[ok], perm[~ok]])


def initial_selection_class(name: str) -> type[InitialSelection]:
    from multitag import registry

    cls = registry.initial_selections.load(name)
    if not (isinstance(cls, type) and issubclass(cls, InitialSelection)):
        raise MultitagError(f"initial selection {name!r} points to {cls!r}, which is not an InitialSelection subclass")
    return cls


def get_initial_selection(name: str, *, model: str | None = None) -> InitialSelection:
    """The seed-set selection registered as ``name`` (``model``: its model folder, if it needs one)."""
    cls = initial_selection_class(name)
    return cls(model=model) if cls.needs_model else cls()
