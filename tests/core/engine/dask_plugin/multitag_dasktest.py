"""Backends for the Dask tests, installed into a temporary site folder with real entry points
(``multitag.backends``) so that worker processes find them as any plugin (tests/core/engine/dask_site.py).

* ``dcount``: :class:`multitag.baseline.CountTagger` itself;
* ``dcount-slow``: sleeps ``delay`` seconds per fit (so a test can act while a run is under way);
* ``dcount-failing``: raises in ``fit`` for seed ``fail_seed`` (one failing run in a grid);
* ``dcount-slowpredict``: sleeps ``predict_delay`` seconds per predict, after writing its pid to a
  file in ``pid_folder`` (a worker can be killed in the middle of a shard);
* ``dcount-gpu``: takes a ``device`` (as the torch backends do) and writes, per fit, the device it was
  built with, its process's ``CUDA_VISIBLE_DEVICES`` and the resources its Dask task holds to a JSON
  line in ``$MULTITAG_DASKTEST_LOG``.
"""
from __future__ import annotations

import json
import os
import time

from multitag.baseline import CountTagger


class SlowCount(CountTagger):
    def __init__(self, *, labels, seed: int = 0, alpha: float = 0.5, delay: float = 0.2):
        super().__init__(labels=labels, seed=seed, alpha=alpha)
        self.delay = delay

    def fit(self, train, dev=None):
        time.sleep(self.delay)
        return super().fit(train, dev)


class FailingCount(CountTagger):
    def __init__(self, *, labels, seed: int = 0, alpha: float = 0.5, fail_seed: int = 1):
        super().__init__(labels=labels, seed=seed, alpha=alpha)
        self.fail_seed = fail_seed

    def fit(self, train, dev=None):
        if self.seed == self.fail_seed:
            raise RuntimeError(f"injected failure for seed {self.seed}")
        return super().fit(train, dev)


class DeviceCount(CountTagger):
    def __init__(self, *, labels, seed: int = 0, alpha: float = 0.5, device: str = "cpu"):
        super().__init__(labels=labels, seed=seed, alpha=alpha)
        self.device = device

    def fit(self, train, dev=None):
        log = os.environ.get("MULTITAG_DASKTEST_LOG")
        if log:
            resources = None
            try:
                from distributed import get_worker
                from distributed.worker import thread_state

                ts = get_worker().state.tasks.get(thread_state.key)
                resources = None if ts is None else dict(ts.resource_restrictions or {})
            except (ImportError, ValueError, AttributeError):
                pass
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"seed": self.seed, "device": self.device, "pid": os.getpid(),
                                     "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
                                     "resources": resources}) + "\n")
        return super().fit(train, dev)


class SlowPredictCount(CountTagger):
    """Sleeps ``predict_delay`` seconds per predict call, after writing its process id to a file in
    ``pid_folder`` (so a test can kill a worker in the middle of a shard)."""

    def __init__(self, *, labels, seed: int = 0, alpha: float = 0.5, predict_delay: float = 0.5,
                 pid_folder: str = ""):
        super().__init__(labels=labels, seed=seed, alpha=alpha)
        self.predict_delay = predict_delay
        self.pid_folder = pid_folder

    def predict(self, sentences, *, hidden=False):
        if self.pid_folder:
            with open(os.path.join(self.pid_folder, f"{os.getpid()}-{time.time_ns()}"), "w") as fh:
                fh.write(str(os.getpid()))
        time.sleep(self.predict_delay)
        return super().predict(sentences, hidden=hidden)
