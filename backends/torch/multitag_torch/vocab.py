"""Vocabularies (words, characters), word normalisation and capitalisation features.

Vocabularies are plain lists of strings (saved as JSON), index 0 = padding, 1 = unknown.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Sequence

PAD, UNK = "<pad>", "<unk>"
_DIGITS = re.compile(r"\d")


def normalize(word: str) -> str:
    """The key word vectors are looked up and trained under: lower case, every digit -> ``0``."""
    return _DIGITS.sub("0", word.lower())


class Vocabulary:
    """A string <-> index map with ``<pad>`` = 0 and ``<unk>`` = 1."""

    def __init__(self, items: Iterable[str] = ()) -> None:
        self.itos: list[str] = [PAD, UNK]
        self.stoi: dict[str, int] = {PAD: 0, UNK: 1}
        for it in items:
            self.add(it)

    def add(self, item: str) -> int:
        i = self.stoi.get(item)
        if i is None:
            i = self.stoi[item] = len(self.itos)
            self.itos.append(item)
        return i

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, item: str) -> bool:
        return item in self.stoi

    def index(self, item: str) -> int:
        return self.stoi.get(item, 1)

    def to_list(self) -> list[str]:
        return list(self.itos)

    @classmethod
    def from_list(cls, items: Sequence[str]) -> "Vocabulary":
        if list(items[:2]) != [PAD, UNK]:
            raise ValueError("a saved vocabulary must start with <pad>, <unk>")
        return cls(items[2:])


def count_words(sentences: Iterable[Sequence[str]]) -> Counter:
    """Counts of normalised words over token sequences."""
    c: Counter = Counter()
    for toks in sentences:
        c.update(normalize(t) for t in toks)
    return c


def char_vocabulary(sentences: Iterable[Sequence[str]], min_count: int = 1) -> Vocabulary:
    c: Counter = Counter()
    for toks in sentences:
        for t in toks:
            c.update(t)
    return Vocabulary(ch for ch, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) if n >= min_count)


# capitalisation classes (Chiu and Nichols 2016 style); 0 is padding
CASES = ["<pad>", "lower", "upper", "title", "mixed", "numeric", "has_digit", "other"]


def case_index(word: str) -> int:
    """Index in :data:`CASES` of the capitalisation class of ``word``."""
    if word.isdigit():
        return 5
    if any(ch.isdigit() for ch in word):
        return 6
    if word.islower():
        return 1
    if word.isupper():
        return 2
    if word[:1].isupper() and (len(word) == 1 or word[1:].islower()):
        return 3
    if any(ch.isalpha() for ch in word):
        return 4
    return 7
