"""A torch tagger's fit, predict and sample leave the process as they found it: torch's thread
count and the global random generators (python, numpy, torch) are put back afterwards."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_torch import base
from multitag_torch.process_state import seeded, torch_threads
from multitag_torch.taggers import CNNBiLSTMCRFTagger
from support.torch_tiny import FAST, TINY


def _global_rng_states():
    return random.getstate(), np.random.get_state()[1].tolist(), torch.get_rng_state().tolist()


def _tagger(**kw):
    return CNNBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, seed=0, **{**TINY[CNNBiLSTMCRFTagger], **FAST, "max_epochs": 2, **kw})


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_threads_apply_inside_fit_predict_and_sample_and_are_restored(two_threads, monkeypatch):
    seen = []
    real = base.run_training
    monkeypatch.setattr(base, "run_training", lambda *a, **k: seen.append(torch.get_num_threads()) or real(*a, **k))
    t = _tagger(threads=1).fit(synthetic_corpus(12))
    assert seen == [1] and torch.get_num_threads() == 2
    test = list(synthetic_corpus(4, seed=2))
    t.predict(test)
    t.predict_tags(test)
    t.sample(test, n_samples=2, mode="all")
    assert torch.get_num_threads() == 2
    _tagger(threads=None).fit(synthetic_corpus(12))
    assert torch.get_num_threads() == 2


def test_the_thread_count_comes_back_after_an_error(two_threads):
    with pytest.raises(RuntimeError, match="boom"):
        with torch_threads(1):
            assert torch.get_num_threads() == 1
            raise RuntimeError("boom")
    assert torch.get_num_threads() == 2


def test_fit_and_sample_leave_the_global_rngs_as_they_were():
    random.seed(11)
    np.random.seed(12)
    torch.manual_seed(13)
    before = _global_rng_states()
    t = _tagger().fit(synthetic_corpus(12), synthetic_corpus(5, seed=3))
    t.sample(list(synthetic_corpus(3, seed=2)), n_samples=2, mode="all")
    assert _global_rng_states() == before
    # and the caller's state does not change what the fit computes
    torch.manual_seed(99)
    again = _tagger().fit(synthetic_corpus(12), synthetic_corpus(5, seed=3))
    test = list(synthetic_corpus(4, seed=4))
    assert all(np.array_equal(a.marginals, b.marginals) for a, b in zip(t.predict(test), again.predict(test)))


def test_seeded_draws_what_a_seeded_global_generator_draws_and_restores_it():
    torch.manual_seed(5)
    random.seed(6)
    np.random.seed(7)
    before = _global_rng_states()
    with seeded(3, python=True, numpy=True):
        inside = (torch.rand(3).tolist(), random.random(), np.random.rand())
    assert _global_rng_states() == before
    torch.manual_seed(3)
    random.seed(3)
    np.random.seed(3)
    assert inside == (torch.rand(3).tolist(), random.random(), np.random.rand())
