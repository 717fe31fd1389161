"""The per-sentence feature cache: reused across clones, never stale, bounded."""
import numpy as np
import pytest

from multitag.data.sentence import Corpus, Sentence
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_crf import CRFTagger, cache


@pytest.fixture
def count_extract(monkeypatch):
    calls = []
    original = CRFTagger.extract

    def counting(self, sentence):
        calls.append(sentence.tokens)
        return original(self, sentence)

    monkeypatch.setattr(CRFTagger, "extract", counting)
    return calls


def same(a, b):
    assert [p.tags for p in a] == [p.tags for p in b]
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa.marginals, pb.marginals)
        assert pa.logprob == pb.logprob


@pytest.mark.parametrize("features", ["paper", "rich"])
def test_second_visit_of_the_pool_does_not_extract(features, count_extract, fast_rich):
    """The AL pattern: a fresh clone is fitted on a growing labeled set and re-predicts the pool."""
    params = fast_rich if features == "rich" else {"features": "paper"}
    pool = synthetic_corpus(50, seed=3, prefix="pool")
    unlabeled = Corpus([s.unlabeled() for s in pool])
    first = CRFTagger(labels=SYNTHETIC_LABELS, **params).observe_unlabeled(unlabeled).fit(pool[:20])
    p1 = first.predict(unlabeled)
    assert len(count_extract) == 50          # 20 for training, 30 more for the rest of the pool
    second = first.clone().observe_unlabeled(unlabeled).fit(pool[:35])
    if features == "rich":
        assert second.clusters_.fingerprint == first.clusters_.fingerprint
    p2 = second.predict(unlabeled)
    assert len(count_extract) == 50          # nothing extracted again: training or pool
    assert cache.stats()["misses"] == 50 and cache.stats()["hits"] >= 20 + 35 + 50
    assert second.model_bytes_ != first.model_bytes_     # a different model really was used
    assert [p.tags for p in p1] != [p.tags for p in p2] or not all(
        np.array_equal(a.marginals, b.marginals) for a, b in zip(p1, p2))


def test_cached_predictions_equal_fresh_extraction(fast_rich):
    pool = synthetic_corpus(40, seed=1)
    t = CRFTagger(labels=SYNTHETIC_LABELS, **fast_rich).observe_unlabeled(pool).fit(pool[:25])
    t.predict(pool)                          # fills the cache
    warm = t.predict(pool)
    cache.clear()
    cold = t.predict(pool)
    same(warm, cold)


def test_items_are_the_extracted_features(fast_rich):
    pool = synthetic_corpus(10, seed=2)
    t = CRFTagger(labels=SYNTHETIC_LABELS, **fast_rich).fit(pool)
    for s in pool:
        items = t._items(s).items()
        assert [sorted(d) for d in items] == [sorted(f) for f in t.extract(s)]


def test_other_clusters_do_not_reuse_features(count_extract, fast_rich):
    """Different unlabeled text -> different clusters -> a different cache key, so new features."""
    pool = synthetic_corpus(30, seed=4)
    a = CRFTagger(labels=SYNTHETIC_LABELS, **fast_rich).fit(pool)
    a.predict(pool)
    n = len(count_extract)
    other_text = synthetic_corpus(80, seed=9, prefix="other")
    b = CRFTagger(labels=SYNTHETIC_LABELS, **fast_rich).observe_unlabeled(other_text).fit(pool)
    assert b.clusters_.fingerprint != a.clusters_.fingerprint
    assert len(count_extract) == n + len(pool)          # training features re-extracted
    for s in pool[:5]:
        assert [sorted(d) for d in b._items(s).items()] == [sorted(f) for f in b.extract(s)]


def test_feature_sets_and_pos_are_keyed_apart(fast_rich):
    s1 = Sentence(["Anna", "visited", "Rome"], pos=["NNP", "VBD", "NNP"])
    s2 = Sentence(["Anna", "visited", "Rome"], pos=["NN", "NN", "NN"])
    train = synthetic_corpus(30)
    paper = CRFTagger(labels=SYNTHETIC_LABELS, features="paper").fit(train)
    rich = CRFTagger(labels=SYNTHETIC_LABELS, **fast_rich).fit(train)
    assert "pos=NNP" in paper._items(s1).items()[0] and "pos=NN" in paper._items(s2).items()[0]
    assert "pos=NNP" not in paper._items(s2).items()[0]
    assert "lower=anna" in paper._items(s1).items()[0] and "w=anna" in rich._items(s1).items()[0]
    assert "lower=anna" not in rich._items(s1).items()[0]


def test_cache_is_bounded_and_stays_correct():
    train = synthetic_corpus(30)
    t = CRFTagger(labels=SYNTHETIC_LABELS, features="paper").fit(train)
    pool = synthetic_corpus(40, seed=7)
    reference = t.predict(pool)
    cache.clear()
    cache.set_limit(20)
    small = t.predict(pool)
    st = cache.stats()
    assert 0 < st["tokens"] <= 20 and st["entries"] < len(pool)
    same(small, reference)
    cache.set_limit(0)
    same(t.predict(pool), reference)
    assert cache.stats()["entries"] == 0


def test_a_full_cache_keeps_what_it_holds_so_repeated_scans_of_a_bigger_pool_still_hit():
    """The AL pattern over a pool larger than the bound: every round scans the whole pool. A
    least-recently-used cache would miss on every sentence of every scan; this one keeps the first
    sentences it admitted and serves them on each later scan, and never holds more than the bound."""
    train = synthetic_corpus(30)
    t = CRFTagger(labels=SYNTHETIC_LABELS, features="paper").fit(train)
    pool = synthetic_corpus(60, seed=9)
    reference = t.predict(pool)
    cache.clear()
    limit = sum(len(s) for s in pool) // 3
    cache.set_limit(limit)
    t.predict(pool)
    first = cache.stats()
    assert first["tokens"] <= limit and 0 < first["entries"] < len(pool)
    same(t.predict(pool), reference)
    second = cache.stats()
    assert second["hits"] - first["hits"] >= first["entries"]      # what fitted is served again
    assert second["entries"] == first["entries"] and second["tokens"] <= limit
