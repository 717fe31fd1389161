"""Which column of a CoNLL-style file is the token, which the tag: detected from the values, or given.

Detected, in this order, from the data lines (comments and ``-DOCSTART-`` left out):

* an **index column**: the first of at least three columns, counting ``1, 2, 3, ...`` in every
  sentence (GermEval-2014, CoNLL-U); it is not read;
* the **tag column**: a column is a tag column when every value is a tag (``O``, ``B-X``, ...) or
  ``_``, at least one being a tag. The last column when it is one (the common layout); else the
  first, when it is one and the file has one other column (tag first, token second: the MIT Movie
  / Restaurant ``.bio`` files);
* **nested tags**: the column before the last tag column is a tag column too and not a chunk
  column (``B-NP``, ``I-VP``, as the third column of CoNLL-2003): the file has an outer and an inner
  tag column (GermEval-2014) and is refused unless ``--tag-column outer|inner`` picks one;
* a **POS column**: the second of four columns, token first and tag last (CoNLL-2003).

A layout that reads two ways (the token column holds tags only too, two counting columns, a tag
first column with several others) is refused with the readings named. With no tag column found, the last column is read as
the tag column, and its first value that is not a tag is an error naming column and line.
"""
from __future__ import annotations

from dataclasses import dataclass

from multitag.data.read_options import format_columns
from multitag.data.schemes import is_valid_tag, split_tag
from multitag.data.tag_cells import is_tag_cell
from multitag.errors import DataError

CHUNK_TYPES = frozenset({"NP", "VP", "PP", "ADJP", "ADVP", "SBAR", "PRT", "CONJP", "INTJ", "LST", "UCP"})

Rows = list[list[tuple[int, list[str]]]]      # sentences of (line number, cells)


@dataclass(frozen=True)
class ColumnLayout:
    """0-based columns of one file; ``tag`` / ``pos`` / ``index`` are ``None`` when absent.

    ``nested`` holds the (outer, inner) tag columns when the file has both; ``given``: stated by
    the caller (``--columns`` / ``--tag-column``), not detected; ``hint``: what to try when a tag
    column value is not a tag."""

    n_cols: int
    token: int
    tag: int | None = None
    pos: int | None = None
    index: int | None = None
    nested: tuple[int, int] | None = None
    given: bool = False
    hint: str = ""

    @property
    def tag_first(self) -> bool:
        return self.tag is not None and self.tag < self.token

    @property
    def is_plain(self) -> bool:
        """Token first and tag last, nothing else to say (the layout everyone expects)."""
        return self.token == 0 and self.tag in (None, self.n_cols - 1) and self.index is None and not self.nested

    @property
    def columns(self) -> dict[str, int]:
        """The 1-based ``--columns`` mapping that reads this layout."""
        out = {"token": self.token + 1}
        if self.tag is not None:
            out["tag"] = self.tag + 1
        if self.pos is not None:
            out["pos"] = self.pos + 1
        return out

    def describe(self) -> str:
        """``"token column 2, tag column 1, tag first"`` and the like."""
        parts = [f"token column {self.token + 1}"]
        if self.tag is not None:
            parts.append(f"tag column {self.tag + 1}")
        if self.pos is not None:
            parts.append(f"POS column {self.pos + 1}")
        notes = []
        if self.index is not None:
            notes.append(f"index column {self.index + 1}")
        if self.tag_first:
            notes.append("tag first")
        if self.nested:
            which = "outer" if self.tag == self.nested[0] else "inner"
            notes.append(f"{which} of the nested tag columns {self.nested[0] + 1} and {self.nested[1] + 1}")
        if self.given:
            notes.append("as given")
        return ", ".join(parts + notes)


def _cells(rows: Rows, c: int):
    for sentence in rows:
        for _, cells in sentence:
            yield cells[c]


def _is_tag_column(rows: Rows, c: int) -> bool:
    seen_tag = False
    for value in _cells(rows, c):
        if not is_tag_cell(value):
            return False
        seen_tag = seen_tag or value != "_"
    return seen_tag


def _is_chunk_column(rows: Rows, c: int) -> bool:
    """Every value a chunk tag (``B-NP``, ``I-VP``) or ``O`` / ``_``, and at least one a chunk tag."""
    values = set(_cells(rows, c)) - {"O", "_"}
    return bool(values) and all(split_tag(v)[1] in CHUNK_TYPES for v in values)


def _counts(rows: Rows, c: int) -> bool:
    return all(cells[c] == str(k) for sentence in rows for k, (_, cells) in enumerate(sentence, start=1))


def _mostly_tags(rows: Rows, c: int) -> bool:
    values = list(_cells(rows, c))
    return sum(is_valid_tag(v) for v in values) * 2 > len(values)


def _first_line(rows: Rows) -> int | None:
    return next((sentence[0][0] for sentence in rows if sentence), None)


def _given(n_cols: int, columns: dict[str, int], tag_column, path: str) -> ColumnLayout:
    roles = dict(columns)
    if isinstance(tag_column, int):
        roles["tag"] = tag_column
    for role, col in roles.items():
        if col > n_cols:
            raise DataError(f"--columns {role}={col}, but the file has {n_cols} column{'s' if n_cols > 1 else ''}",
                            path=path)
    tag = roles.get("tag")
    return ColumnLayout(n_cols, roles["token"] - 1, None if tag is None else tag - 1,
                        None if "pos" not in roles else roles["pos"] - 1, given=True)


def detect_layout(rows: Rows, n_cols: int, path: str, *, columns: dict[str, int] | None = None,
                  tag_column: str | int | None = None) -> ColumnLayout:
    """The layout of a file whose data lines (by sentence) are ``rows``, each of ``n_cols`` cells."""
    if columns:
        return _given(n_cols, columns, tag_column, path)
    if n_cols == 1:
        if tag_column is not None:
            raise DataError(f"--tag-column {tag_column}: the file has one column (tokens only)", path=path)
        return ColumnLayout(1, 0)
    index = None
    if n_cols >= 3 and _counts(rows, 0):
        if _counts(rows, 1):
            raise DataError("columns 1 and 2 both count 1, 2, 3, ... in every sentence, so either could be the index: "
                            f"state the layout with --columns token=2,tag={n_cols} or --columns token=1,tag={n_cols}",
                            path=path, line=_first_line(rows))
        index = 0
    data = [c for c in range(n_cols) if c != index]
    if isinstance(tag_column, int):
        if tag_column > n_cols:
            raise DataError(f"--tag-column {tag_column}, but the file has {n_cols} columns", path=path)
        tag = tag_column - 1
        token = data[0] if data[0] != tag else data[1]
        return ColumnLayout(n_cols, token, tag, index=index, given=True)
    first, last = data[0], data[-1]
    tags = {c for c in data if _is_tag_column(rows, c)}
    line = _first_line(rows)
    if last in tags:
        before = data[-2] if len(data) >= 3 else None
        if before is not None and before in tags and not _is_chunk_column(rows, before) and first not in tags:
            return _nested(n_cols, first, (before, last), index, tag_column, path, line)
        if tag_column is not None:
            raise DataError(f"--tag-column {tag_column}: the file has one tag column ({last + 1})", path=path)
        if first in tags:
            raise DataError(f"columns {first + 1} and {last + 1} both hold tags only, so the file reads two ways: "
                            f"--columns token={first + 1},tag={last + 1} or --columns token={last + 1},tag={first + 1}",
                            path=path, line=line)
        pos = 1 if n_cols == 4 and index is None and first == 0 else None
        return ColumnLayout(n_cols, first, last, pos=pos, index=index)
    if tag_column is not None:
        raise DataError(f"--tag-column {tag_column}: no column of the file holds tags only", path=path)
    if first in tags:
        if len(data) > 2:
            raise DataError(f"column {first + 1} holds tags and the last column does not, so any of columns "
                            f"{', '.join(str(c + 1) for c in data[1:])} could be the token: state the layout with "
                            f"--columns token=N,tag={first + 1}", path=path, line=line)
        return ColumnLayout(n_cols, data[1], first, index=index)
    hint = ""
    if _mostly_tags(rows, first):
        hint = (f"; column {first + 1} holds tags in most lines: if the tag comes first, read the file with "
                f"--columns token={data[1] + 1},tag={first + 1}")
    pos = 1 if n_cols == 4 and index is None else None
    return ColumnLayout(n_cols, first, last, pos=pos, index=index, hint=hint)


def _nested(n_cols: int, token: int, pair: tuple[int, int], index, tag_column, path: str, line) -> ColumnLayout:
    outer, inner = pair
    if tag_column not in ("outer", "inner"):
        raise DataError(f"two tag columns, {outer + 1} and {inner + 1} (outer and inner entities, as GermEval-2014 ships "
                        f"them): read the outer ones with --tag-column outer (--columns "
                        f"{format_columns({'token': token + 1, 'tag': outer + 1})}) or the inner ones with "
                        f"--tag-column inner", path=path, line=line)
    return ColumnLayout(n_cols, token, outer if tag_column == "outer" else inner, index=index, nested=pair)
