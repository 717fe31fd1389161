"""flair's transformer:PATH never unpickles code: a crafted pytorch_model.bin is one line, nothing runs."""
import os

import pytest

from multitag.errors import MultitagError
from support.pickles import make_pickle

pytest.importorskip("flair")
from multitag_flair.embeddings import StackOptions, build_stack  # noqa: E402


def _tiny_bert_without_weights(folder):
    from transformers import BertConfig, BertTokenizerFast

    os.makedirs(folder)
    vocab = os.path.join(folder, "vocab.txt")
    with open(vocab, "w", encoding="utf-8") as f:
        f.write("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b"]) + "\n")
    BertTokenizerFast(vocab_file=vocab).save_pretrained(folder)
    BertConfig(vocab_size=7, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
               intermediate_size=8).save_pretrained(folder)
    return folder


def test_a_crafted_pytorch_model_bin_is_refused_and_runs_nothing(tmp_path):
    folder = _tiny_bert_without_weights(str(tmp_path / "bert"))
    _, marker = make_pickle(folder, "pytorch_model.bin")
    with pytest.raises(MultitagError) as e:
        build_stack([f"transformer:{folder}"], [], StackOptions())
    msg = str(e.value)
    assert "\n" not in msg and "pytorch_model.bin" in msg and "safe_serialization=True" in msg
    assert not os.path.exists(marker)
