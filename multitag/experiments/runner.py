"""Config -> grid of runs -> compatibility check -> simulations -> results on disk -> report."""
from __future__ import annotations

import itertools
import os
import sys
from dataclasses import dataclass

from multitag import registry
from multitag.annotation.cost import CostModel
from multitag.annotation.initial import INITIAL_METHODS, lm_scorer_from_path
from multitag.annotation.training_modes import check_mode
from multitag.data.dataset import Dataset, load_dataset
from multitag.errors import CompatibilityError, MultitagError
from multitag.experiments.budget import parse_fraction, parse_initial_size, parse_schedule
from multitag.experiments.config import ExperimentConfig, save_or_check
from multitag.experiments.results import ResultsStore
from multitag.experiments.simulation import Protocol, RunSpec, Simulation, run_reference
from multitag.loop import LEVELS, check_compatible
from multitag.strategies import get_strategy


@dataclass
class Plan:
    runs: list[RunSpec]
    refused: list[tuple[RunSpec, str]]


def load_data(config: ExperimentConfig) -> Dataset:
    ds = load_dataset(config.data)
    if config.train_limit is not None:
        if config.train_limit < 1:
            raise MultitagError("--train-limit must be a positive number of sentences")
        ds.train = ds.train[: config.train_limit]
    if len(ds.train) == 0:
        raise MultitagError(f"{config.data}: no training sentences to use as the pool")
    if config.eval == "test" and ds.test is None:
        raise MultitagError(f"{config.data}: no test split to evaluate on (use --eval dev)")
    if config.valid == "dev" and ds.dev is None:
        raise MultitagError(f"{config.data}: no dev split for validation (use --valid 25% or --valid none)")
    if any(not s.is_fully_annotated for s in ds.train):
        raise MultitagError(f"{config.data}: the train split has unannotated tokens; a simulation needs gold tags for the whole pool")
    return ds


def why_refused(spec: RunSpec, config: ExperimentConfig, has_pos: bool) -> str | None:
    strategy = get_strategy(spec.strategy)
    if spec.level not in LEVELS:
        return f"unknown annotation level {spec.level!r}; use one of {', '.join(LEVELS)}"
    if spec.initial not in INITIAL_METHODS:
        return f"unknown initial selection {spec.initial!r}; use one of {', '.join(INITIAL_METHODS)}"
    if spec.initial == "nnp" and not has_pos:
        return "initial selection 'nnp' needs POS tags, and this data has none"
    if spec.level != "sentence" and not hasattr(strategy, "token_scores"):
        return f"{spec.level}-level annotation needs a token-scoring strategy (tlc, bt, entropy, random), not {spec.strategy!r}"
    for k, name in enumerate((spec.backend,) + spec.successors):
        cls = registry.resolve(name).cls
        if k == 0:
            problem = check_compatible(cls, strategy, mc_mode=config.mc_mode, backend_name=name)
            if problem:
                return problem
        problem = check_mode(spec.training_mode, partial_training=cls.partial_training, has_pos=has_pos, backend=name)
        if problem:
            return problem
    return None


def plan(config: ExperimentConfig, has_pos: bool) -> Plan:
    runs, refused = [], []
    for backend, strategy, level, mode, initial, seed in itertools.product(
            config.backends, config.strategies, config.levels, config.training_modes, config.initials, config.seeds):
        spec = RunSpec(backend, strategy, seed, tuple(config.successors), level, mode, initial)
        problem = why_refused(spec, config, has_pos)
        (refused.append((spec, problem)) if problem else runs.append(spec))
    return Plan(runs, refused)


def make_protocol(config: ExperimentConfig, pool_tokens: int) -> Protocol:
    lm = None
    if "lm" in config.initials:
        path = config.params.get("initial-lm", {}).get("model")
        if not path:
            raise CompatibilityError("initial selection 'lm' needs a masked LM folder: --initial-lm PATH")
        lm = lm_scorer_from_path(path)
    return Protocol(
        initial_size=parse_initial_size(config.initial_size), budgets=parse_schedule(config.schedule, pool_tokens),
        valid=config.valid, eval_split=config.eval, mc_samples=config.mc_samples, mc_mode=config.mc_mode,
        pool_subsample=parse_fraction(config.pool_subsample, "--pool-subsample") if config.pool_subsample else None,
        cost=CostModel.from_dict(config.cost_model), lm_scorer=lm)


def run_experiment(config: ExperimentConfig, out: str, *, progress: bool = True, report: bool = True,
                   stop_after: int | None = None) -> dict:
    """Run (or resume) every compatible run of ``config`` into ``out``; returns a small summary.

    ``stop_after`` (tests) ends the process's work after that many iterations have been written, as
    if it had been killed there.
    """
    config.check()
    ds = load_data(config)
    for name in set(config.backends) | set(config.successors):
        registry.create(name, labels=ds.labels, seed=0, **config.params.get(name, {})).check()  # fail early
    p = plan(config, ds.train.has_pos)
    single = len(p.runs) + len(p.refused) == len(config.seeds)
    if p.refused and single:
        raise CompatibilityError(p.refused[0][1])
    if p.refused:
        seen = set()
        print("incompatible runs, skipped:", file=sys.stderr)
        for spec, why in p.refused:
            key = (spec.backend, spec.strategy, spec.level, spec.training_mode, spec.initial)
            if key not in seen:
                seen.add(key)
                print(f"  {spec.backend} + {spec.strategy} ({spec.level}, {spec.training_mode}, init {spec.initial}): {why}", file=sys.stderr)
    if not p.runs:
        raise CompatibilityError("no compatible run in this grid")
    protocol = make_protocol(config, ds.train.n_tokens)
    os.makedirs(out, exist_ok=True)
    save_or_check(config, out)
    store = ResultsStore(os.path.join(out, "results.jsonl"))
    previous = store.load()

    def make_backend(name: str, seed: int):
        return registry.create(name, labels=ds.labels, seed=seed, **config.params.get(name, {}))

    if config.full_reference:
        have = {r["model"] for r in previous if r.get("role") == "reference"}
        for name in dict.fromkeys(list(config.backends) + list(config.successors)):
            if name not in have:
                print(f"full-data reference: training {name} on the whole pool", file=sys.stderr)
                rec = run_reference(name, ds, protocol, make_backend)
                store.append([rec])
                previous.append(rec)

    n_iter = len(protocol.budgets) + 1
    written = 0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_iter * len(p.runs), unit="it", file=sys.stderr, dynamic_ncols=True)
    try:
        for spec in p.runs:
            def on_iteration(records, spec=spec):
                nonlocal written
                store.append(records)
                written += 1
                if bar is not None:
                    bar.update(1)
                if stop_after is not None and written >= stop_after:
                    raise _Stop()

            def phase(text, spec=spec):
                if bar is not None:
                    bar.set_description(spec.label())
                    bar.set_postfix_str(text)

            done_before = len({r["iteration"] for r in previous if r.get("role") == "acquisition"
                               and all(r.get(k) == v for k, v in spec.key().items())})
            if bar is not None:
                bar.update(min(done_before, n_iter))
            if done_before >= n_iter:
                continue
            sim = Simulation(spec, protocol, ds, make_backend=make_backend, on_iteration=on_iteration, progress=phase)
            sim.run(previous)
    except _Stop:
        return {"stopped": True, "out": out}
    finally:
        if bar is not None:
            bar.close()
    result = {"stopped": False, "out": out, "runs": len(p.runs), "refused": len(p.refused)}
    if report:
        from multitag.report import write_report

        result.update(write_report(out))
    return result


class _Stop(Exception):
    pass
