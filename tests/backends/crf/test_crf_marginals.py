"""Marginals and log P(best path) against brute-force enumeration of every label path.

Two enumerations: (1) path scores rebuilt from the model's weights as ``info()`` dumps them (state
features and transitions, printed with 6 decimals, hence a 5e-5 tolerance), independent of
crfsuite's forward-backward and Viterbi code; (2) crfsuite's exact ``probability(path)`` of every
path, which must sum to 1 and give the marginals to 1e-9.
"""
import itertools
import math

import numpy as np
import pytest

from multitag.data.sentence import Sentence
from multitag.testing import synthetic_corpus
from multitag_crf import CRFTagger

# B-MISC, I-MISC and I-ORG never occur in the synthetic training data: crfsuite does not know them,
# they must get 0
UNSEEN = ["B-MISC", "I-MISC", "I-ORG"]
LABELS = ["O", "B-LOC", "I-LOC", "B-MISC", "B-ORG", "I-ORG", "B-PER", "I-MISC", "I-PER"]


def brute_force(tagger: CRFTagger, sentence: Sentence):
    info = tagger.tagger_.info()
    items = tagger.extract(sentence)
    model_labels = tagger.model_labels_
    paths, scores = [], []
    for path in itertools.product(model_labels, repeat=len(sentence)):
        s = sum(info.state_features.get((a, y), 0.0) for t, y in enumerate(path) for a in items[t])
        s += sum(info.transitions.get((a, b), 0.0) for a, b in zip(path, path[1:]))
        paths.append(path)
        scores.append(s)
    scores = np.array(scores)
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    marg = np.zeros((len(sentence), len(LABELS)))
    for path, p in zip(paths, probs):
        for t, y in enumerate(path):
            marg[t, LABELS.index(y)] += p
    best = int(np.argmax(probs))
    return list(paths[best]), marg, math.log(probs[best])


def exact_enumeration(tagger: CRFTagger, sentence: Sentence):
    t = tagger.tagger_
    t.set(tagger.extract(sentence))
    marg = np.zeros((len(sentence), len(LABELS)))
    total = best = 0.0
    for path in itertools.product(tagger.model_labels_, repeat=len(sentence)):
        p = t.probability(list(path))
        total += p
        best = max(best, p)
        for i, y in enumerate(path):
            marg[i, LABELS.index(y)] += p
    return marg, total, best


@pytest.mark.parametrize("features", ["paper", "rich"])
def test_marginals_match_enumeration(features, fast_rich):
    params = fast_rich if features == "rich" else {"features": "paper"}
    # a weakly regularised, briefly trained model keeps the distributions far from one-hot
    tagger = CRFTagger(labels=LABELS, c1=0.0, c2=1.0, max_iterations=15, **params).fit(synthetic_corpus(40, seed=0))
    assert set(tagger.model_labels_) == set(LABELS) - set(UNSEEN)
    sentences = [Sentence(["Anna", "visited", "Berlin"], pos=["NNP", "NN", "NNP"]),
                 Sentence(["New", "York", "said"], pos=["NNP", "NNP", "NN"]),
                 Sentence(["Nokia", "unknownword", "Smith"], pos=["NNP", "NN", "NNP"])]
    preds = tagger.predict(sentences)
    for s, p in zip(sentences, preds):
        tags, marg, logprob = brute_force(tagger, s)
        assert p.tags == tags
        np.testing.assert_allclose(p.marginals, marg, atol=5e-5)
        assert p.logprob == pytest.approx(logprob, abs=5e-5)
        exact_marg, total, best = exact_enumeration(tagger, s)
        assert total == pytest.approx(1.0, abs=1e-9)
        np.testing.assert_allclose(p.marginals, exact_marg, atol=1e-9)
        assert p.logprob == pytest.approx(math.log(best), abs=1e-9)
        assert np.all(p.marginals[:, [LABELS.index(y) for y in UNSEEN]] == 0.0)
        # not trivially one-hot, so the comparison means something
        assert p.marginals.max(axis=1).min() < 0.99


def test_label_order_follows_the_label_set():
    train = synthetic_corpus(40, seed=0)
    a = CRFTagger(labels=LABELS, features="paper").fit(train)
    shuffled = LABELS[::-1]
    b = CRFTagger(labels=shuffled, features="paper").fit(train)
    s = [Sentence(["Mary", "met", "Jones", "in", "Rome"], pos=["NNP", "NN", "NNP", "NN", "NNP"])]
    (pa,), (pb,) = a.predict(s), b.predict(s)
    assert pa.tags == pb.tags
    np.testing.assert_allclose(pa.marginals, pb.marginals[:, ::-1], atol=1e-9)
