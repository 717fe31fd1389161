"""Sentence and Corpus: the data every part of multitag passes around."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator, Sequence, overload

from multitag.errors import MultitagError


@dataclass(frozen=True)
class Sentence:
    """One sentence.

    Parameters
    ----------
    tokens : tuple of str, length n
    tags : tuple of (str or None), length n
        ``None`` marks a token that is not annotated (unlabeled pool text, or partial annotation).
    pos : tuple of str, length n, or None
        Part-of-speech tags when the source has them.
    id : str or None
        A stable identifier (``"train:17"`` for the 18th training sentence by default).
    line : int or None
        The 1-based line of the source file where the sentence starts (for error messages).
    rejected : tuple of (int, int, str)
        Rejected suggestions ``(start, end, entity type)``: "not an entity of this type at tokens
        ``start .. end - 1``" (an annotator's answer in teach mode). ``with_tags`` keeps them,
        ``unlabeled`` drops them; see :func:`multitag.data.allowed.allowed_labels`.
    """

    tokens: tuple[str, ...]
    tags: tuple[str | None, ...] = None  # type: ignore[assignment]
    pos: tuple[str, ...] | None = None
    id: str | None = field(default=None, compare=False)
    line: int | None = field(default=None, compare=False, repr=False)
    rejected: tuple[tuple[int, int, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", tuple(self.tokens))
        if self.tags is None:
            object.__setattr__(self, "tags", (None,) * len(self.tokens))
        else:
            object.__setattr__(self, "tags", tuple(self.tags))
        if self.pos is not None:
            object.__setattr__(self, "pos", tuple(self.pos))
        object.__setattr__(self, "rejected", tuple((int(a), int(b), str(t)) for a, b, t in self.rejected))
        n = len(self.tokens)
        if len(self.tags) != n:
            raise MultitagError(f"sentence {self.id or ''}: {n} tokens but {len(self.tags)} tags".replace("  ", " "))
        if self.pos is not None and len(self.pos) != n:
            raise MultitagError(f"sentence {self.id or ''}: {n} tokens but {len(self.pos)} POS tags")
        for start, end, typ in self.rejected:
            if not 0 <= start < end <= n:
                raise MultitagError(f"sentence {self.id or ''}: rejected {typ} span {start}..{end} outside its {n} tokens")

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def is_fully_annotated(self) -> bool:
        return all(t is not None for t in self.tags)

    @property
    def is_unannotated(self) -> bool:
        return all(t is None for t in self.tags)

    def with_tags(self, tags: Sequence[str | None]) -> "Sentence":
        """A copy with other tags (same tokens, POS and id)."""
        return replace(self, tags=tuple(tags))

    def unlabeled(self) -> "Sentence":
        """A copy with every tag (and every rejection) hidden."""
        return replace(self, tags=(None,) * len(self.tokens), rejected=())


class Corpus(Sequence[Sentence]):
    """An ordered, immutable collection of sentences.

    ``sentences`` may be :class:`~multitag.data.packed.PackedSentences` (token-id arrays, the form
    data sets are read into): the corpus then holds them packed and makes a sentence when asked.
    """

    def __init__(self, sentences: Iterable[Sentence] = (), *, name: str | None = None):
        # packed sentences are held as they are (they are immutable); anything else as a tuple
        self._sentences: Sequence[Sentence] = (sentences if getattr(sentences, "is_packed", False)
                                               else tuple(sentences))
        self.name = name

    @property
    def storage(self) -> Sequence[Sentence]:
        """The sentences as held (a tuple, or :class:`~multitag.data.packed.PackedSentences`)."""
        return self._sentences

    @overload
    def __getitem__(self, i: int) -> Sentence: ...
    @overload
    def __getitem__(self, i: slice) -> "Corpus": ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Corpus(self._sentences[i], name=self.name)
        return self._sentences[i]

    def __len__(self) -> int:
        return len(self._sentences)

    def __iter__(self) -> Iterator[Sentence]:
        return iter(self._sentences)

    def __repr__(self) -> str:
        return f"Corpus(name={self.name!r}, sentences={len(self)}, tokens={self.n_tokens})"

    @property
    def n_tokens(self) -> int:
        held = self._sentences
        if not isinstance(held, tuple):
            return held.n_tokens  # type: ignore[attr-defined]
        return sum(len(s) for s in held)

    def subset(self, indices: Iterable[int]) -> "Corpus":
        held = self._sentences
        if not isinstance(held, tuple):
            return Corpus(held.subset(indices), name=self.name)  # type: ignore[attr-defined]
        return Corpus((held[i] for i in indices), name=self.name)

    def labels(self) -> list[str]:
        """Sorted set of the tags that occur (``None`` excluded), ``O`` first."""
        held = self._sentences
        if not isinstance(held, tuple):
            return sort_labels(held.tag_set())  # type: ignore[attr-defined]
        return sort_labels({t for s in held for t in s.tags if t is not None})

    @property
    def has_pos(self) -> bool:
        held = self._sentences
        if not isinstance(held, tuple):
            return held.all_have_pos  # type: ignore[attr-defined]
        return bool(held) and all(s.pos is not None for s in held)


def sort_labels(labels: Iterable[str]) -> list[str]:
    """Order labels ``O`` first, then by entity type, then by prefix (B, I, E, S)."""

    def key(label: str):
        if label == "O":
            return (0, "", "")
        prefix, _, typ = label.partition("-")
        return (1, typ, prefix)

    return sorted(set(labels), key=key)
