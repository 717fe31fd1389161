"""A data file's lines: UTF-8 (else cp1252 / Latin-1, see :mod:`multitag.data.encodings`), a leading
byte-order mark dropped, every line-ending convention.

Line breaks are ``\\n`` (Unix), ``\\r\\n`` (Windows) and a lone ``\\r`` (classic Mac OS), in any
mixture, as Python's universal newlines read them. A file whose every line ends with ``\\n\\r``
(LF CR, e.g. RISC OS) is read with that convention. An LF CR pair is otherwise a line break and an
empty line ended by CR when the file also ends lines with a lone CR elsewhere; in a file whose
other lines end with LF or CRLF only, it is ambiguous (one line break, or a line break and an
empty line, which would split a CoNLL sentence) and is refused. (A CR line ending followed by an
LF-ended empty line cannot be told from CRLF; it reads as CRLF.) Line numbers in errors count
lines the same way.
"""
from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass

from multitag.data.encodings import Decoded, decode
from multitag.errors import DataError

# The characters other than CR and LF that str.splitlines() treats as line boundaries. In a file
# of whitespace-separated columns they would be read as column separators and silently merge
# lines, so a data line holding one is refused.
LINE_BOUNDARY_CHARS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"
BOM = "\ufeff"

_BREAK = re.compile(r"\r\n|\r|\n")
_LF_CR = re.compile(r"(?<!\r)\n\r(?!\n)")      # LF followed by a CR that does not start a CRLF
_CR_OR_LF = re.compile(r"[\r\n]")
_LONE_CR = re.compile(r"(?<!\n)\r(?!\n)")   # a CR that is a line break on its own
_ODD = re.compile(f"[{re.escape(LINE_BOUNDARY_CHARS + BOM)}]")


def _line_at(text: str, offset: int) -> int:
    """1-based line of character ``offset`` of ``text`` (LF CR pairs counted once when all breaks are)."""
    head = text[:offset]
    if "\n\r" in head and not _CR_OR_LF.search(head.replace("\n\r", "")):
        return head.count("\n\r") + 1
    return len(_BREAK.findall(head)) + 1


def read_decoded(path: str | os.PathLike, encoding: str | None = None) -> Decoded:
    """The whole file as text without its leading BOM, with the encoding it was read with, or a
    :class:`DataError` (``encoding`` given: strictly in it; else UTF-8, cp1252 or Latin-1)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise DataError("file not found", path=path) from None
    except IsADirectoryError:
        raise DataError("is a folder, expected a file", path=path) from None
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror}", path=path) from None
    return decode(data, path, encoding, line_at=_line_at)


def read_text(path: str | os.PathLike, encoding: str | None = None) -> str:
    """The whole file's text (see :func:`read_decoded`)."""
    return read_decoded(path, encoding).text


def split_lines(text: str, path: str) -> list[str]:
    """The lines of ``text`` without their line breaks (a final line break ends the last line)."""
    if "\n\r" in text and not _CR_OR_LF.search(text.replace("\n\r", "")):
        lines = text.split("\n\r")                  # every line ends with LF CR
    elif "\r" in text:
        m = _LF_CR.search(text)
        if m is not None and not _LONE_CR.search(text):
            raise DataError(
                "this line ends with LF CR (\\n\\r) but other lines end with \\n or \\r\\n: "
                "it is unclear whether a blank line is meant; save the file with one line-ending convention",
                path=path, line=_line_at(text, m.start()))
        lines = _BREAK.split(text)
    else:
        lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _char_name(c: str) -> str:
    return f"U+{ord(c):04X} ({unicodedata.name(c, 'control character').lower()})"


@dataclass(frozen=True)
class TextFile:
    """A file's lines (without line breaks) and the encoding they were read with."""

    lines: list[str]
    encoding: str


def read_lines(path: str | os.PathLike, *, columns: bool = True, encoding: str | None = None) -> list[str]:
    """The file's lines (see :func:`read_text_file`)."""
    return read_text_file(path, columns=columns, encoding=encoding).lines


def read_text_file(path: str | os.PathLike, *, columns: bool = True, encoding: str | None = None) -> TextFile:
    """The file's lines and encoding, or a :class:`DataError` naming file and line.

    Parameters
    ----------
    columns : the lines hold whitespace-separated columns (CoNLL, parallel files). Then a
        non-blank line holding a Unicode line boundary other than CR/LF (form feed, U+0085,
        U+2028, ...) or a byte-order mark (as left by concatenating files) is refused: either
        would be read as part of a token or as a column separator, not as what it is.
    encoding : a Python codec name to read the file strictly with; ``None``: UTF-8, else cp1252
        or Latin-1 (:func:`multitag.data.encodings.decode`).
    """
    path = os.fspath(path)
    decoded = read_decoded(path, encoding)
    text = decoded.text
    if not text.strip():
        raise DataError("the file is empty", path=path)
    lines = split_lines(text, path)
    if columns and _ODD.search(text):
        for lineno, line in enumerate(lines, start=1):
            m = _ODD.search(line)
            if m is None or not line.strip():
                continue
            c = m.group()
            if c == BOM:
                raise DataError("a byte-order mark (U+FEFF) inside the file (were files concatenated?); remove it",
                                path=path, line=lineno)
            raise DataError(f"character {_char_name(c)} inside a line: only \\n, \\r\\n and \\r break lines, "
                            "and columns are separated by spaces or tabs; replace it", path=path, line=lineno)
    return TextFile(lines, decoded.encoding)
