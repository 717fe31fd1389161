"""Incremental training between AL rounds (paper 002) against training from scratch, side by side.

    python benchmarks/incremental.py [--data ../shared/data/conll2003] [--pool 3000] [--seeds 2]
        [--models cnn-bilstm-crf,bilstm] [--incremental-epochs 5] [--variant PARAM=VALUE,...] [--threads 2]

For each model: the same AL comparison (MNLP, 2% seed + 2% x 8 on the first POOL training
sentences, evaluated on the test split) from scratch, then with `--incremental` once per variant:
each round continues from the previous weights for at most INCREMENTAL_EPOCHS epochs, or with the
warm-fit parameters of a `--variant` (e.g. `--variant incremental_epochs=30,warm_lr=0.05,warm_patience=8,warm_dev=500`;
values are JSON: numbers, true/false, null); a `--scratch-variant` adds a from-scratch arm with other
parameters (e.g. `--scratch-variant dev_limit=500`, to tell what a variant owes to its dev sample).
Ratios and differences are against the first, default, from-scratch arm. Prints the total wall-time ratio (target: incremental
<= 0.35x) and the AULC difference (target: within 0.01), and writes JSON to
benchmarks/results/incremental.json. All runs of a model are made one after the other in one
process, so they see the same machine load.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_variant(text: str) -> dict:
    """``"incremental_epochs=30,warm_patience=2"`` -> ``{"incremental_epochs": 30, "warm_patience": 2}``."""
    params = {}
    for item in (i.strip() for i in text.split(",") if i.strip()):
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--variant {text!r}: {item!r} is not PARAM=VALUE")
        try:
            params[name.strip()] = json.loads(value)
        except json.JSONDecodeError:
            raise SystemExit(f"--variant {text!r}: {value!r} is not a JSON value") from None
    return params


def run(data: str, model: str, *, pool: int, seeds: list[int], incremental: bool, warm: dict, threads: int,
        schedule: str, out: str) -> dict:
    from multitag.experiments.config import ExperimentConfig
    from multitag.experiments.results import ResultsStore
    from multitag.experiments.runner import run_experiment
    from multitag.report.summary import curves

    params = {"threads": threads, **warm}
    config = ExperimentConfig(data=data, backends=[model], strategies=["mnlp"], seeds=seeds,
                              initial_size="2%", schedule=schedule, valid="dev", train_limit=pool,
                              incremental=incremental, params={model: params})
    t0, c0 = time.perf_counter(), time.process_time()
    run_experiment(config, out, progress=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    records = ResultsStore(os.path.join(out, "results.jsonl")).load()
    (curve,) = curves(records)
    train = sum(r.train_seconds for r in records)
    return {"model": model, "incremental": incremental, "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
            "train_seconds": round(train, 1),
            "aulc": curve.aulc, "aulc_std": curve.aulc_std, "final_f1": curve.f1_mean[-1],
            "f1": [round(f, 4) for f in curve.f1_mean], "tokens_fraction": [round(x, 4) for x in curve.fraction_mean]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data", "conll2003"))
    ap.add_argument("--pool", type=int, default=3000)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--first-seed", type=int, default=0, help="the seeds are FIRST_SEED .. FIRST_SEED + SEEDS - 1")
    ap.add_argument("--models", default="cnn-bilstm-crf,bilstm")
    ap.add_argument("--schedule", default="2%x8")
    ap.add_argument("--incremental-epochs", default="5",
                    help="epoch limit of each warm fit (early stopping on dev still applies); a comma-separated list "
                         "runs one incremental variant per value ('' : none)")
    ap.add_argument("--variant", action="append", default=[],
                    help="an incremental variant: comma-separated warm-fit parameters PARAM=VALUE (repeatable)")
    ap.add_argument("--scratch-variant", action="append", default=[],
                    help="a further from-scratch arm: comma-separated parameters PARAM=VALUE (repeatable)")
    ap.add_argument("--reuse-scratch", default=None,
                    help="take the from-scratch runs from this earlier JSON output instead of running them again "
                         "(the ratios then compare runs made at different times: prefer the CPU-time ratio)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "incremental.json"))
    args = ap.parse_args()
    variants = [f"incremental_epochs={int(e)}" for e in str(args.incremental_epochs).split(",") if e.strip()]
    variants += args.variant
    reused = {}
    if args.reuse_scratch:
        with open(args.reuse_scratch) as fh:
            reused = {r["model"]: r for r in json.load(fh)["runs"] if not r["incremental"] and "variant" not in r}
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    rows = []
    with tempfile.TemporaryDirectory(prefix="multitag-incremental-") as tmp:
        for model in [m.strip() for m in args.models.split(",") if m.strip()]:
            if model in reused:
                rows.append({**reused[model], "reused": True})
            else:
                print(f"{model}: from scratch ...", file=sys.stderr, flush=True)
                rows.append(run(args.data, model, pool=args.pool, seeds=seeds, incremental=False, warm={},
                                threads=args.threads, schedule=args.schedule, out=os.path.join(tmp, f"{model}-scratch")))
            for i, variant in enumerate(args.scratch_variant):
                print(f"{model}: from scratch, {variant} ...", file=sys.stderr, flush=True)
                rows.append({**run(args.data, model, pool=args.pool, seeds=seeds, incremental=False,
                                   warm=parse_variant(variant), threads=args.threads, schedule=args.schedule,
                                   out=os.path.join(tmp, f"{model}-scratch{i}")),
                             "variant": variant})
            for i, variant in enumerate(variants):
                print(f"{model}: incremental, {variant} ...", file=sys.stderr, flush=True)
                rows.append({**run(args.data, model, pool=args.pool, seeds=seeds, incremental=True,
                                   warm=parse_variant(variant), threads=args.threads, schedule=args.schedule,
                                   out=os.path.join(tmp, f"{model}-inc{i}")),
                             "variant": variant})
    print(f"\nMNLP, 2% seed + {args.schedule}, pool {args.pool} sentences, seeds {seeds}\n")
    print("| model | training | wall s | CPU s | AULC | final F1 | wall ratio | CPU ratio | AULC difference |")
    print("|---|---|---|---|---|---|---|---|---|")
    summary = []
    scratch = None
    for r in rows:
        if not r["incremental"] and "variant" not in r:
            scratch = r
            note = " (earlier run)" if r.get("reused") else ""
            print(f"| {r['model']} | from scratch{note} | {r['wall_seconds']:.0f} | {r['cpu_seconds']:.0f} | "
                  f"{r['aulc']:.4f} ± {r['aulc_std']:.4f} | {r['final_f1']:.4f} | 1.00x | 1.00x | |")
            continue
        ratio = r["wall_seconds"] / scratch["wall_seconds"]
        cpu_ratio = r["cpu_seconds"] / max(scratch["cpu_seconds"], 1e-9)
        diff = r["aulc"] - scratch["aulc"]
        kind = "incremental" if r["incremental"] else "from scratch"
        summary.append({"model": r["model"], "incremental": r["incremental"], "variant": r.get("variant"),
                        "wall_ratio": round(ratio, 3), "cpu_ratio": round(cpu_ratio, 3), "aulc_difference": round(diff, 4),
                        "wall_target_met": ratio <= 0.35 if r["incremental"] else None,
                        "aulc_target_met": diff >= -0.01 if r["incremental"] else None,
                        "side_by_side": not scratch.get("reused")})
        print(f"| {r['model']} | {kind}, {r.get('variant')} | {r['wall_seconds']:.0f} | "
              f"{r['cpu_seconds']:.0f} | {r['aulc']:.4f} ± {r['aulc_std']:.4f} | {r['final_f1']:.4f} | "
              f"{ratio:.2f}x | {cpu_ratio:.2f}x | {diff:+.4f} |")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump({"args": vars(args), "runs": rows, "summary": summary}, fh, indent=2)
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(HERE, ".."))
    main()
