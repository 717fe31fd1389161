"""Which GPU a run uses: GPUs handed to local Dask workers, and the device a backend is built with.

Nothing here imports torch or talks to a GPU: the GPUs of a machine are read from
``CUDA_VISIBLE_DEVICES`` (when set) or counted with ``nvidia-smi -L``, and a worker process is given
its GPUs through ``CUDA_VISIBLE_DEVICES``. Inside a worker the visible GPUs are numbered from 0 (as
CUDA numbers them), and :class:`GpuSlots` gives each run running there its own ordinals, so that a
worker declaring ``GPU=2`` and running two runs at once gives them ``cuda:0`` and ``cuda:1``.
"""
from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import threading
from typing import Any, Mapping, Sequence

from multitag.errors import MultitagError

ENV = "CUDA_VISIBLE_DEVICES"


def visible_gpus(env: Mapping[str, str] | None = None) -> list[str] | None:
    """The GPU ids listed in ``CUDA_VISIBLE_DEVICES`` (``None`` when it is unset; ``[]`` when it hides all)."""
    env = os.environ if env is None else env
    value = env.get(ENV)
    if value is None:
        return None
    ids = [v.strip() for v in value.split(",") if v.strip()]
    # CUDA stops at the first invalid entry; "-1" or "" hides every GPU
    out = []
    for v in ids:
        if v.startswith("-"):
            break
        out.append(v)
    return out


def local_gpus(env: Mapping[str, str] | None = None) -> list[str]:
    """The ids of this machine's GPUs that a process may use: ``CUDA_VISIBLE_DEVICES`` when set,
    else one id per line of ``nvidia-smi -L`` (none when it is not installed)."""
    ids = visible_gpus(env)
    if ids is not None:
        return ids
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        r = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if r.returncode != 0:
        return []
    return [str(i) for i, line in enumerate(l for l in r.stdout.splitlines() if l.startswith("GPU "))]


def worker_gpus(n_workers: int, gpus_per_run: int, available: Sequence[str]) -> list[list[str]]:
    """The GPU ids of each of ``n_workers`` local workers when each run takes ``gpus_per_run``: worker
    ``i`` gets the ``i``-th block of ``gpus_per_run`` ids (so it runs one GPU run at a time).

    Raises
    ------
    MultitagError
        When the machine has fewer than ``n_workers * gpus_per_run`` GPUs.
    """
    need = n_workers * gpus_per_run
    if need > len(available):
        found = f"{len(available)} GPU{'s' if len(available) != 1 else ''}"
        where = f" ({ENV}={os.environ.get(ENV)})" if os.environ.get(ENV) is not None else ""
        raise MultitagError(f"--workers {n_workers} --gpus-per-run {gpus_per_run} needs {need} GPUs, and this machine "
                            f"has {found}{where}; use fewer --workers")
    return [list(available[i * gpus_per_run:(i + 1) * gpus_per_run]) for i in range(n_workers)]


class GpuSlots:
    """The GPUs visible to this process, handed out to concurrently running runs (thread-safe)."""

    def __init__(self, n_visible: int):
        self.n_visible = n_visible
        self._free = list(range(n_visible))
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "GpuSlots":
        ids = visible_gpus(env)
        return cls(len(ids) if ids is not None else len(local_gpus(env)))

    def acquire(self, n: int) -> list[int]:
        """``n`` free ordinals (lowest first); an error when fewer are free (a scheduler that ignored
        the run's GPU resource, or a worker started without GPUs)."""
        with self._lock:
            if n > len(self._free):
                raise MultitagError(
                    f"this run needs {n} GPU{'s' if n != 1 else ''}, and its worker has {len(self._free)} free of "
                    f"{self.n_visible} visible ({ENV}={os.environ.get(ENV, 'unset')}); start GPU workers with "
                    f"--resources GPU=<their GPU count>")
            taken, self._free = self._free[:n], self._free[n:]
            return taken

    def release(self, ordinals: Sequence[int]) -> None:
        with self._lock:
            self._free = sorted(set(self._free) | set(ordinals))


_process_slots: GpuSlots | None = None
_process_lock = threading.Lock()


def process_slots() -> GpuSlots:
    """This process's :class:`GpuSlots` (read from the environment once)."""
    global _process_slots
    with _process_lock:
        if _process_slots is None:
            _process_slots = GpuSlots.from_env()
        return _process_slots


def takes_device(cls: type) -> bool:
    """Whether a backend class's constructor has a ``device`` parameter."""
    try:
        return "device" in inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return False


def device_params(cls: type, given: Mapping[str, Any], ordinals: Sequence[int]) -> dict[str, Any]:
    """The ``device`` to build a backend with on the GPUs ``ordinals`` (the first one: backends use
    one device): ``{"device": "cuda:K"}`` when the backend takes a device and the user did not set
    one; ``{}`` otherwise (no GPU, no device parameter, or ``--param device=...`` given)."""
    if not ordinals or "device" in given or not takes_device(cls):
        return {}
    return {"device": f"cuda:{ordinals[0]}"}
