"""Build a flair embedding stack from a list of spec strings; nothing downloads.

Specs
-----
``word:PATH``
    Static word vectors from a file in a format that cannot run code (word2vec/GloVe text, word2vec
    or fastText ``.bin``, or ``X.npy`` + ``X.vocab``; read by :func:`multitag_torch.embeddings.load_vectors`).
    Pickles (gensim ``KeyedVectors.save`` ``.kv``/``.model`` files, ``.pkl``) are refused.
``word:train:fasttext``
    FastText vectors trained with gensim on the text the tagger sees (training sentences, dev and
    the unlabeled pool given to ``observe_unlabeled``); subword vectors cover unseen words.
``char``
    flair's character BiLSTM embeddings; the character dictionary is built from that same text.
``flair-lm:FWD_PATH,BWD_PATH``
    Contextual string embeddings from two character LMs (e.g. from ``multitag pretrain-lm``), read
    by :func:`multitag_flair.lm_file.load_lm` (torch's restricted unpickler; never flair's loader).
``transformer:PATH``
    A local Hugging Face model folder, used as frozen features (last layer, first sub-token).
``elmo:OPTIONS_JSON,WEIGHTS_HDF5``
    Our ELMo encoder (:mod:`multitag_flair.elmo`), vectors cached per sentence.
"""
from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from multitag.errors import MultitagError
from multitag_flair.lm_file import load_lm

SPEC_HELP = ("word:PATH, word:train:fasttext, char, flair-lm:FWD_PATH,BWD_PATH, transformer:PATH, "
             "elmo:OPTIONS_JSON,WEIGHTS_HDF5")


@dataclass
class StackOptions:
    """Sizes used when building embeddings from specs."""

    seed: int = 0
    char_dim: int = 25
    char_hidden: int = 25
    fasttext_dim: int = 100
    fasttext_epochs: int = 5
    elmo_mode: str = "all"
    elmo_stateful: bool = False
    elmo_cache: bool = True


def parse_spec(spec: str) -> tuple[str, list[str]]:
    """``"flair-lm:a,b"`` -> ``("flair-lm", ["a", "b"])``; validates the kind and arity."""
    if not isinstance(spec, str) or not spec:
        raise MultitagError(f"an embedding spec must be a non-empty string, got {spec!r}; use one of: {SPEC_HELP}")
    kind, _, rest = spec.partition(":")
    args = [a for a in rest.split(",")] if rest else []
    arity = {"word": 1, "char": 0, "flair-lm": 2, "transformer": 1, "elmo": 2}
    if kind not in arity:
        raise MultitagError(f"unknown embedding {spec!r}; use one of: {SPEC_HELP}")
    if len(args) != arity[kind] or any(not a for a in args):
        raise MultitagError(f"embedding spec {spec!r} is malformed; expected one of: {SPEC_HELP}")
    return kind, args


def _need_file(path: str, spec: str) -> str:
    if not os.path.exists(path):
        raise MultitagError(f"embedding {spec!r}: {path} does not exist (nothing is downloaded; give a local path)")
    return path


def _stable_hash(s: str) -> int:
    return zlib.crc32(s.encode("utf-8"))


def char_dictionary(texts: Sequence[Sequence[str]]):
    """A flair character :class:`~flair.data.Dictionary` of every character in ``texts`` (plus <unk>)."""
    from flair.data import Dictionary

    d = Dictionary(add_unk=True)
    for ch in sorted({c for sent in texts for tok in sent for c in tok}):
        d.add_item(ch)
    return d


def word_vectors(path: str):
    """flair WordEmbeddings over the vectors of ``path`` (read by the torch backend's safe reader;
    pickles are refused)."""
    import torch
    from flair.embeddings import WordEmbeddings

    from multitag_torch.embeddings import load_vectors

    words, vectors = load_vectors(path)
    vocab: dict[str, int] = {}
    for i, w in enumerate(words):
        vocab.setdefault(w, i)
    emb = WordEmbeddings(None, vocab=vocab, embedding_length=int(vectors.shape[1]),
                         name=f"word:{os.path.basename(path)}")
    with torch.no_grad():
        emb.embedding.weight[: len(words)] = torch.from_numpy(vectors)
    return emb


def train_fasttext(texts: Sequence[Sequence[str]], *, dim: int, epochs: int, seed: int):
    """:class:`~multitag_flair.fasttext.FastTextVectors` trained with gensim on ``texts`` (single
    worker, stable hash: the same text and seed give the same vectors in every process)."""
    from gensim.models import FastText

    from multitag_flair.fasttext import FastTextVectors

    sents = [list(s) for s in texts if len(s)]
    if not sents:
        raise MultitagError("word:train:fasttext has no text to train on")
    model = FastText(vector_size=dim, window=5, min_count=1, workers=1, seed=seed, hashfxn=_stable_hash,
                     min_n=3, max_n=6, epochs=epochs)
    model.build_vocab(corpus_iterable=sents)
    model.train(corpus_iterable=sents, total_examples=len(sents), epochs=epochs)
    # gensim draws the initial n-gram vectors from seed + 1 (KeyedVectors.prep_vectors)
    return FastTextVectors(model.wv, name="word:train:fasttext", ngram_seed=seed + 1)


def build_stack(specs: Sequence[str], texts: Sequence[Sequence[str]], options: StackOptions):
    """A flair :class:`~flair.embeddings.StackedEmbeddings` from ``specs``.

    Parameters
    ----------
    specs : list of str
    texts : list of token lists
        Text available for building dictionaries and training vectors (never tags).
    """
    from flair.embeddings import CharacterEmbeddings, FlairEmbeddings, StackedEmbeddings

    if isinstance(specs, str):
        specs = [specs]
    if not specs:
        raise MultitagError(f"the embedding stack is empty; give at least one of: {SPEC_HELP}")
    out = []
    for spec in specs:
        kind, args = parse_spec(spec)
        if kind == "word":
            if args[0] == "train" or spec == "word:train:fasttext":
                if spec != "word:train:fasttext":
                    raise MultitagError(f"embedding spec {spec!r}: the only trained word vectors are word:train:fasttext")
                out.append(train_fasttext(texts, dim=options.fasttext_dim, epochs=options.fasttext_epochs, seed=options.seed))
            else:
                out.append(word_vectors(_need_file(args[0], spec)))
        elif kind == "char":
            out.append(CharacterEmbeddings(char_dictionary(texts), char_embedding_dim=options.char_dim,
                                           hidden_size_char=options.char_hidden))
        elif kind == "flair-lm":
            for i, path in enumerate(args):
                lm = load_lm(_need_file(path, spec))  # never flair's loader, which unpickles
                try:
                    out.append(FlairEmbeddings(lm, name=f"flair-lm-{i}:{os.path.basename(path)}"))
                except Exception as e:
                    raise MultitagError(f"cannot load the character LM {path}: {e}") from None
        elif kind == "transformer":
            from flair.embeddings import TransformerWordEmbeddings

            _need_file(args[0], spec)
            try:  # transformers (>= 4.57) reads a pytorch_model.bin only with torch.load(weights_only=True)
                out.append(TransformerWordEmbeddings(args[0], fine_tune=False, layers="-1", subtoken_pooling="first"))
            except (OSError, ValueError) as e:
                first = next((line.strip() for line in str(e).splitlines() if line.strip()), type(e).__name__)
                raise MultitagError(
                    f"embedding {spec!r}: cannot load the transformer folder {args[0]} ({first.rstrip('.')}); "
                    "pickle weights (pytorch_model.bin) load only when torch.load(weights_only=True) accepts "
                    "them: a checkpoint you trust converts once with model.save_pretrained(DIR, "
                    "safe_serialization=True)") from None
        elif kind == "elmo":
            from multitag_flair.elmo_embedding import ElmoTokenEmbeddings

            out.append(ElmoTokenEmbeddings.from_files(
                _need_file(args[0], spec), _need_file(args[1], spec), stateful=options.elmo_stateful,
                mode=options.elmo_mode, cache=options.elmo_cache))
    return StackedEmbeddings(out)
