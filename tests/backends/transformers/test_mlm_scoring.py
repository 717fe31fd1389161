"""Masked-LM breaking-ties scores (initial-set selection) on a tiny random BertForMaskedLM."""
import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, BertForMaskedLM

from multitag.data.sentence import Sentence
from multitag.errors import MultitagError
from multitag_transformers.mlm_scoring import mlm_margin_scores


def _reference(words, path):
    """Mask each word via the tokenizer's own [MASK] handling and take the smallest top-2 margin."""
    tok = AutoTokenizer.from_pretrained(path)
    net = BertForMaskedLM.from_pretrained(path).eval()
    margins = []
    for w in range(len(words)):
        masked = words[:w] + [tok.mask_token] + words[w + 1:]
        enc = tok(masked, is_split_into_words=True, return_tensors="pt")
        pos = int((enc["input_ids"][0] == tok.mask_token_id).nonzero()[0, 0])
        with torch.no_grad():
            p = torch.softmax(net(**enc).logits[0, pos], -1)
        top = torch.topk(p, 2).values
        margins.append(float(top[0] - top[1]))
    return min(margins)


def test_scores_match_a_word_by_word_reference(tiny_mlm):
    sents = [Sentence(["John", "walked", "to", "London", "."]), Sentence(["Siemens"]),
             Sentence(["the", "Reuters", "said", "today", "in", "Paris"])]
    scores = mlm_margin_scores(sents, tiny_mlm, batch_size=4)
    assert scores.shape == (3,) and scores.dtype == np.float64
    assert np.all((scores >= 0) & (scores <= 1))
    for s, got in zip(sents, scores):
        assert got == pytest.approx(_reference(list(s.tokens), tiny_mlm), abs=1e-5)
    again = mlm_margin_scores([list(s.tokens) for s in reversed(sents)], tiny_mlm, batch_size=1)
    assert np.allclose(again[::-1], scores, atol=1e-5)


def test_missing_model_is_a_multitag_error(tmp_path):
    with pytest.raises(MultitagError, match="minilm"):
        mlm_margin_scores([Sentence(["a"])], str(tmp_path / "none"))


def test_initial_lm_seed_set_takes_the_smallest_margin_sentences(tmp_path, tiny_mlm):
    """End to end: `--initial lm` reveals first the pool sentences with the smallest MLM margin."""
    from multitag import registry
    from multitag.baseline import CountTagger
    from multitag.data.readers import read_conll
    from multitag.data.writers import write_conll
    from multitag.experiments.config import ExperimentConfig
    from multitag.experiments.results import ResultsStore
    from multitag.experiments.runner import run_experiment
    from multitag.testing import synthetic_corpus

    data = tmp_path / "data"
    write_conll(synthetic_corpus(20, seed=3, prefix="train"), data / "train.txt")
    write_conll(synthetic_corpus(10, seed=4, prefix="test"), data / "test.txt")
    pool = read_conll(data / "train.txt", id_prefix="train")
    margins = mlm_margin_scores(pool, tiny_mlm)
    hardest = pool[int(np.argmin(margins))]
    config = ExperimentConfig(data=str(data), backends=["count"], strategies=["random"], seeds=[0], initial_size="1",
                              schedule="1%x1", valid="none", initials=["lm"], initial_lm=tiny_mlm)
    with registry.registered("count", CountTagger):
        run_experiment(config, str(tmp_path / "out"), progress=False)
    first = [r for r in [r.to_json() for r in ResultsStore(str(tmp_path / "out" / "results.jsonl")).load()] if r["iteration"] == 0][0]
    assert first["initial_selected"] == [hardest.id]
    assert first["sentences_annotated"] == 1 and first["tokens_annotated"] == len(hardest)
    assert first["initial"] == "lm"
