"""``--repair``: a stray ``I-X`` read as the start of an entity, as conlleval and seqeval's
non-strict mode read it.

A stray ``I-X`` is one after ``O``, after a tag of another type, or at a sentence start; official
releases have a few (annotation slips, or IOB1 mixed into IOB2 files). Strict IOB2 refuses such a
file, and IOB1 refuses it too when it also has ``B-`` at entity starts. The repair rewrites each
stray ``I-X`` as ``B-X``: the spans are then those conlleval scores. A tag right after a token that
is not annotated is left as it is (the token may have continued the entity). Files with ``E-`` or
``S-`` tags (BIOES) are not repaired.
"""
from __future__ import annotations

from typing import Sequence

from multitag.data.schemes import split_tag


def repairable(tag_sequences) -> bool:
    """Whether the tags use only ``O``, ``B-`` and ``I-`` (the IOB schemes a repair applies to)."""
    return all(t is None or t == "O" or t[:2] in ("B-", "I-") for tags in tag_sequences for t in tags)


def repair_tags(tags: Sequence[str | None]) -> tuple[list[str | None], int]:
    """``tags`` with every stray ``I-X`` made ``B-X``, and how many were changed."""
    out: list[str | None] = []
    changed = 0
    prev_p, prev_t = "O", None
    for tag in tags:
        if tag is None:
            out.append(None)
            prev_p, prev_t = "?", None
            continue
        p, t = split_tag(tag)
        if p == "I" and prev_p != "?" and not (prev_p in ("B", "I") and prev_t == t):
            tag = f"B-{t}"
            p = "B"
            changed += 1
        out.append(tag)
        prev_p, prev_t = p, t
    return out, changed
