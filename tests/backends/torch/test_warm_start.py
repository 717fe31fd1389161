"""Incremental training of the torch taggers: warm_start, incremental_epochs, warm_optimizer."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from multitag.data.sentence import Corpus, Sentence
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_torch import base as torch_base
from multitag_torch.taggers import BiLSTMEncDecTagger, BiLSTMTagger, CNNBiLSTMCRFTagger, CNNCNNLSTMTagger
from multitag_torch.vocab import normalize

from support.torch_tiny import FAST, TINY

def _novel(i: int) -> Sentence:
    """A sentence whose name and city occur nowhere else."""
    c = "abcdefghij"[i]  # letters: the vocabulary maps every digit to 0
    return Sentence([f"Zorb{c}", "visited", f"Quix{c}ville", "."], ["B-PER", "O", "B-LOC", "O"], id=f"novel:{i}")


_SYN = list(synthetic_corpus(80, seed=5, prefix="pool"))
# round 1 trains on the first 20 sentences, round 2 on the first 50 (novel words 0-4 among them);
# novel words 5-9 are only in the pool
POOL = Corpus(_SYN[:20] + [_novel(i) for i in range(5)] + _SYN[20:45] + [_novel(i) for i in range(5, 10)] + _SYN[45:])
ROUND1 = Corpus(list(POOL)[:20])
ROUND2 = Corpus(list(POOL)[:50])


def _tagger(cls, **kw):
    t = cls(labels=SYNTHETIC_LABELS, seed=0, **{**TINY[cls], **FAST, "max_epochs": 3, **kw})
    return t.observe_unlabeled([s.unlabeled() for s in POOL])


@pytest.mark.parametrize("cls", [CNNBiLSTMCRFTagger, CNNCNNLSTMTagger, BiLSTMTagger, BiLSTMEncDecTagger],
                         ids=lambda c: c.__name__)
def test_a_warm_fit_continues_from_the_current_weights(cls):
    warm = _tagger(cls, warm_start=True, incremental_epochs=1).fit(ROUND1)
    net, words, chars = warm.net_, warm.words_, warm.chars_
    # the whole pool's words are in the vocabulary before the first fit
    assert {normalize(t) for s in POOL for t in s.tokens} <= set(words.itos)
    assert "zorba" in words.itos and "zorbj" in words.itos
    warm.fit(ROUND2)
    assert warm.net_ is net and warm.words_ is words and warm.chars_ is chars  # nothing rebuilt or resized
    assert len(warm.history_.epochs) == 1
    fresh = _tagger(cls, max_epochs=1).fit(ROUND2)
    # the same first epoch on the same data: from trained weights the loss is lower than from scratch
    assert warm.history_.epochs[0]["loss"] < fresh.history_.epochs[0]["loss"]


def test_without_warm_start_every_fit_starts_again():
    t = _tagger(BiLSTMTagger).fit(ROUND1)
    first_net = t.net_
    t.fit(ROUND2)
    again = _tagger(BiLSTMTagger).fit(ROUND2)
    assert t.net_ is not first_net
    assert torch.equal(t.net_.out.weight, again.net_.out.weight)
    # a fit from scratch keeps today's vocabulary: the training words (and words with vectors)
    assert set(t.words_.itos) == set(again.words_.itos)
    pool_only = {normalize(w) for s in POOL for w in s.tokens} - {normalize(w) for s in ROUND2 for w in s.tokens}
    assert len(pool_only) >= 10 and not pool_only & set(t.words_.itos)


def test_incremental_epochs_and_dev_reach_the_training_loop(monkeypatch):
    t = _tagger(CNNBiLSTMCRFTagger, warm_start=True, incremental_epochs=None, max_epochs=2).fit(ROUND1)
    seen = []
    real = torch_base.run_training

    def spy(model, batches, loss_fn, cfg, score_fn, n_batches, optimizer_state=None):
        seen.append((cfg.max_epochs, score_fn is not None, optimizer_state))
        return real(model, batches, loss_fn, cfg, score_fn, n_batches, optimizer_state=optimizer_state)

    monkeypatch.setattr(torch_base, "run_training", spy)
    dev = synthetic_corpus(10, seed=8, prefix="dev")
    t.fit(ROUND2, dev)                       # None: the usual epoch limit
    t.set_params(incremental_epochs=5).fit(ROUND2, dev)
    t.set_params(incremental_epochs=0).fit(ROUND2)
    assert seen == [(2, True, None), (5, True, None), (0, False, None)]  # early stopping on dev applies


def test_incremental_epochs_zero_keeps_the_weights_also_after_load(tmp_path):
    t = _tagger(CNNCNNLSTMTagger, warm_start=True, incremental_epochs=0).fit(ROUND1)
    test = [s.unlabeled() for s in synthetic_corpus(8, seed=3)]
    before = t.predict(test)
    t.save(str(tmp_path / "m"))
    loaded = type(t).load(str(tmp_path / "m"))
    assert loaded.warm_start and loaded.incremental_epochs == 0
    loaded.fit(ROUND2)
    for a, b in zip(before, loaded.predict(test)):
        assert a.tags == b.tags and np.allclose(a.marginals, b.marginals, atol=1e-6)


def test_warm_optimizer_carries_adams_state_over():
    carried = _tagger(BiLSTMTagger, warm_start=True, warm_optimizer=True, incremental_epochs=1).fit(ROUND1)
    steps = {int(s["step"]) for s in carried.optimizer_state_["state"].values()}
    n1 = 3 * int(np.ceil(len(ROUND1) / FAST["batch_size"]))
    assert steps == {n1}
    carried.fit(ROUND2)
    n2 = int(np.ceil(len(ROUND2) / FAST["batch_size"]))
    assert {int(s["step"]) for s in carried.optimizer_state_["state"].values()} == {n1 + n2}
    fresh_opt = _tagger(BiLSTMTagger, warm_start=True, incremental_epochs=1).fit(ROUND1)
    assert fresh_opt.optimizer_state_ is None  # not kept when it will not be used
    fresh_opt.fit(ROUND2)
    assert not torch.equal(fresh_opt.net_.out.weight, carried.net_.out.weight)


def test_warm_optimizer_keeps_the_annealed_sgd_rate():
    t = _tagger(BiLSTMTagger, optimizer="sgd", lr=0.1, patience=1, max_epochs=4, warm_start=True,
                warm_optimizer=True, incremental_epochs=1)
    t.fit(ROUND1, synthetic_corpus(5, seed=11, prefix="dev"))
    last_lr = t.optimizer_state_["param_groups"][0]["lr"]
    t.fit(ROUND2)
    assert t.history_.epochs[0]["lr"] == pytest.approx(last_lr)


def test_a_warm_fit_refuses_a_changed_network():
    t = _tagger(BiLSTMTagger, warm_start=True).fit(ROUND1)
    t.set_params(hidden=TINY[BiLSTMTagger]["hidden"] * 2)
    with pytest.raises(MultitagError, match="cannot warm-start.*hidden"):
        t.fit(ROUND2)


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_check_rejects_bad_incremental_epochs(bad):
    with pytest.raises(MultitagError, match="incremental_epochs"):
        BiLSTMTagger(labels=SYNTHETIC_LABELS, incremental_epochs=bad).check()
