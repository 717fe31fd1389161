"""Word vectors for the embedding layer: random, loaded from a file, or trained on the pool text.

The ``embeddings`` parameter of the taggers selects one:

``None`` or ``"random"``
    Randomly initialised (uniform in ``[-sqrt(3/d), sqrt(3/d)]``), learned with the model.
``"train:fasttext"`` / ``"train:word2vec"``
    Trained with gensim (FastText or Word2Vec, CBOW, ``workers=1``, seeded, deterministic hash) on
    the normalised text (lower case, digits -> 0) of the pool given to ``observe_unlabeled``
    together with the training text. This is the offline way to get pretrained vectors.
``PATH``
    Word vectors from a file, in a format that cannot run code when read:

    * word2vec/GloVe text (``.txt``, ``.vec`` or any other name; with or without the ``count dim``
      header line that word2vec text files have and GloVe files lack);
    * word2vec binary (``.bin``), or a fastText ``.bin`` model (recognised by its magic number; only
      its word vectors are used; gensim reads it with ``struct``/``numpy``, no pickle);
    * ``X.npy`` (a 2-D float matrix, read with ``numpy.load(allow_pickle=False)``) plus ``X.vocab``
      next to it (UTF-8, one word per line, line i naming row i).

    gensim's native ``KeyedVectors.save`` files (``.kv``, ``.model``) are pickles and are refused,
    as is any other pickle (recognised by name or by its first byte), with a one-line message on
    how to convert a trusted file.
"""
from __future__ import annotations

import os
import zlib
from collections import OrderedDict
from typing import Iterable, Sequence

import numpy as np

from multitag.errors import MultitagError

from .vocab import normalize


def _hash(s: str) -> int:
    # gensim seeds each word vector through ``hashfxn``; Python's hash() changes between processes
    return zlib.crc32(s.encode("utf8"))


def parse_spec(spec: str | None) -> tuple[str, str | None]:
    """``("random", None)``, ``("train", "fasttext" | "word2vec")`` or ``("file", path)``."""
    if spec is None or spec == "random":
        return "random", None
    if not isinstance(spec, str):
        raise MultitagError(f"embeddings must be None, 'random', 'train:fasttext', 'train:word2vec' or a file path, not {spec!r}")
    if spec.startswith("train:"):
        kind = spec.split(":", 1)[1]
        if kind not in ("fasttext", "word2vec"):
            raise MultitagError(f"embeddings {spec!r}: use 'train:fasttext' or 'train:word2vec'")
        return "train", kind
    return "file", spec


_TRAINED: "OrderedDict[tuple, tuple[list[str], np.ndarray]]" = OrderedDict()
_TRAINED_MAX = 4


def train_vectors(kind: str, texts: Iterable[Sequence[str]], *, dim: int, seed: int, epochs: int = 10,
                  window: int = 5, min_count: int = 1, bucket: int | None = None) -> tuple[list[str], np.ndarray]:
    """Train FastText or Word2Vec vectors on ``texts`` (token sequences; normalised here).

    Results are memoised per process (the last few texts and settings): an AL run fits a new model
    every iteration on the same pool text, and gensim training is deterministic (one worker, a
    fixed seed and hash), so the vectors are the same and are trained once.

    Returns
    -------
    words : list of str, length V (normalised forms)
    vectors : ndarray, shape (V, dim), float32
    """
    from gensim.models import FastText, Word2Vec

    corpus = [[normalize(t) for t in toks] for toks in texts if len(toks)]
    key = (kind, dim, seed, epochs, window, min_count, bucket, hash(tuple(map(tuple, corpus))))
    if key in _TRAINED:
        _TRAINED.move_to_end(key)
        words, vectors = _TRAINED[key]
        return list(words), vectors.copy()
    if not corpus:
        raise MultitagError("cannot train word vectors: there is no text (give the pool to observe_unlabeled or train on non-empty data)")
    common = dict(vector_size=dim, window=window, min_count=min_count, workers=1, seed=seed,
                  epochs=epochs, hashfxn=_hash, sg=0)
    if kind == "fasttext":
        if bucket is None:  # n-gram hash buckets: gensim's 2M default costs 2M x dim floats
            bucket = int(min(200_000, max(2_000, 10 * len({w for s in corpus for w in s}))))
        model = FastText(sentences=corpus, bucket=bucket, **common)
    else:
        model = Word2Vec(sentences=corpus, **common)
    kv = model.wv
    result = (list(kv.index_to_key), np.asarray(kv.vectors[: len(kv.index_to_key)], dtype=np.float32))
    _TRAINED[key] = (list(result[0]), result[1].copy())
    while len(_TRAINED) > _TRAINED_MAX:
        _TRAINED.popitem(last=False)
    return result


def _has_header(path: str) -> bool:
    with open(path, encoding="utf8", errors="replace") as f:
        first = f.readline().split()
    return len(first) == 2 and all(x.isdigit() for x in first)


PICKLE_SUFFIXES = (".kv", ".model", ".pkl", ".pickle", ".joblib", ".pt", ".pth", ".ckpt")
_FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")


def refuse_pickle(path: str) -> None:
    """Raise MultitagError (one line) when ``path`` is, by name or content, a pickle."""
    head = b""
    if os.path.isfile(path):
        with open(path, "rb") as f:
            head = f.read(2)
    if path.lower().endswith(PICKLE_SUFFIXES) or (len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5):
        raise MultitagError(
            f"{path!r} is a pickle (e.g. gensim KeyedVectors.save), which can run code when read; it is refused. "
            "Use word2vec text/binary, fastText .vec/.bin, or X.npy + X.vocab; to convert a file you trust: "
            f"python -c \"from gensim.models import KeyedVectors; KeyedVectors.load('{path}')"
            f".save_word2vec_format('{os.path.splitext(path)[0]}.bin', binary=True)\"")


def _load_npy(path: str, limit: int | None) -> tuple[list[str], np.ndarray]:
    vocab = os.path.splitext(path)[0] + ".vocab"
    if not os.path.isfile(vocab):
        raise MultitagError(f"embeddings {path!r}: the vocabulary {vocab!r} (one word per line, row order) does not exist")
    try:
        matrix = np.load(path, allow_pickle=False)
    except Exception as e:
        raise MultitagError(f"cannot read the matrix {path!r} ({type(e).__name__}: {e}); expected a 2-D float .npy") from None
    if matrix.ndim != 2 or not np.issubdtype(matrix.dtype, np.number):
        raise MultitagError(f"embeddings {path!r}: expected a 2-D numeric matrix, got shape {matrix.shape} dtype {matrix.dtype}")
    with open(vocab, encoding="utf8") as f:
        words = [line.rstrip("\r\n") for line in f]
    if words and words[-1] == "" and len(words) == matrix.shape[0] + 1:
        words.pop()
    if len(words) != matrix.shape[0]:
        raise MultitagError(f"embeddings {path!r}: {matrix.shape[0]} rows but {len(words)} words in {vocab!r}")
    if limit is not None:
        words, matrix = words[:limit], matrix[:limit]
    return words, np.asarray(matrix, dtype=np.float32)


def load_vectors(path: str, *, limit: int | None = None) -> tuple[list[str], np.ndarray]:
    """Read word vectors from a file in a format that cannot run code (see the module docstring);
    pickles are refused before anything is parsed.

    Returns
    -------
    words : list of str, length V (as in the file)
    vectors : ndarray, shape (V, d), float32
    """
    if not os.path.isfile(path):
        raise MultitagError(f"embeddings file {path!r} does not exist; pass an existing word2vec/GloVe/fastText file "
                            "or X.npy + X.vocab, 'train:fasttext' to train vectors on the pool text, or 'random'")
    refuse_pickle(path)
    if path.lower().endswith(".npy"):
        return _load_npy(path, limit)
    from gensim.models import KeyedVectors

    with open(path, "rb") as f:
        head = f.read(4)
    try:
        if head == _FASTTEXT_MAGIC:
            from gensim.models.fasttext import load_facebook_vectors  # struct/numpy reader, no pickle

            kv = load_facebook_vectors(path)
        elif path.endswith(".bin"):
            kv = KeyedVectors.load_word2vec_format(path, binary=True, limit=limit)
        else:
            kv = KeyedVectors.load_word2vec_format(path, binary=False, limit=limit, no_header=not _has_header(path))
    except Exception as e:  # gensim raises many kinds of errors for a malformed file
        msg = str(e).splitlines()[0] if str(e) else ""
        raise MultitagError(f"cannot read word vectors from {path!r} ({type(e).__name__}: {msg}); "
                            "expected word2vec/GloVe text, word2vec or fastText .bin, or X.npy + X.vocab") from None
    words = list(kv.index_to_key)
    if limit is not None:
        words = words[:limit]
    return words, np.asarray(kv.vectors[: len(words)], dtype=np.float32)


def lookup_table(pretrained: tuple[list[str], np.ndarray] | None) -> dict[str, int]:
    """Map normalised word -> row of the pretrained matrix (an exact match of the normalised form
    wins over a word that only normalises to it)."""
    if pretrained is None:
        return {}
    words, _ = pretrained
    table: dict[str, int] = {}
    for i, w in enumerate(words):
        table.setdefault(normalize(w), i)
    for i, w in enumerate(words):
        if w == normalize(w):
            table[w] = i
    return table
