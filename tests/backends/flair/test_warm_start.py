"""Incremental training of the flair taggers (warm_start, incremental_epochs, warm_optimizer)."""
import pytest

from multitag.data.sentence import Corpus
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_flair.tagger import FlairBiLSTMCRFTagger

TINY = dict(hidden_size=16, batch_size=8, max_epochs=3, fasttext_dim=16, fasttext_epochs=2, char_dim=8, char_hidden=8)
POOL = synthetic_corpus(50, seed=5, prefix="pool")
ROUND1, ROUND2 = Corpus(list(POOL)[:15]), Corpus(list(POOL)[:40])


def _tagger(**kw):
    t = FlairBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, seed=0, embeddings=["word:train:fasttext", "char"], **{**TINY, **kw})
    return t.observe_unlabeled([s.unlabeled() for s in POOL])


def test_a_warm_fit_continues_from_the_current_weights():
    warm = _tagger(warm_start=True, incremental_epochs=1).fit(ROUND1)
    model, stack = warm.model_, warm.model_.embeddings
    chars = stack.embeddings[1].char_dictionary
    warm.fit(ROUND2)
    assert warm.model_ is model and warm.model_.embeddings is stack and stack.embeddings[1].char_dictionary is chars
    assert warm.history_.epochs == 1
    fresh = _tagger(max_epochs=1).fit(ROUND2)
    assert warm.history_.train_loss[0] < fresh.history_.train_loss[0]


def test_incremental_epochs_zero_keeps_the_predictions():
    t = _tagger(warm_start=True).fit(ROUND1)
    test = [s.unlabeled() for s in synthetic_corpus(6, seed=3)]
    before = t.predict(test)
    t.set_params(incremental_epochs=0).fit(ROUND2)
    assert t.history_.epochs == 0
    assert [p.tags for p in t.predict(test)] == [p.tags for p in before]


def test_warm_optimizer_keeps_the_annealed_learning_rate():
    t = _tagger(warm_start=True, warm_optimizer=True, incremental_epochs=1, patience=1, max_epochs=4)
    t.fit(ROUND1, synthetic_corpus(6, seed=8, prefix="dev"))
    annealed = t.optimizer_state_["param_groups"][0]["lr"]
    assert annealed < t.learning_rate  # the dev plateau annealed it (else the test is blind)
    t.fit(ROUND2)
    assert t.history_.learning_rates[0] == pytest.approx(annealed)
    plain = _tagger(warm_start=True, incremental_epochs=1).fit(ROUND1)
    assert plain.optimizer_state_ is None
    assert plain.fit(ROUND2).history_.learning_rates[0] == pytest.approx(plain.learning_rate)


def test_a_warm_fit_refuses_a_changed_label_set_and_bad_epochs():
    t = _tagger(warm_start=True, max_epochs=1).fit(ROUND1)
    t.set_params(labels=SYNTHETIC_LABELS + ["B-MISC"])
    with pytest.raises(MultitagError, match="label set changed"):
        t.fit(ROUND2)
    with pytest.raises(MultitagError, match="incremental_epochs"):
        _tagger(incremental_epochs=-1).fit(ROUND1)
