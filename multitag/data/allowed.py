"""Per-token allowed-label sets: what a partially annotated sentence, with its rejections, says
about each token's label (partial-label training: the loss sums over the paths these sets allow).

* a revealed token (a tag that is not ``None``) allows its tag only;
* a token of a rejected span ``(start, end, X)`` excludes every label of type ``X`` (``B-X`` and
  ``I-X``; also ``E-X`` and ``S-X`` in BIOES; ``X`` itself in IOB1's ``I-X``/``B-X``);
* any other token allows every label.

A rejection says "not an entity of type ``X`` exactly at these tokens"; excluding ``X`` at each of
them is the per-token reading of it (as issue 22 asks): stronger than the rejection when the
suggested span only had the wrong boundaries of a true ``X`` entity.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from multitag.errors import MultitagError


def label_type(label: str) -> str | None:
    """The entity type of a label (``B-LOC`` -> ``LOC``), ``None`` for ``O``."""
    if label == "O":
        return None
    prefix, sep, typ = label.partition("-")
    return typ if sep else label


def allowed_labels(sentence, labels: Sequence[str]) -> np.ndarray:
    """The labels each token of ``sentence`` may carry.

    Parameters
    ----------
    sentence : Sentence
        Its ``tags`` (``None``: not annotated) and ``rejected`` spans are read.
    labels : sequence of str, length L
        The label set (any scheme: a label's type is what follows its prefix).

    Returns
    -------
    (n, L) bool array
        Every row allows at least one label; a token whose tag is known allows exactly that tag.
    """
    index = {label: j for j, label in enumerate(labels)}
    types = [label_type(lab) for lab in labels]
    allowed = np.ones((len(sentence.tokens), len(labels)), dtype=bool)
    for start, end, typ in sentence.rejected:
        excluded = np.array([t == typ for t in types], dtype=bool)
        allowed[start:end] &= ~excluded
    for t, tag in enumerate(sentence.tags):
        if tag is None:
            continue
        if tag not in index:
            raise MultitagError(f"sentence {sentence.id or '?'}: tag {tag!r} is not in the label set")
        allowed[t] = False
        allowed[t, index[tag]] = True
    empty = ~allowed.any(axis=1)
    if empty.any():  # only a label set that holds no label outside the rejected type can get here
        raise MultitagError(f"sentence {sentence.id or '?'}: the rejections leave token {int(np.argmax(empty))} "
                            "no label (the label set needs O)")
    return allowed
