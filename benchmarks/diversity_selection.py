"""Selection time and peak memory of Core-set, BADGE and W-BADGE on a CoNLL-2003-sized pool.

Synthetic data: 14,000 candidate sentences with CoNLL-like lengths (mean about 14.5 tokens),
384-d float32 hidden states per token (MiniLM width) and 9-label marginals, so the gradient
embeddings are 9 x 384 = 3,456-d; Core-set also gets the hidden states of a labeled set of 2% of the
sentences. Each strategy selects 2% of the pool's tokens.

Every strategy runs in its own fresh process (the data are rebuilt there from the same seed, not
timed) so that its ``ru_maxrss`` delta is its own. Measured per strategy:

* ``time_s``: wall time of ``strategy.select(ctx, budget)``, including the embeddings;
* ``tracemalloc_peak_mb``: peak of Python/numpy allocations during ``select`` (a second run under
  ``tracemalloc``, which also reports numpy buffers);
* ``maxrss_delta_mb``: growth of the process's peak resident set size during the timed run.

Usage::

    nice -n 5 python benchmarks/diversity_selection.py [--n 14000] [--json /tmp/diversity_selection.json]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np

from multitag.backend import Prediction
from multitag.strategies.base import QueryContext
from multitag.strategies.diversity import BADGE, WBADGE, CoreSet

STRATEGIES = {"coreset": CoreSet, "badge": BADGE, "wbadge": WBADGE}
TARGET_S, TARGET_MB = 10.0, 2048.0


def conll_like_lengths(n: int, rng: np.random.Generator) -> np.ndarray:
    """Sentence lengths shaped like CoNLL-2003 train: many short lines, a long tail, mean ~14.5."""
    lengths = np.rint(rng.gamma(shape=1.1, scale=12.3, size=n)).astype(np.int64) + 1
    return np.clip(lengths, 1, 113)


def synthetic_pool(n: int, d: int, n_labels: int, labeled_frac: float, seed: int):
    """Predictions (hidden (n_i, d) float32, softmax marginals (n_i, L)), lengths, labeled hidden."""
    rng = np.random.default_rng(seed)
    lengths = conll_like_lengths(n, rng)
    preds = []
    for k in lengths:
        k = int(k)
        h = rng.standard_normal((k, d), dtype=np.float32)
        z = rng.standard_normal((k, n_labels), dtype=np.float32) * 3.0
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        preds.append(Prediction(tags=["O"] * k, marginals=p, logprob=float(np.log(p.max(1)).sum()), hidden=h))
    n_lab = max(1, int(round(labeled_frac * n)))
    labeled = [rng.standard_normal((int(k), d), dtype=np.float32) for k in conll_like_lengths(n_lab, rng)]
    return preds, lengths, labeled


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # Linux: KiB


def measure_one(name: str, args) -> dict:
    preds, lengths, labeled = synthetic_pool(args.n, args.dim, args.labels, args.labeled, args.seed)
    budget = int(round(args.fraction * lengths.sum()))

    def ctx():
        return QueryContext(lengths=lengths, rng=np.random.default_rng(args.seed), predictions=preds,
                            labeled_hidden=labeled)

    strategy = STRATEGIES[name]()
    rss0 = _maxrss_mb()
    t0 = time.perf_counter()
    picks = strategy.select(ctx(), budget)
    elapsed = time.perf_counter() - t0
    rss_delta = _maxrss_mb() - rss0
    tracemalloc.start()
    picks2 = strategy.select(ctx(), budget)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert picks2 == picks, "selection is not reproducible under the same seed"
    assert len(set(picks)) == len(picks)
    return {
        "strategy": name, "n_sentences": args.n, "n_tokens": int(lengths.sum()),
        "mean_length": float(lengths.mean()), "hidden_dim": args.dim, "labels": args.labels,
        "embedding_dim": args.dim * args.labels if name != "coreset" else args.dim,
        "n_labeled": len(labeled) if name == "coreset" else 0,
        "budget_tokens": budget, "picked_sentences": len(picks), "picked_tokens": int(lengths[picks].sum()),
        "time_s": elapsed, "tracemalloc_peak_mb": peak / 2**20, "maxrss_delta_mb": rss_delta,
        "maxrss_mb": _maxrss_mb(),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=14000, help="candidate sentences")
    ap.add_argument("--dim", type=int, default=384, help="hidden width d")
    ap.add_argument("--labels", type=int, default=9, help="number of labels L")
    ap.add_argument("--fraction", type=float, default=0.02, help="share of the pool's tokens to select")
    ap.add_argument("--labeled", type=float, default=0.02, help="labeled set (Core-set), as a share of --n")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default="/tmp/diversity_selection.json", help="where to write the results")
    ap.add_argument("--only", choices=sorted(STRATEGIES), help=argparse.SUPPRESS)  # child process mode
    args = ap.parse_args(argv)

    if args.only:
        print(json.dumps(measure_one(args.only, args)))
        return 0

    rows = []
    for name in STRATEGIES:
        cmd = [sys.executable, os.path.abspath(__file__), "--only", name] + [
            f"--{k}={getattr(args, k)}" for k in ("n", "dim", "labels", "fraction", "labeled", "seed")]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))

    r0 = rows[0]
    print(f"pool: {r0['n_sentences']} sentences, {r0['n_tokens']} tokens (mean length {r0['mean_length']:.2f}), "
          f"d={args.dim}, L={args.labels}; budget {r0['budget_tokens']} tokens ({args.fraction:.0%}); "
          f"Core-set labeled set {rows[0]['n_labeled']} sentences")
    print(f"{'strategy':<9} {'emb dim':>7} {'picked':>7} {'tokens':>7} {'time s':>7} {'tracemalloc MB':>15} "
          f"{'maxrss delta MB':>16}  target (<{TARGET_S:.0f} s, <{TARGET_MB:.0f} MB)")
    ok = True
    for r in rows:
        good = r["time_s"] < TARGET_S and max(r["tracemalloc_peak_mb"], r["maxrss_delta_mb"]) < TARGET_MB
        ok &= good
        print(f"{r['strategy']:<9} {r['embedding_dim']:>7} {r['picked_sentences']:>7} {r['picked_tokens']:>7} "
              f"{r['time_s']:>7.2f} {r['tracemalloc_peak_mb']:>15.1f} {r['maxrss_delta_mb']:>16.1f}  "
              f"{'met' if good else 'MISSED'}")
    with open(args.json, "w") as f:
        json.dump({"results": rows, "target": {"time_s": TARGET_S, "memory_mb": TARGET_MB}, "all_met": ok}, f, indent=2)
    print(f"wrote {args.json}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
