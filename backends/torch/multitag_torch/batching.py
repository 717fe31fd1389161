"""Turning sentences into padded tensors, and length-bucketed batches."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import torch

from multitag.data.allowed import allowed_labels

from .vocab import Vocabulary, case_index, normalize


@dataclass
class Batch:
    """A padded batch of ``B`` sentences, longest ``T`` tokens, longest word ``C`` characters.

    Attributes
    ----------
    words : (B, T) long, word indices (0 = padding, 1 = unknown)
    chars : (B, T, C) long, character indices (0 = padding)
    case : (B, T) long, capitalisation classes (0 = padding)
    mask : (B, T) bool
    tags : (B, T) long, label indices, -1 where unknown or padded; None when predicting
    lengths : list of int
    allowed : (B, T, L) bool or None
        The labels each position may carry (:func:`multitag.data.allowed.allowed_labels`; every
        label at padded positions) when a sentence of the batch has rejections, else None (then
        ``tags`` say everything: one label where known, any where -1).
    """

    words: torch.Tensor
    chars: torch.Tensor
    case: torch.Tensor
    mask: torch.Tensor
    tags: torch.Tensor | None
    lengths: list[int]
    allowed: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> "Batch":
        mv = lambda t: None if t is None else t.to(device)  # noqa: E731
        return Batch(mv(self.words), mv(self.chars), mv(self.case), mv(self.mask), mv(self.tags), self.lengths, mv(self.allowed))

    def repeat(self, n: int) -> "Batch":
        """The batch tiled ``n`` times along the batch axis (rows ``k*B .. (k+1)*B-1`` = copy k)."""
        rep = lambda t: None if t is None else t.repeat(n, *([1] * (t.dim() - 1)))  # noqa: E731
        return Batch(rep(self.words), rep(self.chars), rep(self.case), rep(self.mask), rep(self.tags), self.lengths * n, rep(self.allowed))


class Encoder:
    """Sentences -> :class:`Batch` with fixed vocabularies."""

    def __init__(self, words: Vocabulary, chars: Vocabulary, labels: Sequence[str], max_word_len: int = 30) -> None:
        self.words, self.chars = words, chars
        self.label_index = {label: i for i, label in enumerate(labels)}
        self.max_word_len = max_word_len

    def __call__(self, sentences: Sequence, with_tags: bool = False) -> Batch:
        B = len(sentences)
        lengths = [len(s.tokens) for s in sentences]
        T = max(lengths)
        C = max(1, min(self.max_word_len, max(len(t) for s in sentences for t in s.tokens)))
        words = np.zeros((B, T), dtype=np.int64)
        chars = np.zeros((B, T, C), dtype=np.int64)
        case = np.zeros((B, T), dtype=np.int64)
        tags = np.full((B, T), -1, dtype=np.int64)
        for b, s in enumerate(sentences):
            for t, tok in enumerate(s.tokens):
                words[b, t] = self.words.index(normalize(tok))
                case[b, t] = case_index(tok)
                cs = [self.chars.index(ch) for ch in tok[:C]]
                chars[b, t, :len(cs)] = cs
            if with_tags and s.tags is not None:
                for t, tag in enumerate(s.tags):
                    if tag is not None:
                        tags[b, t] = self.label_index[tag]
        mask = torch.arange(T).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
        allowed = self.allowed(sentences, T) if with_tags else None
        return Batch(torch.from_numpy(words), torch.from_numpy(chars), torch.from_numpy(case), mask,
                     torch.from_numpy(tags) if with_tags else None, lengths, allowed)

    def allowed(self, sentences: Sequence, T: int) -> torch.Tensor | None:
        """``(B, T, L)`` bool allowed labels when some sentence has rejections, else None."""
        if not any(getattr(s, "rejected", ()) for s in sentences):
            return None
        out = np.ones((len(sentences), T, len(self.label_index)), dtype=bool)
        for b, s in enumerate(sentences):
            out[b, :len(s.tokens)] = allowed_labels(s, list(self.label_index))
        return torch.from_numpy(out)


def length_batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator | None = None) -> list[list[int]]:
    """Indices grouped into batches of similar length.

    With ``rng`` (training): indices are shuffled, sorted by length (stable, so ties stay shuffled),
    cut into batches and the batch order is shuffled. Without (prediction): sorted by length.
    """
    idx = np.arange(len(lengths))
    if rng is not None:
        idx = rng.permutation(idx)
    order = idx[np.argsort(np.asarray(lengths)[idx], kind="stable")]
    batches = [order[i:i + batch_size].tolist() for i in range(0, len(order), batch_size)]
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def iter_batches(sentences: Sequence, encoder: Encoder, batch_size: int, *, rng: np.random.Generator | None = None,
                 with_tags: bool = False) -> Iterator[tuple[list[int], Batch]]:
    """Yield ``(indices, batch)`` for length-bucketed batches of ``sentences``."""
    for ids in length_batches([len(s) for s in sentences], batch_size, rng):
        yield ids, encoder([sentences[i] for i in ids], with_tags=with_tags)
