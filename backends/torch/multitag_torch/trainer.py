"""The training loop shared by the torch taggers.

SGD (default, Shelmanov et al. 2021 appendix C): learning rate ``lr`` (0.1), halved after
``patience`` (3) epochs without improvement of the dev score, the best epoch's weights restored
at each halving; training stops at ``max_epochs`` (30) or when the learning rate falls below
``min_lr``. Adam: early stopping after ``patience`` epochs without improvement (an equal dev score with a lower training loss counts as
an improvement). In both cases the
weights of the best epoch are restored at the end. Without a dev set the score is minus the
training loss. Gradients are clipped to norm ``clip``.
"""
from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch
from torch import nn

from multitag.errors import MultitagError

log = logging.getLogger(__name__)


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


@dataclass
class History:
    epochs: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_score: float = -math.inf
    seconds: float = 0.0


def _optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise MultitagError(f"optimizer must be 'sgd' or 'adam', not {cfg.optimizer!r}")


def train(model: nn.Module, batches: Callable[[], Iterable], loss_fn: Callable[[object], torch.Tensor],
          cfg: TrainConfig, score_fn: Callable[[], float] | None = None, n_batches: int | None = None) -> History:
    """Train ``model`` in place and leave it in eval mode with the best epoch's weights.

    Parameters
    ----------
    batches : callable
        Returns the (shuffled) training batches of one epoch.
    loss_fn : callable
        ``batch -> (B,)`` per-sentence losses; their mean is minimised.
    score_fn : callable, optional
        Dev score after each epoch (higher is better); None = minus the mean training loss.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    opt = _optimizer(params, cfg)
    hist = History()
    best_state = None
    bad = 0
    best_loss = math.inf
    lr = cfg.lr
    start = time.perf_counter()
    for epoch in range(1, cfg.max_epochs + 1):
        model.train()
        total, count = 0.0, 0
        it = batches()
        if cfg.progress:
            from tqdm import tqdm
            it = tqdm(it, total=n_batches, desc=f"epoch {epoch}", leave=False)
        for batch in it:
            opt.zero_grad(set_to_none=True)
            losses = loss_fn(batch)
            loss = losses.mean()
            loss.backward()
            if cfg.clip and cfg.clip > 0:
                nn.utils.clip_grad_norm_(params, cfg.clip)
            opt.step()
            total += float(losses.detach().sum())
            count += losses.shape[0]
        model.eval()
        train_loss = total / max(count, 1)
        if not math.isfinite(train_loss):
            raise MultitagError(f"training diverged (loss {train_loss}) in epoch {epoch}; lower lr or raise clip")
        score = score_fn() if score_fn is not None else -train_loss
        hist.epochs.append({"epoch": epoch, "loss": train_loss, "score": score, "lr": lr,
                            "seconds": time.perf_counter() - start})
        log.info("epoch %d loss %.4f score %.4f lr %.4g", epoch, train_loss, score, lr)
        if cfg.progress:
            print(f"epoch {epoch}: loss {train_loss:.4f} score {score:.4f} lr {lr:.4g} "
                  f"({time.perf_counter() - start:.0f}s)", flush=True)
        # a tie on the dev score (say F1 still 0 early on) counts as progress when the loss fell
        if score > hist.best_score or (score == hist.best_score and train_loss < best_loss):
            hist.best_score, hist.best_epoch, bad, best_loss = score, epoch, 0, train_loss
            best_state = copy.deepcopy(model.state_dict())
        else:
            bad += 1
        if bad >= cfg.patience:
            if cfg.optimizer == "adam":
                break
            lr *= cfg.anneal_factor
            if lr < cfg.min_lr:
                break
            if best_state is not None:
                model.load_state_dict(best_state)
            for g in opt.param_groups:
                g["lr"] = lr
            bad = 0
        if cfg.max_seconds is not None and time.perf_counter() - start > cfg.max_seconds:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    hist.seconds = time.perf_counter() - start
    return hist
