"""The unlabeled pool, its per-token reveal mask, and the units of a query.

The pool holds sentence *text*; tags enter only through :meth:`Pool.reveal` with annotations that an
oracle (gold labels in a simulation, people in a real loop) returned.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Iterable, Sequence

import numpy as np

from multitag.data.packed import PackedSentences, packed
from multitag.data.sentence import Corpus, Sentence
from multitag.errors import MultitagError


@dataclass(frozen=True)
class Query:
    """A request to annotate ``tokens`` (positions) of pool sentence ``sentence``.

    ``unit`` is the annotation level that asked (``sentence``: the whole sentence; ``entity``: the
    token and, if it lies in one, its whole entity; ``token``: the token alone); ``score`` is the
    strategy's score for it (``None`` when the strategy gives none, e.g. random sampling).
    """

    sentence: int
    tokens: tuple[int, ...]
    unit: str = "sentence"
    score: float | None = None


@dataclass(frozen=True)
class Annotation:
    """Tags for ``tokens`` of pool sentence ``sentence``.

    An answer may cover more tokens than were asked (at entity level, the whole entity of an asked
    token). ``asked`` are the positions the query asked for (``None``: all of ``tokens``) and
    ``unit`` the level of that query; the cost accounting reads both.
    """

    sentence: int
    tokens: tuple[int, ...]
    tags: tuple[str, ...]
    asked: tuple[int, ...] | None = None
    unit: str = "sentence"

    @property
    def asked_tokens(self) -> tuple[int, ...]:
        return self.tokens if self.asked is None else self.asked


@dataclass(frozen=True)
class Rejection(Annotation):
    """An answer that rejects a suggested entity: not type ``entity_type`` at tokens
    ``span[0] .. span[1] - 1`` of pool sentence ``sentence``. It reveals no tag (``tokens`` and
    ``tags`` are empty); :meth:`Pool.reveal` stores it with :meth:`Pool.reject`."""

    span: tuple[int, int] = (0, 0)
    entity_type: str = ""


@dataclass
class RevealStats:
    """What one :meth:`~multitag.loop.ActiveLearner.teach` call added (or, summed, a run so far)."""

    tokens: int = 0        # tokens revealed for the first time
    sentences: int = 0     # sentences touched for the first time
    entities: int = 0      # entity spans annotated (multitag.data.entity_spans of the answers)
    seconds: float = 0.0   # estimated annotation seconds under the cost model

    def __iadd__(self, other: "RevealStats") -> "RevealStats":
        self.tokens += other.tokens
        self.sentences += other.sentences
        self.entities += other.entities
        self.seconds += other.seconds
        return self


class RevealMask(Sequence[np.ndarray]):
    """The iteration at which each pool token was revealed (``-1``: not yet), one flat array over
    the pool's tokens; ``mask[i]`` is sentence ``i``'s part of it (a view: writing to it writes
    the mask)."""

    def __init__(self, offsets: np.ndarray):
        self.offsets = offsets
        self.flat = np.full(int(offsets[-1]), -1, dtype=np.int32)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return self.flat[self.offsets[i]:self.offsets[i + 1]]


class Pool:
    """Sentences to annotate with a per-token reveal mask.

    The pool's text is held packed (:class:`~multitag.data.packed.PackedSentences`: token ids, not
    Python objects per token), and so are the revealed tags and the mask: a pool of a million
    sentences costs arrays, not objects.

    Attributes
    ----------
    sentences : sequence of Sentence, tags hidden (made when asked for)
    revealed_at : :class:`RevealMask`: ``revealed_at[i]`` is an int array (n_i,), the iteration at
        which each token was revealed, -1 if not yet
    """

    def __init__(self, sentences: Iterable[Sentence]):
        self.sentences: PackedSentences = packed(sentences, tags=False)
        self.lengths = self.sentences.lengths.astype(np.int64)
        self._offsets = self.sentences.offsets
        self.revealed_at = RevealMask(self._offsets)
        self._tag_ids = np.full(self.sentences.n_tokens, -1, dtype=np.int16)   # revealed tags
        self._labels: list[str] = []
        self._label_ids: dict[str, int] = {}
        self._n_revealed = np.zeros(len(self.sentences), dtype=np.int64)
        self._rejected: dict[int, list[tuple[int, int, str]]] = {}

    @cached_property
    def index(self) -> dict[str, int]:
        """Pool position of each sentence id."""
        return {sid: i for i, sid in enumerate(self.sentences.ids) if sid is not None}

    def _tag_id(self, tag: str) -> int:
        k = self._label_ids.get(tag)
        if k is None:
            if len(self._labels) >= np.iinfo(np.int16).max:
                raise MultitagError(f"more than {len(self._labels)} distinct tags revealed in one pool")
            k = self._label_ids[tag] = len(self._labels)
            self._labels.append(tag)
        return k

    def __len__(self) -> int:
        return len(self.sentences)

    @property
    def n_tokens(self) -> int:
        return int(self.lengths.sum())

    @property
    def n_revealed_tokens(self) -> int:
        return int(self._n_revealed.sum())

    @property
    def n_touched_sentences(self) -> int:
        return int((self._n_revealed > 0).sum())

    def revealed_counts(self) -> np.ndarray:
        """(N,) number of revealed tokens per sentence."""
        return self._n_revealed.copy()

    def untouched(self) -> np.ndarray:
        """Indices of sentences with no revealed token."""
        return np.flatnonzero(self._n_revealed == 0)

    def incomplete(self) -> np.ndarray:
        """Indices of sentences with at least one unrevealed token."""
        return np.flatnonzero(self._n_revealed < self.lengths)

    def touched(self) -> np.ndarray:
        return np.flatnonzero(self._n_revealed > 0)

    def tags(self, i: int) -> tuple[str | None, ...]:
        labels = self._labels
        return tuple([None if k < 0 else labels[k]
                      for k in self._tag_ids[self._offsets[i]:self._offsets[i + 1]].tolist()])

    def reveal(self, annotations: Iterable[Annotation], iteration: int) -> RevealStats:
        """Record annotations; tokens revealed before keep their first iteration."""
        stats = RevealStats()
        for a in annotations:
            if not 0 <= a.sentence < len(self.sentences):
                raise MultitagError(f"annotation for sentence {a.sentence}, but the pool has {len(self.sentences)}")
            if isinstance(a, Rejection):
                self.reject(a.sentence, *a.span, a.entity_type)
            if len(a.tokens) != len(a.tags):
                raise MultitagError(f"annotation of sentence {a.sentence}: {len(a.tokens)} tokens but {len(a.tags)} tags")
            if self._n_revealed[a.sentence] == 0 and a.tokens:
                stats.sentences += 1
            mask = self.revealed_at[a.sentence]
            tag_ids = self._tag_ids[self._offsets[a.sentence]:self._offsets[a.sentence + 1]]
            for t, tag in zip(a.tokens, a.tags):
                if not 0 <= t < len(mask):
                    raise MultitagError(f"annotation of sentence {a.sentence}: token {t} out of range")
                if mask[t] < 0:
                    mask[t] = iteration
                    tag_ids[t] = self._tag_id(tag)
                    self._n_revealed[a.sentence] += 1
                    stats.tokens += 1
        return stats

    def reject(self, i: int, start: int, end: int, entity_type: str) -> None:
        """Record that sentence ``i`` has no ``entity_type`` entity at tokens ``start .. end - 1``
        (a rejected suggestion; recorded once)."""
        if not 0 <= start < end <= self.lengths[i]:
            raise MultitagError(f"rejection of sentence {i}: span {start}..{end} outside its {self.lengths[i]} tokens")
        found = self._rejected.setdefault(int(i), [])
        if (start, end, entity_type) not in found:
            found.append((int(start), int(end), str(entity_type)))

    def rejections(self, i: int) -> tuple[tuple[int, int, str], ...]:
        """The rejections of sentence ``i`` ``(start, end, type)``, in the order recorded."""
        return tuple(self._rejected.get(int(i), ()))

    def with_feedback(self) -> np.ndarray:
        """Indices of sentences with a revealed token or a rejection, sorted."""
        return np.union1d(self.touched(), np.fromiter(self._rejected, dtype=np.int64)).astype(np.int64)

    def labeled(self, indices: Iterable[int] | None = None) -> Corpus:
        """Sentences with feedback (revealed tokens or rejections; or ``indices``) with their revealed
        tags, ``None`` where not revealed, and their rejections."""
        idx = self.with_feedback() if indices is None else indices
        return Corpus((replace(self.sentences[i], tags=self.tags(i), rejected=self.rejections(i))
                       for i in idx), name="labeled")
