"""Reading the text of a new project: CoNLL or JSONL (already tokenised; tags that are present
become annotations of round 0) or plain text (a sentence, or a whole document, per line; tokenised
with character offsets)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

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


def read_text(path: str, *, fmt: str = "auto", tokenizer_name: str = "spacy", documents: bool = False) -> list[Document]:
    """The documents of ``path``.

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
    if fmt in ("conll", "jsonl"):
        return _from_dataset(path)
    tok = tokenizer(tokenizer_name)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror}", path=path) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError("bytes that are not valid UTF-8", path=path, line=raw.count(b"\n", 0, e.start) + 1) from None
    docs = []
    for lineno, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        pieces = tok(line, documents)
        if not pieces:
            continue
        docs.append(Document(name=f"{os.path.basename(path)}:{lineno}", text=line, sentences=pieces,
                             tags=[None] * len(pieces), pos=[None] * len(pieces), sources=[f"{path}:{lineno}"] * len(pieces)))
    if not docs:
        raise DataError("no text in the file", path=path)
    return docs
