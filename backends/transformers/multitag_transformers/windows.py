"""Words to sub-token windows: the first sub-token of each word carries its label and prediction.

A sentence whose sub-tokens do not fit the model's window is split into overlapping windows that
start on word boundaries; every word is assigned to exactly one window, the one in which it has the
most context (the largest ``min(sub-tokens before it, sub-tokens after it)``), so no word is
dropped and none is predicted twice. Pure Python and numpy (no torch).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

IGNORE = -100  # the label id the loss ignores


@dataclass
class Chunk:
    """One model input: a window of one sentence.

    Attributes
    ----------
    sentence : int
        Index of the sentence in the encoded list.
    input_ids : list of int, length T
        Sub-token ids including the model's special tokens.
    words : ndarray of int, shape (k,)
        The words (indices into the sentence) this window predicts.
    positions : ndarray of int, shape (k,)
        Position in ``input_ids`` of the first sub-token of each of ``words``.
    """

    sentence: int
    input_ids: list[int]
    words: np.ndarray
    positions: np.ndarray


class WindowEncoder:
    """Encode tokenised sentences for a fast tokenizer.

    Parameters
    ----------
    tokenizer : a ``transformers`` fast tokenizer
    max_length : int
        The model window in sub-tokens, special tokens included.
    stride : int or None
        Sub-tokens between the starts of consecutive windows of a long sentence (half the window by
        default, so windows overlap by half).
    """

    def __init__(self, tokenizer: Any, max_length: int, stride: int | None = None):
        self.tokenizer = tokenizer
        built = tokenizer.build_inputs_with_special_tokens([-1])
        self.prefix = built.index(-1)
        self.n_special = len(built) - 1
        self.window = max_length - self.n_special
        if self.window < 2:
            raise ValueError(f"max_length {max_length} leaves no room for words")
        self.stride = max(1, min(self.window, stride if stride else self.window // 2))
        self.unk_id = tokenizer.unk_token_id if tokenizer.unk_token_id is not None else 0

    # ------------------------------------------------------------------ sub-tokens per word
    def pieces(self, token_lists: Sequence[Sequence[str]]) -> list[tuple[list[int], np.ndarray]]:
        """Sub-token ids and word offsets per sentence.

        Returns
        -------
        list of (ids, offsets): ``ids`` the sub-token ids of the sentence (no special tokens),
        ``offsets`` of shape (n + 1,) with word ``w`` at ``ids[offsets[w]:offsets[w + 1]]``. A word
        the tokenizer maps to nothing (e.g. an empty string) gets the unknown token, and a word
        longer than the window is cut to the window.
        """
        lists = [list(t) for t in token_lists]
        if not lists:
            return []
        enc = self.tokenizer(lists, is_split_into_words=True, add_special_tokens=False,
                             return_attention_mask=False, return_token_type_ids=False)
        out = []
        for i, words in enumerate(lists):
            n = len(words)
            ids = enc["input_ids"][i]
            wids = enc.word_ids(i)
            counts = np.zeros(n, dtype=np.int64)
            for w in wids:
                if w is not None:
                    counts[w] += 1
            if counts.min(initial=1) == 0 or counts.max(initial=0) > self.window:
                new_ids: list[int] = []
                j = 0
                for w in range(n):
                    k = int(counts[w])
                    piece = ids[j:j + k] if k else [self.unk_id]
                    new_ids.extend(piece[: self.window])
                    j += k
                    counts[w] = min(max(k, 1), self.window)
                ids = new_ids
            offsets = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            out.append((list(ids), offsets))
        return out

    # ------------------------------------------------------------------ windows
    def spans(self, offsets: np.ndarray) -> list[tuple[int, int]]:
        """Word spans ``[a, b)`` of the windows of one sentence (one span when it fits)."""
        n = len(offsets) - 1
        if n == 0:
            return []
        if offsets[-1] <= self.window:
            return [(0, n)]
        spans = []
        a = 0
        while True:
            b = int(np.searchsorted(offsets, offsets[a] + self.window, side="right")) - 1
            b = max(b, a + 1)
            spans.append((a, b))
            if b >= n:
                return spans
            s = int(np.searchsorted(offsets, offsets[a] + self.stride, side="left"))
            a = min(max(s, a + 1), b)

    @staticmethod
    def assign(offsets: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
        """For each word, the index of the span where it has the most context; shape (n,)."""
        n = len(offsets) - 1
        best = np.full(n, -1, dtype=np.int64)
        score = np.full(n, -1, dtype=np.int64)
        for k, (a, b) in enumerate(spans):
            w = np.arange(a, b)
            left = offsets[w] - offsets[a]
            right = offsets[b] - offsets[w] - 1
            s = np.minimum(left, right)
            better = s > score[a:b]
            score[a:b][better] = s[better]
            best[a:b][better] = k
        return best

    def encode(self, token_lists: Sequence[Sequence[str]]) -> list[Chunk]:
        """The chunks of all sentences; every word of every sentence is in exactly one chunk."""
        chunks = []
        for i, (ids, offsets) in enumerate(self.pieces(token_lists)):
            spans = self.spans(offsets)
            owner = self.assign(offsets, spans) if len(spans) > 1 else None
            for k, (a, b) in enumerate(spans):
                words = np.arange(a, b) if owner is None else np.flatnonzero(owner == k)
                start = int(offsets[a])
                body = ids[start:int(offsets[b])]
                chunks.append(Chunk(i, self.tokenizer.build_inputs_with_special_tokens(body), words,
                                    self.prefix + offsets[words] - start))
        return chunks


def length_batches(chunks: Sequence[Chunk], batch_size: int) -> list[list[int]]:
    """Chunk indices grouped into batches of similar length (sorted by length, longest first)."""
    order = sorted(range(len(chunks)), key=lambda i: -len(chunks[i].input_ids))
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
