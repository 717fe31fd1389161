"""The grid on Dask (``dask.distributed``): each run is a task, records stream back to the driver.

* The data set is scattered to every worker once (``broadcast``), and each task gets its future.
* A task sends each finished iteration's records as an event on its own topic
  (``Worker.log_event``); the driver subscribes to the topics and hands the records to
  ``events.iteration`` in iteration order, dropping an iteration it already has. The task's result
  holds every iteration it knows of as well, so an event lost on the way is still written.
* A run's pool passes are scored in shards (:mod:`multitag.pool_pass`) as tasks on the same cluster
  (:class:`DaskShards`), the model shipped once per round.
* A worker that dies takes its task with it; the scheduler runs the task again elsewhere, and the
  new attempt reads from the scheduler the events of its topic (the iterations the dead attempt
  finished) and resumes after the last one. The driver drops what it already wrote, so no record
  is lost or written twice. A run whose workers keep dying (``KilledWorker``) is a failed run.
* ``gpus_per_run`` annotates every task with the resource ``GPU``, so a worker runs as many GPU
  runs at once as it declares GPUs; inside the worker the run takes its own GPU ordinals
  (:class:`~multitag.experiments.gpus.GpuSlots`) and backends are built on that device.

Topics are named after a random session id, so a rerun of the driver (which reads what is on disk)
never mixes with the events of an earlier session still held by a long-lived scheduler.
"""
from __future__ import annotations

import contextlib
import queue
import time
import traceback
import uuid
from dataclasses import dataclass, replace
from typing import Any, Iterator, Sequence

from multitag.experiments.executor import GridContext, GridEvents, RunOutcome, RunTask, simulate_run, train_reference
from multitag.experiments.records import IterationRecord, RunSpec, parse_record
from multitag.persistence.transfer import files_digest, model_files, model_from_files
from multitag.pool_pass import ScoreRequest, Shard, ShardScores, score_shard

#: the models of the latest rounds shipped to this worker process, by digest (runs side by side
#: each have their own), at most :data:`_KEEP_SHIPPED`
_shipped_models: dict[str, Any] = {}
_KEEP_SHIPPED = 4


@dataclass(frozen=True)
class ShippedModel:
    """A model on its way to the workers: its folder's files, its class and their digest. (One
    object: Dask would scatter the values of a dict one by one, under the dict's keys.)"""

    files: dict[str, bytes]
    cls: type
    digest: str


def _model_of(shipped: ShippedModel) -> Any:
    """The shipped model, loaded once per worker process and round (its files' digest)."""
    model = _shipped_models.get(shipped.digest)
    if model is None:
        model = model_from_files(shipped.files, shipped.cls)
        while len(_shipped_models) >= _KEEP_SHIPPED:
            _shipped_models.pop(next(iter(_shipped_models)), None)
        _shipped_models[shipped.digest] = model
    return model


def score_shard_on_worker(shard: Shard, shipped: ShippedModel, request: ScoreRequest) -> ShardScores:
    """The task of one shard of a pool pass (executed on a Dask worker)."""
    return score_shard(_model_of(shipped), request, shard)


class DaskShards:
    """The shards of a pool pass as tasks on a Dask cluster (a :class:`~multitag.pool_pass.ShardRunner`).

    The round's model travels once: its model folder's files (no pickle of the model), broadcast to
    every worker, each of which loads it once for the round; each shard is a task holding its
    sentences. A worker that dies takes its shards with it and the scheduler runs them again on
    another worker, which holds the model too; shard scores do not depend on where a shard runs, so
    the round's selection is the same. ``client``: the cluster's client; by default the client of the
    worker task this runs in (a run on the grid's cluster), which leaves its thread to the shards
    while it waits.
    """

    def __init__(self, client: Any = None):
        self.client = client

    def run(self, model: Any, request: ScoreRequest, shards: Sequence[Shard]) -> list[ShardScores]:
        files = model_files(model)
        shipped = ShippedModel(files, type(model), files_digest(files))
        if self.client is not None:
            return self._run(self.client, shipped, request, shards)
        from distributed import worker_client

        with worker_client() as client:
            return self._run(client, shipped, request, shards)

    @staticmethod
    def _run(client: Any, shipped: ShippedModel, request: ScoreRequest, shards: Sequence[Shard]) -> list[ShardScores]:
        model_future = client.scatter(shipped, broadcast=True, hash=False)
        futures = []
        try:
            # each shard is made ready to travel just before it is submitted: the first shards are
            # scored while the driver compacts the rest
            for shard in shards:
                futures.append(client.submit(score_shard_on_worker, shard.shippable(), shipped=model_future,
                                             request=request, pure=False))
            return client.gather(futures)
        finally:
            client.cancel(futures + [model_future])


def _groups_from_messages(messages: Sequence[dict], where: str) -> dict[int, list[IterationRecord]]:
    out: dict[int, list[IterationRecord]] = {}
    for m in messages:
        out.setdefault(int(m["iteration"]), [parse_record(d, where) for d in m["records"]])
    return out


class _NoGpu(Exception):
    """This worker process could not give the task its GPUs."""


@contextlib.contextmanager
def _held_gpus(count: int) -> Iterator[list[int]]:
    """The ordinals of ``count`` GPUs of this worker process, held for the block (none for 0);
    :class:`_NoGpu` (chained to the cause) when they cannot be taken."""
    if not count:
        yield []
        return
    from multitag.experiments.gpus import process_slots

    slots = process_slots()
    try:
        ordinals = slots.acquire(count)
    except Exception as e:
        raise _NoGpu(str(e)) from e
    try:
        yield ordinals
    finally:
        slots.release(ordinals)


def run_on_worker(spec: RunSpec, context: GridContext, data: Any, previous: list[IterationRecord], topic: str) -> dict:
    """The task of one run (executed on a Dask worker). Returns ``{"outcome": RunOutcome,
    "groups": [{"iteration": i, "records": [json, ...]}, ...]}`` (every iteration this attempt knows
    beyond ``previous``: those recovered from an earlier attempt's events, and its own)."""
    started = time.time()
    from distributed import get_client, get_worker

    worker = get_worker()
    messages: list[dict] = []
    have = {r.iteration for r in previous}
    # a retried attempt (its first worker died): the iterations the earlier attempt sent
    try:
        events = get_client().get_events(topic)
    except Exception:  # the scheduler cannot be asked: start from the driver's records
        events = ()
    recovered = _groups_from_messages([msg for _, msg in events], f"dask event {topic}")
    for it in sorted(recovered):
        if it not in have:
            messages.append({"iteration": it, "records": [r.to_json() for r in recovered[it]]})
    known = list(previous) + [r for it in sorted(recovered) if it not in have for r in recovered[it]]

    def send(records: list[IterationRecord]) -> None:
        msg = {"iteration": records[0].iteration, "records": [r.to_json() for r in records]}
        messages.append(msg)
        worker.log_event(topic, msg)

    try:
        with _held_gpus(context.gpus_per_run) as ordinals:
            outcome = simulate_run(spec, replace(context, data=data), known, on_iteration=send, gpu_ordinals=ordinals,
                                   shards=DaskShards())
    except _NoGpu as e:   # reported as the run's failure, with the cause's own traceback
        error = "".join(traceback.format_exception(e.__cause__))
        return {"outcome": RunOutcome(error=error, where=worker.address), "groups": messages}
    outcome.where = worker.address
    outcome.timings.update(task_start=started, task_end=time.time())
    return {"outcome": outcome, "groups": messages}


_NEED_COST = {"marginals": 1, "hidden": 1, "labeled_hidden": 1, "samples": 3}


def expected_cost(task: RunTask, n_iter: int) -> int:
    """A rough size of what ``task`` still has to do, so that the cluster starts the longest runs
    first and the grid does not end waiting on one long run: the iterations left, times 1 for the
    fits plus what the strategy needs predicted over the pool (MC samples cost most). A
    scheduling hint only; it never changes a record."""
    from multitag.strategies import get_strategy

    left = max(0, n_iter - len({r.iteration for r in task.previous}))
    try:
        needs = get_strategy(task.spec.strategy).needs
    except Exception:
        needs = frozenset()
    return left * (1 + sum(_NEED_COST.get(n, 1) for n in needs))


def reference_on_worker(name: str, context: GridContext, data: Any) -> dict:
    """The task of a full-data reference: ``{"record": json | None, "error": traceback | None, "where": worker}``."""
    from distributed import get_worker

    where = get_worker().address
    try:
        with _held_gpus(context.gpus_per_run) as ordinals:
            record = train_reference(name, replace(context, data=data), ordinals)
        return {"record": record.to_json(), "error": None, "where": where}
    except _NoGpu as e:
        return {"record": None, "error": "".join(traceback.format_exception(e.__cause__)), "where": where}
    except Exception:
        return {"record": None, "error": traceback.format_exc(), "where": where}


class _RunStream:
    """One run's iterations as they arrive (events, then the task's result): handed on in
    iteration order, each once."""

    def __init__(self, task: RunTask):
        self.task = task
        self.next = len({r.iteration for r in task.previous})
        self.waiting: dict[int, list[IterationRecord]] = {}

    def add(self, iteration: int, records: list[IterationRecord], events: GridEvents) -> None:
        if iteration < self.next or iteration in self.waiting:
            return  # already written (a retried attempt redoing it, or the result repeating an event)
        self.waiting[iteration] = records
        while self.next in self.waiting:
            events.iteration(self.task, self.waiting.pop(self.next))
            self.next += 1


class DaskExecutor:
    """Runs every run as a task of the cluster behind ``client`` (see the module docstring).

    ``timings`` (after :meth:`run`): per grid index, when the driver submitted the task and received
    its result (``time.time()``) and how long scattering the data took; they are also added to each
    outcome's ``timings`` (for the overhead measurement of ``benchmarks/grid_scaling.py``).
    """

    def __init__(self, client: Any, *, gpus_per_run: int = 0):
        self.client = client
        self.gpus_per_run = gpus_per_run
        self.timings: dict[int, dict[str, float]] = {}

    @staticmethod
    def _reference_done(name: str, future: Any, events: GridEvents) -> None:
        from multitag.experiments.records import ReferenceRecord

        try:
            result = future.result()
        except Exception as e:   # its workers died (KilledWorker), or the task could not run
            events.reference_failed(name, "".join(traceback.format_exception(type(e), e, e.__traceback__)), None)
            return
        if result["error"] is not None:
            events.reference_failed(name, result["error"], result["where"])
        else:
            events.reference(ReferenceRecord.from_json(result["record"], f"dask reference {name}"))

    def run(self, tasks: Sequence[RunTask], context: GridContext, events: GridEvents) -> None:
        from distributed import KilledWorker

        if not tasks and not context.references:
            return
        client = self.client
        session = uuid.uuid4().hex[:12]
        t0 = time.time()
        data = client.scatter(context.data, broadcast=True, hash=False)
        shared = replace(context, data=None, gpus_per_run=self.gpus_per_run, references=())
        scatter_s = time.time() - t0
        inbox: queue.Queue = queue.Queue()
        streams: dict[int, _RunStream] = {}
        futures = {}
        topics = []
        resources = {"GPU": self.gpus_per_run} if self.gpus_per_run else None
        n_iter = len(context.protocol.budgets) + 1
        references = {}
        for name in context.references:   # a fit on the whole pool: as long as any run, so first
            fut = client.submit(reference_on_worker, name, shared, data, key=f"multitag-{session}-reference-{name}",
                                pure=False, resources=resources, priority=10 ** 9)
            fut.add_done_callback(lambda f, name=name: inbox.put(("reference", name, f)))
            references[name] = fut
        cost = {task.index: expected_cost(task, n_iter) for task in tasks}
        for task in sorted(tasks, key=lambda t: -cost[t.index]):   # the longest first
            topic = f"multitag-{session}-run{task.index}"
            topics.append(topic)
            streams[task.index] = _RunStream(task)
            client.subscribe_topic(topic, lambda event, i=task.index: inbox.put(("records", i, event[1])))
            self.timings[task.index] = {"submitted": time.time(), "scatter_seconds": scatter_s}
            fut = client.submit(run_on_worker, task.spec, shared, data, list(task.previous), topic,
                                key=f"multitag-{session}-run{task.index}", pure=False, resources=resources,
                                priority=cost[task.index])
            fut.add_done_callback(lambda f, i=task.index: inbox.put(("done", i, f)))
            futures[task.index] = fut
        remaining = set(futures)
        waiting = set(references)
        try:
            while remaining or waiting:
                kind, index, payload = inbox.get()
                if kind == "reference":
                    waiting.discard(index)
                    self._reference_done(index, payload, events)
                    continue
                stream = streams[index]
                if kind == "records":
                    if index in remaining:
                        stream.add(int(payload["iteration"]),
                                   [parse_record(d, f"dask event run {index}") for d in payload["records"]], events)
                    continue
                remaining.discard(index)
                self.timings[index]["received"] = time.time()
                try:
                    result = payload.result()
                except KilledWorker as e:
                    events.finished(stream.task, RunOutcome(error=f"every worker that ran this run died while running it "
                                                                  f"(KilledWorker):\n{e}\n"))
                    continue
                except Exception as e:
                    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
                    events.finished(stream.task, RunOutcome(error=tb))
                    continue
                for group in result["groups"]:
                    stream.add(int(group["iteration"]),
                               [parse_record(d, f"dask result run {index}") for d in group["records"]], events)
                outcome = result["outcome"]
                outcome.timings.update(self.timings[index])
                events.finished(stream.task, outcome)
        finally:
            pending = [futures[i] for i in remaining] + [references[n] for n in waiting]
            if pending:
                client.cancel(pending)
            for topic in topics:
                try:
                    client.unsubscribe_topic(topic)
                except Exception:
                    pass
            try:
                client.cancel([data])
            except Exception:
                pass
