"""Sentences held as arrays: a token-id array over one string table, not Python objects per token.

A pool of a million sentences held as :class:`~multitag.data.sentence.Sentence` objects costs about
80 bytes a token (a tuple slot and a string per token, a tuple of tags, another of POS tags). A
:class:`PackedSentences` holds each token as an ``int32`` id into one table of distinct strings (and
its POS tag and gold tag the same way, ``-1`` for none), with the sentences' offsets into those
arrays: 12 bytes a token plus the distinct strings once. It is a read-only ``Sequence[Sentence]``:
``packed[i]`` makes the sentence when it is asked for (and drops it after), so code that takes a
sequence of sentences takes it unchanged, and a round's pool pass makes only the shard it scores.

Made sentences are equal to the sentences packed (tokens, tags, POS tags, id, source line and
rejections), so packing changes no result.
"""
from __future__ import annotations

from array import array
from typing import Iterable, Iterator, Sequence

import numpy as np

from multitag.data.sentence import Corpus, Sentence

_NONE = -1


class StringTable:
    """Distinct strings and their ids (the id of a string is the order it was first added in)."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self._ids: dict[str, int] | None = {}

    def add(self, s: str) -> int:
        ids = self._ids
        if ids is None:
            ids = self._ids = {t: i for i, t in enumerate(self.strings)}
        i = ids.get(s)
        if i is None:
            i = ids[s] = len(self.strings)
            self.strings.append(s)
        return i

    def freeze(self) -> None:
        """Drop the lookup dictionary (it is rebuilt if another string is added)."""
        self._ids = None

    def __len__(self) -> int:
        return len(self.strings)


class PackedSentences(Sequence[Sentence]):
    """Sentences as token-id arrays (see the module docstring).

    Parameters
    ----------
    sentences : the sentences to pack, read once (a generator is not held).
    tags : keep the sentences' tags and rejections (``False``: pack the text, as
        :meth:`Sentence.unlabeled` would).

    Attributes
    ----------
    strings : the string table (tokens, POS tags and tags)
    token_ids : int32 (n_tokens,), each token's id in ``strings``
    offsets : int64 (n + 1,), sentence ``i`` is tokens ``offsets[i] .. offsets[i + 1] - 1``
    lengths : int64 (n,)
    ids : list of the sentences' ids (str or None)
    """

    is_packed = True   # a Corpus holds these as they are

    def __init__(self, sentences: Iterable[Sentence] = (), *, tags: bool = True):
        table = StringTable()
        toks, pos, tag_ids = array("i"), array("i"), array("i")
        offsets, lines, has_pos = array("q", [0]), array("q"), array("b")
        ids: list[str | None] = []
        rejected: dict[int, tuple[tuple[int, int, str], ...]] = {}
        any_tag = False
        add = table.add
        for k, s in enumerate(sentences):
            toks.extend([add(t) for t in s.tokens])
            if s.pos is None:
                pos.extend([_NONE] * len(s.tokens))
                has_pos.append(0)
            else:
                pos.extend([add(p) for p in s.pos])
                has_pos.append(1)
            if tags:
                row = [_NONE if t is None else add(t) for t in s.tags]
                any_tag = any_tag or any(t != _NONE for t in row)
                tag_ids.extend(row)
                if s.rejected:
                    rejected[k] = s.rejected
            offsets.append(offsets[-1] + len(s.tokens))
            lines.append(_NONE if s.line is None else s.line)
            ids.append(s.id)
        table.freeze()
        self._set(table, np.frombuffer(toks, dtype=np.int32).copy(), np.frombuffer(pos, dtype=np.int32).copy(),
                  np.frombuffer(tag_ids, dtype=np.int32).copy() if any_tag else None,
                  np.frombuffer(offsets, dtype=np.int64).copy(), np.frombuffer(lines, dtype=np.int64).copy(),
                  np.frombuffer(has_pos, dtype=np.int8).astype(bool), ids, rejected)

    def _set(self, table, token_ids, pos_ids, tag_ids, offsets, lines, has_pos, ids, rejected) -> None:
        self._table = table
        self.strings = table.strings
        self.token_ids, self._pos, self._tags = token_ids, pos_ids, tag_ids
        self.offsets, self._lines, self._has_pos = offsets, lines, has_pos
        self.lengths = np.diff(offsets)
        self.ids, self._rejected = ids, rejected
        # memoryviews: indexing and slicing them is faster than numpy's for one sentence at a time
        self._mv = (memoryview(token_ids), memoryview(pos_ids), None if tag_ids is None else memoryview(tag_ids),
                    memoryview(offsets), memoryview(lines), memoryview(has_pos.view(np.int8)))

    @classmethod
    def _view(cls, base: "PackedSentences", **changes) -> "PackedSentences":
        out = cls.__new__(cls)
        fields = dict(table=base._table, token_ids=base.token_ids, pos_ids=base._pos, tag_ids=base._tags,
                      offsets=base.offsets, lines=base._lines, has_pos=base._has_pos, ids=base.ids,
                      rejected=base._rejected)
        fields.update(changes)
        out._set(**fields)
        return out

    def __getstate__(self) -> dict:
        # memoryviews do not pickle (Dask ships data sets to its workers): they are made again
        return {"table": self._table, "token_ids": self.token_ids, "pos_ids": self._pos, "tag_ids": self._tags,
                "offsets": self.offsets, "lines": self._lines, "has_pos": self._has_pos, "ids": self.ids,
                "rejected": self._rejected}

    def __setstate__(self, state: dict) -> None:
        self._set(**state)

    # ------------------------------------------------------------------ Sequence
    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self.subset(range(*i.indices(len(self))))
        n = len(self.ids)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"sentence {i} of {n}")
        return self._make(int(i))

    def __iter__(self) -> Iterator[Sentence]:
        for i in range(len(self.ids)):
            yield self._make(i)

    def _make(self, i: int) -> Sentence:
        toks, pos_ids, tag_ids, offsets, lines, has_pos = self._mv
        a, b = offsets[i], offsets[i + 1]
        strings = self.strings
        tokens = tuple([strings[j] for j in toks[a:b].tolist()])
        if tag_ids is None:
            tags = (None,) * (b - a)
        else:
            tags = tuple([None if j < 0 else strings[j] for j in tag_ids[a:b].tolist()])
        pos = tuple([strings[j] for j in pos_ids[a:b].tolist()]) if has_pos[i] else None
        line = lines[i]
        s = object.__new__(Sentence)
        # the fields were checked when the sentence was packed: set them without checking again
        s.__dict__.update(tokens=tokens, tags=tags, pos=pos, id=self.ids[i], line=None if line < 0 else line,
                          rejected=self._rejected.get(i, ()))
        return s

    # ------------------------------------------------------------------ views
    @property
    def n_tokens(self) -> int:
        return int(self.offsets[-1])

    @property
    def has_tags(self) -> bool:
        return self._tags is not None or bool(self._rejected)

    @property
    def all_have_pos(self) -> bool:
        return bool(len(self.ids)) and bool(self._has_pos.all())

    def tag_set(self) -> set[str]:
        """The tags that occur (``None`` excluded)."""
        if self._tags is None:
            return set()
        return {self.strings[j] for j in np.unique(self._tags).tolist() if j >= 0}

    def unlabeled(self) -> "PackedSentences":
        """The same text with every tag and rejection hidden (shares the arrays)."""
        return self._view(self, tag_ids=None, rejected={})

    def take(self, indices: Iterable[int]) -> list[Sentence]:
        """The sentences at ``indices``, made."""
        return [self._make(int(i)) for i in indices]

    def subset(self, indices: Iterable[int]) -> "PackedSentences":
        """The sentences at ``indices`` (in that order), packed over the same string table."""
        idx = np.fromiter((int(i) for i in indices), dtype=np.int64) if not isinstance(indices, np.ndarray) \
            else indices.astype(np.int64)
        n = len(self.ids)
        if len(idx) and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"sentence index out of range for {n} sentences")
        idx = idx % n if n else idx
        lengths = self.lengths[idx]
        offsets = np.zeros(len(idx) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = np.repeat(self.offsets[idx] - offsets[:-1], lengths) + np.arange(int(offsets[-1]))
        rejected = {new: self._rejected[old] for new, old in enumerate(idx.tolist()) if old in self._rejected} \
            if self._rejected else {}
        return self._view(self, token_ids=self.token_ids[flat], pos_ids=self._pos[flat],
                          tag_ids=None if self._tags is None else self._tags[flat], offsets=offsets,
                          lines=self._lines[idx], has_pos=self._has_pos[idx],
                          ids=[self.ids[i] for i in idx.tolist()], rejected=rejected)

    def compact(self) -> "PackedSentences":
        """The same sentences over a string table of their own strings only (what a shard of a
        big pool ships to another process: not the whole pool's table)."""
        used = [self.token_ids, self._pos[self._pos >= 0]]
        if self._tags is not None:
            used.append(self._tags[self._tags >= 0])
        keep = np.unique(np.concatenate(used)) if len(self.token_ids) else np.zeros(0, dtype=np.int64)
        remap = np.full(len(self.strings) + 1, _NONE, dtype=np.int32)   # the last slot maps -1 to -1
        remap[keep] = np.arange(len(keep), dtype=np.int32)
        table = StringTable()
        table.strings = [self.strings[j] for j in keep.tolist()]
        table.freeze()
        return self._view(self, table=table, token_ids=remap[self.token_ids], pos_ids=remap[self._pos],
                          tag_ids=None if self._tags is None else remap[self._tags])

    def nbytes(self) -> int:
        """Bytes held by the arrays (not the string table)."""
        arrays = [self.token_ids, self._pos, self.offsets, self._lines, self._has_pos]
        if self._tags is not None:
            arrays.append(self._tags)
        return int(sum(a.nbytes for a in arrays))

    def __repr__(self) -> str:
        return f"PackedSentences(sentences={len(self)}, tokens={self.n_tokens}, strings={len(self.strings)})"


def packed_corpus(sentences: Iterable[Sentence], *, name: str | None = None) -> Corpus:
    """A corpus holding ``sentences`` packed."""
    return Corpus(packed(sentences), name=name)


def packed(sentences: Iterable[Sentence] | Sequence[Sentence], *, tags: bool = True) -> PackedSentences:
    """``sentences`` as :class:`PackedSentences` (without tags unless ``tags``); packed sentences are
    not packed again (their text is shared)."""
    if isinstance(sentences, PackedSentences):
        return sentences if tags or not sentences.has_tags else sentences.unlabeled()
    return PackedSentences(sentences, tags=tags)
