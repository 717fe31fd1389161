"""The sentences of a warm fit: it trains on the new ones and a replayed sample of the old ones,
and it may score on a fixed sample of the dev set.

A sentence is *old* when a sentence with the same fingerprint (id, tokens and tags) was given to
an earlier fit of the same model, *new* otherwise (a sentence whose tags changed, e.g. more of its
tokens annotated, is new again). With ``warm_replay=f`` a warm fit trains on every new sentence
and on ``round(f * n_old)`` old ones drawn without replacement, in their order in the training
set; the draw depends only on the seed and the number of sentences fitted before, so a model
restored from a checkpoint draws the same sample as the one that was not interrupted.

With ``warm_dev=n`` a warm fit scores its epochs (early stopping, best epoch) on ``n`` dev
sentences drawn once from the seed: on a small labeled set, decoding the whole dev set after each
epoch costs more than the epoch's training. ``dev_limit=n`` does the same for every fit (the same
draw: a sample of the same size is the same sample).
"""
from __future__ import annotations

import hashlib
import json
from typing import AbstractSet, Sequence

import numpy as np

from multitag.data.sentence import Sentence

#: Streams of the draws: ``np.random.default_rng([seed, REPLAY, n_seen])``, ``([seed, DEV])``.
REPLAY, DEV = 7, 8


def fingerprint(sentence: Sentence) -> str:
    """A short digest of the sentence's id, tokens and tags (None for a token not annotated)."""
    text = json.dumps([sentence.id, list(sentence.tokens), list(sentence.tags)], ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf8"), digest_size=12).hexdigest()


def replayed(sentences: Sequence[Sentence], seen: AbstractSet[str], fraction: float | None,
             seed: int) -> list[Sentence]:
    """The training sentences of a warm fit: every sentence whose fingerprint is not in ``seen``
    and a sample of ``fraction`` of the others (None: all of them), in their given order."""
    if fraction is None:
        return list(sentences)
    keys = [fingerprint(s) for s in sentences]
    old = [i for i, k in enumerate(keys) if k in seen]
    n = int(round(fraction * len(old)))
    rng = np.random.default_rng([seed, REPLAY, len(seen)])
    keep = set(rng.choice(old, size=n, replace=False).tolist()) if n else set()
    return [s for i, s in enumerate(sentences) if keys[i] not in seen or i in keep]


def dev_sample(dev: Sequence[Sentence], size: int | None, seed: int) -> list[Sentence]:
    """``size`` sentences of ``dev`` drawn without replacement, in their given order (None, or
    ``size`` >= the dev set: all of them)."""
    if size is None or size >= len(dev):
        return list(dev)
    rng = np.random.default_rng([seed, DEV])
    return [dev[i] for i in sorted(rng.choice(len(dev), size=size, replace=False).tolist())]


__all__ = ["fingerprint", "replayed", "dev_sample"]
