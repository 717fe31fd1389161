"""Sentence encodings and BADGE gradient embeddings (multitag.strategies.embeddings)."""
from __future__ import annotations

import numpy as np
import pytest

from multitag.backend import Prediction
from multitag.errors import CompatibilityError, MultitagError
from multitag.strategies.embeddings import gradient_embeddings, require_hidden, sentence_encodings

LABELS = ["O", "B-PER", "I-PER", "B-LOC"]


def _softmax_sentences(lengths, d=5, seed=0):
    """Sentences from a last linear layer: logits = h W^T + b, p = softmax, tags = argmax."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(len(LABELS), d)).astype(np.float32)
    b = rng.normal(size=len(LABELS)).astype(np.float32)
    hs, preds = [], []
    for n in lengths:
        h = rng.normal(size=(n, d)).astype(np.float32)
        z = h @ W.T + b
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        preds.append(Prediction(tags=[LABELS[j] for j in p.argmax(1)], marginals=p, logprob=-1.0, hidden=h))
        hs.append(h)
    return W, b, preds


def _autograd_weight_grad(W, b, h, targets):
    import torch
    Wt = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64)
    logits = torch.tensor(h, dtype=torch.float64) @ Wt.T + bt
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(targets, dtype=torch.long), reduction="sum")
    loss.backward()
    return Wt.grad.numpy()


def test_gradient_embedding_is_minus_the_autograd_gradient_of_the_last_layer():
    lengths = [6, 1, 3]
    W, b, preds = _softmax_sentences(lengths)
    g = gradient_embeddings(preds)
    assert g.shape == (3, len(LABELS) * 5) and g.dtype == np.float32
    for i, p in enumerate(preds):
        expected = -_autograd_weight_grad(W, b, p.hidden, p.marginals.argmax(1))
        np.testing.assert_allclose(g[i].reshape(len(LABELS), 5), expected, rtol=1e-4, atol=1e-5)


def test_hypothesis_from_predicted_tags_or_indices_when_they_differ_from_argmax():
    W, b, preds = _softmax_sentences([5], seed=3)
    p = preds[0]
    viterbi = [LABELS[(j + 1) % len(LABELS)] for j in p.marginals.argmax(1)]   # a path unlike the argmax
    p.tags = viterbi
    targets = np.array([LABELS.index(t) for t in viterbi])
    expected = -_autograd_weight_grad(W, b, p.hidden, targets)
    by_tags = gradient_embeddings(preds, len(LABELS), labels=LABELS)[0].reshape(len(LABELS), 5)
    by_index = gradient_embeddings(preds, targets=[targets])[0].reshape(len(LABELS), 5)
    np.testing.assert_allclose(by_tags, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(by_tags, by_index)
    # and the default (argmax) differs from it
    assert not np.allclose(gradient_embeddings(preds)[0].reshape(len(LABELS), 5), expected, atol=1e-3)


def test_confident_predictions_have_small_gradients():
    h = np.ones((3, 2), np.float32)
    sure = np.array([[0.999, 0.001]] * 3)
    unsure = np.array([[0.5, 0.5]] * 3)
    g = gradient_embeddings([Prediction(["a"] * 3, sure, -0.01, h), Prediction(["a"] * 3, unsure, -2.0, h)])
    assert np.linalg.norm(g[0]) < 0.01 < 1.0 < np.linalg.norm(g[1])


def test_gradient_embedding_errors():
    _, _, preds = _softmax_sentences([2, 3])
    with pytest.raises(MultitagError, match="not in the label list"):
        gradient_embeddings(preds, labels=["O", "X", "Y", "Z"])
    with pytest.raises(MultitagError, match="expected"):
        gradient_embeddings(preds, 7)
    with pytest.raises(MultitagError, match="targets"):
        gradient_embeddings(preds, targets=[np.zeros(2, int), np.full(3, 9)])
    preds[1].hidden = None
    with pytest.raises(CompatibilityError, match="hidden states"):
        gradient_embeddings(preds)


def test_empty_sentence_gets_zero_rows():
    h = np.zeros((0, 3), np.float32)
    p = Prediction([], np.zeros((0, 2)), 0.0, h)
    q = Prediction(["a"], np.array([[0.2, 0.8]]), -0.2, np.ones((1, 3), np.float32))
    g = gradient_embeddings([p, q])
    assert g.shape == (2, 6) and not g[0].any() and g[1].any()
    enc = sentence_encodings([h, np.ones((1, 3))])
    np.testing.assert_array_equal(enc, [[0, 0, 0], [1, 1, 1]])


def test_sentence_encodings_are_float32_means():
    rng = np.random.default_rng(1)
    hs = [rng.normal(size=(n, 4)) for n in (1, 4, 7)]
    enc = sentence_encodings(hs)
    assert enc.dtype == np.float32 and enc.shape == (3, 4)
    np.testing.assert_allclose(enc, np.stack([h.mean(0) for h in hs]), rtol=1e-6, atol=1e-6)
    with pytest.raises(MultitagError, match="expected"):
        sentence_encodings([np.ones((2, 4)), np.ones((2, 5))])
    assert sentence_encodings([], dim=4).shape == (0, 4)


def test_require_hidden_messages():
    with pytest.raises(CompatibilityError, match="'coreset' needs hidden states.*crf"):
        require_hidden([Prediction(["a"], np.ones((1, 1)), 0.0, None)], "coreset")
    with pytest.raises(CompatibilityError, match="no predictions"):
        require_hidden(None, "badge")
    with pytest.raises(MultitagError, match="shape"):
        require_hidden([Prediction(["a", "b"], np.ones((2, 1)), 0.0, np.ones((3, 2)))], "badge")
    with pytest.raises(MultitagError, match="different widths"):
        require_hidden([Prediction(["a"], np.ones((1, 1)), 0.0, np.ones((1, 2))),
                        Prediction(["a"], np.ones((1, 1)), 0.0, np.ones((1, 3)))], "badge")
