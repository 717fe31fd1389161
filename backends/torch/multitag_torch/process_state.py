"""Process-wide state a tagger changes for a block and puts back afterwards: torch's thread count
and the global random generators (python's ``random``, numpy's legacy global RNG, torch's CPU and
CUDA generators).

A fit or a prediction must not change what the caller's code draws or how many threads the
caller's torch code runs with: these context managers restore the state on exit, also after an
exception.
"""
from __future__ import annotations

import contextlib
import random
from typing import Iterator

import numpy as np
import torch


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """``torch.set_num_threads(n)`` for the block (None or 0: torch's setting is left alone)."""
    if not n:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def cuda_devices(device: torch.device | str | None) -> list[int]:
    """The CUDA device indices whose generator a block on ``device`` draws from (none on the CPU)."""
    if device is None:
        return []
    device = torch.device(device)
    return [device.index or 0] if device.type == "cuda" else []


@contextlib.contextmanager
def seeded(seed: int, *, device: torch.device | str | None = None, python: bool = False,
           numpy: bool = False) -> Iterator[None]:
    """The block runs with torch's global generator seeded by ``seed`` (and, with ``python`` /
    ``numpy``, python's and numpy's global generators too), exactly as after
    ``torch.manual_seed(seed)`` (``random.seed``, ``np.random.seed``); afterwards every generator
    is back in the state it had before the block. ``device``: the CUDA device the block uses, whose
    generator is saved and restored as well."""
    py_state = random.getstate() if python else None
    np_state = np.random.get_state() if numpy else None
    try:
        with torch.random.fork_rng(devices=cuda_devices(device)):
            if python:
                random.seed(seed)
            if numpy:
                np.random.seed(seed)
            torch.manual_seed(seed)
            yield
    finally:
        if py_state is not None:
            random.setstate(py_state)
        if np_state is not None:
            np.random.set_state(np_state)


def batch_seed(seed: int, sentences: "list[tuple[str, ...]]") -> int:
    """A seed for one batch of an MC-dropout pass: a function of the model's ``seed`` and the batch's
    tokens only, so a batch draws the same masks whichever call, shard or process samples it."""
    import hashlib

    h = hashlib.blake2b(str(int(seed)).encode(), digest_size=8)
    for tokens in sentences:
        h.update(b"\x1e" + "\x1f".join(tokens).encode("utf-8", "surrogatepass"))
    return int.from_bytes(h.digest(), "little") & (2 ** 63 - 1)
