"""Describe a built flair embedding stack as JSON plus numpy arrays, and rebuild it from them.

What a saved flair tagger needs besides its state dict (which holds every torch parameter of the
stack: character BiLSTM, word vectors from a file, character LMs, ELMo): the dictionaries, sizes
and vocabularies the modules were built from, and the FastText vectors, which live in gensim, not
in torch. :func:`describe` returns those as one JSON-able list (one entry per embedding, in stack
order) and a dict of arrays; :func:`rebuild` makes a stack with the same structure (random
weights, to be overwritten by the state dict). Nothing is read from the training text, nothing is
downloaded, nothing is unpickled, and the files named in the embedding specs (word vectors,
language models, ELMo) are not opened again: their weights are in the state dict.

FastText n-gram vectors (``bucket`` x ``d``, 2M rows by default) are stored as the rows that differ
from gensim's seeded initial draw, plus a sha256 of the whole matrix that :func:`rebuild` checks.
"""
from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from multitag.errors import MultitagError

_CHUNK = 65536  # rows of the n-gram matrix handled at once


# ---------------------------------------------------------------------- dictionaries

def dictionary_to_json(d) -> dict[str, Any]:
    """A flair :class:`~flair.data.Dictionary` as ``{"items": [...], "add_unk": bool, ...}``."""
    return {"items": [b.decode("utf-8") for b in d.idx2item], "add_unk": bool(d.add_unk),
            "multi_label": bool(getattr(d, "multi_label", False)), "span_labels": bool(getattr(d, "span_labels", False))}


def dictionary_from_json(data: dict[str, Any]):
    from flair.data import Dictionary

    d = Dictionary(add_unk=False)
    for item in data["items"]:
        d.add_item(str(item))
    if len(d.idx2item) != len(data["items"]):
        raise MultitagError("a saved flair dictionary has duplicate items")
    d.add_unk = bool(data["add_unk"])
    d.multi_label = bool(data.get("multi_label", False))
    d.span_labels = bool(data.get("span_labels", False))
    return d


# ---------------------------------------------------------------------- FastText n-grams

def _initial_rows(start: int, stop: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """Rows ``start:stop`` of gensim's initial n-gram matrix (``KeyedVectors.prep_vectors``, float32
    uniform in [-1/d, 1/d)), drawn from ``rng``, which must have produced rows ``0:start`` already."""
    rows = rng.random((stop - start, dim), dtype=np.float32)
    rows *= 2.0
    rows -= 1.0
    rows /= dim
    return rows


def _sha256(a: np.ndarray) -> str:
    return hashlib.sha256(memoryview(np.ascontiguousarray(a)).cast("B")).hexdigest()


def ngrams_to_arrays(ngrams: np.ndarray, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """``(index, rows)``: the rows of ``ngrams`` (bucket, d) that differ from the initial draw of
    ``seed`` (every row when ``seed`` is None)."""
    bucket, dim = ngrams.shape
    if seed is None:
        return np.arange(bucket, dtype=np.int64), np.ascontiguousarray(ngrams, dtype=np.float32)
    rng = np.random.default_rng(seed=seed)
    changed = []
    for start in range(0, bucket, _CHUNK):
        stop = min(bucket, start + _CHUNK)
        init = _initial_rows(start, stop, dim, rng)
        changed.append(np.flatnonzero((ngrams[start:stop] != init).any(axis=1)) + start)
    index = np.concatenate(changed).astype(np.int64) if changed else np.zeros(0, dtype=np.int64)
    return index, np.ascontiguousarray(ngrams[index], dtype=np.float32)


def ngrams_from_arrays(bucket: int, dim: int, seed: int | None, index: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The (bucket, d) float32 n-gram matrix: the initial draw of ``seed`` with ``rows`` at ``index``."""
    if index.ndim != 1 or rows.shape != (len(index), dim) or (len(index) and (index.min() < 0 or index.max() >= bucket)):
        raise MultitagError("the saved FastText n-gram rows do not fit the n-gram matrix")
    if seed is None:
        if len(index) != bucket:
            raise MultitagError("the saved FastText n-gram matrix is incomplete")
        out = np.empty((bucket, dim), dtype=np.float32)
        out[index] = rows
        return out
    out = np.empty((bucket, dim), dtype=np.float32)
    rng = np.random.default_rng(seed=seed)
    for start in range(0, bucket, _CHUNK):
        stop = min(bucket, start + _CHUNK)
        out[start:stop] = _initial_rows(start, stop, dim, rng)
    out[index] = rows
    return out


# ---------------------------------------------------------------------- describe / rebuild

def _base_name(emb, position: int) -> str:
    """The embedding's name before StackedEmbeddings prefixed it with ``"<position>-"``."""
    prefix = f"{position}-"
    return emb.name[len(prefix):] if emb.name.startswith(prefix) else emb.name


def describe(stack, specs: list[str]) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """``(entries, arrays)`` for the flair ``StackedEmbeddings`` ``stack`` built from ``specs``.

    ``entries`` is JSON data, one dict per embedding (``kind``, ``name``, what rebuilding needs,
    and ``source``: the spec, for information); ``arrays`` maps ``"<position>.<what>"`` to numpy
    arrays (FastText vectors).
    """
    from flair.embeddings import CharacterEmbeddings, FlairEmbeddings, WordEmbeddings

    from multitag_flair.elmo_embedding import ElmoTokenEmbeddings
    from multitag_flair.fasttext import FastTextVectors

    entries: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}
    for i, emb in enumerate(stack.embeddings):
        entry: dict[str, Any] = {"name": _base_name(emb, i), "source": specs[i] if i < len(specs) else None}
        if isinstance(emb, FastTextVectors):
            kv = emb.kv
            words = list(kv.index_to_key)
            vectors = np.ascontiguousarray(kv.vectors, dtype=np.float32)
            ngrams = np.asarray(kv.vectors_ngrams, dtype=np.float32)
            index, rows = ngrams_to_arrays(ngrams, emb.ngram_seed)
            entry.update(kind="fasttext", words=words, dim=int(kv.vector_size), min_n=int(kv.min_n),
                         max_n=int(kv.max_n), bucket=int(kv.bucket), ngram_seed=emb.ngram_seed,
                         ngrams_sha256=_sha256(ngrams))
            arrays[f"{i}.vectors"] = vectors
            arrays[f"{i}.ngram_index"] = index
            arrays[f"{i}.ngram_rows"] = rows
        elif isinstance(emb, CharacterEmbeddings):
            entry.update(kind="char", dictionary=dictionary_to_json(emb.char_dictionary),
                         char_dim=int(emb.char_embedding_dim), char_hidden=int(emb.hidden_size_char))
        elif isinstance(emb, WordEmbeddings):
            vocab = emb.vocab
            words = sorted(vocab, key=vocab.__getitem__)
            if [vocab[w] for w in words] != list(range(len(words))):
                raise MultitagError(f"cannot save the word embedding {emb.name}: its vocabulary indices are not 0..n-1")
            entry.update(kind="word", words=words, dim=int(emb.embedding_length), fine_tune=bool(emb.fine_tune),
                         stable=bool(emb.stable))
        elif isinstance(emb, FlairEmbeddings):
            lm = emb.lm
            entry.update(kind="flair-lm", lm={
                "dictionary": dictionary_to_json(lm.dictionary), "is_forward_lm": bool(lm.is_forward_lm),
                "hidden_size": int(lm.hidden_size), "nlayers": int(lm.nlayers),
                "embedding_size": int(lm.embedding_size), "nout": None if lm.nout is None else int(lm.nout),
                "document_delimiter": lm.document_delimiter, "dropout": float(lm.dropout),
                "recurrent_type": str(lm.recurrent_type), "has_decoder": lm.decoder is not None},
                fine_tune=bool(emb.fine_tune), chars_per_chunk=int(emb.chars_per_chunk),
                with_whitespace=bool(emb.with_whitespace), tokenized_lm=bool(emb.tokenized_lm),
                is_lower=bool(getattr(emb, "is_lower", False)))
        elif isinstance(emb, ElmoTokenEmbeddings):
            p = emb.to_params()
            entry.update(kind="elmo", options=p["options"], stateful=bool(p["stateful"]), mode=p["mode"],
                         cache=bool(p["cache"]), batch_size=int(p["batch_size"]))
        elif type(emb).__name__ == "TransformerWordEmbeddings":
            from multitag_flair.embeddings import parse_spec

            kind, args = parse_spec(entry["source"] or "")
            if kind != "transformer":
                raise MultitagError(f"cannot save the transformer embedding {emb.name}: its spec is unknown")
            entry.update(kind="transformer", path=args[0])
        else:
            raise MultitagError(f"cannot save a flair tagger with a {type(emb).__name__} embedding")
        entries.append(entry)
    return entries, arrays


def _need(arrays: dict[str, np.ndarray], key: str) -> np.ndarray:
    if key not in arrays:
        raise MultitagError(f"the saved embedding arrays lack {key!r}")
    return arrays[key]


def rebuild(entries: list[dict[str, Any]], arrays: dict[str, np.ndarray]):
    """A flair ``StackedEmbeddings`` of the structure ``entries`` describe (see :func:`describe`);
    torch weights are left to the tagger's state dict."""
    import torch
    from flair.embeddings import CharacterEmbeddings, FlairEmbeddings, StackedEmbeddings, WordEmbeddings
    from flair.models import LanguageModel
    from gensim.models.fasttext import FastTextKeyedVectors

    from multitag_flair.elmo import ElmoBiLm
    from multitag_flair.elmo_embedding import ElmoTokenEmbeddings
    from multitag_flair.fasttext import FastTextVectors

    out = []
    with torch.random.fork_rng(devices=[]):  # the random initial weights are overwritten; keep the caller's RNG
        for i, e in enumerate(entries):
            kind, name = e.get("kind"), e.get("name")
            if kind == "fasttext":
                vectors = _need(arrays, f"{i}.vectors")
                dim, bucket, words = int(e["dim"]), int(e["bucket"]), list(e["words"])
                if vectors.shape != (len(words), dim) or vectors.dtype != np.float32:
                    raise MultitagError("the saved FastText vectors do not fit its vocabulary")
                ngrams = ngrams_from_arrays(bucket, dim, e["ngram_seed"], _need(arrays, f"{i}.ngram_index"),
                                            _need(arrays, f"{i}.ngram_rows"))
                if _sha256(ngrams) != e["ngrams_sha256"]:
                    raise MultitagError("the FastText n-gram vectors rebuilt from the saved rows differ from the saved "
                                        "ones (another numpy random generator?); retrain")
                kv = FastTextKeyedVectors(dim, int(e["min_n"]), int(e["max_n"]), bucket)
                kv.index_to_key = words
                kv.key_to_index = {w: j for j, w in enumerate(words)}
                if len(kv.key_to_index) != len(words):
                    raise MultitagError("the saved FastText vocabulary has duplicate words")
                kv.vectors = vectors
                kv.vectors_ngrams = ngrams
                out.append(FastTextVectors(kv, name=name, ngram_seed=e["ngram_seed"]))
            elif kind == "char":
                out.append(CharacterEmbeddings(dictionary_from_json(e["dictionary"]), char_embedding_dim=int(e["char_dim"]),
                                               hidden_size_char=int(e["char_hidden"]), name=name))
            elif kind == "word":
                words = list(e["words"])
                out.append(WordEmbeddings(None, vocab={w: j for j, w in enumerate(words)}, embedding_length=int(e["dim"]),
                                          fine_tune=bool(e.get("fine_tune", False)), stable=bool(e.get("stable", False)),
                                          name=name))
            elif kind == "flair-lm":
                lm = e["lm"]
                model = LanguageModel(dictionary_from_json(lm["dictionary"]), is_forward_lm=bool(lm["is_forward_lm"]),
                                      hidden_size=int(lm["hidden_size"]), nlayers=int(lm["nlayers"]),
                                      embedding_size=int(lm["embedding_size"]), nout=lm["nout"],
                                      document_delimiter=lm["document_delimiter"], dropout=float(lm["dropout"]),
                                      recurrent_type=lm["recurrent_type"], has_decoder=bool(lm["has_decoder"]))
                model.eval()
                out.append(FlairEmbeddings(model, fine_tune=bool(e["fine_tune"]), chars_per_chunk=int(e["chars_per_chunk"]),
                                           with_whitespace=bool(e["with_whitespace"]), tokenized_lm=bool(e["tokenized_lm"]),
                                           is_lower=bool(e["is_lower"]), name=name))
            elif kind == "elmo":
                model = ElmoBiLm(e["options"], stateful=bool(e["stateful"]))
                out.append(ElmoTokenEmbeddings(model, mode=e["mode"], cache=bool(e["cache"]),
                                               batch_size=int(e["batch_size"]), name=name))
            elif kind == "transformer":
                from flair.embeddings import TransformerWordEmbeddings

                emb = TransformerWordEmbeddings(e["path"], fine_tune=False, layers="-1", subtoken_pooling="first")
                emb.name = name
                out.append(emb)
            else:
                raise MultitagError(f"unknown saved embedding kind {kind!r}")
    return StackedEmbeddings(out)
