"""The training loop (annealing, restoring the best epoch, early stopping) and the dropout modules."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from multitag_torch.batching import length_batches
from multitag_torch.mc_dropout import Dropout, LockedDropout, WordDropout, find_modules, sampling
from multitag_torch.trainer import TrainConfig, train


class _Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))


def _run(scores, **cfg):
    torch.manual_seed(0)
    model = _Tiny()
    seen = []
    it = iter(scores)

    def loss_fn(_):
        return (model.w - 1.0).pow(2).reshape(1) + 1.0

    def score_fn():
        seen.append(float(model.w.detach()))
        return next(it)

    hist = train(model, lambda: [None], loss_fn, TrainConfig(**cfg), score_fn)
    return model, hist, seen


def test_sgd_halves_lr_after_patience_and_restores_best():
    scores = [0.5, 0.9, 0.8, 0.7, 0.6, 0.95, 0.1, 0.1, 0.1, 0.1]
    model, hist, seen = _run(scores, optimizer="sgd", lr=0.1, max_epochs=10, patience=3)
    lrs = [e["lr"] for e in hist.epochs]
    assert lrs[:5] == [0.1] * 5 and lrs[5] == pytest.approx(0.05)  # halved after epochs 3, 4, 5 failed
    # after the halving, training resumed from the weights of epoch 2 (the best so far)
    assert seen[5] == pytest.approx(seen[1] - 0.05 * 2 * (seen[1] - 1.0))
    assert hist.best_epoch == 6
    assert float(model.w.detach()) == pytest.approx(seen[5])  # best epoch restored at the end
    assert not model.training


def test_adam_stops_early():
    _, hist, _ = _run([0.5, 0.4, 0.4, 0.3, 0.9], optimizer="adam", lr=0.01, max_epochs=5, patience=3)
    assert len(hist.epochs) == 4 and hist.best_epoch == 1


def test_length_batches_group_similar_lengths_and_cover_everything():
    lengths = np.random.default_rng(0).integers(1, 50, size=103)
    batches = length_batches(lengths, 10, np.random.default_rng(1))
    assert sorted(i for b in batches for i in b) == list(range(103))
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    assert spread < 10  # sorted by length: a batch spans few lengths
    assert length_batches(lengths, 10, np.random.default_rng(1)) == batches


def test_dropout_types_and_sampling_switch():
    net = nn.Sequential(WordDropout(0.5), LockedDropout(0.5), Dropout(0.5), nn.Dropout(0.5)).eval()
    x = torch.ones(4, 6, 8)
    assert torch.equal(net(x), x)  # eval: identity
    locked = find_modules(net, (LockedDropout,))
    with sampling(locked):
        y = net(x)
    assert not any(m.training for m in net.modules())
    # locked: the mask is shared over time, so every time step of a sequence is equal
    assert torch.equal(y, y[:, :1].expand_as(y)) and not torch.equal(y, x)
    word = find_modules(net, (WordDropout,))
    with sampling(word):
        z = net(x)
    # word dropout zeroes whole tokens and leaves the others untouched (no rescaling)
    per_token = z.reshape(-1, 8)
    assert all(torch.equal(r, torch.zeros(8)) or torch.equal(r, torch.ones(8)) for r in per_token)
    assert find_modules(net, (Dropout,)) == [net[2]]  # torch's own nn.Dropout is not ours


def test_trained_vectors_are_memoised_and_equal_to_a_fresh_training():
    import numpy as np

    from multitag_torch import embeddings as E

    text = [("the", "cat", "sat"), ("a", "dog", "ran", "home"), ("the", "dog", "sat")] * 5
    E._TRAINED.clear()
    words1, vec1 = E.train_vectors("word2vec", text, dim=8, seed=3, epochs=2)
    assert len(E._TRAINED) == 1
    words2, vec2 = E.train_vectors("word2vec", text, dim=8, seed=3, epochs=2)  # from the memo
    E._TRAINED.clear()
    words3, vec3 = E.train_vectors("word2vec", text, dim=8, seed=3, epochs=2)  # trained again
    assert words1 == words2 == words3
    assert np.array_equal(vec1, vec2) and np.array_equal(vec1, vec3)
    vec2[0, 0] += 1.0  # a caller changing its copy must not change the memo
    assert np.array_equal(E.train_vectors("word2vec", text, dim=8, seed=3, epochs=2)[1], vec1)
    assert not np.array_equal(E.train_vectors("word2vec", text, dim=8, seed=4, epochs=2)[1], vec1)
