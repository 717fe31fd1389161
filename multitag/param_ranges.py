"""Ranges of a backend's numeric parameters, checked in its ``check()`` before any data is read, so
that ``--param lr=-1`` is one line at once instead of a traceback after training has started.

A backend lists its parameters with a :class:`Range` each and calls :func:`check_ranges`::

    check_ranges(self, {"learning_rate": POSITIVE, "batch_size": at_least(1), "dropout": FRACTION})
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from multitag.errors import MultitagError


@dataclass(frozen=True)
class Range:
    """A number from ``low`` to ``high`` (either may be None: unbounded), each end included unless
    ``low_open``/``high_open``; ``integer``: an int; ``optional``: None is allowed too. Booleans,
    NaN and infinities are never numbers here."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    optional: bool = False

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.optional
        if isinstance(value, bool) or not isinstance(value, int if self.integer else (int, float)):
            return False
        if not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            return False
        return True

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a number"
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            text = f"{kind} in {left}{_num(self.low)}, {_num(self.high)}{right}"
        elif self.low is not None:
            text = f"{kind} {'>' if self.low_open else '>='} {_num(self.low)}"
        elif self.high is not None:
            text = f"{kind} {'<' if self.high_open else '<='} {_num(self.high)}"
        else:
            text = kind
        return f"None or {text}" if self.optional else text


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def at_least(n: int, *, optional: bool = False) -> Range:
    """An integer >= ``n`` (or None, with ``optional``)."""
    return Range(low=n, integer=True, optional=optional)


POSITIVE = Range(low=0, low_open=True)                 # a learning rate
NON_NEGATIVE = Range(low=0)                            # a weight decay, a clipping threshold
FRACTION = Range(low=0, high=1, high_open=True)        # a dropout probability


def check_ranges(owner: object, ranges: Mapping[str, Range]) -> None:
    """Raise a one-line :class:`MultitagError` naming the first attribute of ``owner`` (in the
    order of ``ranges``) whose value is outside its range."""
    for name, allowed in ranges.items():
        value = getattr(owner, name, None)
        if not allowed.accepts(value):
            raise MultitagError(f"{type(owner).__name__}: {name} must be {allowed.describe()}, not {value!r}")
