"""The torch taggers' training schedule, run by :func:`multitag_torch.training_loop.run_loop`.

SGD (default, Shelmanov et al. 2021 appendix C): learning rate ``lr`` (0.1), halved after
``patience`` (3) epochs without improvement of the dev score, the best epoch's weights restored
at each halving; training stops at ``max_epochs`` (30) or when the learning rate falls below
``min_lr``. Adam: early stopping after ``patience`` epochs without improvement (an equal dev score with a lower training loss counts as
an improvement). In both cases the
weights of the best epoch are restored at the end. Without a dev set the score is minus the
training loss. Gradients are clipped to norm ``clip``.

Mixed precision (``precision`` "bf16" / "fp16", see :mod:`multitag_torch.precision`): the loss is
computed under autocast; fp16 scales it with a gradient scaler (gradients are unscaled before
clipping). Incremental training: ``train(..., optimizer_state=...)`` continues with the state of a
previous run's optimiser (:attr:`History.optimizer_state`), learning rate included;
``TrainConfig.stop_on_plateau`` makes sgd stop on a dev plateau (warm fits with
``warm_patience``) instead of annealing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import torch
from torch import nn

from multitag.errors import MultitagError

from .training_loop import History, LoopSettings, StepLoss, run_loop

__all__ = ["TrainConfig", "History", "train"]


@dataclass
class TrainConfig:
    optimizer: str = "sgd"
    lr: float = 0.1
    max_epochs: int = 30
    patience: int = 3
    anneal_factor: float = 0.5
    min_lr: float = 1e-4
    clip: float = 5.0
    weight_decay: float = 0.0
    progress: bool = False
    max_seconds: float | None = None
    precision: str = "fp32"     # resolved: "fp32", "bf16" or "fp16"
    device: str = "cpu"
    stop_on_plateau: bool = False  # sgd stops after `patience` epochs without improvement instead of annealing

    def loop_settings(self) -> LoopSettings:
        """The schedule for :func:`run_loop`: sgd anneals on a plateau (stops with
        ``stop_on_plateau``), adam stops; ties on the score go to the lower loss; minus the mean
        per-sentence loss scores an epoch without dev."""
        stop = self.optimizer == "adam" or self.stop_on_plateau
        return LoopSettings(
            max_epochs=self.max_epochs, patience=self.patience,
            on_plateau="stop" if stop else "anneal", anneal_factor=self.anneal_factor,
            min_lr=self.min_lr, clip=self.clip if self.clip and self.clip > 0 else None,
            max_seconds=self.max_seconds, precision=self.precision, device=self.device, ties_on_loss=True,
            epoch_loss="item_mean", keep="state_dict", raise_on_divergence=True, progress=self.progress)


def _optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise MultitagError(f"optimizer must be 'sgd' or 'adam', not {cfg.optimizer!r}")


def train(model: nn.Module, batches: Callable[[], Iterable], loss_fn: Callable[[object], torch.Tensor],
          cfg: TrainConfig, score_fn: Callable[[], float] | None = None, n_batches: int | None = None,
          optimizer_state: dict | None = None) -> History:
    """Train ``model`` in place and leave it in eval mode with the best epoch's weights.

    ``cfg.max_epochs`` may be 0: nothing is trained and the model is left as it is.

    Parameters
    ----------
    batches : callable
        Returns the (shuffled) training batches of one epoch.
    loss_fn : callable
        ``batch -> (B,)`` per-sentence losses; their mean is minimised.
    score_fn : callable, optional
        Dev score after each epoch (higher is better); None = minus the mean training loss.
    optimizer_state : dict, optional
        A previous run's :attr:`History.optimizer_state` (same model, same optimiser kind): the run
        continues with it, including its learning rate, instead of a fresh optimiser at ``cfg.lr``.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    opt = _optimizer(params, cfg)
    if optimizer_state is not None:
        try:
            opt.load_state_dict(optimizer_state)
        except (ValueError, KeyError) as e:
            raise MultitagError(f"cannot continue with the previous optimiser state ({e}); set warm_optimizer=False") from e

    def step(batch, autocast) -> StepLoss:
        with autocast():
            losses = loss_fn(batch)
        losses = losses.float()
        return StepLoss(losses.mean(), losses.detach().sum(), losses.shape[0])

    return run_loop(model, opt, batches, step, cfg.loop_settings(), score=score_fn, n_batches=n_batches)
