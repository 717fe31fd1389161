"""Tag schemes IOB1, IOB2 and BIOES: parsing, detection, validation and conversion.

A span is ``(type, start, end)`` with ``end`` exclusive. Conversion goes through spans, so any
scheme converts to any other losslessly (IOB1 -> IOB2 -> BIOES -> IOB1 round-trips).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from multitag.errors import MultitagError

SCHEMES = ("IOB1", "IOB2", "BIOES")
_TAG_RE = re.compile(r"^(O|[BIES]-\S+)$")


@lru_cache(maxsize=8192)
def is_valid_tag(tag: str) -> bool:
    """``O`` or ``P-TYPE`` with ``P`` in B, I, E, S and a non-empty type without spaces."""
    return bool(_TAG_RE.match(tag))


@lru_cache(maxsize=8192)
def split_tag(tag: str) -> tuple[str, str | None]:
    if tag == "O":
        return "O", None
    prefix, _, typ = tag.partition("-")
    return prefix, typ


def normalize_scheme(scheme: str) -> str:
    s = scheme.upper().replace("-", "")
    aliases = {"BIO": "IOB2", "IOB": "IOB2", "IOBES": "BIOES", "BILOU": "BIOES"}
    s = aliases.get(s, s)
    if s not in SCHEMES:
        raise MultitagError(f"unknown tag scheme {scheme!r}; use one of {', '.join(SCHEMES)}")
    return s


def spans(tags: Sequence[str], scheme: str) -> list[tuple[str, int, int]]:
    """Entity spans ``(type, start, end)`` of a valid tag sequence in ``scheme``."""
    scheme = normalize_scheme(scheme)
    out: list[tuple[str, int, int]] = []
    start, typ = None, None
    for i, tag in enumerate(tags):
        p, t = split_tag(tag)
        if scheme == "BIOES":
            if p in ("B", "S") or p == "O" or (p in ("I", "E") and t != typ):
                if start is not None:
                    out.append((typ, start, i))
                start, typ = (i, t) if p in ("B", "S", "I", "E") else (None, None)
            if p in ("S", "E"):
                out.append((typ, start, i + 1))
                start, typ = None, None
        else:
            begins = p == "B" or (p == "I" and (t != typ or start is None))
            if p == "O" or begins:
                if start is not None:
                    out.append((typ, start, i))
                start, typ = (i, t) if p != "O" else (None, None)
    if start is not None:
        out.append((typ, start, len(tags)))
    return out


def from_spans(length: int, entity_spans: Iterable[tuple[str, int, int]], scheme: str) -> list[str]:
    scheme = normalize_scheme(scheme)
    tags = ["O"] * length
    ordered = sorted(entity_spans, key=lambda s: s[1])
    prev_end, prev_type = -1, None
    for typ, start, end in ordered:
        for i in range(start, end):
            tags[i] = f"I-{typ}"
        if scheme == "IOB2":
            tags[start] = f"B-{typ}"
        elif scheme == "IOB1":
            if prev_end == start and prev_type == typ:
                tags[start] = f"B-{typ}"
        else:
            if end - start == 1:
                tags[start] = f"S-{typ}"
            else:
                tags[start] = f"B-{typ}"
                tags[end - 1] = f"E-{typ}"
        prev_end, prev_type = end, typ
    return tags


def validation_error(tags: Sequence[str | None], scheme: str) -> tuple[int, str] | None:
    """``None`` if ``tags`` is valid in ``scheme``, else ``(position, reason)`` of the first problem.

    ``None`` entries (tokens not annotated) are allowed: a run of annotated tags next to one is
    checked only within itself, since the unannotated token could be anything (``I-PER`` right
    after one is fine in IOB2, ``B-PER`` right before one is fine in BIOES).
    """
    return _validation_error(tags, normalize_scheme(scheme))


def _validation_error(tags: Sequence[str | None], scheme: str) -> tuple[int, str] | None:
    prev_p, prev_t = "O", None          # prev_p "?": the previous token is not annotated
    for i, tag in enumerate(tags):
        if tag is None:
            prev_p, prev_t = "?", None
            continue
        if not is_valid_tag(tag):
            return i, f"invalid tag {tag!r} (expected O or B-/I-/E-/S-TYPE)"
        p, t = split_tag(tag)
        if scheme in ("IOB1", "IOB2") and p in ("E", "S"):
            return i, f"tag {tag!r} is not allowed in {scheme}"
        if prev_p != "?":
            after = "O" if prev_p == "O" else f"{prev_p}-{prev_t}"
            if scheme == "IOB2" and p == "I" and not (prev_p in ("B", "I") and prev_t == t):
                return i, f"{tag!r} after {after} is not valid IOB2"
            if scheme == "IOB1" and p == "B" and not (prev_p in ("B", "I") and prev_t == t):
                return i, f"{tag!r} is only used between two adjacent {t} entities in IOB1"
            if scheme == "BIOES":
                if p in ("I", "E") and not (prev_p in ("B", "I") and prev_t == t):
                    return i, f"{tag!r} after {after} is not valid BIOES"
                if prev_p in ("B", "I") and not (p in ("I", "E") and t == prev_t):
                    return i, f"{tag!r} after {after}: an entity must end with E- in BIOES"
        prev_p, prev_t = p, t
    if scheme == "BIOES" and prev_p in ("B", "I"):
        return len(tags) - 1, f"entity {prev_t} is not closed with E- at the end of the sentence"
    return None


@dataclass(frozen=True)
class SchemeFit:
    """How well a collection of tag sequences fits each scheme (see :func:`fit_schemes`).

    Attributes
    ----------
    schemes : the schemes that were checked
    n_sequences : number of sequences
    n_with_entities : number of sequences with at least one tag other than ``O`` / ``None``
    invalid : scheme -> number of sequences that are not valid in it
    first_error : scheme -> ``(sequence index, token position, reason)`` of its first violation
    """

    schemes: tuple[str, ...]
    n_sequences: int
    n_with_entities: int
    invalid: dict[str, int]
    first_error: dict[str, tuple[int, int, str]]

    @property
    def fitting(self) -> list[str]:
        """The schemes every sequence is valid in (all of them when there is no entity)."""
        return [s for s in self.schemes if self.invalid[s] == 0]

    def best(self, prefer: Sequence[str] = ()) -> str:
        """The scheme the fewest sequences break; ties go to ``prefer`` first, then IOB2, IOB1, BIOES."""
        order = [normalize_scheme(p) for p in prefer] + ["IOB2", "IOB1", "BIOES"]
        return min(self.schemes, key=lambda s: (self.invalid[s], order.index(s)))


def fit_schemes(tag_sequences: Iterable[Sequence[str | None]], schemes: Sequence[str] = SCHEMES) -> SchemeFit:
    """Check every sequence against every scheme in ``schemes`` (``None`` tags allowed)."""
    schemes = tuple(normalize_scheme(s) for s in schemes)
    invalid = {s: 0 for s in schemes}
    first: dict[str, tuple[int, int, str]] = {}
    n = n_entities = 0
    for k, tags in enumerate(tag_sequences):
        n += 1
        if all(t is None or t == "O" for t in tags):
            continue
        n_entities += 1
        for s in schemes:
            err = _validation_error(tags, s)
            if err is not None:
                invalid[s] += 1
                first.setdefault(s, (k, err[0], err[1]))
    return SchemeFit(schemes, n, n_entities, invalid, first)


def detect_scheme(tag_sequences: Iterable[Sequence[str | None]]) -> str:
    """The scheme that every sequence fits (IOB2 when several do, i.e. when there is no entity);
    when none fits every sequence, the one that the fewest sequences break."""
    fit = fit_schemes(tag_sequences)
    fitting = fit.fitting
    if fitting:
        return "IOB2" if "IOB2" in fitting else fitting[0]
    return fit.best()


def convert(tags: Sequence[str], source: str, target: str) -> list[str]:
    """Convert one valid tag sequence from ``source`` to ``target`` scheme."""
    source, target = normalize_scheme(source), normalize_scheme(target)
    if source == target:
        return list(tags)
    return from_spans(len(tags), spans(tags, source), target)


def entity_types(labels: Iterable[str]) -> list[str]:
    return sorted({split_tag(l)[1] for l in labels if l != "O"})  # type: ignore[type-var]
