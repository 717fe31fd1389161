"""MC-dropout control: switch chosen dropout modules to sampling at prediction time, reversibly.

Word dropout and locked (variational) dropout are not ``nn.Dropout`` subclasses in most libraries
(flair's are not), so modules are matched by the types the caller names.
"""
from __future__ import annotations

import contextlib
from typing import Callable, Iterable, Iterator

import numpy as np
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



# ---------------------------------------------------------------------------- fast masks
def _uniform_int32(numel: int) -> torch.Tensor:
    """``numel`` independent int32 values, uniform over all 2**32 of them (CPU).

    The bits come from numpy's SFC64 generator, seeded by one draw from torch's default CPU
    generator (so ``torch.manual_seed`` makes them reproducible): about twice as fast as torch's
    own ``random_`` and ten times as fast as ``bernoulli_``.
    """
    seed = int(torch.randint(0, 2 ** 62, (1,)))
    bits = np.random.Generator(np.random.SFC64(seed)).bit_generator.random_raw((numel + 1) // 2)
    return torch.from_numpy(bits.view(np.int32)[:numel])


def keep_mask(shape: tuple[int, ...] | torch.Size, p: float, device: torch.device | str = "cpu",
              dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A 0/1 tensor of ``shape`` and ``dtype``: each entry independently 1 (kept) with probability
    ``1 - p``; drawn from torch's default generator of ``device`` (``torch.manual_seed`` makes it
    reproducible).

    On the CPU each entry compares a uniform 32-bit integer with ``p * 2**32`` (so ``p`` is exact to
    ``2**-32``; ``torch.rand`` has a resolution of ``2**-24``), in place, and the mask is a float
    tensor: CPU kernels that mix bool and float operands are several times slower than float ones,
    and ``bernoulli_`` costs more per element than a small last layer. Elsewhere:
    ``torch.rand(shape) >= p``.
    """
    device = torch.device(device)
    if device.type != "cpu":
        return (torch.rand(shape, device=device) >= p).to(dtype)
    numel = 1
    for d in shape:
        numel *= int(d)
    threshold = min(2 ** 31 - 1, round(p * 2 ** 32) - 2 ** 31)  # signed: int32 values start at -2**31
    return _uniform_int32(numel).ge_(threshold).view(shape).to(dtype)


def sample_dropout(x: torch.Tensor, p: float, n: int | None = None) -> torch.Tensor:
    """Element-wise dropout of ``x`` with masks from :func:`keep_mask` (kept units scaled by
    ``1 / (1 - p)``), for sampling at prediction time (no autograd through the result).

    Parameters
    ----------
    x : tensor, any shape S
    p : float
        Drop probability.
    n : int, optional
        Draw ``n`` independent masks: the result has shape ``(n, *S)`` and ``x`` is not copied
        ``n`` times first. Without it the result has shape S.
    """
    shape = tuple(x.shape) if n is None else (int(n), *x.shape)
    if p <= 0:
        return x if n is None else x.unsqueeze(0).expand(shape)
    if p >= 1:
        return x.new_zeros(shape)
    return keep_mask(shape, p, x.device, x.dtype).mul_(x * (1.0 / (1.0 - p)))


def sample_linear(h: torch.Tensor, p: float, n: int, layer: Callable[[torch.Tensor], torch.Tensor],
                  chunk_elements: int = 1 << 18) -> torch.Tensor:
    """``n`` MC-dropout passes through the last layer: ``layer(dropout(h))`` with ``n`` independent
    element-wise masks, without materialising ``n`` copies of ``h``.

    On the CPU the tokens are processed in chunks of about ``chunk_elements`` mask entries, so the
    masked copies stay in cache (one large mask tensor costs more in fresh memory pages than in
    arithmetic); on a GPU in one piece.

    Parameters
    ----------
    h : tensor, shape (N, D)
        The input of the last layer per token (computed once).
    p : float
        Drop probability.
    n : int
        Number of passes.
    layer : callable
        ``(..., D) -> (..., L)``, e.g. the final ``nn.Linear``.

    Returns
    -------
    tensor, shape (n, N, L)
    """
    N, D = h.shape
    if N == 0:
        return layer(h.new_zeros(n, 0, D))
    step = N if h.device.type != "cpu" else max(1, chunk_elements // max(1, n * D))
    parts = [layer(sample_dropout(h[a:a + step], p, n)) for a in range(0, N, step)]
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)


# ---------------------------------------------------------------------------- dropout module types
class Dropout(nn.Dropout):
    """Standard (element-wise) dropout. A type of its own so that MC-dropout modes can select
    exactly the dropout layers a model declares (not, say, dropout inside third-party modules).

    In training (autograd on) it is ``nn.Dropout``; when it samples without autograd (MC dropout at
    prediction time, see :func:`sampling`) its masks come from :func:`keep_mask`, which is much
    cheaper on the CPU.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and not torch.is_grad_enabled() and self.p > 0:
            return sample_dropout(x, self.p)
        return super().forward(x)


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
