"""Entity spans as seqeval's strict mode reads them: the one span function of multitag.

Evaluation, the simulation oracle (widening a queried token to its entity) and the annotation
accounting (entities revealed) all use :func:`entity_spans`, so "an entity" means the same thing
everywhere. A span is ``(type, start, end)`` with ``end`` exclusive.

Strict reading (identical to ``seqeval.scheme.Tokens(..., scheme=IOB2 | IOBES).entities``):

* IOB2: ``B-X`` starts a span that following ``I-X`` tokens continue; an ``I-`` that does not
  continue a span of its type starts nothing.
* BIOES: ``S-X`` is a span; ``B-X (I-X)* E-X`` is a span; a chunk that does not end with ``E-``
  (or ``S-``) is no span.
* IOB1 is read as IOB2 after conversion (in IOB1 an entity may start with ``I-``).

``None`` (not annotated) reads as ``O``, so partially known tags can be counted too.
"""
from __future__ import annotations

from typing import Sequence

from multitag.data.schemes import convert, normalize_scheme


def _prefix_type(tag: str | None) -> tuple[str, str | None]:
    if tag is None or tag == "O":
        return "O", None
    return tag[0], tag[2:]


def strict_iob2_spans(tags: Sequence[str | None]) -> set[tuple[str, int, int]]:
    """seqeval's strict IOB2 spans (tested equal to ``seqeval.scheme.Tokens(..., IOB2)``)."""
    out = set()
    typ, start = None, -1
    for i, tag in enumerate(tags):
        if tag is None:
            tag = "O"
        if typ is not None and tag[:2] == "I-" and tag[2:] == typ:
            continue
        if typ is not None:
            out.add((typ, start, i))
            typ = None
        if tag[:2] == "B-":
            typ, start = tag[2:], i
    if typ is not None:
        out.add((typ, start, len(tags)))
    return out


def strict_bioes_spans(tags: Sequence[str | None]) -> set[tuple[str, int, int]]:
    """seqeval's strict IOBES spans (tested equal to ``seqeval.scheme.Tokens(..., IOBES)``)."""
    out = set()
    n = len(tags)
    i = 0
    while i < n:
        p, t = _prefix_type(tags[i])
        if p not in ("B", "S"):
            i += 1
            continue
        j, prev_p, prev_t = i + 1, p, t
        while j < n and prev_p in ("B", "I"):
            q, u = _prefix_type(tags[j])
            if q not in ("I", "E") or u != prev_t:
                break
            prev_p, prev_t = q, u
            j += 1
        if prev_p in ("S", "E"):
            out.add((t, i, j))
        i = j
    return out


def entity_spans(tags: Sequence[str | None], scheme: str = "IOB2") -> list[tuple[str, int, int]]:
    """The strict entity spans of ``tags`` in ``scheme``, sorted by start."""
    scheme = normalize_scheme(scheme)
    if scheme == "BIOES":
        found = strict_bioes_spans(tags)
    elif scheme == "IOB1":
        found = strict_iob2_spans(convert([t or "O" for t in tags], "IOB1", "IOB2"))
    else:
        found = strict_iob2_spans(tags)
    return sorted(found, key=lambda s: (s[1], s[2]))
