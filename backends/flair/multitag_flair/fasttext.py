"""gensim FastText vectors as a flair token embedding, held in memory (no file, no pickle)."""
from __future__ import annotations

import functools

import torch

import flair
from flair.embeddings import TokenEmbeddings


class FastTextVectors(TokenEmbeddings):
    """A word of the vocabulary gets its vector, any other word the mean of its character n-gram
    vectors: what flair's ``FastTextEmbeddings`` computes, without reading a (pickled) file.

    Parameters
    ----------
    kv : gensim ``FastTextKeyedVectors``
        ``vectors`` (n_words, d) and ``vectors_ngrams`` (bucket, d), float32.
    name : str
    ngram_seed : int or None
        The seed gensim drew the initial n-gram vectors from; lets a save store only the rows that
        training changed (see :mod:`multitag_flair.stack_state`).
    """

    def __init__(self, kv, *, name: str = "word:train:fasttext", ngram_seed: int | None = None):
        self.name = name
        self.static_embeddings = True
        super().__init__()
        self.kv = kv
        self.ngram_seed = ngram_seed
        self._length = int(kv.vector_size)
        self._vector = functools.lru_cache(maxsize=10000)(self._compute)

    @property
    def embedding_length(self) -> int:
        return self._length

    def _compute(self, word: str) -> torch.Tensor:
        """Shape (d,), float32, on flair's device."""
        return torch.tensor(self.kv.get_vector(word).tolist(), device=flair.device, dtype=torch.float)

    def _add_embeddings_internal(self, sentences):
        for sentence in sentences:
            for token in sentence.tokens:
                token.set_embedding(self.name, self._vector(token.text))
        return sentences

    def __str__(self) -> str:
        return self.name
