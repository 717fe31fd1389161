"""Where a split comes from: its file(s), their format, and the file line of any token.

A split is one CoNLL file, one JSONL file, or a pair of parallel files (``*.seq.in`` tokens and
``*.seq.out`` tags, ATIS style; JointBERT ships them as ``train/seq.in`` and ``train/seq.out``).
This module owns file reading by name (:func:`read_file`); :mod:`multitag.data.readers` parses
each format.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from multitag.data.readers import read_conll, read_jsonl, read_parallel
from multitag.data.sentence import Sentence
from multitag.errors import DataError

FORMATS = ("conll", "parallel", "jsonl")


def _partner(path: str, suffix_from: str, suffix_to: str) -> str:
    """``a/train.seq.in`` -> ``a/train.seq.out`` (and ``a/seq.in`` -> ``a/seq.out``)."""
    return path[: -len(suffix_from)] + suffix_to


@dataclass(frozen=True)
class SourceFile:
    """The file(s) of one split.

    Attributes
    ----------
    path : the file the split is named by: the CoNLL or JSONL file, or the tokens file
        (``*.seq.in``) of a parallel pair
    format : ``"conll"``, ``"parallel"`` or ``"jsonl"``
    tags_path : the tags file (``*.seq.out``) of a parallel pair; ``None`` when the text is unlabeled
        or the format is not parallel
    """

    path: str
    format: str
    tags_path: str | None = None

    @classmethod
    def for_path(cls, path: str | os.PathLike) -> "SourceFile":
        """The source a path names: ``*.jsonl``; ``*.seq.in`` / ``seq.in`` (or its ``.seq.out``), or a
        folder holding ``seq.in``; anything else is a CoNLL file."""
        path = os.fspath(path)
        name = os.path.basename(path)
        if os.path.isdir(path):
            tokens = os.path.join(path, "seq.in")
            if not os.path.isfile(tokens):
                raise DataError("is a folder without seq.in, expected a data file", path=path)
            path, name = tokens, "seq.in"
        if name.endswith(".jsonl"):
            return cls(path, "jsonl")
        if name == "seq.in" or name.endswith(".seq.in"):
            tags = _partner(path, ".in", ".out")
            return cls(path, "parallel", tags if os.path.exists(tags) else None)
        if name == "seq.out" or name.endswith(".seq.out"):
            tokens = _partner(path, ".out", ".in")
            if not os.path.exists(tokens):
                raise DataError(f"a tags file without its tokens file {os.path.basename(tokens)} beside it", path=path)
            return cls(tokens, "parallel", path)
        return cls(path, "conll")

    @property
    def files(self) -> tuple[str, ...]:
        """Every file read for the split."""
        return (self.path,) if self.tags_path is None else (self.path, self.tags_path)

    def __str__(self) -> str:
        if self.tags_path is None:
            return self.path
        return f"{self.path} + {os.path.basename(self.tags_path)}"

    def read(self, *, id_prefix: str | None = None, tags: str = "required") -> list[Sentence]:
        """The sentences, or a :class:`DataError` naming file and line (``tags``: see :func:`read_jsonl`)."""
        if self.format == "jsonl":
            return read_jsonl(self.path, id_prefix=id_prefix, tags=tags)
        if self.format == "parallel":
            return read_parallel(self.path, self.tags_path, id_prefix=id_prefix)
        return read_conll(self.path, id_prefix=id_prefix)

    def tag_line(self, sentence: Sentence, token: int = 0) -> tuple[str, int | None]:
        """``(file, 1-based line)`` holding the tag of token ``token`` of ``sentence`` (read from this source)."""
        if sentence.line is None:
            return self.path, None
        if self.format == "conll":
            return self.path, sentence.line + token
        if self.format == "parallel":
            return self.tags_path or self.path, sentence.line
        return self.path, sentence.line


def read_file(path: str | os.PathLike, *, id_prefix: str | None = None, tags: str = "required") -> list[Sentence]:
    """Read one split by its file name (see :class:`SourceFile`): ``*.jsonl``, ``*.seq.in`` /
    ``seq.in`` (with the ``.seq.out`` beside it) or a folder holding ``seq.in``, else CoNLL.
    ``tags`` applies to JSONL (see :func:`~multitag.data.readers.read_jsonl`)."""
    return SourceFile.for_path(path).read(id_prefix=id_prefix, tags=tags)
