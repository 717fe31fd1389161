"""The training loop shared by the torch taggers.

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
previous run's optimiser (:attr:`History.optimizer_state`), learning rate included.
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

from . import precision as P

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
    precision: str = "fp32"     # resolved: "fp32", "bf16" or "fp16"
    device: str = "cpu"


@dataclass
class History:
    epochs: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_score: float = -math.inf
    seconds: float = 0.0
    optimizer_state: dict | None = None  # the optimiser's state_dict at the end (for a warm start)


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
    scaler = P.grad_scaler(cfg.precision, cfg.device)
    hist = History()
    best_state = None
    bad = 0
    best_loss = math.inf
    lr = opt.param_groups[0]["lr"] if optimizer_state is not None else cfg.lr
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
            with P.autocast(cfg.precision, cfg.device):
                losses = loss_fn(batch)
            losses = losses.float()
            loss = losses.mean()
            scaler.scale(loss).backward()
            if cfg.clip and cfg.clip > 0:
                scaler.unscale_(opt)
                nn.utils.clip_grad_norm_(params, cfg.clip)
            scaler.step(opt)
            scaler.update()
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
    hist.optimizer_state = copy.deepcopy(opt.state_dict())
    return hist
