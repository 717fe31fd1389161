"""Reading the text of a new project: CoNLL or JSONL (already tokenised; tags that are present
become annotations of round 0) or plain text (a sentence, or a whole document, per line; tokenised
with character offsets)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterator

from multitag.data.schemes import is_valid_tag
from multitag.errors import DataError, MultitagError
from multitag.project.tokenize import Piece, from_tokens, tokenizer

TEXT_FORMATS = ("auto", "conll", "jsonl", "text")


@dataclass
class Document:
    name: str
    text: str
    sentences: list[Piece] = field(default_factory=list)
    tags: list[list[str | None] | None] = field(default_factory=list)   # per sentence, IOB2 or None
    pos: list[list[str] | None] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)                    # file:line of each sentence


def _looks_like_conll(path: str) -> bool:
    """Token-per-line columns: most lines have at most 4 fields, and either blank lines separate
    sentences or the last field is a tag."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            lines = [next(fh, "") for _ in range(400)]
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror}", path=path) from None
    lines = [ln.rstrip("\r\n") for ln in lines]
    data = [ln for ln in lines if ln.strip()]
    if not data:
        raise DataError("the file is empty", path=path)
    short = sum(1 for ln in data if len(ln.split()) <= 4)
    blanks = sum(1 for ln in lines[: len(lines)] if not ln.strip()) > 0
    tagged = sum(1 for ln in data if len(ln.split()) >= 2 and (is_valid_tag(ln.split()[-1]) or ln.split()[-1] == "_"))
    return short >= 0.9 * len(data) and (tagged >= 0.9 * len(data) or (blanks and short == len(data)))


def detect_format(path: str) -> str:
    if path.lower().endswith(".jsonl"):
        return "jsonl"
    return "conll" if _looks_like_conll(path) else "text"


def _from_dataset(path: str) -> list[Document]:
    from multitag.data import load_dataset

    ds = load_dataset(path, tags="optional")
    docs = []
    for s in ds.train:
        piece = from_tokens(list(s.tokens))
        d = Document(name=f"{os.path.basename(path)}:{s.line or ''}", text=piece.text, sentences=[piece],
                     tags=[None if s.is_unannotated else list(s.tags)], pos=[None if s.pos is None else list(s.pos)],
                     sources=[f"{path}:{s.line}" if s.line else path])
        docs.append(d)
    return docs


@dataclass
class TextSource:
    """The text of a new project, read as it is written: what must be known before the store is
    written (the entity types of its tags, whether it has POS tags), then its documents, in order,
    from :attr:`documents` (once). CoNLL and JSONL are read whole (their readers do); plain text is
    streamed line by line, so its errors (invalid UTF-8, with file and line) come as it is read.

    ``size`` is the file's size in bytes and ``bytes_read`` how far the documents have got."""

    path: str
    fmt: str
    size: int
    tag_types: set[str]
    has_pos: bool
    documents: Iterator[Document]
    bytes_read: int = 0


def _lines(path: str, source: TextSource) -> Iterator[tuple[int, str]]:
    """(line number, line) of a plain-text file without its line breaks (``\\n``, ``\\r\\n`` or a lone
    ``\\r``); a leading BOM is dropped. Invalid UTF-8 raises a :class:`DataError` naming the line."""
    try:
        fh = open(path, "rb")
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror}", path=path) from None
    lineno = 0
    with fh:
        for physical, raw in enumerate(fh, start=1):
            source.bytes_read += len(raw)
            if physical == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise DataError("bytes that are not valid UTF-8", path=path, line=physical) from None
            text = text[:-1] if text.endswith("\n") else text
            text = text[:-1] if text.endswith("\r") else text
            for line in text.split("\r"):
                lineno += 1
                yield lineno, line


def _text_documents(path: str, source: TextSource, tokenizer_name: str, documents: bool) -> Iterator[Document]:
    tok = tokenizer(tokenizer_name)
    found = False
    for lineno, line in _lines(path, source):
        if not line.strip():
            continue
        pieces = tok(line, documents)
        if not pieces:
            continue
        found = True
        yield Document(name=f"{os.path.basename(path)}:{lineno}", text=line, sentences=pieces,
                       tags=[None] * len(pieces), pos=[None] * len(pieces), sources=[f"{path}:{lineno}"] * len(pieces))
    if not found:
        raise DataError("no text in the file", path=path)


def open_text(path: str, *, fmt: str = "auto", tokenizer_name: str = "spacy", documents: bool = False) -> TextSource:
    """The text of ``path``, to be read through :attr:`TextSource.documents`.

    Parameters
    ----------
    fmt : ``auto`` (by name and content), ``conll``, ``jsonl`` or ``text``.
    tokenizer_name : for plain text: ``spacy`` or ``whitespace``.
    documents : for plain text: each line is a document to split into sentences (else one sentence).
    """
    if not os.path.isfile(path):
        raise DataError("no such file", path=path)
    if fmt not in TEXT_FORMATS:
        raise MultitagError(f"--format {fmt!r}: use one of {', '.join(TEXT_FORMATS)}")
    if fmt == "auto":
        fmt = detect_format(path)
    size = os.path.getsize(path)
    if fmt in ("conll", "jsonl"):
        docs = _from_dataset(path)
        types = {t[2:] for d in docs for tags in d.tags if tags for t in tags if t not in (None, "O")}
        has_pos = all(p is not None for d in docs for p in d.pos)
        return TextSource(path, fmt, size, types, has_pos, iter(docs), bytes_read=size)
    tokenizer(tokenizer_name)   # an unknown or missing tokenizer fails before anything is read
    source = TextSource(path, fmt, size, set(), False, iter(()))
    source.documents = _text_documents(path, source, tokenizer_name, documents)
    return source


def read_text(path: str, *, fmt: str = "auto", tokenizer_name: str = "spacy", documents: bool = False) -> list[Document]:
    """Every document of ``path`` (:func:`open_text`, read through)."""
    return list(open_text(path, fmt=fmt, tokenizer_name=tokenizer_name, documents=documents).documents)
