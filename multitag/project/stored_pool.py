"""The pool of a project with nothing annotated, read from the store only as far as the seed set
needs it: every sentence's id and length in two arrays, the sentences themselves loaded when a
seed-set selection asks for them (by index, or in order in batches).

It offers what the seed set reads of a :class:`~multitag.annotation.pool.Pool` (``sentences``,
``lengths``, ``n_tokens``; :func:`multitag.project.round_choice.seed_queries`), so the seed set of
a million-sentence project is the one the replayed pool gives, without a million sentence objects.
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from multitag.data.sentence import Sentence
from multitag.project.store import SentenceRow, Store


def pool_sentence(row: SentenceRow) -> Sentence:
    """A pool sentence as the replayed pool holds it (tokens, POS, the store id; tags hidden)."""
    return Sentence(row.tokens, None, row.pos, id=str(row.id)).unlabeled()


class StoredRows(Sequence[SentenceRow]):
    """The pool's store rows, read from the store when asked for (none are kept): ``rows[i]`` is
    the row of pool sentence ``i``, by its store id ``ids[i]``; iterating reads the store in order,
    in batches."""

    def __init__(self, store: Store, ids: np.ndarray):
        self.store = store
        self.ids = ids

    def _item(self, row: SentenceRow):
        return row

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return self._item(self.store.text.sentence(int(self.ids[i])))

    def __iter__(self) -> Iterator:
        return (self._item(r) for r in self.store.text.iter_sentences())


class StoredSentences(StoredRows):
    """The pool's sentences (as the replayed pool holds them), read from the store when asked for."""

    def _item(self, row: SentenceRow) -> Sentence:
        return pool_sentence(row)


class StoredPool:
    """A pool with nothing revealed, its sentences in the store (see the module's docstring).

    Attributes
    ----------
    ids : int64 array (n,), the store id of each pool sentence
    lengths : int64 array (n,), its number of tokens
    """

    def __init__(self, store: Store):
        self.ids, self.lengths = store.text.ids_and_lengths()
        self.sentences = StoredSentences(store, self.ids)
        self.n_tokens = int(self.lengths.sum())

    def __len__(self) -> int:
        return len(self.ids)

    def untouched(self) -> np.ndarray:
        """Every sentence (nothing is revealed)."""
        return np.arange(len(self.ids))
