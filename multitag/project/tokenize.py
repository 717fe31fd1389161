"""Tokenising plain text for an annotation project, keeping character offsets.

* ``spacy``: spaCy's rule-based English tokenizer from a blank pipeline (``spacy.blank("en")``; no
  model download), with its rule-based ``sentencizer`` when a line holds a whole document;
* ``whitespace``: tokens are the runs of non-space characters (the fallback when spaCy is not
  installed); a line is one sentence.

Offsets are kept so that span-based tools (Label Studio, doccano) map back to tokens exactly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from multitag.errors import MultitagError

TOKENIZERS = ("spacy", "whitespace")


@dataclass
class Piece:
    """One sentence of a document: its text, its offset in the document, and its tokens with
    character offsets into ``text`` (``text[starts[i]:ends[i]] == tokens[i]``)."""

    text: str
    offset: int
    tokens: list[str]
    starts: list[int]
    ends: list[int]


def from_tokens(tokens: list[str]) -> Piece:
    """A sentence given as tokens: its text is the tokens joined by single spaces."""
    starts, ends, pos = [], [], 0
    for t in tokens:
        starts.append(pos)
        ends.append(pos + len(t))
        pos += len(t) + 1
    return Piece(" ".join(tokens), 0, list(tokens), starts, ends)


def _whitespace(document: str, split_sentences: bool) -> list[Piece]:
    if split_sentences:
        raise MultitagError("the whitespace tokenizer cannot split documents into sentences; "
                            "use --tokenizer spacy or give one sentence per line")
    matches = list(re.finditer(r"\S+", document))
    if not matches:
        return []
    first, last = matches[0].start(), matches[-1].end()
    return [Piece(document[first:last], first, [m.group() for m in matches],
                  [m.start() - first for m in matches], [m.end() - first for m in matches])]


_SPACY: dict[bool, object] = {}
#: a pipeline whose vocabulary holds more lexemes is replaced by a fresh one (every new word of the
#: text adds one; the tokens do not depend on them), so tokenising a million lines takes bounded memory
MAX_VOCAB = 200_000


def _spacy_pipeline(split_sentences: bool):
    if split_sentences not in _SPACY:
        try:
            import spacy
        except ImportError:
            raise MultitagError("plain text is tokenised with spaCy, which is not installed: "
                                "pip install 'multitag[text]', or pass --tokenizer whitespace") from None
        nlp = spacy.blank("en")
        if split_sentences:
            nlp.add_pipe("sentencizer")
        _SPACY[split_sentences] = nlp
    return _SPACY[split_sentences]


def _spacy(document: str, split_sentences: bool) -> list[Piece]:
    nlp = _spacy_pipeline(split_sentences)
    doc = nlp(document)
    if len(nlp.vocab) > MAX_VOCAB:
        del _SPACY[split_sentences]
    spans = list(doc.sents) if split_sentences else [doc[:]]
    out = []
    for span in spans:
        toks = [t for t in span if not t.is_space]
        if not toks:
            continue
        first, last = toks[0].idx, toks[-1].idx + len(toks[-1].text)
        out.append(Piece(document[first:last], first, [t.text for t in toks], [t.idx - first for t in toks],
                         [t.idx + len(t.text) - first for t in toks]))
    return out


def tokenizer(name: str) -> Callable[[str, bool], list[Piece]]:
    """``f(document, split_sentences) -> sentences`` for the tokenizer ``name``."""
    if name == "spacy":
        _spacy_pipeline(False)  # fail at once when spaCy is missing
        return _spacy
    if name == "whitespace":
        return _whitespace
    raise MultitagError(f"unknown tokenizer {name!r}; use one of {', '.join(TOKENIZERS)}")
