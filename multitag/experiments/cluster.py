"""How a grid is executed (:class:`Execution`: the ``--workers`` / ``--scheduler`` options) and the
executor that does it: sequential in this process (the default), on a local Dask cluster started
here, or on an existing one.

These are options of an invocation, not of the experiment: they are not saved in ``config.yaml``,
and a grid started sequentially can be resumed on Dask and the other way round.

Dask (``dask.distributed``) is an optional dependency (``pip install 'multitag[dask]'``): the core
runs, tests and resumes without it, and a user of annotation projects or of a single machine's
sequential grid never needs it.
"""
from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from typing import Any, Iterator

from multitag.errors import MultitagError
from multitag.experiments.executor import Executor, SequentialExecutor

INSTALL_HINT = "pip install 'multitag[dask]' (dask[distributed] and bokeh for the dashboard)"


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Execution:
    """Where the runs of a grid execute.

    Parameters
    ----------
    workers : start a local Dask cluster of this many worker processes (``None``: no local cluster).
    threads_per_worker : threads of each local worker (default: cores // workers, at least 1).
    scheduler : address of an existing Dask scheduler (``tcp://host:8786``) to run on instead.
    gpus_per_run : GPUs each run holds (the Dask resource ``GPU``); 0 = none.
    """

    workers: int | None = None
    threads_per_worker: int | None = None
    scheduler: str | None = None
    gpus_per_run: int = 0

    @property
    def distributed(self) -> bool:
        return self.workers is not None or self.scheduler is not None

    def check(self) -> None:
        if self.workers is not None and self.scheduler is not None:
            raise MultitagError("--workers starts a local cluster and --scheduler uses an existing one: give one of them")
        if self.workers is not None and self.workers < 1:
            raise MultitagError(f"--workers must be at least 1, got {self.workers}")
        if self.threads_per_worker is not None:
            if self.workers is None:
                raise MultitagError("--threads-per-worker sets the threads of a local cluster's workers: give --workers too")
            if self.threads_per_worker < 1:
                raise MultitagError(f"--threads-per-worker must be at least 1, got {self.threads_per_worker}")
        if self.gpus_per_run < 0:
            raise MultitagError(f"--gpus-per-run must be 0 or more, got {self.gpus_per_run}")
        if self.gpus_per_run and not self.distributed:
            raise MultitagError("--gpus-per-run places runs on Dask workers' GPUs: give --workers N or --scheduler ADDRESS")
        if self.gpus_per_run and self.workers is not None:
            self.gpu_blocks()  # enough GPUs here for every local worker, or a one-line error now
        if self.distributed:
            require_distributed("--workers" if self.workers is not None else "--scheduler")  # before the data is read

    def gpu_blocks(self) -> list[list[str]] | None:
        """The GPU ids of each local worker (``None`` without ``--gpus-per-run``)."""
        if not self.gpus_per_run or self.workers is None:
            return None
        from multitag.experiments.gpus import local_gpus, worker_gpus

        return worker_gpus(self.workers, self.gpus_per_run, local_gpus())

    def threads(self) -> int:
        """Threads per local worker: as given, else so that workers x threads = cores."""
        if self.threads_per_worker is not None:
            return self.threads_per_worker
        return max(1, cores() // max(1, self.workers or 1))


def require_distributed(option: str) -> Any:
    """The ``distributed`` module, or a one-line error saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise MultitagError(f"{option} runs the grid on Dask, which is not installed: {INSTALL_HINT}") from None
    return distributed


def local_worker_options(gpu_ids: list[str] | None) -> dict[str, Any]:
    """The options a local worker's nanny gets for its GPU block: ``CUDA_VISIBLE_DEVICES`` and the
    ``GPU`` resource (``{}`` for a worker without GPUs)."""
    if not gpu_ids:
        return {}
    from multitag.experiments.gpus import ENV

    return {"env": {ENV: ",".join(gpu_ids)}, "resources": {"GPU": len(gpu_ids)}}


#: seconds the workers of a local cluster may take to start
WORKER_START_SECONDS = 300


def start_local_cluster(n_workers: int, threads: int, *, gpu_blocks: list[list[str]] | None = None,
                        dashboard_address: str = "127.0.0.1:8787") -> Any:
    """A ``LocalCluster`` of ``n_workers`` processes bound to 127.0.0.1; worker ``i`` sees the GPUs
    ``gpu_blocks[i]`` (through ``CUDA_VISIBLE_DEVICES``) and declares them as its ``GPU`` resource."""
    distributed = require_distributed("--workers")
    import logging
    import warnings

    blocks = list(gpu_blocks or [])

    class _LocalCluster(distributed.LocalCluster):
        _block = 0

        def new_worker_spec(self):
            spec = super().new_worker_spec()
            if not blocks:
                return spec
            (name, s), = spec.items()
            extra = local_worker_options(blocks[self._block % len(blocks)])
            type(self)._block += 1
            options = dict(s["options"])
            options["env"] = {**options.get("env", {}), **extra["env"]}
            options["resources"] = extra["resources"]
            return {name: {"cls": s["cls"], "options": options}}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "port 8787 is in use, using another": the link printed is the real one
        dashboard = dashboard_address if _has_bokeh() else None
        # Housekeeping that competes with the runs for the GIL and the cores (measured by
        # benchmarks/grid_scaling.py): the workers' statistical profiler samples every thread's stack
        # each 10 ms (it slowed the CRF's Python feature code ~10% with one core per worker), and each
        # server's event loop wakes every 20 ms to measure itself. A run is minutes long; none of it
        # needs that resolution.
        quiet = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "500ms",
                 "distributed.admin.system-monitor.interval": "2s",
                 "distributed.worker.memory.monitor-interval": "1s"}
        # Dask's nannies start their workers with MALLOC_TRIM_THRESHOLD_=65536, which also turns off
        # glibc's dynamic mmap threshold: every large allocation is then an mmap and fresh pages, and
        # the torch taggers' inference ran ~1.7x slower in a worker than in the driver
        # (benchmarks/pool_scaling.py --backend cnn-bilstm-crf). Not set (unless the environment sets it).
        spawn = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
        import dask

        # the scheduler and the nannies are created here, in this process, while the settings hold
        with dask.config.set({**quiet, **spawn}):
            cluster = _LocalCluster(n_workers=0, threads_per_worker=threads, processes=True, host="127.0.0.1",
                                    dashboard_address=dashboard, silence_logs=logging.ERROR, config=quiet)
            cluster.scale(n_workers)
            try:
                cluster.wait_for_workers(n_workers, timeout=WORKER_START_SECONDS)
            except BaseException as e:
                cluster.close()
                if not isinstance(e, Exception):   # an interrupt: the cluster is closed, the interrupt goes on
                    raise
                raise MultitagError(f"the local Dask cluster's {n_workers} worker(s) did not start within "
                                    f"{WORKER_START_SECONDS} s ({type(e).__name__}: {e})") from None
    return cluster


def _has_bokeh() -> bool:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


def _check_gpu_workers(client: Any, gpus_per_run: int, address: str) -> None:
    workers = client.scheduler_info().get("workers", {})
    if workers and not any(w.get("resources", {}).get("GPU", 0) >= gpus_per_run for w in workers.values()):
        raise MultitagError(f"--gpus-per-run {gpus_per_run}: no worker of {address} declares {gpus_per_run} GPU "
                            f"resource{'s' if gpus_per_run != 1 else ''}; start GPU workers with "
                            f"`dask worker {address} --nthreads 1 --resources GPU=1` (one per GPU)")


@contextlib.contextmanager
def open_executor(execution: Execution, *, log=None) -> Iterator[Executor]:
    """The executor of ``execution``; a local cluster started here is closed on exit.

    ``log(text)`` receives the lines a user should see (the dashboard address); default: stderr.
    """
    log = log or (lambda text: print(text, file=sys.stderr))
    execution.check()
    if not execution.distributed:
        yield SequentialExecutor()
        return
    distributed = require_distributed("--workers" if execution.workers is not None else "--scheduler")
    from multitag.experiments.executor_dask import DaskExecutor

    cluster = None
    if execution.workers is not None:
        blocks = execution.gpu_blocks()
        threads = execution.threads()
        cluster = start_local_cluster(execution.workers, threads, gpu_blocks=blocks)
        try:
            client = distributed.Client(cluster)   # the workers are up (start_local_cluster waited for them)
        except BaseException:
            cluster.close()
            raise
        where = (f"local Dask cluster: {execution.workers} worker process{'es' if execution.workers != 1 else ''} x "
                 f"{threads} thread{'s' if threads != 1 else ''} at {cluster.scheduler_address}")
        if blocks:
            where += "; GPUs " + ", ".join(f"worker {i}: {','.join(b)}" for i, b in enumerate(blocks))
        log(where)
        log(f"dashboard: {cluster.dashboard_link}" if _has_bokeh()
            else "dashboard: not served (pip install bokeh to see it)")
    else:
        address = execution.scheduler
        try:
            client = distributed.Client(address, timeout="30s")
        except (OSError, TimeoutError, ValueError) as e:
            raise MultitagError(f"--scheduler {address}: cannot connect ({e})") from None
        try:
            if execution.gpus_per_run:
                _check_gpu_workers(client, execution.gpus_per_run, address)
        except BaseException:
            client.close()
            raise
        n = len(client.scheduler_info().get("workers", {}))
        log(f"Dask scheduler {address}: {n} worker{'s' if n != 1 else ''} now"
            + ("" if n else " (runs wait until workers join)"))
        with contextlib.suppress(Exception):
            log(f"dashboard: {client.dashboard_link}")
    try:
        yield DaskExecutor(client, gpus_per_run=execution.gpus_per_run)
    finally:
        with contextlib.suppress(Exception):
            client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()
