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

