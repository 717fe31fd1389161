"""Benchmark: one AL round's pool pass against the pool's size, sequential and on 2 Dask workers.

For each pool size (synthetic pools from CoNLL-2003, :mod:`synthetic_pool`), in a fresh process per
size and mode so that peak RSS is that of the round: build the pool, train the acquisition model on
``--train-size`` CoNLL training sentences, make a warm-up round on a small pool (imports and first
calls paid once, as in a run, whose workers live for all its rounds), then time ``--repeat`` rounds'
queries (MNLP, sentence level, 1% of the pool's tokens) with the pool pass in shards of
``min(20000, max(1000, size // 8))`` sentences (20,000 is ``--shard-size``'s default):

* ``sequential``: shard after shard in this process;
* ``dask1``: the shards as tasks on a 1-worker ``LocalCluster`` (1 thread), the model shipped once a round;
* ``dask``: the same on 2 workers (1 thread each).

Every mode must choose the same sentences (checked); a mode's time is the median of its rounds. The CRF's feature cache is switched off in
every process (``cache.set_limit(0)``): each round then extracts every feature, the cost of a pool
too big for any cache, the same at every size. Reported: seconds of the pool pass and of the
selection, peak RSS of the driver and of each worker, the speed-up of 2 workers, and the exponent of
a log-log fit of pool-pass seconds against pool size. The speed-up of 2 workers is given against 1
worker (the same Dask path) and against the sequential pass.

Usage (from the repository root)::

    nice -n 5 python benchmarks/pool_scaling.py [--sizes 14000,140000] [--backend crf]
        [--repeat 3,1] [--rss-size 1000000] [--out benchmarks/results/pool_scaling.json]

``--repeat`` gives the timed rounds per size (the last value for the remaining sizes).

``--rss-size N`` adds a sequential round on an N-sentence pool whose pass covers ``--rss-fraction``
of it (``pool_subsample``): the peak RSS of holding a pool of that size through a round.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
#: the modes of each size, run in this order, and their names in the table
MODES = {"sequential": "sequential", "dask1": "1 Dask worker", "dask": "2 Dask workers"}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _backend(name: str, labels, seed: int = 0):
    from multitag import registry

    params = {"crf": dict(features="rich", cluster_sizes=(), max_iterations=50),
              "cnn-bilstm-crf": dict(max_epochs=3, embeddings="random", threads=1, predict_batch_size=256)}[name]
    return registry.create(name, labels=labels, seed=seed, **params)


def _no_feature_cache() -> None:
    try:
        from multitag_crf import cache
    except ImportError:   # pragma: no cover - the crf backend not installed
        return
    cache.clear()
    cache.set_limit(0)


def _forget_shipped_models() -> None:
    from multitag.experiments import executor_dask

    executor_dask._shipped_models.clear()


def one_round(args) -> dict:
    """The child: one round at one size in one mode; prints a JSON line."""
    sys.path.insert(0, HERE)
    import numpy as np

    from multitag.annotation.pool import Pool
    from multitag.data import load_dataset
    from multitag.loop import ActiveLearner
    from multitag.strategies import get_strategy
    from synthetic_pool import synthetic_sentences

    _no_feature_cache()
    ds = load_dataset(args.data)
    source = list(ds.train)
    t0 = time.perf_counter()
    pool = Pool(synthetic_sentences(args.size, source, seed=1))   # packed as they are made
    build = time.perf_counter() - t0
    model = _backend(args.backend, ds.labels).fit(source[: args.train_size])
    shards, cluster, client = None, None, None
    if args.mode in ("dask", "dask1"):
        import distributed

        from multitag.experiments.cluster import start_local_cluster
        from multitag.experiments.executor_dask import DaskShards

        n_workers = 2 if args.mode == "dask" else 1
        cluster = start_local_cluster(n_workers, 1, dashboard_address="127.0.0.1:0")
        client = distributed.Client(cluster)   # its workers are up
        client.run(_no_feature_cache)
        shards = DaskShards(client)
    shard_size = min(20000, max(1000, args.size // 8))
    warm = ActiveLearner(Pool(synthetic_sentences(2000, source, seed=2)), model, get_strategy("mnlp"), seed=0,
                         shard_size=250, shards=shards)
    warm.model = model
    warm.query(100, iteration=1)
    learner = ActiveLearner(pool, model, get_strategy("mnlp"), seed=0, shard_size=shard_size,
                            pool_subsample=args.subsample, shards=shards)
    learner.model = model
    budget = max(1, pool.n_tokens // 100)
    walls, passes, selects, picks = [], [], [], set()
    for _ in range(args.repeat):
        if client is not None:   # each round ships a new model in a run: no worker holds this one yet
            client.run(_forget_shipped_models)
        t0 = time.perf_counter()
        batch = learner.query(budget, iteration=1)
        walls.append(time.perf_counter() - t0)
        passes.append(learner.timings.get("predict_seconds", 0.0))
        selects.append(learner.timings.get("select_seconds", 0.0))
        picks.add(tuple(q.sentence for q in batch))
    if len(picks) != 1:
        raise SystemExit(f"size {args.size} {args.mode}: the repeated rounds chose different sentences")
    workers = {}
    if client is not None:
        workers = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        client.close()
        cluster.close()
    picked = picks.pop()
    return {"size": args.size, "mode": args.mode, "backend": args.backend, "tokens": pool.n_tokens,
            "subsample": args.subsample, "shard_size": shard_size, "build_seconds": round(build, 2),
            "round_seconds": round(float(np.median(walls)), 2),
            "pass_seconds": round(float(np.median(passes)), 2), "pass_seconds_each": [round(x, 2) for x in passes],
            "select_seconds": round(float(np.median(selects)), 3),
            "driver_rss_mb": round(_peak_rss_mb()), "worker_rss_mb": sorted(round(v) for v in workers.values()),
            "picked": len(picked), "picked_sha": int(np.int64(hash(tuple(picked)) & 0x7FFFFFFF))}


def _child(size: int, mode: str, args, subsample=None, repeat: int = 1) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--size", str(size), "--mode", mode, "--repeat", str(repeat),
           "--backend", args.backend, "--data", args.data, "--train-size", str(args.train_size)]
    if subsample is not None:
        cmd += ["--subsample", str(subsample)]
    env = dict(os.environ, PYTHONHASHSEED="0", HF_HUB_OFFLINE="1")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"size {size} {mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description="pool pass cost against pool size, sequential and on 2 Dask workers")
    ap.add_argument("--sizes", default="14000,140000")
    ap.add_argument("--backend", default="crf", choices=["crf", "cnn-bilstm-crf"])
    ap.add_argument("--data", default=os.path.join("..", "shared", "data", "conll2003"))
    ap.add_argument("--train-size", type=int, default=1000)
    ap.add_argument("--rss-size", type=int, default=0)
    ap.add_argument("--rss-fraction", type=float, default=0.02)
    ap.add_argument("--out", default=os.path.join("benchmarks", "results", "pool_scaling.json"))
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    ap.add_argument("--subsample", type=float, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--repeat", default="3,1", help="timed rounds per size (comma-separated: per size, the last for the rest)")
    args = ap.parse_args()
    if args.child:
        args.repeat = int(args.repeat)
        print(json.dumps(one_round(args)))
        return
    import numpy as np

    rows = []
    sizes = [int(s) for s in args.sizes.split(",")]
    repeats = [int(r) for r in args.repeat.split(",")]
    for k, size in enumerate(sizes):
        for mode in MODES:
            rows.append(_child(size, mode, args, repeat=repeats[min(k, len(repeats) - 1)]))
            print(json.dumps(rows[-1]), flush=True)
        if len({r["picked_sha"] for r in rows[-len(MODES):]}) != 1:
            raise SystemExit(f"size {size}: the modes chose different sentences")
    if args.rss_size:
        rows.append(_child(args.rss_size, "sequential", args, subsample=args.rss_fraction))
        print(json.dumps(rows[-1]), flush=True)
    seq = [r for r in rows if r["mode"] == "sequential" and r["subsample"] is None]
    x = np.log([r["size"] for r in seq])
    y = np.log([r["pass_seconds"] for r in seq])
    exponent = float(np.polyfit(x, y, 1)[0]) if len(seq) >= 2 else None
    lines = ["| pool sentences | tokens | shard | mode | pool pass s | selection s | 2 workers vs 1 | 2 workers vs sequential | driver peak RSS MB | worker peak RSS MB |",
             "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    by = {(r["size"], r["mode"], r["subsample"]): r for r in rows}
    for r in rows:
        vs_one = vs_seq = ""
        if r["mode"] == "dask":
            vs_one = f"{by[(r['size'], 'dask1', None)]['pass_seconds'] / r['pass_seconds']:.2f}x"
            vs_seq = f"{by[(r['size'], 'sequential', None)]['pass_seconds'] / r['pass_seconds']:.2f}x"
        mode = MODES.get(r["mode"], r["mode"]) + (f" (pass over {r['subsample']:.0%})" if r["subsample"] else "")
        if len(r.get("pass_seconds_each", [])) > 1:
            mode += f", median of {len(r['pass_seconds_each'])}"
        lines.append(f"| {r['size']:,} | {r['tokens']:,} | {r['shard_size']:,} | {mode} | {r['pass_seconds']:.1f} | "
                     f"{r['select_seconds']:.3f} | {vs_one} | {vs_seq} | {r['driver_rss_mb']:,} | "
                     f"{', '.join(f'{v:,}' for v in r['worker_rss_mb']) or '-'} |")
    table = "\n".join(lines)
    print(table)
    print(f"cost exponent of the pool pass (log-log fit, sequential): {exponent:.3f}" if exponent else "")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump({"rows": rows, "exponent": exponent, "table": table, "backend": args.backend,
                   "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}, fh, indent=1)


if __name__ == "__main__":
    main()
