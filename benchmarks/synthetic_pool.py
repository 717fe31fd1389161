"""Synthetic pools of any size from CoNLL-2003's training sentences, for scale benchmarks.

``synthetic_pool(n, source)`` resamples the source sentences with replacement and perturbs tokens
(about one in four gets a numbered suffix, ``Paris`` -> ``Paris7301``), so that a million-sentence
pool is not a few thousand sentences repeated: features differ, a feature cache cannot hold it by
holding the source, and the word vocabulary grows with the pool as a real corpus's does. Sentence ids
are ``pool:0 .. pool:n-1``; POS tags are kept, gold tags dropped (a pool holds text).
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from multitag.data.sentence import Sentence


def synthetic_sentences(n: int, source: Sequence[Sentence], *, seed: int = 0, perturb: float = 0.25) -> Iterator[Sentence]:
    """``n`` pool sentences drawn from ``source`` (see the module docstring), made one at a time."""
    rng = np.random.default_rng(seed)
    block = 65536
    for a in range(0, n, block):
        m = min(block, n - a)
        picks = rng.integers(0, len(source), size=m)
        for k, j in enumerate(picks.tolist()):
            s = source[j]
            marks = rng.random(len(s)) < perturb
            suffixes = rng.integers(0, 10_000, size=len(s))
            tokens = tuple(f"{t}{suffixes[i]}" if marks[i] else t for i, t in enumerate(s.tokens))
            yield Sentence(tokens, None, s.pos, id=f"pool:{a + k}")


def synthetic_pool(n: int, source: Sequence[Sentence], *, seed: int = 0, perturb: float = 0.25) -> list[Sentence]:
    """The ``n`` sentences of :func:`synthetic_sentences` as a list."""
    return list(synthetic_sentences(n, source, seed=seed, perturb=perturb))
