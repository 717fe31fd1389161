"""Config -> grid of runs -> compatibility check -> simulations -> results on disk (the caller writes the report).

Everything that can be wrong with an experiment (a value, a backend parameter, the data, an
incompatible combination) is found before anything is written under OUT.
"""
from __future__ import annotations

import itertools
import os
import sys
from dataclasses import dataclass

from multitag import settings as learner
from multitag.annotation.initial import initial_selection_class
from multitag.checks import incompatibility
from multitag.data.dataset import Dataset, load_dataset
from multitag.errors import CompatibilityError, MultitagError
from multitag.fileio import atomic_write
from multitag.experiments.cluster import Execution, open_executor
from multitag.experiments.config import GRID_KEYS, LEARNER_KEYS, ExperimentConfig, read_options
from multitag.experiments.executor import GridContext, RunOutcome, RunTask
from multitag.experiments.outdir import OutLock, data_fingerprint, data_paths, save_or_check
from multitag.experiments.records import IterationRecord, ReferenceRecord, RunSpec, run_id
from multitag.experiments.results import ResultsStore, iteration_records, reference_records
from multitag.experiments.simulation import Protocol


@dataclass
class Plan:
    runs: list[RunSpec]
    refused: list[tuple[RunSpec, str]]


def load_data(config: ExperimentConfig, *, echo: bool = False) -> Dataset:
    ds = load_dataset(config.data, train=config.train_file, dev=config.dev_file, test=config.test_file,
                      scheme=config.scheme, options=read_options(config))
    where = config.data or config.train_file
    if echo:
        for line in ds.describe():
            print(line, file=sys.stderr)
        for line in ds.warnings():
            print(f"warning: {line}", file=sys.stderr)
    if config.train_limit is not None:
        if echo and config.train_limit > len(ds.train):
            print(f"note: --train-limit {config.train_limit:,} is above the pool's {len(ds.train):,} sentences: "
                  "the whole pool is used", file=sys.stderr)
        ds.train = ds.train[: config.train_limit]
    if len(ds.train) == 0:
        raise MultitagError(f"{where}: no training sentences to use as the pool (pass --train FILE)")
    if config.eval == "test" and ds.test is None:
        raise MultitagError(f"{where}: no test split to evaluate on (use --eval dev, or --test FILE)")
    if config.eval == "dev" and ds.dev is None:
        raise MultitagError(f"{where}: no dev split to evaluate on (pass --dev FILE)")
    if config.valid.kind == "dev" and ds.dev is None:
        raise MultitagError(f"{where}: no dev split for validation (use --valid 25% or --valid none, or --dev FILE)")
    bad = ds.first_unannotated("train")
    if bad is not None:
        path, line = bad
        raise MultitagError(f"{path}{'' if line is None else f':{line}'}: a token without a tag; a simulation needs gold "
                            "tags for the whole pool (use `multitag project` for text that is not annotated yet)")
    return ds


def why_refused(spec: RunSpec, config: ExperimentConfig, has_pos: bool) -> str | None:
    return incompatibility(spec.backend, spec.strategy, config.learner_settings(**spec.grid_values()),
                           has_pos=has_pos, successors=spec.successors)


def plan(config: ExperimentConfig, has_pos: bool) -> Plan:
    runs, refused = [], []
    axes = [getattr(config, key) for key in GRID_KEYS]
    for backend, strategy, *grid, seed in itertools.product(config.backends, config.strategies, *axes, config.seeds):
        spec = RunSpec(backend, strategy, seed, tuple(config.successors),
                       **dict(zip((LEARNER_KEYS[k] for k in GRID_KEYS), grid)))
        problem = why_refused(spec, config, has_pos)
        (refused.append((spec, problem)) if problem else runs.append(spec))
    return Plan(runs, refused)


def make_protocol(config: ExperimentConfig, pool_tokens: int) -> Protocol:
    return Protocol(initial_size=config.initial_size, budgets=config.schedule.budgets(pool_tokens), valid=config.valid,
                    eval_split=config.eval, learner=config.learner_settings())


@dataclass
class PreparedExperiment:
    """An experiment checked and ready to run: the resolved configuration, its data (read once),
    the grid of runs and the protocol they share (:func:`prepare`)."""

    config: ExperimentConfig
    dataset: Dataset
    plan: Plan
    protocol: Protocol


def prepare(config: ExperimentConfig, *, echo: bool = False) -> PreparedExperiment:
    """Check everything and build the grid; writes nothing (``echo``: print what was read per split)."""
    config.check_complete()
    config.resolve_backends()
    for name in config.initials:
        initial_selection_class(name)(model=config.initial_lm).check()
    ds = load_data(config, echo=echo)
    p = plan(config, ds.train.has_pos)
    single = len(p.runs) + len(p.refused) == len(config.seeds)
    if p.refused and single:
        raise CompatibilityError(p.refused[0][1])
    if not p.runs:
        raise CompatibilityError(f"no compatible run in this grid: {p.refused[0][1]}")
    return PreparedExperiment(config, ds, p, make_protocol(config, ds.train.n_tokens))


def run_experiment(experiment: PreparedExperiment | ExperimentConfig, out: str, *, progress: bool = True,
                   stop_after: int | None = None, execution: Execution | None = None,
                   describe: bool | None = None) -> dict:
    """Run (or resume) every compatible run of ``experiment`` into ``out``; returns a small summary
    (``failed``: how many runs raised; their tracebacks are in ``OUT/failed/``; ``dataset``: the data,
    for a report the caller writes, :func:`multitag.report.write_report`).

    ``experiment`` is what :func:`prepare` returns (a configuration is prepared first).
    ``execution`` says where the runs execute (default: one after another in this process; see
    :mod:`multitag.experiments.cluster`); it never changes the records. ``stop_after`` (tests) ends
    the process's work after that many iterations have been written, as if it had been killed there.
    ``describe`` prints what was read per split (default: when there is a progress bar).
    """
    execution = execution or Execution()
    execution.check()
    if not isinstance(experiment, PreparedExperiment):
        experiment = prepare(experiment, echo=progress if describe is None else describe)
    config, ds, p, protocol = experiment.config, experiment.dataset, experiment.plan, experiment.protocol
    if p.refused:
        seen = set()
        print("incompatible runs, skipped:", file=sys.stderr)
        for spec, why in p.refused:
            key = (spec.backend, spec.strategy, *spec.grid_values().values())
            if key not in seen:
                seen.add(key)
                grid = ", ".join(learner.info(k).label(v) for k, v in spec.grid_values().items())
                print(f"  {spec.backend} + {spec.strategy} ({grid}): {why}", file=sys.stderr)
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise MultitagError(f"{out}: cannot create the results folder ({e.strerror})") from None
    with OutLock(out):
        save_or_check(out, config.to_dict(), data_fingerprint(ds), data_paths(ds, out))
        result = _run_locked(config, out, ds, p, protocol, progress=progress, stop_after=stop_after, execution=execution)
    result["dataset"] = ds   # for a report written later by the caller (the data is not read twice)
    return result


def failure_report(spec: RunSpec, outcome: RunOutcome, recorded: int) -> str:
    """The text of ``OUT/failed/<run>.txt``: the run, its spec, where it ran, the iterations of it
    that are in ``results.jsonl`` (a rerun resumes after them) and the traceback."""
    where = f"worker: {outcome.where}\n" if outcome.where else ""
    return (f"run: {spec.label()}\nspec: {spec.key()}\n{where}"
            f"iterations recorded before it failed: {recorded}\n\n{outcome.error}")


class _Driver:
    """The one writer of a results folder: appends each run's iterations, records failures, moves
    the progress bar (:class:`~multitag.experiments.executor.GridEvents`)."""

    def __init__(self, out: str, store: ResultsStore, n_iter: int, bar, stop_after: int | None, *, runs: int = 0,
                 runs_done: int = 0):
        self.out, self.store, self.n_iter, self.bar, self.stop_after = out, store, n_iter, bar, stop_after
        self.runs, self.runs_done = runs, runs_done
        self.written = 0
        self.done_iters: dict[int, int] = {}
        self.failed: list[RunSpec] = []
        self.failed_references: list[str] = []
        self.outcomes: dict[int, RunOutcome] = {}
        self._describe()

    def iteration(self, task: RunTask, records: list[IterationRecord]) -> None:
        self.store.append(records)
        self.written += 1
        self.done_iters[task.index] = self.done_iters.get(task.index, 0) + 1
        if self.bar is not None:
            self.bar.update(1)
        if self.stop_after is not None and self.written >= self.stop_after:
            raise _Stop()

    def reference(self, record: ReferenceRecord) -> None:
        self.store.append([record])
        self._failure_file(f"reference-{record.model}", None)

    def reference_failed(self, name: str, error: str, where: str | None) -> None:
        self.failed_references.append(name)
        at = f"worker: {where}\n" if where else ""
        path = self._failure_file(f"reference-{name}", f"full-data reference: {name}\n{at}\n{error}")
        self._say(f"full-data reference {name}: failed ({error.strip().splitlines()[-1]}); details: {path}")

    def _failure_file(self, name: str, text: str | None) -> str:
        """Write ``OUT/failed/<name>.txt`` (``text``), or remove an earlier one (``None``)."""
        path = os.path.join(self.out, "failed", name + ".txt")
        if text is None:
            if os.path.exists(path):
                os.remove(path)
            return path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            with atomic_write(path) as fh:
                fh.write(text)
        except OSError as e:
            raise MultitagError(f"{path}: cannot write ({e.strerror})") from None
        return path

    def _say(self, msg: str) -> None:
        (self.bar.write(msg, file=sys.stderr) if self.bar is not None else print(msg, file=sys.stderr))

    def phase(self, task: RunTask, text: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"{task.spec.label()}: {text}")

    def _describe(self) -> None:
        if self.bar is not None:
            failed = f", {len(self.failed)} failed" if self.failed else ""
            self.bar.set_description(f"runs {self.runs_done}/{self.runs} done{failed}")

    def finished(self, task: RunTask, outcome: RunOutcome) -> None:
        spec = task.spec
        self.outcomes[task.index] = outcome
        if outcome.failed:
            self.failed.append(spec)
            recorded = len({r.iteration for r in task.previous}) + self.done_iters.get(task.index, 0)
            path = self._failure_file(run_id(spec), failure_report(spec, outcome, recorded))
            self._say(f"{spec.label()}: failed ({outcome.error.strip().splitlines()[-1]}); details: {path}")
        else:
            self._failure_file(run_id(spec), None)  # an earlier failure of this run, now finished
            if outcome.note is not None:
                self._say(f"{spec.label()}: stopped after iteration {outcome.iterations_done - 1}: {outcome.note}")
        self.runs_done += 0 if outcome.failed else 1
        if self.bar is not None:
            left = self.n_iter - len({r.iteration for r in task.previous}) - self.done_iters.get(task.index, 0)
            if left > 0:
                self.bar.update(left)  # a failed run, or one that stopped early: nothing more to come
            self._describe()


def _run_locked(config: ExperimentConfig, out: str, ds: Dataset, p: Plan, protocol: Protocol, *, progress: bool,
                stop_after: int | None, execution: Execution) -> dict:
    store = ResultsStore(os.path.join(out, "results.jsonl"))
    previous = store.load()
    its = iteration_records(previous)

    references: list[str] = []
    if config.full_reference:
        have = {r.model for r in reference_records(previous)}
        references = [name for name in dict.fromkeys(list(config.backends) + list(config.successors)) if name not in have]
    where = " (a task of its own, beside the runs)" if execution.distributed else ""
    for name in references:
        print(f"full-data reference: training {name} on the whole pool{where}", file=sys.stderr)

    n_iter = len(protocol.budgets) + 1
    tasks, done_before = [], 0
    for index, spec in enumerate(p.runs):
        mine = [r for r in its if spec.owns(r)]
        acq = [r for r in mine if r.role == "acquisition"]
        n_done = len({r.iteration for r in acq})
        if n_done >= n_iter or any(r.note is not None for r in acq):
            done_before += n_iter
            continue
        done_before += n_done
        tasks.append(RunTask(index, spec, mine))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_iter * len(p.runs), initial=done_before, unit="it", file=sys.stderr, dynamic_ncols=True)
    driver = _Driver(out, store, n_iter, bar, stop_after, runs=len(p.runs), runs_done=len(p.runs) - len(tasks))
    context = GridContext(protocol, ds, config.params,
                          checkpoints=os.path.join(out, "checkpoints") if config.incremental else None,
                          references=tuple(references))
    try:
        with open_executor(execution, log=(bar.write if bar is not None else None)) as executor:
            executor.run(tasks, context, driver)
    except _Stop:
        return {"stopped": True, "out": out}
    finally:
        if bar is not None:
            bar.close()
    failed = len(driver.failed) + len(driver.failed_references)
    return {"stopped": False, "out": out, "runs": len(p.runs) + len(references), "refused": len(p.refused),
            "failed": failed, "failed_dir": os.path.join(out, "failed") if failed else None, "outcomes": driver.outcomes}


class _Stop(Exception):
    pass
