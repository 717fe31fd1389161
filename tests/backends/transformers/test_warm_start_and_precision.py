"""TransformerTagger: incremental training (warm_start) and mixed precision on the CPU."""
import numpy as np
import pytest
import torch

from multitag.data.sentence import Corpus, Sentence
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, check_predictions, synthetic_corpus
from multitag_torch import precision as P
from multitag_transformers import tagger as tagger_module
from multitag_transformers.tagger import TransformerTagger

LABELS = SYNTHETIC_LABELS
POOL = synthetic_corpus(60, seed=5, prefix="pool")
ROUND1, ROUND2 = Corpus(list(POOL)[:20]), Corpus(list(POOL)[:50])


def _tagger(tiny_bert, **kw):
    return TransformerTagger(labels=LABELS, model=tiny_bert, seed=0, learning_rate=1e-3, **{"epochs": 2, **kw})


def test_a_warm_fit_continues_without_reloading_the_checkpoint(tiny_bert, monkeypatch):
    loads = []
    real = tagger_module.load_pretrained
    monkeypatch.setattr(tagger_module, "load_pretrained", lambda *a, **k: loads.append(1) or real(*a, **k))
    warm = _tagger(tiny_bert, warm_start=True, incremental_epochs=1).fit(ROUND1)
    net = warm.model_
    warm.fit(ROUND2)
    assert loads == [1] and warm.model_ is net and len(warm.history_) == 1
    fresh = _tagger(tiny_bert, epochs=1).fit(ROUND2)
    assert len(loads) == 2
    assert warm.history_[0]["loss"] < fresh.history_[0]["loss"]  # the first epoch starts from trained weights


def test_without_warm_start_a_refit_reloads_the_checkpoint(tiny_bert):
    t = _tagger(tiny_bert).fit(ROUND1)
    first = t.model_
    t.fit(ROUND2)
    again = _tagger(tiny_bert).fit(ROUND2)
    assert t.model_ is not first
    sents = list(synthetic_corpus(5, seed=9))
    assert all(np.allclose(a.marginals, b.marginals, atol=1e-6) for a, b in zip(t.predict(sents), again.predict(sents)))


def test_incremental_epochs_bound_the_warm_fit(tiny_bert):
    t = _tagger(tiny_bert, warm_start=True, epochs=1, incremental_epochs=3).fit(ROUND1)
    t.fit(ROUND2)
    assert [h["epoch"] for h in t.history_] == [1, 2, 3]
    # early stopping on dev still applies to a warm fit, bounded by incremental_epochs
    t.set_params(early_stopping=True, patience=1, incremental_epochs=2).fit(ROUND2, synthetic_corpus(10, seed=3))
    assert 1 <= len(t.history_) <= 2 and all("dev_f1" in h for h in t.history_)


def test_warm_optimizer_keeps_adamws_moments(tiny_bert):
    t = _tagger(tiny_bert, warm_start=True, warm_optimizer=True, incremental_epochs=1, epochs=1).fit(ROUND1)
    steps1 = {int(s["step"]) for s in t.optimizer_state_["state"].values()}
    n1 = t.history_[-1]["steps"]
    assert steps1 == {n1}
    t.fit(ROUND2)
    assert {int(s["step"]) for s in t.optimizer_state_["state"].values()} == {n1 + t.history_[-1]["steps"]}
    assert _tagger(tiny_bert, warm_start=True).fit(ROUND1).optimizer_state_ is None


def test_a_warm_fit_refuses_a_changed_label_set(tiny_bert):
    t = _tagger(tiny_bert, warm_start=True).fit(ROUND1)
    t.set_params(labels=LABELS + ["B-MISC"])
    with pytest.raises(MultitagError, match="label set changed"):
        t.fit(ROUND2)


def _logits_of(tagger, sentence):
    """The classifier's logits (n_words, L) for a one-window sentence, as predict computes them."""
    seen = []
    handle = tagger.model_.classifier.register_forward_hook(lambda m, i, o: seen.append(o.detach()))
    try:
        pred = tagger.predict([sentence])[0]
    finally:
        handle.remove()
    return pred, seen[0]


def test_bf16_inference_gives_the_fp32_labels_and_float32_marginals(tiny_bert):
    tagger = _tagger(tiny_bert, epochs=3).fit(synthetic_corpus(60))
    test = [s.unlabeled() for s in synthetic_corpus(200, seed=1)]
    fp32 = tagger.predict(test)
    tagger.set_params(precision="bf16")
    bf16 = tagger.predict(test)
    check_predictions(tagger, test, bf16)
    same = [a == b for x, y in zip(fp32, bf16) for a, b in zip(x.tags, y.tags)]
    assert len(same) > 1000 and np.mean(same) >= 0.995
    assert not all(np.array_equal(x.marginals, y.marginals) for x, y in zip(fp32, bf16)), "autocast did not run"
    # the logits come out of the autocast encoder in bf16; the softmax over them runs in float32
    sentence = Sentence(["John", "visited", "New", "York", "and", "Siemens", "."])
    pred, logits = _logits_of(tagger, sentence)
    assert logits.dtype == torch.bfloat16 and logits.shape == (len(sentence), len(LABELS))
    assert np.allclose(pred.marginals, torch.softmax(logits.float(), -1).numpy(), atol=1e-6)
    assert not np.allclose(pred.marginals, torch.softmax(logits, -1).float().numpy(), atol=1e-4)
    samples = tagger.sample(test[:10], n_samples=4, mode="last")
    assert all(np.allclose(s.sum(-1), 1, atol=1e-6) and not np.allclose(s[0], s[1]) for s in samples)


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_training_runs_on_the_cpu(tiny_bert, precision, monkeypatch):
    scalers = []
    real = P.grad_scaler
    monkeypatch.setattr(P, "grad_scaler", lambda p, d: scalers.append(real(p, d)) or scalers[-1])
    t = _tagger(tiny_bert, epochs=3, precision=precision).fit(synthetic_corpus(40))
    losses = [h["loss"] for h in t.history_]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert [s.is_enabled() for s in scalers] == [precision == "fp16"]  # fp16 scales the loss
    assert all(p.dtype == torch.float32 for p in t.model_.parameters())
    check_predictions(t, list(synthetic_corpus(5, seed=2)), t.predict(list(synthetic_corpus(5, seed=2))))


def test_option_errors_come_before_any_training(tiny_bert):
    with pytest.raises(MultitagError, match="precision must be one of"):
        _tagger(tiny_bert, precision="half").check()
    with pytest.raises(MultitagError, match="incremental_epochs"):
        _tagger(tiny_bert, incremental_epochs=-2).check()
    assert P.resolve("auto", "cpu") == "fp32"
