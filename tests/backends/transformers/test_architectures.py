"""The presets' architectures other than BERT (DistilBERT, ELECTRA, MPNet), as tiny random models."""
import numpy as np
import pytest
import torch

from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_transformers.tagger import TransformerTagger


def _write(kind, folder):
    from transformers import (BertTokenizerFast, DistilBertConfig, DistilBertModel, DistilBertTokenizerFast,
                              ElectraConfig, ElectraModel, MPNetConfig, MPNetModel, MPNetTokenizerFast)

    from multitag.testing import _LOC, _ORG, _PER, _WORDS

    special = ["<s>", "<pad>", "</s>", "[UNK]", "<mask>"] if kind == "mpnet" else \
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = list(dict.fromkeys(special + _PER + _LOC + _ORG + _WORDS))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    torch.manual_seed(0)
    if kind == "distilbert":
        tok = DistilBertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=False)
        model = DistilBertModel(DistilBertConfig(vocab_size=len(vocab), dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                                                 max_position_embeddings=64))
    elif kind == "mpnet":  # all-mpnet-base-v2's architecture: <s> </s> specials, positions offset by the pad id
        tok = MPNetTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=False)
        model = MPNetModel(MPNetConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2,
                                       num_attention_heads=2, intermediate_size=64, max_position_embeddings=66,
                                       pad_token_id=tok.pad_token_id))
    else:
        tok = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=False)
        model = ElectraModel(ElectraConfig(vocab_size=len(vocab), embedding_size=16, hidden_size=32, num_hidden_layers=2,
                                           num_attention_heads=2, intermediate_size=64, max_position_embeddings=64))
    tok.model_max_length = 64
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return str(folder)


@pytest.mark.parametrize("kind", ["distilbert", "electra", "mpnet"])
def test_architecture_trains_predicts_and_samples(kind, tmp_path):
    path = _write(kind, tmp_path / kind)
    train = synthetic_corpus(20)
    t = TransformerTagger(labels=SYNTHETIC_LABELS, model=path, max_steps=3).fit(train)
    test = list(synthetic_corpus(4, seed=3)) + [train[0].with_tags([None] * len(train[0]))]
    preds = t.predict(test, hidden=True)
    assert [len(p.tags) for p in preds] == [len(s) for s in test]
    assert all(p.hidden.shape == (len(s), 32) for p, s in zip(preds, test))
    for mode in ("last", "all"):
        samples = t.sample(test, n_samples=3, mode=mode)
        assert samples[0].shape == (3, len(test[0]), len(SYNTHETIC_LABELS))
        assert any(not np.allclose(a[0], a[1]) for a in samples), f"{kind} {mode}: dropout is not sampling"
    after = t.predict(test)
    assert all(np.allclose(a.marginals, b.marginals) for a, b in zip(after, preds))
