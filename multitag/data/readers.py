"""Readers for CoNLL column files, ATIS-style parallel files and JSONL: one function per format.

Which format a path holds is :mod:`multitag.data.sources`'s to decide (``read_file`` there).

Every problem with the input raises :class:`~multitag.errors.DataError` naming the file and the
1-based line; nothing is silently skipped or mis-read.

``_`` in a tag position (CoNLL, parallel files) and ``null`` (JSONL) mean "not annotated".
"""
from __future__ import annotations

import json
import os
from typing import Iterator

from multitag.data.conll import read_conll_file
from multitag.data.read_options import ReadOptions
from multitag.data.sentence import Sentence
from multitag.data.tag_cells import UNANNOTATED, read_tag
from multitag.data.textfile import read_lines
from multitag.errors import DataError, MultitagError

JSONL_KEYS = ("tokens", "tags", "pos", "id")


def _encodable(obj) -> bool:
    """Whether ``obj`` (parsed JSON) can be written as UTF-8 (no lone surrogates from ``\\ud800`` escapes)."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _tag(value: str, path: str, line: int, *, hint: str = "or _ for not annotated") -> str | None:
    return read_tag(value, path, line, hint=hint)


def read_conll(path: str | os.PathLike, *, id_prefix: str | None = None, encoding: str | None = None,
               options: ReadOptions | None = None) -> list[Sentence]:
    """Read a CoNLL column file (:func:`multitag.data.conll.read_conll_file`): by default the token is
    the first column and the tag the last; with 4 columns the second is POS (``TOKEN POS CHUNK TAG``,
    CoNLL-2003); one column means unlabeled text; a tag-first file, an index column and nested
    tag columns are detected; ``#`` comment lines and ``-DOCSTART-`` lines are skipped.
    """
    options = options or ReadOptions(encoding=encoding)
    return read_conll_file(path, id_prefix=id_prefix, options=options).sentences


def read_parallel(tokens_path: str | os.PathLike, tags_path: str | os.PathLike | None = None,
                  *, id_prefix: str | None = None, encoding: str | None = None) -> list[Sentence]:
    """Read ATIS-style parallel files: line ``i`` of ``*.seq.in`` holds the tokens of sentence ``i``
    and line ``i`` of ``*.seq.out`` its tags, space-separated. Without ``tags_path`` the text is unlabeled."""
    tokens_path = os.fspath(tokens_path)
    prefix = id_prefix if id_prefix is not None else os.path.basename(tokens_path)
    token_lines = read_lines(tokens_path, encoding=encoding)
    tag_lines = None
    if tags_path is not None:
        tags_path = os.fspath(tags_path)
        tag_lines = read_lines(tags_path, encoding=encoding)
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


def _quoted(keys) -> str:
    return ", ".join(f'"{k}"' for k in keys)


def read_jsonl(path: str | os.PathLike, *, id_prefix: str | None = None, tags: str = "required",
               encoding: str | None = None) -> list[Sentence]:
    """Read one JSON object per line: ``{"tokens": [...], "tags": [...], "pos": [...], "id": ...}``.

    Parameters
    ----------
    tags : ``"required"`` (default): every line has a ``"tags"`` key, with ``null`` for a token
        that is not annotated (or ``"tags": null`` for a sentence without any), so that a missing or
        misspelled key is an error at its line rather than a silently unlabeled sentence.
        ``"optional"``: a line without ``"tags"`` is unlabeled text (importing plain text on purpose).

    The file is UTF-8 (as JSON text must be) unless ``encoding`` says otherwise.
    ``pos`` and ``id`` are optional; ``id`` is kept (as a string) when present. Any other key is an
    error that names it. Blank lines are skipped.
    """
    if tags not in ("required", "optional"):
        raise MultitagError(f"read_jsonl: tags must be 'required' or 'optional', not {tags!r}")
    path = os.fspath(path)
    prefix = id_prefix if id_prefix is not None else os.path.basename(path)
    sentences = []
    for lineno, line in enumerate(read_lines(path, columns=False, encoding=encoding or "utf-8"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"invalid JSON ({e.msg} at column {e.colno})", path=path, line=lineno) from None
        except ValueError as e:        # e.g. an integer of more than 4300 digits
            raise DataError(f"invalid JSON ({e})", path=path, line=lineno) from None
        except RecursionError:
            raise DataError("invalid JSON (nested too deeply)", path=path, line=lineno) from None
        if "\\u" in line and not _encodable(obj):
            raise DataError("a \\u escape that is a lone surrogate (not a character)", path=path, line=lineno)
        if not isinstance(obj, dict):
            raise DataError("expected a JSON object with a \"tokens\" list", path=path, line=lineno)
        unknown = [k for k in obj if k not in JSONL_KEYS]
        if "tags" not in obj and tags == "required":
            found = f"; unknown key {_quoted(unknown)} (misspelled?)" if len(unknown) == 1 else (
                f"; unknown keys {_quoted(unknown)}" if unknown else "")
            raise DataError(f"no \"tags\" key{found}: write \"tags\" with null for each token that is not "
                            "annotated, or read the file as unlabeled text", path=path, line=lineno)
        if unknown:
            raise DataError(f"unknown key{'s' if len(unknown) > 1 else ''} {_quoted(unknown)} "
                            f"(a line holds {_quoted(JSONL_KEYS)})", path=path, line=lineno)
        toks = obj.get("tokens")
        if not isinstance(toks, list) or not toks or not all(isinstance(t, str) and t and not any(c.isspace() for c in t) for t in toks):
            raise DataError("\"tokens\" must be a non-empty list of non-empty strings without spaces", path=path, line=lineno)
        tag_list = obj.get("tags")
        if tag_list is not None:
            if not isinstance(tag_list, list) or not all(t is None or isinstance(t, str) for t in tag_list):
                raise DataError("\"tags\" must be a list of strings or nulls", path=path, line=lineno)
            if len(tag_list) != len(toks):
                raise DataError(f"{len(tag_list)} tags for {len(toks)} tokens", path=path, line=lineno)
            for t in tag_list:
                if t == UNANNOTATED:
                    raise DataError(f"tag {t!r}: in JSONL a token that is not annotated has the tag null",
                                    path=path, line=lineno)
                if t is not None:
                    _tag(t, path, lineno, hint="or null for not annotated")
        pos = obj.get("pos")
        if pos is not None and (not isinstance(pos, list) or len(pos) != len(toks)
                                or not all(isinstance(p, str) and p and not any(c.isspace() for c in p) for p in pos)):
            raise DataError(f"\"pos\" must be a list of {len(toks)} non-empty strings without spaces", path=path, line=lineno)
        sid = obj.get("id")
        sentences.append(Sentence(toks, tag_list, pos, id=str(sid) if sid is not None else f"{prefix}:{len(sentences)}",
                                  line=lineno))
    if not sentences:
        raise DataError("no sentences in the file", path=path)
    return sentences


def iter_tokens(sentences) -> Iterator[str]:
    for s in sentences:
        yield from s.tokens
