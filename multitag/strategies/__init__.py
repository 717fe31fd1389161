"""Query strategies. ``get_strategy("bt-mean")`` builds one from its name (and, for token-scoring
strategies, an aggregation suffix: ``-max`` (default), ``-mean`` or ``-sum``)."""
from __future__ import annotations

import importlib

from multitag.errors import MultitagError
from multitag.strategies.aggregation import AGGREGATIONS
from multitag.strategies.base import QueryContext, ScoringStrategy, Strategy, take_until_budget

# name -> "module:Class"; imported on use
STRATEGIES = {
    "random": "multitag.strategies.random:RandomSampling",
    "lc": "multitag.strategies.uncertainty:LeastConfidence",
    "mnlp": "multitag.strategies.uncertainty:MNLP",
    "tlc": "multitag.strategies.uncertainty:TokenLeastConfidence",
    "bt": "multitag.strategies.uncertainty:BreakingTies",
    "entropy": "multitag.strategies.uncertainty:Entropy",
    "vr": "multitag.strategies.bayesian:VariationRatio",
    "bald": "multitag.strategies.bayesian:BALD",
    "coreset": "multitag.strategies.diversity:CoreSet",
    "badge": "multitag.strategies.diversity:BADGE",
    "wbadge": "multitag.strategies.diversity:WBADGE",
}


def strategy_class(name: str) -> type[Strategy]:
    base = name.rsplit("-", 1)[0] if name.rsplit("-", 1)[-1] in AGGREGATIONS else name
    if base not in STRATEGIES:
        raise MultitagError(f"unknown strategy {name!r}; available: {', '.join(STRATEGIES)} "
                            f"(token-scoring ones take -max, -mean or -sum, e.g. bt-mean)")
    module, _, cls = STRATEGIES[base].partition(":")
    return getattr(importlib.import_module(module), cls)


def get_strategy(name: str) -> Strategy:
    """Build a strategy from ``name`` or ``name-aggregation``."""
    from multitag.strategies.uncertainty import TokenScoringStrategy

    cls = strategy_class(name)
    agg = name.rsplit("-", 1)[-1] if name.rsplit("-", 1)[-1] in AGGREGATIONS and name not in STRATEGIES else None
    if agg is not None:
        if not issubclass(cls, TokenScoringStrategy):
            raise MultitagError(f"strategy {cls.name!r} takes no aggregation (only tlc, bt and entropy do)")
        return cls(agg)
    return cls()


__all__ = ["Strategy", "ScoringStrategy", "QueryContext", "take_until_budget", "get_strategy", "strategy_class", "STRATEGIES"]
