"""A flair fit is seeded as before (random, numpy and torch seeded with ``seed``) but leaves the
caller's global random generators as they were."""
import random

import numpy as np
import torch

from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_flair.tagger import FlairBiLSTMCRFTagger

TINY = dict(hidden_size=8, batch_size=8, max_epochs=2, fasttext_dim=8, fasttext_epochs=1, char_dim=4, char_hidden=4)


def _global_rng_states():
    return random.getstate(), np.random.get_state()[1].tolist(), torch.get_rng_state().tolist()


def _fit():
    t = FlairBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, seed=1, embeddings=["word:train:fasttext", "char"], **TINY)
    return t.fit(synthetic_corpus(12), synthetic_corpus(4, seed=3))


def test_fit_and_sample_leave_the_global_rngs_as_they_were_and_do_not_depend_on_them():
    random.seed(11)
    np.random.seed(12)
    torch.manual_seed(13)
    before = _global_rng_states()
    t = _fit()
    test = list(synthetic_corpus(3, seed=2))
    t.sample(test, n_samples=2, mode="all")
    assert _global_rng_states() == before
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    again = _fit()
    assert all(np.array_equal(a.marginals, b.marginals) for a, b in zip(t.predict(test), again.predict(test)))
