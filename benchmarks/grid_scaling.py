"""The same CRF grid run sequentially and on a local Dask cluster, in one process: the wall-time
ratio (target >= 1.8x with 2 workers on 2 cores) and what Dask adds to each run (target < 2% of a
run), and a check that both wrote the same records.

    python benchmarks/grid_scaling.py [--data ../shared/data/conll2003] [--workers 2]

The grid: crf (``features=paper``) x random, lc, mnlp, bt x 2 seeds, the first 3,000 CoNLL-2003
training sentences as the pool, a 2% seed set and 2% x 8 iterations, evaluated on the test split.

What Dask adds to a run is measured on the run's own path, from the timestamps each task and the
driver take (one clock: the same machine):

* in the task, around the simulation: reading the events of a dead attempt, parsing the previous
  records, packing the result (``simulation_start - task_start`` + ``task_end - simulation_end``);
* the result's way back to the driver (``received - task_end``);
* the cluster's start, the data's scatter and the cluster's close, paid once per grid, divided by
  the number of runs.

A third arm runs the same runs in as many plain processes as workers (``multiprocessing``, no
Dask, the runs split longest-first by their sequential lengths): the machine's own ceiling for
this grid. On a virtual machine whose cores slow each other down when both are busy, the
sequential / plain-processes ratio is below 2 for reasons no scheduler can remove; Dask's wall
time against the plain processes' is then what Dask costs the grid.

A run waiting for a free worker is not overhead (the sequential grid waits too), nor is a run that
is slower because it shares the machine: each run's CPU time is reported beside its wall time
(CPU / wall below 1 means the run waited for a core: other work on the machine), and the best ratio
a perfect scheduler could reach with the sequential run lengths (unequal runs cap the speed-up).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

from multitag.experiments.cluster import Execution, cores, open_executor
from multitag.experiments.config import ExperimentConfig
from multitag.experiments.results import ResultsStore, iteration_records
from multitag.experiments.runner import run_experiment

def _plain_share(config_dict: dict, indices: list[int]) -> tuple[float, float]:
    """In a plain child process: read the data as the driver does, then the runs ``indices`` of the
    grid one after another (no records written); returns (wall seconds, CPU seconds of the runs)."""
    from multitag.experiments.executor import GridContext, simulate_run
    from multitag.experiments.runner import prepare

    t0 = time.perf_counter()
    config = ExperimentConfig.from_dict(config_dict)
    prepared = prepare(config)
    ds, p = prepared.dataset, prepared.plan
    context = GridContext(prepared.protocol, ds, config.params)
    cpu = 0.0
    for i in indices:
        outcome = simulate_run(p.runs[i], context, [], on_iteration=lambda records: None)
        if outcome.failed:
            raise RuntimeError(outcome.error)
        cpu += outcome.cpu_seconds
    return time.perf_counter() - t0, cpu


def plain_processes(config_dict: dict, durations: list[float], workers: int) -> dict:
    """The runs split longest-first over ``workers`` spawned processes (no Dask): the wall time."""
    import multiprocessing

    shares: list[list[int]] = [[] for _ in range(workers)]
    loads = [0.0] * workers
    for i in sorted(range(len(durations)), key=lambda i: -durations[i]):
        k = loads.index(min(loads))
        shares[k].append(i)
        loads[k] += durations[i]
    t0 = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        got = pool.starmap(_plain_share, [(config_dict, share) for share in shares])
    wall = time.perf_counter() - t0
    return {"wall_seconds": wall, "process_seconds": [w for w, _ in got], "run_cpu_seconds": [c for _, c in got]}


TIMINGS = {"train_seconds", "eval_seconds", "predict_seconds", "select_seconds", "group_size"}


def _records(out: str) -> dict:
    return {r.key(): {k: v for k, v in r.to_json().items() if k not in TIMINGS}
            for r in iteration_records(ResultsStore(os.path.join(out, "results.jsonl")).load())}


def best_ratio(durations, workers: int) -> float:
    """The wall-time ratio a perfect scheduler could reach with these run durations on ``workers``
    (longest runs first onto the least loaded worker): runs of unequal length cap the speed-up."""
    loads = [0.0] * workers
    for d in sorted(durations, reverse=True):
        loads[loads.index(min(loads))] += d
    return float(sum(durations) / max(loads))


def worker_timeline(outcomes, clock0: float, clock1: float) -> dict:
    """Where the Dask phase's wall time went, per worker (seconds from the phase's start): before
    its first task (data read, cluster start, scatter, the worker's first imports), between tasks,
    and after its last task until the phase ended (waiting for the other worker, the cluster's close)."""
    by_worker: dict[str, list] = {}
    for o in outcomes:
        by_worker.setdefault(o.where, []).append((o.timings["task_start"], o.timings["task_end"]))
    out = {}
    for k, (where, spans) in enumerate(sorted(by_worker.items())):
        spans.sort()
        gaps = [b[0] - a[1] for a, b in zip(spans, spans[1:])]
        out[f"worker {k}"] = {"runs": len(spans), "before_first": spans[0][0] - clock0,
                              "busy": sum(e - s for s, e in spans), "between": sum(gaps), "after_last": clock1 - spans[-1][1]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "conll2003"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--train-limit", type=int, default=3000)
    ap.add_argument("--schedule", default="2%x8")
    ap.add_argument("--strategies", default="random,lc,mnlp,bt")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "grid_scaling.json"))
    args = ap.parse_args()

    config_dict = {
        "data": os.path.abspath(args.data), "backends": ["crf"], "strategies": args.strategies, "seeds": args.seeds,
        "train_limit": args.train_limit, "initial_size": "2%", "schedule": args.schedule, "eval": "test",
        "params": {"crf": {"features": "paper"}}}
    config = ExperimentConfig.from_dict(config_dict)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        seq_out, dask_out = os.path.join(tmp, "sequential"), os.path.join(tmp, "dask")
        t0 = time.perf_counter()
        seq = run_experiment(config, seq_out, progress=False)
        seq_wall = time.perf_counter() - t0
        load_between = os.getloadavg()
        t0, clock0 = time.perf_counter(), time.time()
        dask = run_experiment(config, dask_out, progress=False, execution=Execution(workers=args.workers))
        dask_wall, clock1 = time.perf_counter() - t0, time.time()
        same = _records(seq_out) == _records(dask_out)
        n_records = len(_records(seq_out))
    seq_lengths = [seq["outcomes"][i].seconds for i in sorted(seq["outcomes"])]
    plain = plain_processes(config_dict, seq_lengths, args.workers)
    # the cluster's own cost, once per grid: start, connect, close (measured on its own)
    t0 = time.perf_counter()
    with open_executor(Execution(workers=args.workers), log=lambda text: None):
        started = time.perf_counter() - t0
        t1 = time.perf_counter()
    closed = time.perf_counter() - t1
    load_after = os.getloadavg()

    runs = len(seq["outcomes"])
    seq_sim = np.array([o.seconds for o in seq["outcomes"].values()])
    outs = list(dask["outcomes"].values())
    dask_sim = np.array([o.seconds for o in outs])
    in_task = np.array([(o.timings["simulation_start"] - o.timings["task_start"])
                        + (o.timings["task_end"] - o.timings["simulation_end"]) for o in outs])
    back = np.array([o.timings["received"] - o.timings["task_end"] for o in outs])
    scatter = float(outs[0].timings.get("scatter_seconds", 0.0))
    fixed_per_run = (started + closed + scatter) / runs
    per_run = in_task + back + fixed_per_run
    share = per_run / dask_sim
    ratio = seq_wall / dask_wall
    seq_cpu = np.array([o.cpu_seconds for o in seq["outcomes"].values()])
    dask_cpu = np.array([o.cpu_seconds for o in outs])
    bound = best_ratio(seq_sim.tolist(), args.workers)
    timeline = worker_timeline(outs, clock0, clock1)
    result = {
        "grid": {"backend": "crf", "features": "paper", "strategies": args.strategies.split(","), "seeds": args.seeds,
                 "runs": runs, "train_limit": args.train_limit, "schedule": args.schedule},
        "cores": cores(), "workers": args.workers, "threads_per_worker": Execution(workers=args.workers).threads(),
        "loadavg_before_sequential": load_before, "loadavg_before_dask": load_between, "loadavg_after": load_after,
        "sequential_wall_seconds": seq_wall, "dask_wall_seconds": dask_wall, "wall_time_ratio": ratio,
        "mean_run_seconds_sequential": float(seq_sim.mean()), "mean_run_seconds_dask": float(dask_sim.mean()),
        "run_slowdown_on_dask": float(dask_sim.mean() / seq_sim.mean()),
        "mean_run_cpu_seconds_sequential": float(seq_cpu.mean()), "mean_run_cpu_seconds_dask": float(dask_cpu.mean()),
        "cpu_share_sequential": float(seq_cpu.sum() / seq_sim.sum()), "cpu_share_dask": float(dask_cpu.sum() / dask_sim.sum()),
        "best_ratio_for_these_runs": bound,
        "cluster_start_seconds": started, "cluster_close_seconds": closed, "scatter_seconds": scatter,
        "per_run_in_task_seconds": in_task.tolist(), "per_run_return_seconds": back.tolist(),
        "per_run_overhead_seconds": per_run.tolist(), "per_run_overhead_share": share.tolist(),
        "mean_overhead_share": float(share.mean()), "max_overhead_share": float(share.max()),
        "records_identical": same, "records": n_records, "timeline": timeline,
        "plain_processes": plain, "plain_processes_ratio": seq_wall / plain["wall_seconds"],
        "dask_vs_plain_processes": dask_wall / plain["wall_seconds"],
    }
    print(f"grid scaling: crf (paper features) x {args.strategies} x {args.seeds} seeds = {runs} runs, "
          f"pool {args.train_limit} sentences, {args.schedule}; {cores()} cores, load {load_before[0]:.1f} before")
    rows = [("sequential wall (s)", seq_wall), (f"Dask {args.workers} workers wall (s)", dask_wall),
            ("wall-time ratio (target >= 1.8)", ratio),
            ("best ratio for these run lengths", bound),
            ("mean run, sequential (s)", seq_sim.mean()), ("mean run, on Dask (s)", dask_sim.mean()),
            ("mean run CPU, sequential (s)", seq_cpu.mean()), ("mean run CPU, on Dask (s)", dask_cpu.mean()),
            ("CPU / wall of a run, sequential", seq_cpu.sum() / seq_sim.sum()),
            ("CPU / wall of a run, on Dask", dask_cpu.sum() / dask_sim.sum()),
            ("cluster start + close (s, once)", started + closed), ("scatter (s, once)", scatter),
            ("per run: in the task (s, mean)", in_task.mean()), ("per run: result back (s, mean)", back.mean()),
            ("per run: Dask overhead (s, mean)", per_run.mean()),
            ("Dask overhead, % of a run (mean)", share.mean() * 100), ("Dask overhead, % of a run (max)", share.max() * 100)]
    for k, v in rows:
        print(f"  {k:<36} {v:10.3f}")
    print(f"  {args.workers} plain processes, no Dask: wall {plain['wall_seconds']:.1f} s (ratio "
          f"{seq_wall / plain['wall_seconds']:.3f}: this machine's ceiling for the grid); Dask wall / plain wall "
          f"{dask_wall / plain['wall_seconds']:.3f}; run CPU seconds there {sum(plain['run_cpu_seconds']):.1f} "
          f"against {float(seq_cpu.sum()):.1f} sequentially")
    for name, t in timeline.items():
        print(f"  {name}: {t['runs']} runs; before its first {t['before_first']:.1f} s, busy {t['busy']:.1f} s, "
              f"between runs {t['between']:.2f} s, after its last {t['after_last']:.1f} s")
    print(f"  records identical: {same} ({n_records} records); load average {load_between[0]:.1f} before Dask, "
          f"{load_after[0]:.1f} after (a load above the core count means other work shared the cores)")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=2)
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
