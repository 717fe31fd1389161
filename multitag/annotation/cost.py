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

from dataclasses import dataclass

DEFAULTS = {"sentence": 2.0, "token_read": 0.3, "label": 1.0}
CONTEXT_WINDOW = 2


@dataclass
class CostModel:
    sentence: float = DEFAULTS["sentence"]
    token_read: float = DEFAULTS["token_read"]
    label: float = DEFAULTS["label"]

    @classmethod
    def from_dict(cls, d: dict | None) -> "CostModel":
        return cls(**{**DEFAULTS, **(d or {})})

    def seconds(self, *, sentences: int, tokens_read: int, labels: int) -> float:
        return self.sentence * sentences + self.token_read * tokens_read + self.label * labels
