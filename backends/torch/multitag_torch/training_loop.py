"""The one training loop of the neural backends (torch taggers, flair, transformers).

The loop owns what every backend does the same way: epochs (or an optimiser-step limit), the
learning-rate plateau rule (``patience`` epochs without a better score, then stop or anneal),
the time limit, mixed precision (autocast context, gradient scaling for fp16), gradient clipping,
and keeping the best epoch's weights. The backend supplies what differs: the optimiser (built,
previous state loaded), the batches of an epoch, the batch step (forward pass and loss), the dev
score, and an optional per-step hook and learning-rate scheduler.

One epoch::

    model.train(); for each batch (until max_steps):
        zero grads; loss = step(batch, autocast); scale, backward; unscale, clip; step; scheduler
        after_step(batch)
    model.eval(); epoch loss; score = score() (or minus the epoch loss); keep the best weights;
    after ``patience`` epochs without improvement: stop, or multiply the learning rate by
    ``anneal_factor``, restore the best weights and go on (stop below ``min_lr``);
    stop after the epoch that passes ``max_seconds``.

At the end the model holds the best epoch's weights (or the last epoch's when nothing is scored)
and is in eval mode.
"""
from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager, Iterable, Literal

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from multitag.errors import MultitagError

from . import precision as P

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoopSettings:
    """How :func:`run_loop` trains.

    Attributes
    ----------
    max_epochs : int
        Epoch limit (0: nothing is trained).
    max_steps : int or None
        Optimiser-step limit over the whole run (None: no limit).
    patience : int
        Epochs without a better score before ``on_plateau`` applies.
    on_plateau : {"stop", "anneal"}
        Stop training, or multiply the learning rate by ``anneal_factor``, restore the best
        weights and continue (training stops once the rate falls below ``min_lr``).
    anneal_factor, min_lr : float
        The annealing schedule.
    keep_stopping_rate : bool
        When annealing ends training, the optimiser keeps the annealed rate (flair's schedule);
        else it keeps the last rate it trained with.
    clip : float or None
        Gradient-norm clipping threshold (None or 0: no clipping).
    max_seconds : float or None
        Stop after the epoch that passes this many seconds.
    precision : str
        Resolved precision ("fp32", "bf16", "fp16"), see :mod:`multitag_torch.precision`.
    device : str
        The torch device the model lives on.
    loss_as_score : bool
        Without a dev score, minus the epoch loss is the score (best epoch kept, plateau rule
        applied); False: nothing is scored, training runs to its limits and keeps the last weights.
    ties_on_loss : bool
        An equal score with a lower epoch loss counts as an improvement.
    epoch_loss : {"item_mean", "batch_mean", "sum"}
        The epoch loss: summed batch totals divided by the summed counts, the mean of the batch
        totals, or their sum.
    keep : {"state_dict", "trainable"}
        What the best-epoch snapshot holds: the whole state dict, or the trainable parameters
        only (frozen embeddings are not copied).
    raise_on_divergence : bool
        A non-finite epoch loss raises :class:`MultitagError`.
    progress : bool
        A progress bar over the batches and one printed line per epoch.
    log_every : int or None
        Log the running loss every this many optimiser steps.
    """

    max_epochs: int
    max_steps: int | None = None
    patience: int = 3
    on_plateau: Literal["stop", "anneal"] = "stop"
    anneal_factor: float = 0.5
    min_lr: float = 1e-4
    keep_stopping_rate: bool = False
    clip: float | None = None
    max_seconds: float | None = None
    precision: str = "fp32"
    device: str = "cpu"
    loss_as_score: bool = True
    ties_on_loss: bool = False
    epoch_loss: Literal["item_mean", "batch_mean", "sum"] = "item_mean"
    keep: Literal["state_dict", "trainable"] = "state_dict"
    raise_on_divergence: bool = False
    progress: bool = False
    log_every: int | None = None

    def __post_init__(self) -> None:
        for name, allowed in (("on_plateau", ("stop", "anneal")), ("epoch_loss", ("item_mean", "batch_mean", "sum")),
                              ("keep", ("state_dict", "trainable"))):
            if getattr(self, name) not in allowed:
                raise ValueError(f"LoopSettings.{name} must be one of {allowed}, not {getattr(self, name)!r}")


@dataclass
class StepLoss:
    """What a batch step returns: ``loss`` (a scalar tensor) is minimised; ``total`` (the batch's
    summed loss, a tensor or float, read after the optimiser step) and ``count`` (the items it
    sums over) make the epoch loss."""

    loss: torch.Tensor
    total: torch.Tensor | float
    count: int = 1


@dataclass
class History:
    """What :func:`run_loop` did.

    ``epochs`` holds one record per epoch: ``epoch`` (from 1), ``steps`` (optimiser steps so far),
    ``loss`` (the epoch loss; None when the epoch had no batch), ``score`` (None when nothing is
    scored), ``lr`` (the learning rate at the epoch's start), ``train_seconds`` (the training
    pass) and ``seconds`` (since the start, scoring included)."""

    epochs: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_score: float = -math.inf
    seconds: float = 0.0
    optimizer_state: dict | None = None  # the optimiser's state_dict at the end (for a warm start)


Autocast = Callable[[], ContextManager]


def epoch_limit(full: int, incremental: int | None, warm: bool) -> int:
    """The epoch limit of a fit: ``full`` from scratch, and for a warm fit (one that continues from
    the current weights) ``incremental`` when it is set (0: the weights are kept)."""
    return int(incremental) if warm and incremental is not None else full


def run_loop(model: nn.Module, optimizer: torch.optim.Optimizer, batches: Callable[[], Iterable[Any]],
             step: Callable[[Any, Autocast], StepLoss], settings: LoopSettings, *,
             score: Callable[[], float] | None = None, scheduler: Any = None,
             after_step: Callable[[Any], None] | None = None, n_batches: int | None = None) -> History:
    """Train ``model`` in place with ``optimizer`` (see the module docstring).

    Parameters
    ----------
    batches : callable
        Returns one epoch's batches (called at the start of each epoch, after ``model.train()``).
    step : callable
        ``step(batch, autocast) -> StepLoss``: the forward pass (under ``with autocast():``) and
        the loss, model in train mode.
    score : callable, optional
        The dev score after an epoch, higher is better (model in eval mode).
    scheduler : optional
        A learning-rate scheduler stepped after every optimiser step.
    after_step : callable, optional
        Called with the batch after its optimiser step.
    n_batches : int, optional
        Batches per epoch, for the progress bar.
    """
    s = settings
    passes = _Passes(model, optimizer, step, s, scheduler, after_step)
    selecting = score is not None or s.loss_as_score
    hist = History()
    best_state = _snapshot(model, s.keep) if selecting else None
    best_loss = math.inf
    bad = 0
    start = time.perf_counter()
    for epoch in range(1, s.max_epochs + 1):
        if passes.out_of_steps():
            break
        lr = optimizer.param_groups[0]["lr"]
        t0 = time.perf_counter()
        model.train()
        it = batches()
        if s.progress:
            it = tqdm(it, total=n_batches, desc=f"epoch {epoch}", leave=False)
        loss = passes.run(it, epoch)
        train_seconds = time.perf_counter() - t0
        model.eval()
        if s.raise_on_divergence and not (loss is not None and math.isfinite(loss)):
            raise MultitagError(f"training diverged (loss {loss}) in epoch {epoch}; lower lr or raise clip")
        value = score() if score is not None else (-loss if s.loss_as_score and loss is not None else None)
        hist.epochs.append({"epoch": epoch, "steps": passes.steps, "loss": loss, "score": value, "lr": lr,
                            "train_seconds": train_seconds, "seconds": time.perf_counter() - start})
        log.info("epoch %d loss %s score %s lr %.4g", epoch, loss, value, lr)
        if s.progress:
            print(f"epoch {epoch}: loss {_shown(loss)} score {_shown(value)} lr {lr:.4g} "
                  f"({time.perf_counter() - start:.0f}s)", flush=True)
        if selecting and value is not None:
            if value > hist.best_score or (s.ties_on_loss and value == hist.best_score and loss < best_loss):
                hist.best_score, hist.best_epoch, bad, best_loss = value, epoch, 0, loss
                best_state = _snapshot(model, s.keep)
            else:
                bad += 1
            if bad >= s.patience and _plateau(model, optimizer, best_state, s):
                break
            bad = 0 if bad >= s.patience else bad
        if s.max_seconds is not None and time.perf_counter() - start > s.max_seconds:
            break
    if best_state is not None:
        _restore(model, best_state, s.keep)
    model.eval()
    hist.seconds = time.perf_counter() - start
    hist.optimizer_state = optimizer.state_dict()
    return hist


class _Passes:
    """The training passes of one run: per batch, the backend's step, then backward (scaled for
    fp16), unscale and clip, the optimiser and scheduler steps and the after-step hook; the
    optimiser steps are counted over the whole run."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, step: Callable[[Any, Autocast], StepLoss],
                 settings: LoopSettings, scheduler: Any, after_step: Callable[[Any], None] | None):
        self.optimizer, self.step, self.s = optimizer, step, settings
        self.scheduler, self.after_step = scheduler, after_step
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.scaler = P.grad_scaler(settings.precision, settings.device)
        self.steps = 0

    def autocast(self) -> ContextManager:
        return P.autocast(self.s.precision, self.s.device)

    def out_of_steps(self) -> bool:
        return self.s.max_steps is not None and self.steps >= self.s.max_steps

    def run(self, batches: Iterable[Any], epoch: int) -> float | None:
        """One pass over ``batches`` (until the step limit); returns the epoch loss."""
        s, opt = self.s, self.optimizer
        total, count, values = 0.0, 0, []
        t0 = time.perf_counter()
        for batch in batches:
            if self.out_of_steps():
                break
            opt.zero_grad(set_to_none=True)
            out = self.step(batch, self.autocast)
            if out.loss.requires_grad:
                self.scaler.scale(out.loss).backward()
                if s.clip:
                    self.scaler.unscale_(opt)
                    nn.utils.clip_grad_norm_(self.params, s.clip)
                self.scaler.step(opt)
                self.scaler.update()
                if self.scheduler is not None:
                    self.scheduler.step()
            value = float(out.total)
            total += value
            count += out.count
            values.append(value)
            self.steps += 1
            if self.after_step is not None:
                self.after_step(batch)
            if s.log_every and self.steps % s.log_every == 0:
                recent = values[-s.log_every:]
                log.info("step %d (epoch %d) loss %.4f, %.0fs", self.steps, epoch, sum(recent) / len(recent),
                         time.perf_counter() - t0)
        opt.zero_grad(set_to_none=True)  # the gradients are not kept between fits
        if s.epoch_loss == "item_mean":
            return total / max(count, 1)
        if s.epoch_loss == "sum":
            return total
        return float(np.mean(values)) if values else None  # numpy's mean (pairwise sums), as recorded before


def _shown(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"


def _plateau(model: nn.Module, optimizer: torch.optim.Optimizer, best_state: dict, s: LoopSettings) -> bool:
    """Apply the plateau rule; True when training stops."""
    if s.on_plateau == "stop":
        return True
    lr = optimizer.param_groups[0]["lr"] * s.anneal_factor
    if lr < s.min_lr and not s.keep_stopping_rate:
        return True
    _restore(model, best_state, s.keep)
    for g in optimizer.param_groups:
        g["lr"] = lr
    return lr < s.min_lr


def _snapshot(model: nn.Module, keep: str) -> dict[str, torch.Tensor]:
    if keep == "trainable":
        return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    return copy.deepcopy(model.state_dict())


def _restore(model: nn.Module, state: dict[str, torch.Tensor], keep: str) -> None:
    if keep == "trainable":
        with torch.no_grad():
            for n, p in model.named_parameters():
                if n in state:
                    p.copy_(state[n])
    else:
        model.load_state_dict(state)
