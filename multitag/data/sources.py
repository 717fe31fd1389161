"""Where a split comes from: its file(s), their format, and the file line of any token.

A split is one CoNLL file, one JSONL file, or a pair of parallel files (``*.seq.in`` tokens and
``*.seq.out`` tags, ATIS style; JointBERT ships them as ``train/seq.in`` and ``train/seq.out``).
This module owns file reading by name (:func:`read_file`); :mod:`multitag.data.readers` parses
each format.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from multitag.data.brat import is_brat_folder, read_brat
from multitag.data.columns import ColumnLayout
from multitag.data.hf import is_arrow_folder, is_hf_jsonl, read_hf_jsonl
from multitag.data.hf_arrow import read_hf_arrow
from multitag.data.conll import read_conll_file
from multitag.data.read_options import ReadOptions
from multitag.data.readers import read_jsonl, read_parallel
from multitag.data.sentence import Sentence
from multitag.data.spacy_docbin import read_docbin
from multitag.data.textfile import read_decoded
from multitag.errors import DataError

FORMATS = ("conll", "parallel", "jsonl", "brat", "hf-jsonl", "spacy", "arrow")


def _partner(path: str, suffix_from: str, suffix_to: str) -> str:
    """``a/train.seq.in`` -> ``a/train.seq.out`` (and ``a/seq.in`` -> ``a/seq.out``)."""
    return path[: -len(suffix_from)] + suffix_to


@dataclass(frozen=True)
class FileRead:
    """One split's sentences and how its file(s) were read: encoding, column layout (column files
    only), comment lines skipped, warnings (e.g. mojibake) for the commands to print."""

    sentences: list[Sentence]
    encoding: str
    layout: ColumnLayout | None = None
    n_comments: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SourceFile:
    """The file(s) of one split.

    Attributes
    ----------
    path : the file the split is named by: the CoNLL or JSONL file, or the tokens file
        (``*.seq.in``) of a parallel pair
    format : ``"conll"``, ``"parallel"``, ``"jsonl"``, ``"brat"`` (a folder of ``.txt`` + ``.ann``),
        ``"hf-jsonl"`` (Hugging Face ``tokens`` / ``ner_tags`` lines), ``"spacy"`` (a DocBin) or
        ``"arrow"`` (a ``save_to_disk`` folder or parquet file, read through pyarrow)
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
        if is_brat_folder(path):
            return cls(path, "brat")
        if is_arrow_folder(path) or name.endswith(".parquet"):
            return cls(path, "arrow")
        if name.endswith(".spacy"):
            return cls(path, "spacy")
        if os.path.isdir(path):
            tokens = os.path.join(path, "seq.in")
            if not os.path.isfile(tokens):
                raise DataError("is a folder without seq.in, expected a data file", path=path)
            path, name = tokens, "seq.in"
        if name.endswith(".jsonl") or name.endswith(".json"):
            return cls(path, "hf-jsonl" if is_hf_jsonl(path) else "jsonl")
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

    def read(self, *, id_prefix: str | None = None, tags: str = "required",
             options: ReadOptions | None = None) -> list[Sentence]:
        """The sentences, or a :class:`DataError` naming file and line (``tags``: see :func:`read_jsonl`)."""
        return self.load(id_prefix=id_prefix, tags=tags, options=options).sentences

    def load(self, *, id_prefix: str | None = None, tags: str = "required",
             options: ReadOptions | None = None) -> FileRead:
        """The sentences and how they were read (see :class:`FileRead`)."""
        options = options or ReadOptions()
        if self.format == "conll":
            r = read_conll_file(self.path, id_prefix=id_prefix, options=options)
            return FileRead(r.sentences, r.encoding, r.layout, r.n_comments, r.warnings)
        if self.format == "arrow":
            if options.columns or options.tag_column is not None:
                raise DataError("--columns and --tag-column apply to column (CoNLL) files; this is read as arrow",
                                path=self.path)
            return FileRead(read_hf_arrow(self.path, id_prefix=id_prefix), "Arrow")
        if options.columns or options.tag_column is not None:
            raise DataError(f"--columns and --tag-column apply to column (CoNLL) files; this file is read as "
                            f"{self.format}", path=self.path)
        if self.format == "brat":
            sentences, nested = read_brat(self.path, id_prefix=id_prefix, encoding=options.encoding)
            said = [f"{self.path}: {nested:,} span{'s' if nested > 1 else ''} inside another dropped (the outer kept)"]
            return FileRead(sentences, options.encoding or "UTF-8", warnings=said if nested else [])
        if self.format == "spacy":
            return FileRead(read_docbin(self.path, id_prefix=id_prefix), "spaCy DocBin")
        if self.format == "hf-jsonl":
            return FileRead(read_hf_jsonl(self.path, id_prefix=id_prefix, encoding=options.encoding),
                            options.encoding or "UTF-8")
        if self.format == "jsonl":
            sentences = read_jsonl(self.path, id_prefix=id_prefix, tags=tags, encoding=options.encoding)
            return FileRead(sentences, read_decoded(self.path, options.encoding or "utf-8").encoding)
        sentences = read_parallel(self.path, self.tags_path, id_prefix=id_prefix, encoding=options.encoding)
        return FileRead(sentences, read_decoded(self.path, options.encoding).encoding)

    def tag_line(self, sentence: Sentence, token: int = 0) -> tuple[str, int | None]:
        """``(file, 1-based line)`` holding the tag of token ``token`` of ``sentence`` (read from this source)."""
        if sentence.line is None:
            return self.path, None
        if self.format == "conll":
            return self.path, sentence.line + token
        if self.format == "parallel":
            return self.tags_path or self.path, sentence.line
        if self.format in ("brat", "spacy"):
            return self.path, None          # a line of one of the folder's documents / no lines
        return self.path, sentence.line


def read_file(path: str | os.PathLike, *, id_prefix: str | None = None, tags: str = "required",
              options: ReadOptions | None = None) -> list[Sentence]:
    """Read one split by its file name (see :class:`SourceFile`): ``*.jsonl``, ``*.seq.in`` /
    ``seq.in`` (with the ``.seq.out`` beside it) or a folder holding ``seq.in``, else CoNLL.
    ``tags`` applies to JSONL (see :func:`~multitag.data.readers.read_jsonl`)."""
    return SourceFile.for_path(path).read(id_prefix=id_prefix, tags=tags, options=options)
