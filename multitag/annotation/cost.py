"""Estimated annotation time, so runs can be compared by seconds as well as by tokens.

The model (configurable; the defaults are round guesses, not a calibration):

``seconds = sentence * sentences_touched + token_read * tokens_read + label * labels_assigned``

* ``sentences_touched``: sentences the annotator opens for the first time (reading their context);
* ``tokens_read``: at sentence level the whole sentence; at entity/token level the revealed tokens
  plus a window of 2 tokens either side (paper 000 estimates that window as the local context needed
  to annotate NER), counted once per token per iteration;
* ``labels_assigned``: one decision per entity span revealed (its first token) plus one per other
  token queried on its own: an ``O``, or at token level an inside token labelled without its
  entity (at sentence level the annotator marks entities only, so ``O`` tokens cost no decision).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from multitag.errors import MultitagError

DEFAULTS = {"sentence": 2.0, "token_read": 0.3, "label": 1.0}
CONTEXT_WINDOW = 2


@dataclass
class CostModel:
    sentence: float = DEFAULTS["sentence"]
    token_read: float = DEFAULTS["token_read"]
    label: float = DEFAULTS["label"]

    @classmethod
    def from_dict(cls, d: dict | None, what: str = "--cost") -> "CostModel":
        """A cost model from ``{key: seconds}`` (keys of :data:`DEFAULTS`; the others keep their
        default); a wrong key or a value that is not a non-negative number is a one-line error."""
        if d is None:
            return cls()
        if not isinstance(d, dict):
            raise MultitagError(f"{what}: expected KEY=SECONDS pairs ({', '.join(DEFAULTS)}), got {d!r}")
        values = dict(DEFAULTS)
        for key, v in d.items():
            if key not in DEFAULTS:
                raise MultitagError(f"{what} {key}=...: unknown cost; use {', '.join(DEFAULTS)}")
            if isinstance(v, str):
                try:
                    v = float(v)
                except ValueError:
                    raise MultitagError(f"{what} {key}={v!r}: expected a number of seconds") from None
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise MultitagError(f"{what} {key}={v!r}: expected a non-negative number of seconds")
            values[key] = float(v)
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)

    def seconds(self, *, sentences: int, tokens_read: int, labels: int) -> float:
        return self.sentence * sentences + self.token_read * tokens_read + self.label * labels
