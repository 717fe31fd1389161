"""Readers for CoNLL column files, ATIS-style parallel files and JSONL.

Every problem with the input raises :class:`~multitag.errors.DataError` naming the file and the
1-based line; nothing is silently skipped or mis-read.

``_`` in a tag position (CoNLL, parallel files) and ``null`` (JSONL) mean "not annotated".
"""
from __future__ import annotations

import json
import os
from typing import Iterator

from multitag.data.schemes import is_valid_tag
from multitag.data.sentence import Sentence
from multitag.errors import DataError

UNANNOTATED = "_"


def _read_lines(path: str) -> list[str]:
    """The file's lines decoded as strict UTF-8 (a BOM is dropped), or a DataError."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise DataError("file not found", path=path) from None
    except IsADirectoryError:
        raise DataError("is a folder, expected a file", path=path) from None
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror}", path=path) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise DataError(f"bytes that are not valid UTF-8 ({data[e.start:e.start + 4]!r})", path=path, line=line) from None
    if not text.strip():
        raise DataError("the file is empty", path=path)
    return text.split("\n") if not text.endswith("\n") else text[:-1].split("\n")


def _tag(value: str, path: str, line: int) -> str | None:
    if value == UNANNOTATED:
        return None
    if not is_valid_tag(value):
        raise DataError(f"invalid tag {value!r} (expected O or B-/I-/E-/S-TYPE, or _ for not annotated)", path=path, line=line)
    return value


def read_conll(path: str | os.PathLike, *, id_prefix: str | None = None) -> list[Sentence]:
    """Read a CoNLL column file.

    The token is the first column and the tag the last; with 4 columns the second is POS
    (``TOKEN POS CHUNK TAG``, CoNLL-2003). One column means unlabeled text. Columns are separated
    by whitespace; whitespace-only lines separate sentences; ``-DOCSTART-`` lines are skipped.
    Every data line of a file must have the same number of columns.
    """
    path = os.fspath(path)
    prefix = id_prefix if id_prefix is not None else os.path.basename(path)
    sentences: list[Sentence] = []
    n_cols: int | None = None
    first_line: int | None = None
    tokens: list[str] = []
    tags: list[str | None] = []
    pos: list[str] = []
    start = [0]

    def flush() -> None:
        if tokens:
            sentences.append(
                Sentence(tokens, tags if n_cols and n_cols > 1 else None, pos if n_cols == 4 else None,
                         id=f"{prefix}:{len(sentences)}", line=start[0])
            )
            tokens.clear(), tags.clear(), pos.clear()

    for lineno, raw in enumerate(_read_lines(path), start=1):
        cols = raw.split()
        if not cols:
            flush()
            continue
        if cols[0] == "-DOCSTART-":
            flush()
            continue
        if n_cols is None:
            n_cols, first_line = len(cols), lineno
        elif len(cols) != n_cols:
            raise DataError(
                f"{len(cols)} columns, but the file's first data line ({first_line}) has {n_cols}", path=path, line=lineno
            )
        if not tokens:
            start[0] = lineno
        tokens.append(cols[0])
        if n_cols > 1:
            tags.append(_tag(cols[-1], path, lineno))
        if n_cols == 4:
            pos.append(cols[1])
    flush()
    if not sentences:
        raise DataError("no sentences in the file", path=path)
    return sentences


def read_parallel(tokens_path: str | os.PathLike, tags_path: str | os.PathLike | None = None,
                  *, id_prefix: str | None = None) -> list[Sentence]:
    """Read ATIS-style parallel files: line ``i`` of ``*.seq.in`` holds the tokens of sentence ``i``
    and line ``i`` of ``*.seq.out`` its tags, space-separated. Without ``tags_path`` the text is unlabeled."""
    tokens_path = os.fspath(tokens_path)
    prefix = id_prefix if id_prefix is not None else os.path.basename(tokens_path)
    token_lines = _read_lines(tokens_path)
    tag_lines = None
    if tags_path is not None:
        tags_path = os.fspath(tags_path)
        tag_lines = _read_lines(tags_path)
        if len(tag_lines) != len(token_lines):
            raise DataError(
                f"{len(tag_lines)} lines, but {os.path.basename(tokens_path)} has {len(token_lines)}",
                path=tags_path, line=min(len(tag_lines), len(token_lines)) + 1,
            )
    sentences = []
    for i, line in enumerate(token_lines):
        toks = line.split()
        if tag_lines is None:
            if not toks:
                raise DataError("empty line (every line must hold one sentence)", path=tokens_path, line=i + 1)
            sentences.append(Sentence(toks, None, id=f"{prefix}:{len(sentences)}", line=i + 1))
            continue
        tags = tag_lines[i].split()
        if not toks and not tags:
            raise DataError("empty line (every line must hold one sentence)", path=tokens_path, line=i + 1)
        if len(toks) != len(tags):
            raise DataError(
                f"{len(tags)} tags for the {len(toks)} tokens of line {i + 1} of {os.path.basename(tokens_path)}",
                path=tags_path, line=i + 1,
            )
        sentences.append(Sentence(toks, [_tag(t, tags_path, i + 1) for t in tags], id=f"{prefix}:{len(sentences)}", line=i + 1))
    return sentences


def read_jsonl(path: str | os.PathLike, *, id_prefix: str | None = None) -> list[Sentence]:
    """Read one JSON object per line: ``{"tokens": [...], "tags": [...], "pos": [...]}``.

    ``tags`` (entries may be ``null``) and ``pos`` are optional; ``id`` is kept when present.
    """
    path = os.fspath(path)
    prefix = id_prefix if id_prefix is not None else os.path.basename(path)
    sentences = []
    for lineno, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"invalid JSON ({e.msg} at column {e.colno})", path=path, line=lineno) from None
        if not isinstance(obj, dict):
            raise DataError("expected a JSON object with a \"tokens\" list", path=path, line=lineno)
        toks = obj.get("tokens")
        if not isinstance(toks, list) or not toks or not all(isinstance(t, str) and t and not any(c.isspace() for c in t) for t in toks):
            raise DataError("\"tokens\" must be a non-empty list of non-empty strings without spaces", path=path, line=lineno)
        tags = obj.get("tags")
        if tags is not None:
            if not isinstance(tags, list) or not all(t is None or isinstance(t, str) for t in tags):
                raise DataError("\"tags\" must be a list of strings or nulls", path=path, line=lineno)
            if len(tags) != len(toks):
                raise DataError(f"{len(tags)} tags for {len(toks)} tokens", path=path, line=lineno)
            for t in tags:
                if t is not None and not is_valid_tag(t):
                    raise DataError(f"invalid tag {t!r} (expected O or B-/I-/E-/S-TYPE)", path=path, line=lineno)
        pos = obj.get("pos")
        if pos is not None and (not isinstance(pos, list) or len(pos) != len(toks) or not all(isinstance(p, str) for p in pos)):
            raise DataError(f"\"pos\" must be a list of {len(toks)} strings", path=path, line=lineno)
        sid = obj.get("id")
        sentences.append(Sentence(toks, tags, pos, id=str(sid) if sid is not None else f"{prefix}:{len(sentences)}",
                                  line=lineno))
    if not sentences:
        raise DataError("no sentences in the file", path=path)
    return sentences


def read_file(path: str | os.PathLike, *, id_prefix: str | None = None) -> list[Sentence]:
    """Read one split by its file name: ``*.jsonl``, ``*.seq.in`` (with ``*.seq.out`` beside it), else CoNLL."""
    path = os.fspath(path)
    if path.endswith(".jsonl"):
        return read_jsonl(path, id_prefix=id_prefix)
    if path.endswith(".seq.in") or path.endswith(".seq.out"):
        base = path[: -len(".seq.in")] if path.endswith(".seq.in") else path[: -len(".seq.out")]
        out = base + ".seq.out"
        return read_parallel(base + ".seq.in", out if os.path.exists(out) else None, id_prefix=id_prefix)
    return read_conll(path, id_prefix=id_prefix)


def iter_tokens(sentences) -> Iterator[str]:
    for s in sentences:
        yield from s.tokens
