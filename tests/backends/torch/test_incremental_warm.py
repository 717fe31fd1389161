"""The warm-fit levers of the torch taggers: warm_patience, warm_replay, warm_dev (and dev_limit), warm_lr."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import multitag.evaluation
from multitag.data.sentence import Corpus
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_torch import base as torch_base
from multitag_torch.taggers import BiLSTMTagger, CNNBiLSTMCRFTagger
from multitag_torch.warm import fingerprint

from support.torch_tiny import FAST, TINY

POOL = list(synthetic_corpus(60, seed=5, prefix="pool"))
ROUND1 = Corpus(POOL[:20])
ROUND2 = Corpus(POOL[:50])           # 20 old sentences, 30 new
DEV = synthetic_corpus(12, seed=8, prefix="dev")
LEVERS = dict(warm_patience=1, warm_replay=0.0, warm_dev=2, warm_lr=0.5)


def _tagger(cls=CNNBiLSTMCRFTagger, **kw):
    t = cls(labels=SYNTHETIC_LABELS, seed=0, **{**TINY[cls], **FAST, "max_epochs": 2, **kw})
    return t.observe_unlabeled([s.unlabeled() for s in POOL])


def _spy_training_sets(monkeypatch) -> list[list[str]]:
    """The ids of the sentences of every training epoch (the decodes of scoring are not recorded)."""
    epochs: list[list[str]] = []
    real = torch_base.iter_batches

    def spy(sentences, encoder, batch_size, *, rng=None, with_tags=False):
        if with_tags:
            epochs.append([s.id for s in sentences])
        return real(sentences, encoder, batch_size, rng=rng, with_tags=with_tags)

    monkeypatch.setattr(torch_base, "iter_batches", spy)
    return epochs


def _scripted_scores(monkeypatch, scores: list[float]) -> list[int]:
    """Make the dev F1 of successive epochs follow ``scores``; returns the sizes of the gold sets scored."""
    sizes: list[int] = []

    def evaluate(gold, pred, *, scheme):
        sizes.append(len(gold))
        return {"f1": scores[len(sizes) - 1]}

    monkeypatch.setattr(multitag.evaluation, "evaluate", evaluate)
    return sizes


def _weights(t) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in t.net_.state_dict().items()}


def _same_weights(a, b) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ------------------------------------------------------------------ warm_replay
def test_a_warm_fit_replays_the_new_sentences_and_the_drawn_sample_of_the_old(monkeypatch):
    t = _tagger(warm_start=True, incremental_epochs=2, warm_replay=0.25).fit(ROUND1)
    epochs = _spy_training_sets(monkeypatch)
    t.fit(ROUND2)
    new = [s.id for s in POOL[20:50]]
    # round(0.25 * 20) = 5 of the 20 old sentences, drawn from the seed and the 20 fingerprints seen
    drawn = np.random.default_rng([0, 7, 20]).choice(20, size=5, replace=False)
    expected = sorted(new + [POOL[i].id for i in drawn])
    assert len(epochs) == 2 and all(sorted(e) == expected for e in epochs)
    assert len(set(expected) - set(new)) == 5


@pytest.mark.parametrize("replay, n_old", [(None, 20), (0.0, 0), (1.0, 20)])
def test_warm_replay_none_and_its_bounds(monkeypatch, replay, n_old):
    t = _tagger(warm_start=True, incremental_epochs=1, warm_replay=replay).fit(ROUND1)
    epochs = _spy_training_sets(monkeypatch)
    t.fit(ROUND2)
    (seen,) = epochs
    assert len(seen) == 30 + n_old and {s.id for s in POOL[20:50]} <= set(seen)


def test_a_sentence_with_other_tags_is_new_again(monkeypatch):
    t = _tagger(warm_start=True, incremental_epochs=1, warm_replay=0.0).fit(ROUND1)
    epochs = _spy_training_sets(monkeypatch)
    changed = POOL[3].with_tags(["O"] * len(POOL[3]))
    assert fingerprint(changed) != fingerprint(POOL[3])
    t.fit(Corpus(POOL[:3] + [changed] + POOL[4:20]))
    assert epochs == [[POOL[3].id]]  # the other 19 are old, the re-annotated one is not


def test_a_warm_fit_with_nothing_to_train_keeps_the_weights():
    t = _tagger(warm_start=True, incremental_epochs=3, warm_replay=0.0).fit(ROUND1)
    before = _weights(t)
    t.fit(ROUND1)
    assert t.history_.epochs == [] and _same_weights(before, _weights(t))


def test_the_replayed_sample_survives_a_checkpoint(tmp_path):
    kw = dict(warm_start=True, incremental_epochs=1, warm_replay=0.3)
    kept = _tagger(**kw).fit(ROUND1)
    kept.save(str(tmp_path / "m"))
    loaded = type(kept).load(str(tmp_path / "m"))
    assert loaded.trained_ == kept.trained_ and len(kept.trained_) == 20
    kept.fit(ROUND2)
    loaded.fit(ROUND2)
    assert _same_weights(_weights(kept), _weights(loaded))
    assert len(kept.trained_) == 50


# ------------------------------------------------------------------ warm_patience
def test_warm_patience_stops_a_warm_sgd_fit_after_k_epochs_without_improvement(monkeypatch):
    t = _tagger(optimizer="sgd", lr=0.05, warm_start=True, incremental_epochs=20, warm_patience=3).fit(ROUND1)
    sizes = _scripted_scores(monkeypatch, [0.2, 0.5, 0.4, 0.45, 0.3] + [0.9] * 20)
    t.fit(ROUND2, DEV)
    # best at epoch 2, then 3 epochs without improvement: stop (sgd does not anneal and go on)
    assert len(t.history_.epochs) == 5 and t.history_.best_epoch == 2 and len(sizes) == 5
    assert len({e["lr"] for e in t.history_.epochs}) == 1


def test_without_warm_patience_a_warm_sgd_fit_anneals_and_goes_on(monkeypatch):
    t = _tagger(optimizer="sgd", lr=0.05, warm_start=True, incremental_epochs=8).fit(ROUND1)
    _scripted_scores(monkeypatch, [0.2, 0.5, 0.4, 0.45, 0.3, 0.9, 0.8, 0.7])
    t.fit(ROUND2, DEV)
    assert len(t.history_.epochs) == 8 and t.history_.best_epoch == 6
    assert t.history_.epochs[5]["lr"] == pytest.approx(0.025)  # halved after the plateau (patience 3)


# ------------------------------------------------------------------ warm_dev
def test_warm_dev_scores_a_warm_fit_on_a_fixed_sample_of_dev(monkeypatch):
    t = _tagger(warm_start=True, incremental_epochs=3, warm_dev=5)
    sizes = _scripted_scores(monkeypatch, [0.1, 0.2, 0.3, 0.4, 0.5])
    t.fit(ROUND1, DEV)   # from scratch: the whole dev set
    t.fit(ROUND2, DEV)
    assert sizes == [12, 12, 5, 5, 5]


def _spy_scored(monkeypatch) -> list[list[str]]:
    """The ids of the sentences of every decode (the dev scores of the fits) from now on."""
    scored: list[list[str]] = []
    real = torch_base.TorchTagger._decode

    def spy(self, sentences, **kw):
        scored.append([s.id for s in sentences])
        return real(self, sentences, **kw)

    monkeypatch.setattr(torch_base.TorchTagger, "_decode", spy)
    return scored


def test_the_warm_dev_sample_is_drawn_from_the_seed(monkeypatch):
    t = _tagger(warm_start=True, incremental_epochs=2, warm_dev=4).fit(ROUND1, DEV)
    scored = _spy_scored(monkeypatch)
    t.fit(ROUND2, DEV)
    drawn = sorted(np.random.default_rng([0, 8]).choice(12, size=4, replace=False))
    assert scored == [[DEV[i].id for i in drawn]] * 2


def test_dev_limit_scores_every_fit_on_the_sample_warm_dev_would_draw(monkeypatch):
    scored = _spy_scored(monkeypatch)
    t = _tagger(warm_start=True, incremental_epochs=2, dev_limit=4).fit(ROUND1, DEV)   # from scratch too
    t.fit(ROUND2, DEV)                                                                  # warm: the same sample
    drawn = sorted(np.random.default_rng([0, 8]).choice(12, size=4, replace=False))
    assert scored == [[DEV[i].id for i in drawn]] * 4
    scored.clear()
    _tagger(warm_start=True, incremental_epochs=1, dev_limit=4, warm_dev=3).fit(ROUND1, DEV).fit(ROUND2, DEV)
    assert [len(ids) for ids in scored] == [4, 4, 3]   # warm_dev, when set, is the warm fit's


def test_a_dev_limit_of_the_whole_dev_set_changes_nothing():
    a = _tagger(dev_limit=len(DEV)).fit(ROUND1, DEV)
    b = _tagger().fit(ROUND1, DEV)
    assert [e["score"] for e in a.history_.epochs] == [e["score"] for e in b.history_.epochs]
    for (name, x), (_, y) in zip(a.net_.state_dict().items(), b.net_.state_dict().items()):
        assert torch.equal(x, y), name


# ------------------------------------------------------------------ warm_lr
def test_warm_lr_is_the_rate_a_warm_fit_starts_at():
    t = _tagger(optimizer="sgd", lr=0.1, warm_start=True, incremental_epochs=1, warm_lr=0.02).fit(ROUND1)
    assert t.history_.epochs[0]["lr"] == pytest.approx(0.1)
    t.fit(ROUND2)
    assert t.history_.epochs[0]["lr"] == pytest.approx(0.02)


def test_warm_lr_restarts_a_carried_optimiser_but_keeps_its_moments(monkeypatch):
    t = _tagger(BiLSTMTagger, optimizer="sgd", lr=0.1, patience=1, max_epochs=3, warm_start=True,
                warm_optimizer=True, incremental_epochs=1, warm_lr=0.1)
    _scripted_scores(monkeypatch, [0.5, 0.4, 0.3])
    t.fit(ROUND1, DEV)
    assert t.optimizer_state_["param_groups"][0]["lr"] == pytest.approx(0.025)   # annealed twice in the first fit
    t.fit(ROUND2)
    assert t.history_.epochs[0]["lr"] == pytest.approx(0.1)
    adam = _tagger(BiLSTMTagger, warm_start=True, warm_optimizer=True, incremental_epochs=1, warm_lr=0.003).fit(ROUND1)
    steps = {int(s["step"]) for s in adam.optimizer_state_["state"].values()}
    adam.fit(ROUND2)
    assert adam.history_.epochs[0]["lr"] == pytest.approx(0.003)
    n2 = int(np.ceil(len(ROUND2) / FAST["batch_size"]))
    assert {int(s["step"]) for s in adam.optimizer_state_["state"].values()} == {next(iter(steps)) + n2}


# ------------------------------------------------------------------ warm_max_growth
def test_a_training_set_grown_past_warm_max_growth_is_fitted_from_scratch():
    grown = _tagger(warm_start=True, incremental_epochs=1, warm_max_growth=2).fit(ROUND1, DEV)
    grown.fit(ROUND2, DEV)                       # 50 sentences > 2 x the 20 fitted: from scratch
    fresh = _tagger(warm_start=True, incremental_epochs=1).fit(ROUND2, DEV)
    assert _same_weights(_weights(grown), _weights(fresh))
    assert len(grown.history_.epochs) == 2       # max_epochs, not incremental_epochs
    assert grown.trained_ == {fingerprint(s) for s in ROUND2}   # the fits since the last from scratch


def test_a_training_set_within_warm_max_growth_is_fitted_warm():
    t = _tagger(warm_start=True, incremental_epochs=1, warm_max_growth=2).fit(ROUND1, DEV)
    t.fit(Corpus(POOL[:40]), DEV)                # 40 = 2 x 20: warm
    assert len(t.history_.epochs) == 1
    fresh = _tagger(warm_start=True, incremental_epochs=1).fit(Corpus(POOL[:40]), DEV)
    assert not _same_weights(_weights(t), _weights(fresh))
    t.fit(Corpus(POOL[:60]), DEV)                # 60 <= 2 x the 40 fitted since the first fit: warm again
    assert len(t.history_.epochs) == 1


# ------------------------------------------------------------------ fits from scratch, checks
@pytest.mark.parametrize("warm_start", [False, True])
def test_the_levers_leave_a_fit_from_scratch_unchanged(warm_start):
    plain = _tagger(warm_start=warm_start).fit(ROUND2, DEV)
    levers = _tagger(warm_start=warm_start, **LEVERS).fit(ROUND2, DEV)
    assert _same_weights(_weights(plain), _weights(levers))
    assert [e["loss"] for e in plain.history_.epochs] == [e["loss"] for e in levers.history_.epochs]


@pytest.mark.parametrize("name, value", [("warm_patience", 0), ("warm_replay", 1.5), ("warm_replay", -0.1),
                                         ("warm_dev", 0), ("dev_limit", 0), ("warm_lr", 0.0), ("warm_patience", True),
                                         ("warm_max_growth", 0.5)])
def test_out_of_range_levers_are_one_line_errors(name, value):
    with pytest.raises(MultitagError, match=f"{name} must be") as e:
        _tagger(**{name: value}).fit(ROUND1)
    assert "\n" not in str(e.value)
