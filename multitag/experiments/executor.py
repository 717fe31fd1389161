"""Where the runs of a grid execute: one interface, a sequential executor (the default and the
reference) and a Dask one (:mod:`multitag.experiments.executor_dask`).

An executor is given the runs still to do (:class:`RunTask`: the spec and the run's records already
on disk), what every run shares (:class:`GridContext`) and the driver (:class:`GridEvents`). It calls
``events.iteration`` once per finished iteration of a run, in iteration order, with that iteration's
records; ``events.finished`` once per run with a :class:`RunOutcome`. A run that raises is a failed
outcome (with its traceback), never the end of the grid; an exception raised by the driver's own
callbacks (a full disk, a stop) ends the grid. The driver alone writes the results folder.

A run is a pure function of (spec, protocol, data, the run's previous records), so where it runs
never changes its records.
"""
from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol as TypingProtocol, Sequence

from multitag import registry
from multitag.data.dataset import Dataset
from multitag.experiments.gpus import device_params
from multitag.experiments.records import IterationRecord, ReferenceRecord, RunSpec, run_id
from multitag.experiments.simulation import Protocol, Simulation, run_reference


@dataclass
class RunTask:
    """One run to do: ``index`` is its position in the grid; ``previous`` its records already on disk."""

    index: int
    spec: RunSpec
    previous: list[IterationRecord] = field(default_factory=list)


@dataclass
class GridContext:
    """What every run of a grid shares."""

    protocol: Protocol
    data: Dataset
    params: dict[str, dict[str, Any]]       # backend name -> constructor parameters (coerced)
    gpus_per_run: int = 0
    checkpoints: str | None = None          # incremental training: OUT/checkpoints (a folder per run)
    references: tuple[str, ...] = ()        # full-data references still to train (tasks of their own on a cluster)


@dataclass
class RunOutcome:
    """How a run ended. ``error`` is the traceback text of a failed run (``None`` when it finished);
    ``note`` says why a finished run stopped early; ``devices`` the ``device`` each backend was built
    with where it was chosen for the run's GPU; ``seconds`` the time spent in the simulation
    (``cpu_seconds`` its thread's CPU time);
    ``where`` the worker that ran it (``None`` in this process); ``resumed_from`` how many of its
    iterations were already finished when the (last) attempt started."""

    iterations_done: int = 0
    note: str | None = None
    error: str | None = None
    devices: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_seconds: float = 0.0            # CPU time of the thread that ran the simulation
    where: str | None = None
    resumed_from: int | None = None     # iterations already finished when this attempt started
    timings: dict[str, float] = field(default_factory=dict)   # task start/end, simulation start/end (time.time())

    @property
    def failed(self) -> bool:
        return self.error is not None


class GridEvents(TypingProtocol):
    """The driver's side: what an executor reports."""

    def iteration(self, task: RunTask, records: list[IterationRecord]) -> None: ...
    def phase(self, task: RunTask, text: str) -> None: ...
    def finished(self, task: RunTask, outcome: RunOutcome) -> None: ...
    def reference(self, record: ReferenceRecord) -> None: ...
    def reference_failed(self, name: str, error: str, where: str | None) -> None: ...


class Executor(TypingProtocol):
    def run(self, tasks: Sequence[RunTask], context: GridContext, events: GridEvents) -> None: ...


class DriverError(Exception):
    """Wraps an exception raised by the driver's callback inside a run, so that it ends the grid
    instead of being reported as the run's failure."""

    def __init__(self, original: BaseException):
        super().__init__(str(original))
        self.original = original


def backend_factory(context: GridContext, gpu_ordinals: Sequence[int] = (),
                    devices: dict[str, str] | None = None) -> Callable[[str, int], Any]:
    """``make_backend(name, seed)`` for the runs of ``context``: the user's parameters, a warm start
    for incremental runs, and the device of the run's GPU (recorded in ``devices``)."""
    def make_backend(name: str, seed: int):
        given = dict(context.params.get(name, {}))
        if context.protocol.learner.incremental:
            given["warm_start"] = True
        extra = device_params(registry.resolve(name).cls, given, gpu_ordinals) if gpu_ordinals else {}
        if extra and devices is not None:
            devices[name] = extra["device"]
        return registry.create(name, labels=context.data.labels, seed=seed, **given, **extra)

    return make_backend


def train_reference(name: str, context: GridContext, gpu_ordinals: Sequence[int] = ()) -> ReferenceRecord:
    """The full-data reference of backend ``name`` (trained on the whole pool), here."""
    return run_reference(name, context.data, context.protocol, backend_factory(context, gpu_ordinals))


def simulate_run(spec: RunSpec, context: GridContext, previous: Sequence[IterationRecord], *,
                 on_iteration: Callable[[list[IterationRecord]], None], progress: Callable[[str], None] | None = None,
                 gpu_ordinals: Sequence[int] = (), shards: Any = None) -> RunOutcome:
    """Run (or resume) one run here; a run that raises returns a failed outcome with its traceback.

    ``gpu_ordinals`` are the GPUs (numbered as this process sees them) the run holds: backends with a
    ``device`` parameter that the user did not set are built on the first one. ``shards``: where the
    shards of the run's pool passes run (:class:`~multitag.pool_pass.ShardRunner`; default: here).
    """
    outcome = RunOutcome()
    data = context.data
    make_backend = backend_factory(context, gpu_ordinals, outcome.devices)

    def write(records: list[IterationRecord]) -> None:
        try:
            on_iteration(records)
        except BaseException as e:  # the driver's failure (a full disk, a stop): not the run's
            raise DriverError(e) from e

    t0, c0 = time.perf_counter(), time.thread_time()
    outcome.timings["simulation_start"] = time.time()
    outcome.resumed_from = len({r.iteration for r in previous if spec.owns(r)})
    sim = None
    try:
        checkpoints = os.path.join(context.checkpoints, run_id(spec)) if context.checkpoints else None
        sim = Simulation(spec, context.protocol, data, make_backend=make_backend, on_iteration=write, progress=progress,
                         checkpoints=checkpoints, shards=shards)
        sim.run(previous)
        outcome.iterations_done, outcome.note = sim.iterations_done, sim.note
    except DriverError as e:
        raise e.original from None
    except Exception:
        outcome.error = traceback.format_exc()
        outcome.iterations_done = sim.iterations_done if sim is not None else outcome.resumed_from
    outcome.seconds = time.perf_counter() - t0
    outcome.cpu_seconds = time.thread_time() - c0
    outcome.timings["simulation_end"] = time.time()
    return outcome


class SequentialExecutor:
    """Runs one run after another in this process (the default, and the reference for the others)."""

    def run(self, tasks: Sequence[RunTask], context: GridContext, events: GridEvents) -> None:
        for name in context.references:   # before the runs, in this process (an error ends the grid)
            events.reference(train_reference(name, context))
        for task in tasks:
            outcome = simulate_run(task.spec, context, task.previous,
                                   on_iteration=lambda recs, task=task: events.iteration(task, recs),
                                   progress=lambda text, task=task: events.phase(task, text))
            events.finished(task, outcome)
