"""Validation data for early stopping in a simulation, as a typed value parsed once.

* ``dev``: the data set's dev split;
* ``none``: no validation data;
* ``25%``: a fraction of the fully annotated labeled sentences, held out from training, drawn anew
  each iteration (Shelmanov et al. 2021: 25% of the labeled data);
* ``1%-of-pool``: a fixed random sample of the pool, removed from it before the run (paper 000).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from multitag.annotation.pool import Pool
from multitag.data.sentence import Corpus, Sentence
from multitag.errors import MultitagError
from multitag.loop import VALID

CHOICES = "dev, none, a percentage of the labeled set (25%), or a percentage of the pool (1%-of-pool)"


@dataclass(frozen=True)
class Validation:
    kind: str                     # "dev" | "none" | "labeled" | "pool"
    fraction: float | None = None

    def __str__(self) -> str:
        if self.kind in ("dev", "none"):
            return self.kind
        pct = f"{self.fraction * 100:g}%"
        return pct if self.kind == "labeled" else f"{pct}-of-pool"


def parse_validation(text: str, what: str = "--valid") -> Validation:
    t = str(text).strip()
    if t in ("dev", "none"):
        return Validation(t)
    kind, number = ("pool", t[: -len("%-of-pool")]) if t.endswith("%-of-pool") else ("labeled", t[:-1] if t.endswith("%") else None)
    try:
        value = float(number) if number is not None else None
    except ValueError:
        value = None
    if value is None or not 0 < value < 100:
        raise MultitagError(f"{what} {text!r}: use {CHOICES}; a percentage must be in (0, 100)")
    return Validation(kind, value / 100)


def split_valid_from_pool(sentences: Corpus, valid: Validation, seed: int) -> tuple[Corpus, Corpus]:
    """(pool, validation) when validation is a fraction of the pool, else (all, empty); a packed
    corpus gives packed parts."""
    if valid.kind != "pool":
        return sentences, Corpus([], name="valid")
    rng = np.random.default_rng([seed, 0, VALID])
    k = max(1, int(round(len(sentences) * valid.fraction)))
    chosen = np.zeros(len(sentences), dtype=bool)
    chosen[rng.choice(len(sentences), size=k, replace=False)] = True
    return sentences.subset(np.flatnonzero(~chosen)), sentences.subset(np.flatnonzero(chosen))


def validation_for(valid: Validation, *, iteration: int, seed: int, pool: Pool, gold: Sequence[Sentence],
                   dev: Corpus | None, pool_sample: Sequence[Sentence]) -> tuple[Corpus | None, Callable[[Corpus], Corpus]]:
    """The validation corpus of one iteration and a filter removing it from the training corpus."""
    if valid.kind == "none":
        return None, lambda c: c
    if valid.kind == "dev":
        return dev, lambda c: c
    if valid.kind == "pool":
        return Corpus(pool_sample, name="valid"), lambda c: c
    counts = pool.revealed_counts()
    full = [i for i in pool.touched() if counts[i] == pool.lengths[i]]
    rng = np.random.default_rng([seed, iteration, VALID])
    k = int(round(len(full) * valid.fraction))
    if k == 0 or len(full) - k < 1:
        return None, lambda c: c
    held = set(rng.choice(full, size=k, replace=False).tolist())
    corpus = Corpus([gold[i] for i in sorted(held)], name="valid")
    held_ids = {pool.sentences[i].id for i in held}
    return corpus, lambda c: Corpus([s for s in c if s.id not in held_ids], name=c.name)
