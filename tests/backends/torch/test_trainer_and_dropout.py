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


def test_fp16_training_scales_the_loss_and_still_learns():
    """The trainer's fp16 path on the CPU (a linear model: torch 2.13 autocasts it in fp16):
    the loss is scaled by a GradScaler, gradients are unscaled before clipping, weights stay fp32."""
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    x = torch.randn(64, 4)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    seen = []

    def loss_fn(_):
        out = model(x)
        seen.append(out.dtype)
        return ((out.float() - y) ** 2).squeeze(1)

    hist = train(model, lambda: [None] * 4, loss_fn,
                 TrainConfig(optimizer="adam", lr=0.05, max_epochs=30, patience=30, clip=1.0, precision="fp16"))
    assert set(seen) == {torch.float16}
    assert hist.epochs[-1]["loss"] < 0.1 * hist.epochs[0]["loss"]
    assert model.weight.dtype == torch.float32
    assert hist.optimizer_state is not None and hist.optimizer_state["state"]


def test_zero_epochs_leave_the_model_untouched():
    model, hist, _ = _run([], optimizer="adam", lr=0.1, max_epochs=0)
    assert hist.epochs == [] and float(model.w.detach()) == 0.0


def test_keep_mask_rate_resolution_and_seeding():
    from multitag_torch.mc_dropout import keep_mask

    for p in (0.1, 0.5):
        m = keep_mask((400, 1000), p)
        assert m.dtype == torch.float32 and set(m.unique().tolist()) <= {0.0, 1.0}
        assert abs(1 - float(m.mean()) - p) < 0.004   # 400k draws: 4 sigma is about 0.003
        rows = m.mean(dim=1)
        assert float(rows.std()) > 0.005               # independent rows, not one mask repeated
    torch.manual_seed(3)
    a = keep_mask((50, 7), 0.3)
    b = keep_mask((50, 7), 0.3)
    torch.manual_seed(3)
    assert torch.equal(keep_mask((50, 7), 0.3), a) and not torch.equal(a, b)
    assert float(keep_mask((1000,), 0.0).min()) == 1.0


def test_sample_dropout_draws_n_masks_and_keeps_the_expectation():
    from multitag_torch.mc_dropout import sample_dropout, sample_linear

    torch.manual_seed(0)
    h = torch.rand(30, 16) + 0.5
    out = sample_dropout(h, 0.25, n=200)
    assert out.shape == (200, 30, 16)
    kept = out != 0
    assert torch.allclose(out[kept], (h.expand_as(out) / 0.75)[kept])
    assert torch.allclose(out.mean(0), h, rtol=0.25)
    assert not torch.equal(out[0], out[1])
    # the last layer of n passes equals the layer applied to the same masked inputs, in any chunking
    lin = nn.Linear(16, 3)
    torch.manual_seed(1)
    full = sample_linear(h, 0.25, 5, lin, chunk_elements=10 ** 9)
    torch.manual_seed(1)
    masked = sample_dropout(h, 0.25, n=5)
    assert torch.allclose(full, lin(masked), atol=1e-6)
    chunked = sample_linear(h, 0.25, 5, lin, chunk_elements=16 * 5 * 4)
    assert chunked.shape == (5, 30, 3) and not torch.allclose(chunked, full)


def test_our_dropout_samples_with_cheap_masks_only_without_autograd():
    torch.manual_seed(0)
    d = Dropout(0.5)
    x = torch.ones(20000)
    with sampling([d]), torch.inference_mode():
        y = d(x)
    assert abs(float((y == 0).float().mean()) - 0.5) < 0.02 and set(y.unique().tolist()) == {0.0, 2.0}
    d.train()
    xg = torch.ones(100, requires_grad=True)
    d(xg).sum().backward()                      # training: nn.Dropout, gradients through kept units
    assert set(xg.grad.unique().tolist()) <= {0.0, 2.0}
