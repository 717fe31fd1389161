"""BRAT standoff folders: ``NAME.txt`` with ``NAME.ann`` beside it, text-bound annotations to tokens.

Each non-blank line of a ``.txt`` file is a sentence; it is tokenised into runs of word characters
and single other non-space characters (``IL-2`` -> ``IL``, ``-``, ``2``). Each text-bound annotation
``T1<TAB>TYPE START END<TAB>TEXT`` (character offsets into the text) covers the tokens inside it and
becomes IOB2 tags. Refused, naming the ``.ann`` line: a discontinuous span (``0 5;8 12``), a span
whose text is not the text at its offsets, a boundary inside a token, a span across a line break,
and two spans that cross. Rule for nesting: a span inside another is dropped and the outer kept
(as GermEval's outer level), counted in the reader's notes. Relations, events, attributes and notes
(``R``, ``E``, ``A``, ``M``, ``N``, ``#`` lines) are not entities and are ignored.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from multitag.data.sentence import Sentence
from multitag.data.textfile import read_decoded, read_text_file
from multitag.errors import DataError

TOKEN = re.compile(r"\w+|[^\w\s]")
_SPAN = re.compile(r"^(\S+) (\d+) (\d+)$")


@dataclass(frozen=True)
class _Entity:
    type: str
    start: int
    end: int
    line: int


def is_brat_folder(path: str) -> bool:
    """A folder holding at least one ``.ann`` file."""
    return os.path.isdir(path) and any(n.endswith(".ann") for n in os.listdir(path))


def _entities(ann_path: str, text: str, encoding: str | None) -> list[_Entity]:
    out = []
    for lineno, line in enumerate(read_text_file(ann_path, columns=False, encoding=encoding).lines, start=1):
        if not line.startswith("T"):
            continue
        parts = line.split("\t")
        if len(parts) < 3:
            raise DataError("a text-bound annotation needs ID<TAB>TYPE START END<TAB>TEXT", path=ann_path, line=lineno)
        if ";" in parts[1]:
            raise DataError(f"a discontinuous span ({parts[1].split(' ', 1)[-1]}): multitag reads one contiguous span "
                            "per entity; split it into two annotations or remove it", path=ann_path, line=lineno)
        m = _SPAN.match(parts[1])
        if m is None:
            raise DataError(f"expected TYPE START END, got {parts[1]!r}", path=ann_path, line=lineno)
        typ, start, end = m.group(1), int(m.group(2)), int(m.group(3))
        if not start < end <= len(text) or text[start:end] != parts[2]:
            raise DataError(f"the span {start}-{end} is not the text {parts[2]!r} of the .txt file (another encoding "
                            "or line-ending convention than the annotation tool's?)", path=ann_path, line=lineno)
        if "\n" in text[start:end]:
            raise DataError("a span across a line break (a sentence per line)", path=ann_path, line=lineno)
        out.append(_Entity(typ, start, end, lineno))
    return out


def _outermost(entities: list[_Entity], ann_path: str) -> tuple[list[_Entity], int]:
    """The entities not inside another, and how many were inside one; crossing spans are refused."""
    kept: list[_Entity] = []
    nested = 0
    for e in sorted(entities, key=lambda e: (e.start, -e.end)):
        if kept and e.start < kept[-1].end:
            outer = kept[-1]
            if e.end > outer.end:
                raise DataError(f"this span ({e.start}-{e.end}) crosses the one at line {outer.line} "
                                f"({outer.start}-{outer.end}); multitag reads spans that nest or do not touch",
                                path=ann_path, line=e.line)
            nested += 1
            continue
        kept.append(e)
    return kept, nested


def _tokens(text: str) -> list[list[tuple[str, int, int]]]:
    """Per line of ``text``: its tokens with their character offsets into ``text``."""
    lines, offset = [], 0
    for line in text.split("\n"):
        lines.append([(m.group(), offset + m.start(), offset + m.end()) for m in TOKEN.finditer(line)])
        offset += len(line) + 1
    return lines


def _check_boundaries(entities: list[_Entity], lines, ann_path: str) -> None:
    starts = {s for tokens in lines for _, s, _ in tokens}
    ends = {e for tokens in lines for _, _, e in tokens}
    for x in entities:
        if x.start not in starts or x.end not in ends:
            raise DataError(f"the span {x.start}-{x.end} starts or ends inside a token or at a space (tokens are runs "
                            "of word characters and single other characters)", path=ann_path, line=x.line)


def _document(txt_path: str, prefix: str, first_id: int, encoding: str | None) -> tuple[list[Sentence], int]:
    ann_path = txt_path[: -len(".txt")] + ".ann"
    if not os.path.isfile(ann_path):
        raise DataError(f"no {os.path.basename(ann_path)} beside it (a BRAT document is NAME.txt and NAME.ann)",
                        path=txt_path)
    text = read_decoded(txt_path, encoding).text
    entities, nested = _outermost(_entities(ann_path, text, encoding), ann_path)
    lines = _tokens(text)
    _check_boundaries(entities, lines, ann_path)
    starts = {e.start: e for e in entities}
    sentences = []
    for lineno, tokens in enumerate(lines, start=1):
        if not tokens:
            continue
        tags, current = [], None
        for _, s, e in tokens:
            if s in starts:
                current = starts[s]
                tags.append(f"B-{current.type}")
            else:
                tags.append(f"I-{current.type}" if current is not None else "O")
            if current is not None and e == current.end:
                current = None
        sentences.append(Sentence([t for t, _, _ in tokens], tags, id=f"{prefix}:{first_id + len(sentences)}",
                                  line=lineno))
    return sentences, nested


def read_brat(folder: str | os.PathLike, *, id_prefix: str | None = None,
              encoding: str | None = None) -> tuple[list[Sentence], int]:
    """The sentences of every document of ``folder`` (by file name) and the number of nested spans dropped."""
    folder = os.fspath(folder)
    prefix = id_prefix if id_prefix is not None else os.path.basename(os.path.normpath(folder))
    sentences: list[Sentence] = []
    nested = 0
    for name in sorted(os.listdir(folder)):
        if name.endswith(".txt"):
            found, n = _document(os.path.join(folder, name), prefix, len(sentences), encoding)
            sentences += found
            nested += n
    if not sentences:
        raise DataError("no sentences in the BRAT folder (NAME.txt with NAME.ann beside it)", path=folder)
    return sentences, nested
