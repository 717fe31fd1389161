"""ELMo character ids (AllenNLP ``ELMoCharacterMapper`` / bilm-tf ``UnicodeCharsVocabulary``).

Raw ids: bytes 0-255 are UTF-8 bytes, 256 begin-sentence, 257 end-sentence, 258 begin-word,
259 end-word, 260 in-word padding. Every id is then shifted by +1 so that 0 is free for
*whole-token* padding: model ids run from 1 to 261 and in-word padding is 261 (a learned
embedding), never 0.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

MAX_CHARS = 50
MAX_WORD_BYTES = MAX_CHARS - 2  # 48: room for begin-word and end-word
BEGIN_SENTENCE, END_SENTENCE, BEGIN_WORD, END_WORD, PADDING = 256, 257, 258, 259, 260


def _raw_with_payload(payload: Sequence[int]) -> np.ndarray:
    ids = np.full(MAX_CHARS, PADDING, dtype=np.int64)
    ids[0] = BEGIN_WORD
    ids[1:1 + len(payload)] = payload
    ids[1 + len(payload)] = END_WORD
    return ids


def word_to_ids(word: str) -> np.ndarray:
    """Model character ids of one token.

    Parameters
    ----------
    word : str
        The token; its UTF-8 encoding is truncated to the first 48 **bytes** (which may split a
        multi-byte character, as in training).

    Returns
    -------
    ndarray, shape (50,), int64
        Values in 1..261 (raw ids + 1).
    """
    data = word.encode("utf-8", "ignore")[:MAX_WORD_BYTES]
    return _raw_with_payload(list(data)) + 1


BOS_IDS = _raw_with_payload([BEGIN_SENTENCE]) + 1
EOS_IDS = _raw_with_payload([END_SENTENCE]) + 1


def batch_to_ids(sentences: Sequence[Sequence[str]]) -> np.ndarray:
    """Character ids of a batch, *without* sentence boundaries (the model adds them).

    Parameters
    ----------
    sentences : list of B token lists

    Returns
    -------
    ndarray, shape (B, T, 50), int64
        ``T`` = longest sentence; padded token positions are all zeros.
    """
    T = max((len(s) for s in sentences), default=0)
    out = np.zeros((len(sentences), T, MAX_CHARS), dtype=np.int64)
    for b, sent in enumerate(sentences):
        for t, word in enumerate(sent):
            out[b, t] = word_to_ids(word)
    return out


def add_sentence_boundaries(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Insert ``<S>`` at position 0 and ``</S>`` right after each row's last token.

    Parameters
    ----------
    ids : ndarray, shape (B, T, 50)
        Output of :func:`batch_to_ids` (token padding = all zeros).

    Returns
    -------
    ids : ndarray, shape (B, T + 2, 50)
    mask : ndarray, shape (B, T + 2), bool
    """
    B, T, _ = ids.shape
    lengths = (ids > 0).any(axis=2).sum(axis=1)
    out = np.zeros((B, T + 2, MAX_CHARS), dtype=ids.dtype)
    for b in range(B):
        n = int(lengths[b])
        out[b, 1:n + 1] = ids[b, :n]
        out[b, 0] = BOS_IDS
        out[b, n + 1] = EOS_IDS
    mask = (out > 0).any(axis=2)
    return out, mask
