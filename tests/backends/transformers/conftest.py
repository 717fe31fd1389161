"""Fixtures: a tiny random BERT with a fast tokenizer, written to a temp folder (no hub access)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

_ROOT = Path(__file__).resolve().parents[3]
for sub in ("backends/torch", "backends/transformers"):  # importable before the distributions are installed
    p = str(_ROOT / sub)
    if p not in sys.path:
        sys.path.insert(0, p)

from multitag.testing import _LOC, _ORG, _PER, _WORDS  # noqa: E402

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
EXTRA = ["word", "##s", "##ed", "##ing", "long", "New", "York"] + list("abcdefghijklmnopqrstuvwxyz.,") + \
        ["##" + c for c in "abcdefghijklmnopqrstuvwxyz"]


def write_tiny_bert(folder: Path, *, max_positions: int = 64, for_mlm: bool = False) -> str:
    """Save a 2-layer, 32-wide random BERT and a fast WordPiece tokenizer into ``folder``."""
    import torch
    from transformers import BertConfig, BertForMaskedLM, BertModel, BertTokenizerFast

    vocab = list(dict.fromkeys(SPECIAL + _PER + _LOC + _ORG + _WORDS + EXTRA))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tok = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=False)
    tok.model_max_length = max_positions
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=max_positions, hidden_dropout_prob=0.1,
                        attention_probs_dropout_prob=0.1)
    torch.manual_seed(0)
    model = BertForMaskedLM(config) if for_mlm else BertModel(config)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    return str(folder)


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    import torch

    # tiny models on a shared CPU: extra intra-op threads only wait on each other
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> str:
    return write_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def tiny_mlm(tmp_path_factory) -> str:
    return write_tiny_bert(tmp_path_factory.mktemp("tiny-mlm"), for_mlm=True)
