"""flair's SGD schedule: learning rate annealed on a dev plateau, best epoch restored (Shelmanov et
al. 2021, appendix C.2), run by :func:`multitag_torch.training_loop.run_loop`.

flair's ``ModelTrainer`` cannot take our loss (the partial-label CRF loss), hence this schedule.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

from multitag_torch.training_loop import LoopSettings, StepLoss, run_loop


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

    def batches():
        order = rng.permutation(n_train)
        for start in range(0, n_train, schedule.batch_size):
            yield order[start:start + schedule.batch_size].tolist()

    def step(idx, autocast) -> StepLoss:
        loss = batch_loss(idx)
        return StepLoss(loss, loss.detach())

    settings = LoopSettings(
        max_epochs=schedule.max_epochs, patience=max(schedule.patience, 1), on_plateau="anneal",
        anneal_factor=schedule.anneal_factor, min_lr=schedule.min_learning_rate, keep_stopping_rate=True,
        clip=schedule.max_grad_norm, epoch_loss="sum", keep="trainable")
    run = run_loop(model, opt, batches, step, settings, score=score, after_step=after_batch)
    return History(epochs=len(run.epochs), best_epoch=run.best_epoch, best_score=run.best_score,
                   train_loss=[e["loss"] for e in run.epochs], scores=[e["score"] for e in run.epochs],
                   learning_rates=[e["lr"] for e in run.epochs],
                   epoch_seconds=[e["train_seconds"] for e in run.epochs], optimizer_state=run.optimizer_state)
