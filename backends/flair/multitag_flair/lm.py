"""Pretrain forward and backward character language models (flair's ``LanguageModelTrainer``)
on unlabeled text, for use as ``flair-lm:FWD,BWD`` embeddings. Nothing downloads."""
from __future__ import annotations

import os
import random
from dataclasses import dataclass

from multitag.errors import MultitagError


@dataclass
class LMOptions:
    hidden_size: int = 128
    layers: int = 1
    embedding_size: int = 32
    sequence_length: int = 100
    batch_size: int = 32
    epochs: int = 2
    learning_rate: float = 20.0
    dropout: float = 0.1
    valid_fraction: float = 0.05
    seed: int = 0


def read_text(source: str) -> list[str]:
    """Sentences as lines: a data folder gives its train split (tokens joined by spaces), a file
    gives its non-empty lines."""
    if os.path.isdir(source):
        from multitag.data import load_dataset

        data = load_dataset(source)
        lines = [" ".join(s.tokens) for s in data.train]
    elif os.path.isfile(source):
        with open(source, encoding="utf-8") as f:
            lines = [line.strip() for line in f]
        lines = [line for line in lines if line]
    else:
        raise MultitagError(f"--text {source}: no such file or data folder")
    if not lines:
        raise MultitagError(f"--text {source}: no text found")
    return lines


def write_corpus(lines: list[str], folder: str, valid_fraction: float, min_chars: int) -> None:
    """flair's LM corpus layout: ``train/train_split_1``, ``valid.txt``, ``test.txt``."""
    n_valid = max(1, int(len(lines) * valid_fraction))
    if len(lines) < 3 * n_valid or sum(map(len, lines[:n_valid])) < min_chars:
        raise MultitagError(f"too little text to train a language model ({len(lines)} lines); give more text or a smaller --batch-size")
    valid, test, train = lines[:n_valid], lines[n_valid:2 * n_valid], lines[2 * n_valid:]
    os.makedirs(os.path.join(folder, "train"), exist_ok=True)
    for name, part in (("train/train_split_1", train), ("valid.txt", valid), ("test.txt", test)):
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write("\n".join(part) + "\n")


def pretrain_lm(source: str, out: str, options: LMOptions | None = None) -> tuple[str, str]:
    """Train both directions; returns the paths of the forward and backward ``best-lm.pt``."""
    import numpy as np
    import torch
    from flair.data import Dictionary
    from flair.models import LanguageModel
    from flair.trainers.language_model_trainer import LanguageModelTrainer, TextCorpus

    o = options or LMOptions()
    lines = read_text(source)
    rng = random.Random(o.seed)
    rng.shuffle(lines)
    corpus_dir = os.path.join(out, "corpus")
    write_corpus(lines, corpus_dir, o.valid_fraction, 2 * o.batch_size * o.sequence_length // 10)
    dictionary = Dictionary(add_unk=True)
    for ch in sorted({c for line in lines for c in line} | {" ", "\n"}):
        dictionary.add_item(ch)
    paths = []
    for forward in (True, False):
        random.seed(o.seed)
        np.random.seed(o.seed)
        torch.manual_seed(o.seed)
        lm = LanguageModel(dictionary, is_forward_lm=forward, hidden_size=o.hidden_size, nlayers=o.layers,
                           embedding_size=o.embedding_size, dropout=o.dropout)
        corpus = TextCorpus(corpus_dir, dictionary, forward, character_level=True)
        target = os.path.join(out, "forward" if forward else "backward")
        LanguageModelTrainer(lm, corpus).train(target, sequence_length=o.sequence_length,
                                               learning_rate=o.learning_rate, mini_batch_size=o.batch_size,
                                               max_epochs=o.epochs, num_workers=0)
        path = os.path.join(target, "best-lm.pt")
        if not os.path.isfile(path):
            raise MultitagError(f"language model training wrote no {path}; see {target}/training.log")
        paths.append(path)
    return paths[0], paths[1]
