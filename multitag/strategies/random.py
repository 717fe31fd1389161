"""Random sampling: the baseline with no active learning at all."""
from __future__ import annotations

import numpy as np

from multitag.strategies.base import QueryContext, Strategy, take_until_budget


class RandomSampling(Strategy):
    name = "random"
    needs = frozenset()
    token_level = True

    def select(self, ctx: QueryContext, budget: int) -> list[int]:
        return take_until_budget(ctx.rng.permutation(ctx.n), ctx.lengths, budget)

    def token_scores(self, ctx: QueryContext):
        """Random token scores (for entity/token-level annotation): uniform draws from ``ctx.rng``."""
        sizes = ctx.token_counts
        offsets = np.zeros(ctx.n + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        total = int(offsets[-1])
        return ctx.rng.random(total), offsets
