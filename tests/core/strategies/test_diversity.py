"""Core-set, BADGE and W-BADGE (multitag.strategies.diversity)."""
from __future__ import annotations

import numpy as np
import pytest

from multitag.backend import Prediction
from multitag.errors import CompatibilityError, MultitagError
from multitag.strategies import diversity
from multitag.strategies.base import QueryContext, take_until_budget
from multitag.strategies.diversity import (BADGE, WBADGE, CoreSet, k_center_greedy, kmeanspp_seeding,
                                           min_squared_distances, squared_norms)

STRATEGIES = [CoreSet, BADGE, WBADGE]


def _pred(hidden, marginals):
    hidden = np.asarray(hidden, np.float32)
    marginals = np.asarray(marginals, np.float64)
    return Prediction(tags=["O"] * len(hidden), marginals=marginals, logprob=-1.0, hidden=hidden)


def _tokens_with_mean(point, n=2):
    """n token vectors whose mean is ``point`` (so Core-set must average them)."""
    point = np.asarray(point, np.float32)
    offsets = np.array([[0.5, -0.25], [-0.5, 0.25]] * (n // 2), np.float32)
    return point + offsets


def _random_ctx(n=40, d=6, L=3, seed=0, lengths=None, labeled=3):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 12, size=n) if lengths is None else np.asarray(lengths)
    preds = []
    for k in lengths:
        m = rng.dirichlet(np.ones(L), size=int(k))
        preds.append(_pred(rng.normal(size=(int(k), d)), m))
    lab = [rng.normal(size=(4, d)).astype(np.float32) for _ in range(labeled)]
    return lambda s: QueryContext(lengths=lengths, rng=np.random.default_rng(s), predictions=preds,
                                  labeled_hidden=lab)


# ---------------------------------------------------------------------------- Core-set
# Labeled sentence at (0, 0); candidates A..E. Squared distances to the labeled set:
# A(1,0):1  B(10,0):100  C(0,5):25  D(9,1):82  E(5,5):50            -> pick B (100)
# after B(10,0):  A 1, C min(25,125)=25, D min(82,2)=2, E min(50,50)=50  -> pick E (50)
# after E(5,5):   A min(1,41)=1, C min(25,25)=25, D min(2,32)=2      -> pick C (25)
# after C(0,5):   A min(1,26)=1, D min(2,97)=2                      -> pick D, then A.
# (Ranking by distance to the labeled set alone would give B, D, E, C, A.)
TOY = {"A": (1, 0), "B": (10, 0), "C": (0, 5), "D": (9, 1), "E": (5, 5)}
NAMES = list(TOY)


def _toy_ctx(lengths=None, labeled=((0, 0),), seed=0):
    preds = [_pred(_tokens_with_mean(p), np.full((2, 2), 0.5)) for p in TOY.values()]
    lab = [_tokens_with_mean(p) for p in labeled]
    lengths = np.ones(len(TOY), int) if lengths is None else np.asarray(lengths)
    return QueryContext(lengths=lengths, rng=np.random.default_rng(seed), predictions=preds, labeled_hidden=lab)


def test_coreset_hand_worked_toy():
    picks = CoreSet().select(_toy_ctx(), budget=5)
    assert [NAMES[i] for i in picks] == ["B", "E", "C", "D", "A"]
    assert [NAMES[i] for i in CoreSet().select(_toy_ctx(), budget=3)] == ["B", "E", "C"]


def test_coreset_is_exact_far_from_the_origin():
    """Encodings sharing a large common component (as mean hidden states do) must give the same
    picks: distances are translation invariant, float32 round-off must not decide."""
    shift = np.array([3e4, -7e4], np.float32)
    for seed in range(5):
        ctx = _toy_ctx(seed=seed)
        for p in ctx.predictions:
            p.hidden = p.hidden + shift
        ctx.labeled_hidden = [h + shift for h in ctx.labeled_hidden]
        assert [NAMES[i] for i in CoreSet().select(ctx, budget=5)] == ["B", "E", "C", "D", "A"]


def test_coreset_starts_from_every_labeled_sentence():
    # with (10, 0) also labeled, B is covered: E (50) first, then C: min(25, 25) = 25 vs D 2, A 1.
    picks = CoreSet().select(_toy_ctx(labeled=((0, 0), (10, 0))), budget=3)
    assert [NAMES[i] for i in picks] == ["E", "C", "D"]


def test_coreset_budget_in_tokens_takes_last_pick_whole():
    lengths = [1, 5, 2, 3, 4]            # A..E
    assert [NAMES[i] for i in CoreSet().select(_toy_ctx(lengths), budget=5)] == ["B"]
    assert [NAMES[i] for i in CoreSet().select(_toy_ctx(lengths), budget=6)] == ["B", "E"]   # 9 tokens


def test_coreset_without_labeled_set_is_still_furthest_first():
    for seed in range(5):
        ctx = _toy_ctx(labeled=())
        ctx.rng = np.random.default_rng(seed)
        picks = CoreSet().select(ctx, budget=5)
        assert sorted(picks) == list(range(5))
        x = np.array(list(TOY.values()), float)
        for k in range(1, 5):   # each pick is the furthest from the previous picks
            d = np.min(((x[:, None] - x[picks[:k]][None]) ** 2).sum(-1), axis=1)
            d[picks[:k]] = -1
            assert d[picks[k]] == d.max()


@pytest.mark.parametrize("sync,top", [(64, 32), (5, 3), (1, 1), (1000, 1)])
def test_k_center_greedy_matches_an_eager_float64_reference(monkeypatch, sync, top):
    """The lazy update (exact check of the top rows, full update every few picks) must pick exactly
    what recomputing every distance after every pick picks."""
    monkeypatch.setattr(diversity, "LAZY_SYNC", sync)
    monkeypatch.setattr(diversity, "LAZY_TOP", top)
    rng = np.random.default_rng(sync + top)
    for trial in range(3):
        means = rng.normal(size=(6, 8)) * 4
        x = (means[rng.integers(6, size=300)] + rng.normal(size=(300, 8))).astype(np.float32)
        lab = x[:0] if trial == 0 else rng.normal(size=(5, 8)).astype(np.float32) * 4
        picks = k_center_greedy(x, np.ones(300, int), 120, np.random.default_rng(trial), lab)
        ref_centers = [p for p in lab.astype(float)] or [x[picks[0]].astype(float)]
        ref = [] if len(lab) else [picks[0]]                    # the random start is not greedy
        d = np.min([((x - c) ** 2).sum(1) for c in ref_centers], axis=0)
        d[ref] = -1
        while len(ref) < 120:
            i = int(np.argmax(d))
            ref.append(i)
            d = np.minimum(d, ((x - x[i].astype(float)) ** 2).sum(1))
            d[ref] = -1
        assert picks == ref


def test_coreset_width_mismatch():
    ctx = _toy_ctx()
    ctx.labeled_hidden = [np.ones((2, 3), np.float32)]
    with pytest.raises(MultitagError, match="width"):
        CoreSet().select(ctx, budget=2)


def test_min_squared_distances_in_blocks_matches_brute_force(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(37, 5)).astype(np.float32)
    c = rng.normal(size=(11, 5)).astype(np.float32)
    brute = ((x[:, None].astype(float) - c[None]) ** 2).sum(-1).min(1)
    monkeypatch.setattr(diversity, "BLOCK_ELEMENTS", 12)    # forces 1-column, 12-row blocks
    np.testing.assert_allclose(min_squared_distances(x, squared_norms(x), c), brute, rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------------- BADGE / W-BADGE
def test_badge_never_picks_the_same_sentence_twice_even_with_duplicates():
    x = np.zeros((30, 4), np.float32)
    x[:10] = 1.0                        # ten identical points
    x[10:20, 0] = 3.0                   # ten more identical points; the last ten are at the origin
    for first in ("max_norm", "sample"):
        for seed in range(10):
            picks = kmeanspp_seeding(x, np.ones(30, int), 30, np.random.default_rng(seed), first=first)
            assert sorted(picks) == list(range(30))


def test_no_repeats_when_round_off_leaves_picked_points_at_a_positive_distance(monkeypatch):
    exact = diversity.squared_distances_to
    monkeypatch.setattr(diversity, "squared_distances_to", lambda x, x_sq, c: exact(x, x_sq, c) + 1.0)
    x = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    for seed in range(10):
        picks = kmeanspp_seeding(x, np.ones(20, int), 20, np.random.default_rng(seed), first="sample")
        assert sorted(picks) == list(range(20))
        picks = k_center_greedy(x, np.ones(20, int), 20, np.random.default_rng(seed), x[:2])
        assert sorted(picks) == list(range(20))


@pytest.mark.parametrize("cls", [BADGE, WBADGE])
def test_badge_picks_distinct_sentences_until_the_budget(cls):
    make = _random_ctx()
    for seed in range(5):
        ctx = make(seed)
        total = int(ctx.lengths.sum())
        for budget in (1, 17, total // 3, total, total + 50):
            picks = cls().select(ctx, budget)
            cost = ctx.lengths[picks].sum()
            assert len(set(picks)) == len(picks)
            assert cost >= min(budget, total)
            assert cost - ctx.lengths[picks[-1]] < budget      # the last pick was needed
        assert cls().select(ctx, 0) == []


def test_badge_prefers_high_gradient_norm_sentences():
    """10 uncertain sentences (near-uniform marginals) among 100; the rest are confident (tiny
    gradients). Random selection picks ~10% uncertain ones; BADGE must pick mostly them."""
    rng = np.random.default_rng(7)
    n, d = 100, 8
    lengths = rng.integers(5, 20, size=n)
    uncertain = rng.permutation(n)[:10]
    preds = []
    for i, k in enumerate(lengths):
        p = np.tile([0.34, 0.33, 0.33] if i in uncertain else [0.98, 0.01, 0.01], (int(k), 1))
        preds.append(_pred(rng.normal(size=(int(k), d)), p))
    budget = int(lengths[uncertain].sum())
    fractions = {}
    for name, select in {
        "badge": lambda s: BADGE().select(QueryContext(lengths=lengths, rng=np.random.default_rng(s), predictions=preds), budget),
        "badge-sample": lambda s: BADGE("sample").select(QueryContext(lengths=lengths, rng=np.random.default_rng(s), predictions=preds), budget),
        "wbadge": lambda s: WBADGE().select(QueryContext(lengths=lengths, rng=np.random.default_rng(s), predictions=preds), budget),
        "random": lambda s: take_until_budget(np.random.default_rng(s).permutation(n), lengths, budget),
    }.items():
        hits = [np.isin(select(s), uncertain).mean() for s in range(30)]
        fractions[name] = float(np.mean(hits))
    assert fractions["random"] < 0.25, fractions         # the threshold below separates from random
    for name in ("badge", "badge-sample", "wbadge"):
        assert fractions[name] > 0.6, fractions
    # the max-norm start is always an uncertain sentence
    assert BADGE().select(QueryContext(lengths=lengths, rng=np.random.default_rng(0), predictions=preds), 1)[0] in uncertain


def test_kmeanspp_draws_proportional_to_weighted_squared_distance():
    """Orthogonal points: after the first pick e_4, d(x)^2 = |x|^2 + |x_4|^2 for every other x.
    The second pick must follow w d^2 (eq. 5); checked by frequency over many seeds."""
    norms = np.array([1.0, 1.0, 2.0, 1.0, 3.0])
    x = (np.eye(5) * norms[:, None]).astype(np.float32)
    lengths = np.array([1, 2, 3, 4, 5])
    w = (lengths / lengths.max()) ** 2
    d2 = norms[:4] ** 2 + norms[4] ** 2
    for weights, p in ((None, d2 / d2.sum()), (w, w[:4] * d2 / (w[:4] * d2).sum())):
        trials = 2000
        counts = np.zeros(5)
        for s in range(trials):
            picks = kmeanspp_seeding(x, lengths, 6, np.random.default_rng(s), weights)
            assert picks[0] == 4 and len(picks) == 2      # max-norm start costs 5 < 6, one more
            counts[picks[1]] += 1
        freq = counts[:4] / trials
        sigma = np.sqrt(p * (1 - p) / trials)
        assert np.all(np.abs(freq - p) < 4 * sigma + 1e-9), (freq, p)


def test_wbadge_strategy_samples_by_squared_length(monkeypatch):
    """Through the strategy: W-BADGE's second pick follows l^2 d^2 (eq. 5), BADGE's d^2."""
    x = np.eye(5, dtype=np.float32) * np.array([1, 1, 2, 1, 3], np.float32)[:, None]
    monkeypatch.setattr(diversity, "gradient_embeddings", lambda preds: x.copy())
    lengths = np.array([1, 2, 3, 4, 5])
    preds = [_pred(np.ones((k, 2)), np.full((k, 2), 0.5)) for k in lengths]
    d2 = np.array([1, 1, 4, 1]) + 9.0
    for cls, p in ((BADGE, d2), (WBADGE, lengths[:4] ** 2 * d2)):
        p = p / p.sum()
        counts = np.zeros(5)
        for s in range(2000):
            picks = cls().select(QueryContext(lengths=lengths, rng=np.random.default_rng(s), predictions=preds), 6)
            assert picks[0] == 4 and len(picks) == 2
            counts[picks[1]] += 1
        freq = counts[:4] / 2000
        assert np.all(np.abs(freq - p) < 4 * np.sqrt(p * (1 - p) / 2000)), (cls, freq, p)


def test_wbadge_with_equal_lengths_selects_exactly_as_badge():
    for first in ("max_norm", "sample"):
        make = _random_ctx(n=60, lengths=np.full(60, 7), seed=11)
        for seed in range(20):
            a = BADGE(first).select(make(seed), 70)
            b = WBADGE(first).select(make(seed), 70)
            assert a == b and len(a) == 10


def test_wbadge_prefers_long_sentences():
    make = _random_ctx(n=60, seed=5)
    lengths = make(0).lengths
    long = lengths >= np.median(lengths)
    share = {cls: np.mean([long[cls("sample").select(make(s), 60)].mean() for s in range(20)])
             for cls in (BADGE, WBADGE)}
    assert share[WBADGE] > share[BADGE] + 0.1, share


def test_first_option_is_checked():
    with pytest.raises(MultitagError, match="max_norm"):
        BADGE("largest")


# ---------------------------------------------------------------------------- shared
@pytest.mark.parametrize("cls", STRATEGIES)
def test_needs_and_missing_hidden_states(cls):
    # only Core-set starts from the labeled set, so only it pays for predicting the labeled set
    assert cls.needs == (frozenset({"hidden", "labeled_hidden"}) if cls is CoreSet else frozenset({"hidden", "marginals"}))
    ctx = _random_ctx(n=5)(0)
    ctx.predictions[2].hidden = None
    with pytest.raises(CompatibilityError, match=f"'{cls.name}' needs hidden states"):
        cls().select(ctx, 10)
    ctx.predictions = None
    with pytest.raises(CompatibilityError, match="hidden states"):
        cls().select(ctx, 10)


@pytest.mark.parametrize("cls", STRATEGIES)
def test_budget_accounting(cls):
    ctx = _random_ctx(n=25, seed=2)(0)
    total = int(ctx.lengths.sum())
    assert sorted(cls().select(ctx, total + 1)) == list(range(25))
    assert cls().select(ctx, 0) == []
    picks = cls().select(ctx, 30)
    assert ctx.lengths[picks].sum() >= 30 > ctx.lengths[picks[:-1]].sum()
    empty = QueryContext(lengths=np.zeros(0, int), rng=np.random.default_rng(0), predictions=[], labeled_hidden=[])
    assert cls().select(empty, 10) == []


@pytest.mark.parametrize("cls", STRATEGIES)
def test_same_seed_same_picks(cls):
    make = _random_ctx(n=30, seed=4)
    assert cls().select(make(3), 40) == cls().select(make(3), 40)


def test_registered_names():
    from multitag.strategies import get_strategy
    assert [type(get_strategy(n)) for n in ("coreset", "badge", "wbadge")] == STRATEGIES


# ---------------------------------------------------------------------------- through the engine
def _hidden_tagger_cls(hidden_states=True):
    """A tiny numpy backend: token vectors from a hash of the word (``hidden``), softmax of a
    seeded linear layer on top."""
    import zlib

    from multitag.backend import Tagger

    class HiddenTagger(Tagger):
        def __init__(self, *, labels, seed=0):
            self.labels = labels
            self.seed = seed

        def fit(self, train, dev=None):
            self._check_trainable(train)
            self.W_ = np.random.default_rng(self.seed).normal(size=(len(self.labels), 6))
            return self

        def predict(self, sentences, *, hidden=False):
            out = []
            for s in sentences:
                h = np.stack([np.random.default_rng(zlib.crc32(t.encode())).normal(size=6) for t in s.tokens])
                z = h @ self.W_.T
                p = np.exp(z - z.max(1, keepdims=True))
                p /= p.sum(1, keepdims=True)
                out.append(Prediction([self.labels[j] for j in p.argmax(1)], p,
                                      float(np.log(p.max(1)).sum()), h.astype(np.float32) if hidden else None))
            return out

        def _save_state(self, folder):
            raise NotImplementedError

        def _load_state(self, folder):
            raise NotImplementedError

    HiddenTagger.hidden_states = hidden_states
    return HiddenTagger


@pytest.mark.parametrize("cls", STRATEGIES)
def test_strategies_run_in_the_active_learner(cls):
    from multitag.annotation.pool import Annotation, Pool
    from multitag.loop import ActiveLearner
    from multitag.testing import synthetic_corpus

    corpus = list(synthetic_corpus(40, seed=1))
    labels = sorted({t for s in corpus for t in s.tags})
    pool = Pool(corpus)
    pool.reveal([Annotation(i, tuple(range(len(corpus[i]))), tuple(corpus[i].tags)) for i in range(5)], 0)
    learner = ActiveLearner(pool, _hidden_tagger_cls()(labels=labels, seed=0), cls())
    learner.fit()
    queries = learner.query(25, rng=np.random.default_rng(0))
    picked = [q.sentence for q in queries]
    assert len(set(picked)) == len(picked) and not set(picked) & set(range(5))
    cost = pool.lengths[picked]
    assert cost.sum() >= 25 > cost[:-1].sum()
    with pytest.raises(CompatibilityError, match="hidden states"):
        ActiveLearner(pool, _hidden_tagger_cls(False)(labels=labels, seed=0), cls())
