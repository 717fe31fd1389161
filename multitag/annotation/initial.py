"""Choosing the seed set (paper 000, section 3.3). The seed set is always whole sentences.

* ``random``: a random order of the pool;
* ``nnp``: sentences with ``count_nnp(s) >= log(len(s))`` (natural log) in random order, then the
  rest in random order (used only if the filtered ones do not fill the budget);
* ``lm``: sentences by increasing masked-LM margin (each word masked in turn; the margin between the
  two most probable predicted tokens; a sentence scores its smallest margin): the hardest first.
  Needs ``multitag-transformers`` and a local masked-LM folder.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from multitag.data.sentence import Sentence
from multitag.errors import CompatibilityError, MultitagError

INITIAL_METHODS = ("random", "nnp", "lm")
NNP_TAGS = frozenset({"NNP", "NNPS"})


def nnp_count(s: Sentence) -> int:
    return sum(p in NNP_TAGS for p in (s.pos or ()))


def passes_nnp_filter(s: Sentence) -> bool:
    """``count_nnp(s) >= log(len(s))``."""
    return len(s) > 0 and nnp_count(s) >= math.log(len(s))


def initial_order(method: str, sentences: Sequence[Sentence], rng: np.random.Generator, *,
                  lm_scorer: Callable[[Sequence[Sentence]], np.ndarray] | None = None) -> np.ndarray:
    """Pool indices in the order the seed set takes them."""
    n = len(sentences)
    if method == "random":
        return rng.permutation(n)
    if method == "nnp":
        if not all(s.pos is not None for s in sentences):
            raise CompatibilityError("initial selection 'nnp' needs POS tags, and this data has none")
        perm = rng.permutation(n)
        ok = np.array([passes_nnp_filter(sentences[i]) for i in perm], dtype=bool)
        return np.concatenate([perm[ok], perm[~ok]])
    if method == "lm":
        if lm_scorer is None:
            raise CompatibilityError("initial selection 'lm' needs a masked language model (--initial-lm PATH)")
        margins = np.asarray(lm_scorer(sentences), dtype=np.float64)
        if margins.shape != (n,):
            raise MultitagError(f"the LM scorer returned {margins.shape} scores for {n} sentences")
        tiebreak = rng.permutation(n)
        return np.lexsort((tiebreak, margins))  # smallest margin (hardest) first
    raise MultitagError(f"unknown initial selection {method!r}; use one of {', '.join(INITIAL_METHODS)}")


def lm_scorer_from_path(model_path: str) -> Callable[[Sequence[Sentence]], np.ndarray]:
    """The masked-LM margin scorer of ``multitag-transformers`` for a local model folder."""
    try:
        from multitag_transformers.mlm_scoring import mlm_margin_scores
    except ImportError:
        raise CompatibilityError("initial selection 'lm' needs multitag-transformers (pip install ./backends/transformers)") from None
    return lambda sentences: mlm_margin_scores(sentences, model_path)
