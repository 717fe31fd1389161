"""The CRF backend against the multitag contract, its registration and its errors."""
import pytest

from multitag import registry
from multitag.data.sentence import Sentence
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, check_backend, synthetic_corpus
from multitag_crf import CRFTagger


def test_conformance_paper_features():
    check_backend(registry.factory("crf", features="paper"))


def test_conformance_rich_features(fast_rich):
    check_backend(registry.factory("crf", **fast_rich))


def test_registry_builds_crf_with_defaults():
    t = registry.create("crf", labels=["O", "B-PER"], seed=3)
    assert type(t) is CRFTagger
    assert t.features == "rich" and t.c1 == 0.1 and t.c2 == 0.1 and t.max_iterations == 100
    assert t.seed == 3 and t.labels == ["O", "B-PER"]
    assert (CRFTagger.mc_modes, CRFTagger.partial_training, CRFTagger.hidden_states) == ((), False, False)


def test_parameters_are_passed_to_crfsuite():
    train = synthetic_corpus(40, seed=0)
    short = CRFTagger(labels=SYNTHETIC_LABELS, features="paper", max_iterations=2).fit(train)
    full = CRFTagger(labels=SYNTHETIC_LABELS, features="paper", max_iterations=100).fit(train)
    assert short.model_bytes_ != full.model_bytes_
    heavy_l1 = CRFTagger(labels=SYNTHETIC_LABELS, features="paper", c1=50.0).fit(train)
    # a strong L1 penalty zeroes most state features
    assert len(heavy_l1.tagger_.info().state_features) < len(full.tagger_.info().state_features) / 2


def test_unknown_feature_set_is_refused():
    with pytest.raises(MultitagError, match="unknown features 'fancy'"):
        CRFTagger(labels=SYNTHETIC_LABELS, features="fancy").fit(synthetic_corpus(5))


def test_predict_before_fit_is_refused():
    with pytest.raises(MultitagError, match="not fitted"):
        CRFTagger(labels=SYNTHETIC_LABELS).predict(synthetic_corpus(2))


def test_load_of_a_folder_without_model_is_refused(tmp_path):
    with pytest.raises(MultitagError, match="written by an older multitag or not a model"):
        CRFTagger.load(str(tmp_path))


def test_empty_sentence_gets_an_empty_prediction():
    t = CRFTagger(labels=SYNTHETIC_LABELS, features="paper").fit(synthetic_corpus(20))
    (p,) = t.predict([Sentence([], pos=[])])
    assert p.tags == [] and p.marginals.shape == (0, len(SYNTHETIC_LABELS)) and p.logprob == 0.0


def test_rich_learns_the_synthetic_task(fast_rich):
    train, test = synthetic_corpus(80, seed=0), synthetic_corpus(30, seed=5)
    t = CRFTagger(labels=SYNTHETIC_LABELS, **fast_rich).fit(train)
    preds = t.predict([s.unlabeled() for s in test])
    gold = [tag for s in test for tag in s.tags]
    got = [tag for p in preds for tag in p.tags]
    assert sum(g == h for g, h in zip(gold, got)) / len(gold) > 0.95


def test_save_load_restores_clusters_and_params(tmp_path, fast_rich):
    t = CRFTagger(labels=SYNTHETIC_LABELS, seed=4, **fast_rich).fit(synthetic_corpus(30))
    t.save(str(tmp_path / "m"))
    u = CRFTagger.load(str(tmp_path / "m"))
    assert u.get_params() == t.get_params()
    assert isinstance(u.cluster_sizes, tuple) and isinstance(u.c1, float) and isinstance(u.max_iterations, int)
    assert u.clusters_.fingerprint == t.clusters_.fingerprint and u.clusters_.ids == t.clusters_.ids
