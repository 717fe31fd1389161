"""MC-dropout control: switch chosen dropout modules to sampling at prediction time, reversibly.

Word dropout and locked (variational) dropout are not ``nn.Dropout`` subclasses in most libraries
(flair's are not), so modules are matched by the types the caller names.
"""
from __future__ import annotations

import contextlib
from typing import Callable, Iterable, Iterator

import torch
from torch import nn


def find_modules(model: nn.Module, types: tuple[type, ...] | None = None,
                 where: Callable[[str, nn.Module], bool] | None = None) -> list[nn.Module]:
    """Modules of ``model`` that are instances of ``types`` (and satisfy ``where(name, module)``)."""
    out = []
    for name, module in model.named_modules():
        if types is not None and not isinstance(module, types):
            continue
        if where is not None and not where(name, module):
            continue
        out.append(module)
    return out


@contextlib.contextmanager
def sampling(modules: Iterable[nn.Module]) -> Iterator[list[nn.Module]]:
    """Put ``modules`` in training mode (dropout samples) for the duration of the block.

    Each module's previous ``training`` flag is restored on exit, also after an exception, so a
    model in eval mode is back in eval mode afterwards.
    """
    modules = list(modules)
    previous = [m.training for m in modules]
    try:
        for m in modules:
            m.train(True)
        yield modules
    finally:
        for m, was in zip(modules, previous):
            m.train(was)



# ---------------------------------------------------------------------------- dropout module types
class Dropout(nn.Dropout):
    """Standard (element-wise) dropout. A type of its own so that MC-dropout modes can select
    exactly the dropout layers a model declares (not, say, dropout inside third-party modules)."""


class WordDropout(nn.Module):
    """Drop whole word vectors: each position of ``x (B, T, D)`` is zeroed with probability ``p``
    (one draw per token, shared by all ``D`` features; no rescaling, as in flair)."""

    def __init__(self, p: float = 0.05) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p <= 0:
            return x
        keep = torch.empty(x.shape[0], x.shape[1], 1, device=x.device, dtype=x.dtype).bernoulli_(1 - self.p)
        return x * keep

    def extra_repr(self) -> str:
        return f"p={self.p}"


class LockedDropout(nn.Module):
    """Locked (variational) dropout (Gal and Ghahramani 2016): one mask per sequence over the
    feature dimension, shared by all time steps of ``x (B, T, D)``; kept units are rescaled by
    ``1 / (1 - p)``."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p <= 0:
            return x
        keep = torch.empty(x.shape[0], 1, x.shape[2], device=x.device, dtype=x.dtype).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


DROPOUT_TYPES: tuple[type, ...] = (Dropout, WordDropout, LockedDropout)
