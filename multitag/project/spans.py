"""Character spans (Label Studio, doccano) <-> token tags (IOB2) of one sentence."""
from __future__ import annotations

from typing import Callable, Sequence

from multitag.data.entity_spans import entity_spans
from multitag.data.schemes import validation_error
from multitag.errors import MultitagError


class TagSequenceError(MultitagError):
    """An answer's tags that break IOB2 (the annotation page answers it with 422)."""


def _continues(prev: str | None, tag: str) -> bool:
    return prev is not None and prev[:2] in ("B-", "I-") and prev[2:] == tag[2:]


def check_entity_starts(answer: Sequence[str | None], stored: dict[int, str], kept: dict[int, str], where: str) -> None:
    """Refuse an answer whose kept tags would leave an entity starting with ``I-`` in the store.

    The one rule of ``project import`` and the annotation page, the readers' IOB2 rule applied to
    what the store will hold: a kept ``I-X`` must continue an entity of type X on the token before
    it (the kept tag there, else the answer's tag there, else the stored one) unless that token is
    annotated nowhere (after a gap anything may follow, as in the readers). The start of the
    sentence, O and another type refuse it; so does a kept tag right before a stored ``I-`` it does
    not continue. ``answer``: the task's tags (None: blank); ``stored``: token -> current tag;
    ``kept``: token -> the tag the answer writes there. Raises :class:`TagSequenceError`.
    """
    def context(i: int) -> str | None:
        return kept[i] if i in kept else answer[i] if answer[i] is not None else stored.get(i)

    def refuse(i: int, tag: str, before: str | None) -> None:
        what = "the start of the sentence" if i == 0 else before
        raise TagSequenceError(f"{where}: token {i + 1}: {tag!r} after {what} would start an entity with I-; "
                               f"an entity starts with B-{tag[2:]}")

    for i in sorted(kept):
        tag = kept[i]
        before = context(i - 1) if i > 0 else "O"
        if tag.startswith("I-") and before is not None and not _continues(before, tag):
            refuse(i, tag, before)
        after = stored.get(i + 1)
        if i + 1 not in kept and after is not None and after.startswith("I-") and not _continues(tag, after):
            refuse(i + 1, after, tag)


def check_answer_tags(tags: Sequence[str | None], where: "str | Callable[[int], str]") -> None:
    """Refuse an answer's token tags that are not valid IOB2 (``None``: a token not annotated).

    The same rules as multitag's readers (:func:`multitag.data.schemes.validation_error`), so what a
    project stores, its CoNLL export can be read back. ``where`` names the task (``file:line``), or
    is a function of the token position giving that token's ``file:line``. Raises
    :class:`MultitagError` with one line naming it and the reason.
    """
    for t in tags:
        if t is not None and not isinstance(t, str):
            raise MultitagError(f"{where if isinstance(where, str) else where(0)}: a tag must be a string or null, got {t!r}")
    err = validation_error(list(tags), "IOB2")
    if err is None:
        return
    i, reason = err
    if isinstance(where, str):
        raise TagSequenceError(f"{where}: token {i + 1}: {reason}")
    raise TagSequenceError(f"{where(i)}: {reason}")


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def tags_to_char_spans(tags: Sequence[str | None], starts: Sequence[int], ends: Sequence[int]) -> list[tuple[int, int, str]]:
    """The entity spans of IOB2 ``tags`` as ``(start_char, end_char, type)``."""
    return [(starts[a], ends[b - 1], typ) for typ, a, b in entity_spans(tags, "IOB2")]


def char_spans_to_tags(text: str, starts: Sequence[int], ends: Sequence[int],
                       spans: Sequence[tuple[int, int, str]], *, snap: bool, where: str) -> list[str]:
    """IOB2 tags (``O`` outside every span) from character spans over ``text``.

    A span must start at a token's first character and end at a token's last one (surrounding
    whitespace inside the span is ignored); with ``snap`` it widens to the tokens it touches.
    Spans that share a token are an error. ``where`` names the task in messages.
    """
    n = len(starts)
    tags = ["O"] * n
    owner: list[tuple[int, int, str] | None] = [None] * n
    for s, e, label in spans:
        if not (_is_int(s) and _is_int(e)):
            raise MultitagError(f"{where}: span [{s!r}, {e!r}) {label!r}: start and end must be integers "
                                "(character offsets)")
    for s, e, label in sorted(spans, key=lambda x: (x[0], x[1], str(x[2]))):
        if not 0 <= s < e <= len(text):
            raise MultitagError(f"{where}: span [{s}, {e}) {label!r} is outside the text (length {len(text)})")
        raw = text[s:e]
        s2, e2 = s + (len(raw) - len(raw.lstrip())), e - (len(raw) - len(raw.rstrip()))
        covered = [i for i in range(n) if ends[i] > s2 and starts[i] < e2]
        if not covered:
            raise MultitagError(f"{where}: span [{s}, {e}) {label!r} ({text[s:e]!r}) covers no token")
        a, b = covered[0], covered[-1]
        if (starts[a] != s2 or ends[b] != e2) and not snap:
            raise MultitagError(f"{where}: span [{s}, {e}) {label!r} ({text[s:e]!r}) does not fall on token "
                                f"boundaries (tokens {text[starts[a]:ends[b]]!r}); fix it, or import with --snap "
                                "to widen spans to whole tokens")
        for i in range(a, b + 1):
            if owner[i] is not None:
                o = owner[i]
                raise MultitagError(f"{where}: spans [{o[0]}, {o[1]}) {o[2]!r} and [{s}, {e}) {label!r} overlap "
                                    f"(token {text[starts[i]:ends[i]]!r})")
            owner[i] = (s, e, label)
            tags[i] = ("B-" if i == a else "I-") + label
    return tags
