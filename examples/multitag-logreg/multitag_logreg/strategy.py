"""``gini``: Gini impurity of each token's marginal, ``1 - sum_c p_c^2`` (0 when the model is sure,
``1 - 1/L`` when it is uniform over L labels)."""
from __future__ import annotations

import numpy as np

from multitag.strategies.uncertainty import TokenScoringStrategy


class GiniImpurity(TokenScoringStrategy):
    """Gini impurity ``1 - sum_c p_c^2`` per token; sentences by ``max`` (default), ``mean`` or ``sum``."""

    name = "gini"
    needs = frozenset({"marginals"})

    @staticmethod
    def flat_token_scores(marginals: np.ndarray) -> np.ndarray:
        """(T, L) -> (T,)"""
        return 1.0 - np.einsum("tl,tl->t", marginals, marginals)
