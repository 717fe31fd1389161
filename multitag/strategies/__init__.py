"""Query strategies, found through the entry-point group ``multitag.strategies`` (the built-in ones
are registered in multitag's own ``setup.cfg``, exactly as a third-party package registers its own).

``get_strategy("bt-mean")`` builds one from its name and, for strategies that aggregate token
scores, an aggregation suffix (``-max``, ``-mean`` or ``-sum``).
"""
from __future__ import annotations

from multitag.errors import MultitagError
from multitag.strategies.base import NEEDS, QueryContext, ScoringStrategy, Strategy, check_needs, take_until_budget


def _split(name: str) -> tuple[str, str | None]:
    base, _, suffix = name.rpartition("-")
    return (base, suffix) if base else (name, None)


def strategy_class(name: str) -> type[Strategy]:
    """The class registered as ``name`` (or as ``name`` without its aggregation suffix)."""
    from multitag import registry

    group = registry.strategies
    installed = group.names()
    base = name
    if name not in installed:
        b, suffix = _split(name)
        if b in installed and suffix is not None:
            base = b
        else:
            raise MultitagError(f"unknown strategy {name!r}; installed: {', '.join(installed) or 'none'} "
                                "(strategies that aggregate token scores take -max, -mean or -sum, e.g. bt-mean)")
    cls = group.load(base)
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise MultitagError(f"strategy {base!r} points to {cls!r}, which is not a multitag Strategy subclass")
    check_needs(cls)
    return cls


def get_strategy(name: str) -> Strategy:
    """Build a strategy from ``name`` or ``name-aggregation``."""
    from multitag import registry

    cls = strategy_class(name)
    if name in registry.strategies.names():
        return cls()
    base, suffix = _split(name)
    if suffix not in cls.aggregations:
        if not cls.aggregations:
            raise MultitagError(f"strategy {base!r} takes no aggregation suffix (-{suffix})")
        raise MultitagError(f"strategy {base!r}: unknown aggregation -{suffix}; use one of "
                            f"{', '.join('-' + a for a in cls.aggregations)}")
    return cls(suffix)


def token_level_names() -> list[str]:
    """Installed strategies that score single tokens (usable at entity and token level)."""
    from multitag import registry

    out = []
    for n in registry.strategies.names():
        try:
            if strategy_class(n).token_level:
                out.append(n)
        except MultitagError:
            continue
    return out


__all__ = ["Strategy", "ScoringStrategy", "QueryContext", "NEEDS", "take_until_budget", "get_strategy",
           "strategy_class", "token_level_names"]
