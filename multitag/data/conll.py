"""The CoNLL column-file reader: comments, ``-DOCSTART-``, any column layout, any encoding.

Whitespace-only lines separate sentences; ``-DOCSTART-`` lines are skipped. A line at the start
of a sentence whose first cell is ``#`` is a comment (GermEval-2014's ``#`` source lines, CoNLL-U's
``# key = value``) unless it reads as a data line of the file: as many cells as the data lines, a
tag among them and not the ``# key = value`` shape; so a token ``#`` with its tag stays a token.
Every data line must have the same number of columns. Which column holds what is
:mod:`multitag.data.columns`'s to decide; the encoding :mod:`multitag.data.encodings`'s.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from multitag.data.columns import ColumnLayout, Rows, detect_layout
from multitag.data.encodings import mojibake
from multitag.data.read_options import ReadOptions
from multitag.data.schemes import is_valid_tag
from multitag.data.sentence import Sentence
from multitag.data.tag_cells import read_tag
from multitag.data.textfile import read_text_file
from multitag.errors import DataError

DOCSTART = "-DOCSTART-"
_KEY_VALUE = re.compile(r"^#\s*[\w.\-]+\s*=")


@dataclass(frozen=True)
class ConllRead:
    """What reading one column file found: the sentences and how they were read."""

    sentences: list[Sentence]
    encoding: str
    layout: ColumnLayout
    n_comments: int = 0
    warnings: list[str] = field(default_factory=list)


def _is_comment(cells: list[str], raw: str, n_cols: int) -> bool:
    if len(cells) != n_cols or _KEY_VALUE.match(raw.strip()):
        return True
    return n_cols > 1 and not any(is_valid_tag(c) or c == "_" for c in cells[1:])


def _blocks(lines: list[str]) -> tuple[list[list[tuple[int, list[str], bool]]], int | None]:
    """Sentences of ``(line, cells, maybe a comment)`` and the column count of the first plain data line."""
    blocks: list[list[tuple[int, list[str], bool]]] = [[]]
    n_cols = None
    at_start = True
    for lineno, raw in enumerate(lines, start=1):
        cells = raw.split()
        if not cells or cells[0] == DOCSTART:
            if blocks[-1]:
                blocks.append([])
            at_start = True
            continue
        candidate = at_start and cells[0] == "#"
        at_start = at_start and candidate
        if not candidate and n_cols is None:
            n_cols = len(cells)
        blocks[-1].append((lineno, cells, candidate))
    return [b for b in blocks if b], n_cols


def _data_rows(lines: list[str], path: str) -> tuple[Rows, int, int]:
    """The data lines by sentence, their column count and the number of comment lines."""
    blocks, n_cols = _blocks(lines)
    if n_cols is None:
        n_cols = next((len(cells) for b in blocks for _, cells, _ in b), 0)
    rows: Rows = []
    n_comments = 0
    first_line = None
    for block in blocks:
        sentence = []
        for lineno, cells, candidate in block:
            if candidate and _is_comment(cells, lines[lineno - 1], n_cols):
                n_comments += 1
                continue
            if first_line is None and len(cells) == n_cols:
                first_line = lineno
            if len(cells) != n_cols:
                raise DataError(f"{len(cells)} columns, but the file's first data line ({first_line}) has {n_cols}",
                                path=path, line=lineno)
            sentence.append((lineno, cells))
        if sentence:
            rows.append(sentence)
    return rows, n_cols, n_comments


def read_conll_file(path: str | os.PathLike, *, id_prefix: str | None = None,
                    options: ReadOptions = ReadOptions()) -> ConllRead:
    """Read a CoNLL column file (see the module's description), or a :class:`DataError` naming file and line."""
    path = os.fspath(path)
    prefix = id_prefix if id_prefix is not None else os.path.basename(path)
    text = read_text_file(path, encoding=options.encoding)
    rows, n_cols, n_comments = _data_rows(text.lines, path)
    if not rows:
        raise DataError("no sentences in the file", path=path)
    layout = detect_layout(rows, n_cols, path, columns=options.columns, tag_column=options.tag_column)
    where = f" in column {layout.tag + 1}" if layout.tag is not None else ""
    hint = "or _ for not annotated" + layout.hint
    sentences = []
    for sentence in rows:
        tokens = [cells[layout.token] for _, cells in sentence]
        tags = None if layout.tag is None else [read_tag(cells[layout.tag], path, lineno, hint=hint, where=where)
                                                 for lineno, cells in sentence]
        pos = None if layout.pos is None else [cells[layout.pos] for _, cells in sentence]
        sentences.append(Sentence(tokens, tags, pos, id=f"{prefix}:{len(sentences)}", line=sentence[0][0]))
    warnings = []
    garbled = mojibake(text.lines) if text.encoding.startswith("UTF-8") else None
    if garbled is not None:
        line, seen, meant = garbled
        warnings.append(f"{path}:{line}: {seen!r} reads like UTF-8 text that was decoded as cp1252/Latin-1 and saved "
                        f"again ({meant!r} meant?); the file is read as it is")
    return ConllRead(sentences, text.encoding, layout, n_comments, warnings)
