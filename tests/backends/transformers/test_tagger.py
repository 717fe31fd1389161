"""Behaviour of TransformerTagger beyond the conformance suite."""
import math
import time

import numpy as np
import pytest
import torch

from multitag.data.sentence import Corpus, Sentence
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_transformers.tagger import TransformerTagger, dropout_modules

LABELS = SYNTHETIC_LABELS


@pytest.fixture(scope="module")
def fitted(tiny_bert):
    return TransformerTagger(labels=LABELS, model=tiny_bert, seed=3, epochs=1, predict_batch_size=4).fit(synthetic_corpus(40))


def _count_encoder_calls(tagger):
    calls = []
    handle = tagger.model_.base_model.register_forward_hook(lambda *a: calls.append(1))
    return calls, handle


def test_last_mode_runs_the_encoder_once_per_batch(fitted):
    sents = list(synthetic_corpus(10, seed=7))  # 10 sentences, batches of 4 -> 3 batches
    calls, handle = _count_encoder_calls(fitted)
    try:
        fitted.predict(sents)
        n_batches = len(calls)
        assert n_batches == 3
        calls.clear()
        samples = fitted.sample(sents, n_samples=7, mode="last")
        assert len(calls) == n_batches
        assert samples[0].shape == (7, len(sents[0]), len(LABELS))
        calls.clear()
        fitted.sample(sents, n_samples=7, mode="all")
        assert len(calls) == 7 * n_batches
    finally:
        handle.remove()


def test_all_mode_samples_attention_dropout_and_restores_eval_after_error(fitted, monkeypatch):
    mods = dropout_modules(fitted.model_)
    attn = [m for m in mods if not isinstance(m, torch.nn.Dropout)]
    assert attn, "the SDPA attention modules (functional dropout) must be switched too"
    seen = []
    original = fitted._word_states

    def failing(batch):
        seen.append(all(m.training for m in mods))
        original(batch)
        raise RuntimeError("boom")

    monkeypatch.setattr(fitted, "_word_states", failing)
    with pytest.raises(RuntimeError):
        fitted.sample(list(synthetic_corpus(3)), n_samples=2, mode="all")
    assert seen == [True]
    assert not any(m.training for m in fitted.model_.modules())


def test_samples_are_seeded(fitted):
    sents = list(synthetic_corpus(5, seed=9))
    for mode in ("last", "all"):
        a = fitted.sample(sents, n_samples=3, mode=mode)
        b = fitted.sample(sents, n_samples=3, mode=mode)
        assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_600_word_sentence_gets_600_predictions(fitted):
    # the tiny model's window is 64 sub-tokens, so this sentence needs many windows
    rng = np.random.default_rng(0)
    words = [str(w) for w in rng.choice(["John", "visited", "New", "York", "and", "Siemens", "."], 600)]
    long = Sentence(words)
    (pred,) = fitted.predict([long], hidden=True)
    assert len(pred.tags) == 600 and pred.marginals.shape == (600, len(LABELS)) and pred.hidden.shape[0] == 600
    assert np.allclose(pred.marginals.sum(1), 1.0, atol=1e-5)
    # each word is predicted in the window it was assigned to: predicting that window's words as a
    # sentence of their own (it fits the model) gives the same marginals for those words
    ids, offsets = fitted.encoder_.pieces([words])[0]
    spans = fitted.encoder_.spans(offsets)
    chunks = fitted.encoder_.encode([words])
    assert len(spans) == len(chunks) > 10
    for k in (0, len(spans) // 2, len(spans) - 1):
        a, b = spans[k]
        (alone,) = fitted.predict([Sentence(words[a:b])])
        own = chunks[k].words
        assert len(own) > 0
        assert np.allclose(alone.marginals[own - a], pred.marginals[own], atol=1e-5)
    samples = fitted.sample([long], n_samples=2, mode="last")
    assert samples[0].shape == (2, 600, len(LABELS))


def test_logprob_is_sum_of_log_max_marginals(fitted):
    sents = list(synthetic_corpus(6, seed=4))
    for p in fitted.predict(sents):
        assert math.isclose(p.logprob, float(np.log(p.marginals.max(1)).sum()), rel_tol=1e-9, abs_tol=1e-9)
        assert p.marginals.dtype == np.float64


def test_none_tags_contribute_no_loss(fitted):
    rng = np.random.default_rng(1)
    full = list(synthetic_corpus(8, seed=11))
    holes = [s.with_tags([t if rng.random() < 0.5 else None for t in s.tags]) for s in full]
    holes = [h if any(t is not None for t in h.tags) else full[i] for i, h in enumerate(holes)]
    chunks, targets = fitted._examples(holes)
    batch = fitted._collate(chunks, list(range(len(chunks))), targets)
    with torch.inference_mode():
        loss = float(fitted.model_(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                   labels=batch["labels"]).loss)
    # the same loss from the prediction path, averaged over the annotated words only
    preds = fitted.predict(holes)
    idx = {l: i for i, l in enumerate(LABELS)}
    nll = [-math.log(p.marginals[w, idx[t]]) for s, p in zip(holes, preds) for w, t in enumerate(s.tags) if t is not None]
    assert math.isclose(loss, float(np.mean(nll)), rel_tol=1e-4)
    # and changing what the hidden words 'are' (here: giving them tag O) does change the loss
    filled = [s.with_tags([t if t is not None else "O" for t in s.tags]) for s in holes]
    c2, t2 = fitted._examples(filled)
    b2 = fitted._collate(c2, list(range(len(c2))), t2)
    with torch.inference_mode():
        loss2 = float(fitted.model_(input_ids=b2["input_ids"], attention_mask=b2["attention_mask"], labels=b2["labels"]).loss)
    assert not math.isclose(loss, loss2, rel_tol=1e-4)


def test_partial_training_ignores_tags_of_unannotated_words(tiny_bert):
    """Training on sentences whose hidden words carry different (ignored) tags gives the same model."""
    full = list(synthetic_corpus(12, seed=2))
    rng = np.random.default_rng(3)
    masks = [rng.random(len(s)) < 0.4 for s in full]
    a = [s.with_tags([None if m else t for t, m in zip(s.tags, mk)]) for s, mk in zip(full, masks)]
    kw = dict(labels=LABELS, model=tiny_bert, seed=0, max_steps=3)
    ta = TransformerTagger(**kw).fit(Corpus(a))
    tb = TransformerTagger(**kw).fit(Corpus([s.with_tags(["I-ORG" if t is None else t for t in s.tags]) for s in a]))
    pa, pb = ta.predict(full), tb.predict(full)
    assert any(not np.allclose(x.marginals, y.marginals, atol=1e-6) for x, y in zip(pa, pb)), \
        "tagging the hidden words must change training (else the test is blind)"
    tc = TransformerTagger(**kw).fit(Corpus(a))
    assert all(np.allclose(x.marginals, y.marginals, atol=1e-6) for x, y in zip(pa, tc.predict(full)))


def test_batch_size_rule():
    t = TransformerTagger(labels=LABELS)
    assert t._train_batch_size(60) == 4
    assert t._train_batch_size(400) == 8
    assert t._train_batch_size(10_000) == 16
    assert t._train_batch_size(3) == 4


def test_early_stopping_keeps_the_best_dev_epoch(tiny_bert):
    from multitag.evaluation import evaluate

    dev = synthetic_corpus(15, seed=21)
    t = TransformerTagger(labels=LABELS, model=tiny_bert, early_stopping=True, max_epochs=6, patience=1,
                          learning_rate=1e-3).fit(synthetic_corpus(40), dev)
    f1s = [h["dev_f1"] for h in t.history_]
    assert 1 <= len(f1s) <= 6
    if len(f1s) < 6:  # stopped early: the last `patience` epochs did not improve
        assert f1s[-1] <= max(f1s[:-1])
    f1 = evaluate([list(s.tags) for s in dev], [p.tags for p in t.predict(dev)])["f1"]
    assert math.isclose(f1, max(f1s), abs_tol=1e-9)


def test_hub_name_offline_fails_fast_with_advice(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    t0 = time.perf_counter()
    with pytest.raises(MultitagError) as e:
        TransformerTagger(labels=LABELS, model="bert-base-cased").fit(synthetic_corpus(5))
    assert time.perf_counter() - t0 < 5
    msg = str(e.value)
    assert "bert-base-cased" in msg and "local folder" in msg and "minilm" in msg


def test_missing_folder_and_unfitted_errors(tmp_path):
    with pytest.raises(MultitagError, match="does not exist"):
        TransformerTagger(labels=LABELS, model=str(tmp_path / "nope")).fit(synthetic_corpus(5))
    with pytest.raises(MultitagError, match="fit"):
        TransformerTagger(labels=LABELS, model="x").predict(list(synthetic_corpus(2)))
    with pytest.raises(MultitagError, match="model="):
        TransformerTagger(labels=LABELS).fit(synthetic_corpus(5))
    with pytest.raises(MultitagError, match="written by an older multitag or not a model"):
        TransformerTagger.load(str(tmp_path))
