"""How a data file's bytes become text: UTF-8 (with or without BOM) first, else cp1252 or Latin-1.

Releases ship in Latin-1 (CoNLL-2002) or Windows-1252 as often as in UTF-8. A file that is valid
UTF-8 is read as UTF-8, one starting with a UTF-16 byte-order mark as UTF-16; otherwise as Latin-1 when it has no byte in 0x80-0x9F (there Latin-1 and
cp1252 read the same characters), as cp1252 when it has such bytes and cp1252 decodes them all, and
as Latin-1 when it does not. The encoding used is recorded, so the commands can say it. A file that
is valid UTF-8 but reads like UTF-8 decoded once too often (``Ã©`` for ``é``, mojibake) is read as
it is, with a warning naming the first such line.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from multitag.errors import DataError

UTF8, UTF8_BOM, CP1252, LATIN1, UTF16 = "UTF-8", "UTF-8 with BOM", "cp1252", "Latin-1", "UTF-16"
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_C1_BYTES = re.compile(rb"[\x80-\x9f]")
# a character that cp1252 encodes as a UTF-8 lead byte, then one it encodes as a continuation byte
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160"
                       "\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153"
                       "\u017e\u0178]+")


@dataclass(frozen=True)
class Decoded:
    """A file's text and the encoding it was read with (``"UTF-8"``, ``"Latin-1"``, ...)."""

    text: str
    encoding: str

    @property
    def is_utf8(self) -> bool:
        return self.encoding in (UTF8, UTF8_BOM)


def codec_name(encoding: str) -> str:
    """The canonical name of a Python codec (``latin1`` -> ``iso8859-1``), or a :class:`DataError`."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise DataError(f"unknown encoding {encoding!r} (use e.g. utf-8, latin-1, cp1252)") from None


def _shown(encoding: str) -> str:
    name = codec_name(encoding)
    return {"utf-8": UTF8, "iso8859-1": LATIN1, "latin-1": LATIN1, "cp1252": CP1252}.get(name, name)


def decode(data: bytes, path: str, encoding: str | None = None, *, line_at=None) -> Decoded:
    """``data`` as text. ``encoding`` (any Python codec name) is used strictly when given; a leading
    UTF-8 BOM is dropped either way. ``line_at(text, offset)`` numbers the line of an undecodable byte."""
    bom = data.startswith(_BOM)
    if bom:
        data = data[len(_BOM):]
    if encoding is not None:
        return Decoded(_strict(data, path, encoding, line_at), _shown(encoding))
    if data.startswith(_UTF16_BOMS):     # never valid UTF-8; as Latin-1 it would read as NUL-ridden tokens
        return Decoded(_strict(data, path, "utf-16", line_at).removeprefix("\ufeff"), UTF16)
    try:
        return Decoded(data.decode("utf-8"), UTF8_BOM if bom else UTF8)
    except UnicodeDecodeError:
        pass
    if _C1_BYTES.search(data):
        try:
            return Decoded(data.decode("cp1252"), CP1252)
        except UnicodeDecodeError:
            pass
    return Decoded(data.decode("latin-1"), LATIN1)


def _strict(data: bytes, path: str, encoding: str, line_at) -> str:
    try:
        return data.decode(codec_name(encoding))
    except UnicodeDecodeError as e:
        prefix = data[: e.start].decode(codec_name(encoding), errors="replace")
        line = line_at(prefix, len(prefix)) if line_at is not None else None
        shown = "UTF-8" if codec_name(encoding) == "utf-8" else _shown(encoding)
        raise DataError(f"bytes that are not valid {shown} ({data[e.start:e.start + 4]!r})", path=path, line=line) from None


def mojibake(lines: list[str]) -> tuple[int, str, str] | None:
    """``(1-based line, text as read, text as meant)`` of the first line that reads like UTF-8
    decoded as cp1252 / Latin-1 and saved again as UTF-8; ``None`` when there is none."""
    for lineno, line in enumerate(lines, start=1):
        for m in _MOJIBAKE.finditer(line):
            meant = _undo(m.group())
            if meant is not None:
                word = next((w for w in line.split() if m.group() in w), m.group())
                return lineno, word, word.replace(m.group(), meant)
    return None


def _undo(text: str) -> str | None:
    for codec in ("cp1252", "latin-1"):
        try:
            meant = text.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if meant != text:
            return meant
    return None
