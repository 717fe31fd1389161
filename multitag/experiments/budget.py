"""Budgets and schedules, counted in annotated tokens.

* initial size: ``2%`` (of the pool's tokens) or ``100`` (sentences);
* schedule: comma-separated parts, each ``AMOUNTxITERATIONS`` (``x1`` when omitted), AMOUNT being a
  fraction of the pool's tokens (``2%``) or a token count (``20000w``):
  ``2%x24``, ``1%x14,2.5%x4,5%x3,10%x4`` (paper 000), ``20000wx10`` (paper 002: 20,000 words a round).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from multitag.errors import MultitagError

_AMOUNT = re.compile(r"^(?P<num>\d+(?:\.\d+)?)(?P<unit>%|w)$")


@dataclass(frozen=True)
class InitialSize:
    fraction: float | None = None   # of pool tokens
    sentences: int | None = None

    def describe(self) -> str:
        return f"{self.fraction * 100:g}% of pool tokens" if self.fraction is not None else f"{self.sentences} sentences"


def parse_initial_size(text: str) -> InitialSize:
    t = str(text).strip()
    if t.endswith("%"):
        try:
            value = float(t[:-1])
        except ValueError:
            raise MultitagError(f"--initial-size {text!r}: expected a percentage like 2% or a sentence count like 100") from None
        if not 0 < value <= 100:
            raise MultitagError(f"--initial-size {text!r}: the percentage must be in (0, 100]")
        return InitialSize(fraction=value / 100)
    if t.isdigit() and int(t) > 0:
        return InitialSize(sentences=int(t))
    raise MultitagError(f"--initial-size {text!r}: expected a percentage like 2% or a sentence count like 100")


def parse_schedule(text: str, pool_tokens: int) -> list[int]:
    """Per-iteration token budgets for a pool of ``pool_tokens`` tokens."""
    budgets: list[int] = []
    for part in str(text).replace(" ", "").split(","):
        if not part:
            continue
        amount, sep, times = part.partition("x")
        m = _AMOUNT.match(amount)
        if not m or (sep and not times.isdigit()) or (times and int(times) == 0):
            raise MultitagError(
                f"--schedule part {part!r}: expected AMOUNTxITERATIONS with AMOUNT like 2% or 20000w "
                "(e.g. 2%x24, 1%x14,2.5%x4, 20000wx10)")
        num = float(m["num"])
        tokens = round(pool_tokens * num / 100) if m["unit"] == "%" else int(num)
        if tokens <= 0:
            raise MultitagError(f"--schedule part {part!r} asks for 0 tokens per iteration on a pool of {pool_tokens} tokens")
        budgets += [tokens] * (int(times) if times else 1)
    if not budgets:
        raise MultitagError(f"--schedule {text!r} is empty")
    return budgets


def parse_fraction(text: str, what: str) -> float:
    t = str(text).strip()
    try:
        v = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise MultitagError(f"{what} {text!r}: expected a percentage like 50%") from None
    if not 0 < v <= 1:
        raise MultitagError(f"{what} {text!r}: must be in (0, 100%]")
    return v
