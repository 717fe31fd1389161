"""check_backend's warm-start checks: an honest incremental backend passes, broken ones fail."""
from __future__ import annotations

import numpy as np
import pytest

from multitag.backend import label_index
from multitag.testing import check_backend


@pytest.fixture
def warm_tagger(mf_tagger):
    """The dummy with incremental training: a warm fit adds ``incremental_epochs`` times the new
    corpus's counts, decayed by half, to the current counts (each pass moves the model)."""

    class WarmCounts(mf_tagger):
        warm_start = True

        def __init__(self, *, labels, seed: int = 0, alpha: float = 0.5, warm_start: bool = False,
                     incremental_epochs: int | None = None):
            super().__init__(labels=labels, seed=seed, alpha=alpha)
            self.warm_start = warm_start
            self.incremental_epochs = incremental_epochs

        def fit(self, train, dev=None):
            if not (self.warm_start and hasattr(self, "counts_")):
                return super().fit(train, dev)
            self._check_trainable(train)
            idx = label_index(self.labels)
            L = len(self.labels)
            passes = 1 if self.incremental_epochs is None else int(self.incremental_epochs)
            counts = {w: np.asarray(c) for w, c in self.counts_.items()}
            for _ in range(passes):
                counts = {w: c * 0.5 for w, c in counts.items()}
                for s in train:
                    for word, tag in zip(s.tokens, s.tags):
                        counts.setdefault(word.lower(), np.zeros(L))[idx[tag]] += 1
            self.counts_ = {w: c.tolist() for w, c in counts.items()}
            return self

    return WarmCounts


def _factory(cls):
    return lambda *, labels, seed: cls(labels=labels, seed=seed)


def test_an_honest_warm_start_backend_passes(warm_tagger):
    check_backend(_factory(warm_tagger))


def test_a_declared_warm_start_that_refits_from_scratch_fails(warm_tagger, mf_tagger):
    class Forgets(warm_tagger):
        def fit(self, train, dev=None):
            return mf_tagger.fit(self, train, dev)

    with pytest.raises(AssertionError, match="incremental_epochs=0: the fit must keep"):
        check_backend(_factory(Forgets))


def test_a_warm_fit_that_does_not_train_fails(warm_tagger):
    class Lazy(warm_tagger):
        def fit(self, train, dev=None):
            if self.warm_start and hasattr(self, "counts_"):
                return self
            return super().fit(train, dev)

    with pytest.raises(AssertionError, match="did not train"):
        check_backend(_factory(Lazy))


def test_warm_starting_without_being_asked_fails(warm_tagger):
    class AlwaysWarm(warm_tagger):
        def fit(self, train, dev=None):
            self.warm_start = True
            return super().fit(train, dev)

    with pytest.raises(AssertionError, match="warm_start=False: a second fit must start from scratch"):
        check_backend(_factory(AlwaysWarm))


def test_a_warm_start_parameter_without_the_capability_fails(warm_tagger):
    class Undeclared(warm_tagger):
        warm_start = False

    with pytest.raises(AssertionError, match="does not declare the capability"):
        check_backend(_factory(Undeclared))


def test_a_declared_capability_needs_both_parameters(mf_tagger):
    class NoParameter(mf_tagger):
        warm_start = True

    with pytest.raises(AssertionError, match="must take a 'warm_start' parameter"):
        check_backend(_factory(NoParameter))
