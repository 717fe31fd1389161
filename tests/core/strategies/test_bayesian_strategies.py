import math

import numpy as np

from multitag.strategies import get_strategy
from multitag.strategies.base import QueryContext
from multitag.strategies.bayesian import bald_tokens, variation_ratio_tokens


def ctx(samples):
    return QueryContext(lengths=np.array([s.shape[1] for s in samples]), rng=np.random.default_rng(0), samples=samples)


def test_bald_is_zero_when_all_samples_agree():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    samples = np.stack([p] * 5)  # (M, n, L)
    assert np.allclose(get_strategy("bald").sentence_scores(ctx([samples])), [0.0], atol=1e-12)
    assert np.allclose(get_strategy("vr").sentence_scores(ctx([samples])), [0.0])


def test_bald_hand_computed():
    # one token, two passes: [1, 0] and [0, 1] -> H(mean) = ln 2, mean H = 0 -> BALD = ln 2
    s = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    assert np.allclose(bald_tokens(np.swapaxes(s, 0, 1)), [math.log(2)])
    # passes [.5,.5] and [.5,.5]: H(mean) = ln2 = mean H -> 0 (aleatoric, not epistemic)
    s2 = np.array([[[0.5, 0.5]], [[0.5, 0.5]]])
    assert np.allclose(bald_tokens(np.swapaxes(s2, 0, 1)), [0.0])


def test_variation_ratio_hand_computed():
    # token votes over 4 passes: [0, 0, 1, 0] -> 1 - 3/4; [2, 1, 0, 2] -> 1 - 2/4
    votes = [[0, 0, 1, 0], [2, 1, 0, 2]]
    s = np.zeros((2, 4, 3))
    for t, vs in enumerate(votes):
        for m, v in enumerate(vs):
            s[t, m, v] = 0.9
            s[t, m, (v + 1) % 3] = 0.1
    assert np.allclose(variation_ratio_tokens(s), [0.25, 0.5])
    # sentence score = mean over tokens
    assert np.allclose(get_strategy("vr").sentence_scores(ctx([np.swapaxes(s, 0, 1)])), [0.375])


def test_bald_sentence_score_is_the_token_mean_and_ranks():
    agree = np.stack([np.array([[0.9, 0.1], [0.9, 0.1]])] * 4)
    disagree = np.stack([np.array([[0.9, 0.1], [0.1, 0.9]]), np.array([[0.9, 0.1], [0.9, 0.1]])] * 2)
    scores = get_strategy("bald").sentence_scores(ctx([agree, disagree]))
    tok = bald_tokens(np.swapaxes(disagree, 0, 1))
    assert np.allclose(scores, [0.0, tok.mean()])
    assert get_strategy("bald").select(ctx([agree, disagree]), budget=1) == [1]
