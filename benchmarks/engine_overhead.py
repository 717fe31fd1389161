"""Share of an AL simulation's wall time spent outside backend fit/predict (selection, bookkeeping,
evaluation arithmetic, I/O). Target: under 2%.

    python benchmarks/engine_overhead.py [--data ../shared/data/conll2003] [--train-limit 4000]

Runs a short CRF simulation (MNLP, so the pool is predicted every iteration) with every backend
call timed, then prints a table and writes JSON.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
import time

import multitag.experiments.runner as runner_module
import multitag.report as report_module
from multitag import registry
from multitag.experiments.config import ExperimentConfig
from multitag.experiments.runner import run_experiment


def _timed(owner, name: str, bucket: dict, key: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*a, **kw):
        t0 = time.perf_counter()
        try:
            return original(*a, **kw)
        finally:
            bucket[key] += time.perf_counter() - t0

    setattr(owner, name, wrapper)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "conll2003"))
    ap.add_argument("--backend", default="crf")
    ap.add_argument("--strategy", default="mnlp")
    ap.add_argument("--train-limit", type=int, default=4000)
    ap.add_argument("--schedule", default="2%x8")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "engine_overhead.json"))
    args = ap.parse_args()

    cls = registry.resolve(args.backend).cls
    backend_seconds = {"fit": 0.0, "predict": 0.0, "sample": 0.0, "observe_unlabeled": 0.0}
    originals = {}
    for name in backend_seconds:
        original = getattr(cls, name)
        originals[name] = original

        @functools.wraps(original)
        def timed(self, *a, __name=name, __orig=original, **kw):
            t0 = time.perf_counter()
            try:
                return __orig(self, *a, **kw)
            finally:
                backend_seconds[__name] += time.perf_counter() - t0

        setattr(cls, name, timed)
    fixed = {"load data": 0.0, "write report": 0.0}
    _timed(runner_module, "load_data", fixed, "load data")
    _timed(report_module, "write_report", fixed, "write report")
    config = ExperimentConfig(data=args.data, backends=[args.backend], strategies=[args.strategy], seeds=[0],
                              initial_size="2%", schedule=args.schedule, valid="none", train_limit=args.train_limit)
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        result = run_experiment(config, out, progress=False)
        report_module.write_report(out, data=result["dataset"])
        wall = time.perf_counter() - t0
    for name, original in originals.items():
        setattr(cls, name, original)
    inside = sum(backend_seconds.values())
    share = (wall - inside) / wall
    loop = wall - sum(fixed.values())
    loop_share = (loop - inside) / loop
    rows = [("wall time (s)", wall), *((f"backend {k} (s)", v) for k, v in backend_seconds.items()),
            *((f"once per command: {k} (s)", v) for k, v in fixed.items()),
            ("outside the backend (s)", wall - inside), ("share outside the backend", share),
            ("share of the AL loop", loop_share)]
    print(f"engine overhead: {args.backend} + {args.strategy}, pool of {args.train_limit} sentences, schedule {args.schedule}")
    for k, v in rows:
        print(f"  {k:<34} {v:10.4f}" if "share" not in k else f"  {k:<34} {v * 100:9.2f}%")
    print("  (the share of the AL loop leaves out loading the data set and drawing the report, which are paid"
          " once per command; target < 2%)")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump({"backend": args.backend, "strategy": args.strategy, "train_limit": args.train_limit,
                   "schedule": args.schedule, "wall_seconds": wall, "backend_seconds": backend_seconds,
                   "once_per_command_seconds": fixed, "share_outside_backend": share,
                   "share_of_loop_outside_backend": loop_share}, fh, indent=2)
    sys.exit(0)


if __name__ == "__main__":
    main()
