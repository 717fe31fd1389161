"""A small SGD training loop with flair's schedule: learning rate annealed on a dev plateau, best
epoch restored (Shelmanov et al. 2021, appendix C.2).

flair's ``ModelTrainer`` cannot take our loss (the partial-label CRF loss), hence this loop.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

log = logging.getLogger("multitag_flair")


@dataclass
class Schedule:
    learning_rate: float = 0.1
    batch_size: int = 32
    max_epochs: int = 30
    patience: int = 3
    anneal_factor: float = 0.5
    min_learning_rate: float = 1e-4
    max_grad_norm: float | None = 5.0


@dataclass
class History:
    epochs: int = 0
    best_epoch: int = 0
    best_score: float = float("-inf")
    train_loss: list[float] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    learning_rates: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)  # training pass only, dev scoring excluded
    optimizer_state: dict | None = None  # the SGD optimiser's state_dict at the end (for a warm start)


def train(model: torch.nn.Module, n_train: int, batch_loss: Callable[[Sequence[int]], torch.Tensor],
          score: Callable[[], float] | None, schedule: Schedule, rng: np.random.Generator,
          after_batch: Callable[[Sequence[int]], None] | None = None,
          optimizer_state: dict | None = None) -> History:
    """Train ``model`` in place (``schedule.max_epochs`` may be 0: then nothing changes).

    Parameters
    ----------
    n_train : int
        Number of training sentences; batches are index lists into them, reshuffled every epoch.
    batch_loss : callable
        ``batch_loss(indices)`` -> scalar loss summed over the batch's sentences (model in train mode).
    score : callable or None
        Dev score, higher is better (model in eval mode when called). ``None``: the negative
        training loss of the epoch is used instead.
    after_batch : callable, optional
        Called with the batch indices after each step (e.g. to drop non-static embeddings).
    optimizer_state : dict, optional
        A previous run's :attr:`History.optimizer_state`: continue with its learning rate (as
        annealed so far) instead of ``schedule.learning_rate``.

    Returns
    -------
    History
        The model holds the parameters of the best epoch on return.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=schedule.learning_rate)
    if optimizer_state is not None:
        opt.load_state_dict(optimizer_state)
    lr = opt.param_groups[0]["lr"]
    hist = History()
    best_state = _snapshot(model)
    bad = 0
    for epoch in range(1, schedule.max_epochs + 1):
        model.train()
        total = 0.0
        t0 = time.perf_counter()
        order = rng.permutation(n_train)
        for start in range(0, n_train, schedule.batch_size):
            idx = order[start:start + schedule.batch_size].tolist()
            loss = batch_loss(idx)
            opt.zero_grad()
            if loss.requires_grad:
                loss.backward()
                if schedule.max_grad_norm:
                    torch.nn.utils.clip_grad_norm_(params, schedule.max_grad_norm)
                opt.step()
            total += float(loss.detach())
            if after_batch is not None:
                after_batch(idx)
        hist.epoch_seconds.append(time.perf_counter() - t0)
        model.eval()
        value = score() if score is not None else -total
        hist.epochs = epoch
        hist.train_loss.append(total)
        hist.scores.append(value)
        hist.learning_rates.append(lr)
        log.info("epoch %d lr %.4g train loss %.4f score %.4f", epoch, lr, total, value)
        if value > hist.best_score:
            hist.best_score, hist.best_epoch = value, epoch
            best_state = _snapshot(model)
            bad = 0
        else:
            bad += 1
            if bad >= schedule.patience:
                lr *= schedule.anneal_factor
                bad = 0
                _restore(model, best_state)
                for g in opt.param_groups:
                    g["lr"] = lr
                if lr < schedule.min_learning_rate:
                    break
    _restore(model, best_state)
    model.eval()
    hist.optimizer_state = opt.state_dict()
    return hist


def _snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Copies of the trainable parameters (frozen embeddings such as ELMo are not copied)."""
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def _restore(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n in state:
                p.copy_(state[n])
