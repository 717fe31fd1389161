"""Budgets and schedules, counted in annotated tokens, as typed values parsed once.

* initial size: ``2%`` (of the pool's tokens), ``100`` (sentences) or ``5000w`` (tokens):
  :class:`InitialSize`;
* schedule: comma-separated parts, each ``AMOUNTxITERATIONS`` (``x1`` when omitted), AMOUNT being a
  fraction of the pool's tokens (``2%``) or a token count (``20000w``):
  ``2%x24``, ``1%x14,2.5%x4,5%x3,10%x4`` (paper 000), ``20000wx10`` (paper 002: 20,000 words a
  round): :class:`Schedule`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from multitag.errors import MultitagError

_AMOUNT = re.compile(r"^(?P<num>\d+(?:\.\d+)?)(?P<unit>%|w)$")


@dataclass(frozen=True)
class InitialSize:
    """The seed set's size: a fraction of the pool's tokens, a number of sentences, or a number of
    tokens (exactly one is set)."""

    fraction: float | None = None   # of pool tokens
    sentences: int | None = None
    tokens: int | None = None

    def __str__(self) -> str:
        if self.fraction is not None:
            return f"{self.fraction * 100:g}%"
        return str(self.sentences) if self.sentences is not None else f"{self.tokens}w"

    def describe(self) -> str:
        if self.fraction is not None:
            return f"{self.fraction * 100:g}% of pool tokens"
        return f"{self.sentences} sentences" if self.sentences is not None else f"{self.tokens} tokens"

    def token_budget(self, pool_tokens: int) -> int | None:
        """Tokens the seed set must hold (``None`` when it is counted in sentences)."""
        if self.fraction is not None:
            return int(round(pool_tokens * self.fraction))
        return self.tokens


def parse_initial_size(text: str | int, what: str = "--initial-size") -> InitialSize:
    t = str(text).strip()
    if t.endswith("%"):
        try:
            value = float(t[:-1])
        except ValueError:
            raise MultitagError(f"{what} {text!r}: expected a percentage like 2%, a sentence count like 100 or a token count like 5000w") from None
        if not 0 < value <= 100:
            raise MultitagError(f"{what} {text!r}: the percentage must be in (0, 100]")
        return InitialSize(fraction=value / 100)
    if t.isdigit() and int(t) > 0:
        return InitialSize(sentences=int(t))
    if t.endswith("w") and t[:-1].isdigit() and int(t[:-1]) > 0:
        return InitialSize(tokens=int(t[:-1]))
    raise MultitagError(f"{what} {text!r}: expected a percentage like 2%, a sentence count like 100 or a token count like 5000w")


@dataclass(frozen=True)
class SchedulePart:
    amount: float          # a percentage of the pool's tokens (unit "%") or a token count (unit "w")
    unit: str
    times: int

    def __str__(self) -> str:
        return f"{self.amount:g}{self.unit}x{self.times}"


@dataclass(frozen=True)
class Schedule:
    """Per-iteration token budgets; :meth:`budgets` resolves them for a pool."""

    parts: tuple[SchedulePart, ...]

    def __str__(self) -> str:
        return ",".join(str(p) for p in self.parts)

    @property
    def iterations(self) -> int:
        return sum(p.times for p in self.parts)

    def budgets(self, pool_tokens: int) -> list[int]:
        """Per-iteration budgets in tokens for a pool of ``pool_tokens`` tokens."""
        out: list[int] = []
        for p in self.parts:
            tokens = round(pool_tokens * p.amount / 100) if p.unit == "%" else int(p.amount)
            if tokens <= 0:
                raise MultitagError(f"--schedule part {p} asks for 0 tokens per iteration on a pool of {pool_tokens} tokens")
            out += [tokens] * p.times
        return out


def parse_schedule_spec(text: str, what: str = "--schedule") -> Schedule:
    parts = []
    for part in str(text).replace(" ", "").split(","):
        if not part:
            continue
        amount, sep, times = part.partition("x")
        m = _AMOUNT.match(amount)
        if not m or (sep and not times.isdigit()) or (times and int(times) == 0):
            raise MultitagError(
                f"{what} part {part!r}: expected AMOUNTxITERATIONS with AMOUNT like 2% or 20000w "
                "(e.g. 2%x24, 1%x14,2.5%x4, 20000wx10)")
        num = float(m["num"])
        if m["unit"] == "%" and not 0 < num <= 100:
            raise MultitagError(f"{what} part {part!r}: the percentage must be in (0, 100]")
        if m["unit"] == "w" and num != int(num):
            raise MultitagError(f"{what} part {part!r}: a token count must be a whole number")
        parts.append(SchedulePart(num, m["unit"], int(times) if times else 1))
    if not parts:
        raise MultitagError(f"{what} {text!r} is empty")
    return Schedule(tuple(parts))


def parse_schedule(text: str, pool_tokens: int) -> list[int]:
    """Per-iteration token budgets for a pool of ``pool_tokens`` tokens."""
    return parse_schedule_spec(text).budgets(pool_tokens)


def parse_fraction(text: str | float, what: str) -> float:
    t = str(text).strip()
    try:
        v = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise MultitagError(f"{what} {text!r}: expected a percentage like 50%") from None
    if not 0 < v <= 1:
        raise MultitagError(f"{what} {text!r}: must be in (0, 100%]")
    return v
