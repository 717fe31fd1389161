"""A transformer fit and MC sampling leave the caller's global random generators as they were."""
import random

import numpy as np
import torch

from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_transformers.tagger import TransformerTagger


def _global_rng_states():
    return random.getstate(), np.random.get_state()[1].tolist(), torch.get_rng_state().tolist()


def test_fit_and_sample_leave_the_global_rngs_as_they_were(tiny_bert):
    random.seed(11)
    np.random.seed(12)
    torch.manual_seed(13)
    before = _global_rng_states()
    t = TransformerTagger(labels=SYNTHETIC_LABELS, model=tiny_bert, seed=0, epochs=1, early_stopping=True,
                          max_epochs=2, patience=1, device="cpu")
    t.fit(synthetic_corpus(10), synthetic_corpus(4, seed=3))
    test = list(synthetic_corpus(3, seed=2))
    t.sample(test, n_samples=2, mode="all")
    t.sample(test, n_samples=2, mode="last")
    assert _global_rng_states() == before
