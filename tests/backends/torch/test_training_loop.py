"""The one training loop of the neural backends (multitag_torch.training_loop): step limits, the
plateau rules, what the best-epoch snapshot holds, the time limit and the hooks."""
from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from multitag.errors import MultitagError
from multitag_torch.training_loop import LoopSettings, StepLoss, epoch_limit, run_loop


class _Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.frozen = nn.Parameter(torch.zeros(1), requires_grad=False)


def _step(model):
    def step(_batch, autocast):
        with autocast():
            loss = (model.w - 1.0).pow(2).sum() + 1.0
        return StepLoss(loss, loss.detach())
    return step


def _run(settings, *, n_batches=3, scores=None, lr=0.1, model=None, **kw):
    model = model or _Tiny()
    opt = torch.optim.SGD([model.w], lr=lr)
    it = iter(scores) if scores is not None else None
    hist = run_loop(model, opt, lambda: range(n_batches), _step(model), settings,
                    score=(lambda: next(it)) if it is not None else None, **kw)
    return model, opt, hist


def test_max_steps_stops_inside_an_epoch_and_steps_the_scheduler():
    model = _Tiny()
    opt = torch.optim.SGD([model.w], lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    seen = []
    hist = run_loop(model, opt, lambda: range(3), _step(model), LoopSettings(max_epochs=5, max_steps=7),
                    scheduler=sched, after_step=seen.append)
    assert [e["steps"] for e in hist.epochs] == [3, 6, 7]
    assert sched.last_epoch == 7 and seen == [0, 1, 2] * 2 + [0]


def test_without_a_score_the_last_weights_are_kept_and_no_plateau_stops():
    model, _, hist = _run(LoopSettings(max_epochs=4, patience=1, loss_as_score=False))
    assert len(hist.epochs) == 4 and all(e["score"] is None for e in hist.epochs)
    assert hist.best_epoch == 0
    # four epochs of three SGD steps on (w - 1)^2: w = 1 - 0.8^12, not an earlier epoch's value
    assert model.w.item() == pytest.approx(1 - 0.8 ** 12)


def test_stop_on_plateau_restores_the_best_epoch():
    model, _, hist = _run(LoopSettings(max_epochs=10, patience=2), n_batches=1, scores=[0.5, 0.9, 0.1, 0.1, 0.9])
    assert len(hist.epochs) == 4 and hist.best_epoch == 2
    assert model.w.item() == pytest.approx(1 - 0.8 ** 2)  # the weights after epoch 2


def test_ties_on_loss_count_as_improvement_only_when_asked():
    _, _, strict = _run(LoopSettings(max_epochs=3, patience=5), n_batches=1, scores=[0.0, 0.0, 0.0])
    _, _, ties = _run(LoopSettings(max_epochs=3, patience=5, ties_on_loss=True), n_batches=1, scores=[0.0, 0.0, 0.0])
    assert strict.best_epoch == 1 and ties.best_epoch == 3


@pytest.mark.parametrize("keep_rate", [False, True])
def test_annealing_below_min_lr_ends_training(keep_rate):
    s = LoopSettings(max_epochs=20, patience=1, on_plateau="anneal", anneal_factor=0.5, min_lr=0.03,
                     keep_stopping_rate=keep_rate)
    _, opt, hist = _run(s, n_batches=1, scores=[1.0] + [0.0] * 19)
    assert [e["lr"] for e in hist.epochs] == [0.1, 0.1, 0.05]
    # flair's schedule leaves the optimiser at the rate that ended training, the torch one at the last used
    assert opt.param_groups[0]["lr"] == (0.025 if keep_rate else 0.05)


def _frozen_after_restore(keep):
    """Epoch 1 scores best with ``frozen`` = 0, epoch 2 sets ``frozen`` to 1 (standing for a frozen
    module that changes outside training); returns (w, frozen) after the loop restored epoch 1."""
    model = _Tiny()
    calls = []

    def score():
        model.frozen.data.fill_(float(len(calls)))
        calls.append(1)
        return [0.9, 0.1][len(calls) - 1]

    run_loop(model, torch.optim.SGD([model.w], lr=0.1), lambda: range(1), _step(model),
             LoopSettings(max_epochs=2, patience=5, keep=keep), score=score)
    return model.w.item(), model.frozen.item()


def test_a_trainable_snapshot_leaves_frozen_parameters_alone():
    assert _frozen_after_restore("trainable") == (pytest.approx(0.2), 1.0)
    assert _frozen_after_restore("state_dict") == (pytest.approx(0.2), 0.0)  # the whole state dict came back


def test_max_seconds_stops_after_the_epoch_that_passes_it():
    model = _Tiny()

    def slow(batch, autocast):
        time.sleep(0.05)
        return _step(model)(batch, autocast)

    hist = run_loop(model, torch.optim.SGD([model.w], lr=0.1), lambda: range(2), slow,
                    LoopSettings(max_epochs=50, max_seconds=0.01))
    assert len(hist.epochs) == 1


def _diverging(settings):
    model = _Tiny()

    def nan_step(_batch, _autocast):
        loss = model.w.sum() * float("nan")
        return StepLoss(loss, loss.detach())

    return run_loop(model, torch.optim.SGD([model.w], lr=0.1), lambda: range(1), nan_step, settings)


def test_divergence_raises_only_when_asked():
    with pytest.raises(MultitagError, match="diverged"):
        _diverging(LoopSettings(max_epochs=2, raise_on_divergence=True))
    assert len(_diverging(LoopSettings(max_epochs=2)).epochs) == 2


def test_zero_epochs_changes_nothing():
    model, opt, hist = _run(LoopSettings(max_epochs=0))
    assert hist.epochs == [] and model.w.item() == 0.0 and not model.training


def test_the_warm_epoch_limit_applies_to_warm_fits_only():
    assert epoch_limit(30, 2, warm=True) == 2 and epoch_limit(30, 0, warm=True) == 0
    assert epoch_limit(30, 2, warm=False) == 30 and epoch_limit(30, None, warm=True) == 30
