"""spaCy ``.spacy`` files (``DocBin``), read through spaCy (an optional dependency, imported only here
and only when such a file is read; spaCy imports thinc, which imports torch when installed).

Each ``Doc`` is a sentence, or, when the doc has sentence boundaries, each of its sentences; tags
are IOB2 from ``doc.ents`` (spaCy keeps entities flat, so they never overlap).
"""
from __future__ import annotations

import os

from multitag.data.sentence import Sentence
from multitag.errors import DataError


def read_docbin(path: str | os.PathLike, *, id_prefix: str | None = None) -> list[Sentence]:
    path = os.fspath(path)
    prefix = id_prefix if id_prefix is not None else os.path.basename(path)
    try:
        from spacy.tokens import DocBin
        from spacy.vocab import Vocab
    except ImportError:
        raise DataError("reading .spacy files needs spaCy, which is not installed: pip install 'multitag[text]'",
                        path=path) from None
    try:
        with open(path, "rb") as fh:
            docs = list(DocBin().from_bytes(fh.read()).get_docs(Vocab()))
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror}", path=path) from None
    except Exception as e:          # spaCy / msgpack raise many kinds on a damaged file
        raise DataError(f"not a spaCy DocBin file ({type(e).__name__}: {e})", path=path) from None
    sentences = []
    for doc in docs:
        parts = list(doc.sents) if doc.has_annotation("SENT_START") else [doc[:]]
        for span in parts:
            tokens = [t.text for t in span if not t.is_space]
            tags = [("O" if t.ent_iob_ in ("O", "") else f"{t.ent_iob_}-{t.ent_type_}") for t in span if not t.is_space]
            if tokens:
                sentences.append(Sentence(tokens, tags, id=f"{prefix}:{len(sentences)}"))
    if not sentences:
        raise DataError("no sentences in the file", path=path)
    return sentences
