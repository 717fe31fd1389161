"""Benchmark: CRF pool marginals on a second visit (cached features) vs plain sklearn-crfsuite.

One run: train one CRF (multitag backend ``crf``) on the first ``--train-size`` sentences of the
train split, with the whole train split as the unlabeled pool. Then time

(a) multitag: ``predict`` on the whole pool a second time (features come from the cache, as in
    every AL iteration after the first), giving marginals, Viterbi tags and log-probabilities;
(b) sklearn-crfsuite: ``CRF.predict_marginals`` on freshly extracted features of the same pool
    (the same feature function, the same model file).

Both must give the same marginals. Prints a table and the ratio (b)/(a) and writes JSON.

Usage (from the repository root)::

    nice -n 5 python benchmarks/crf_predict.py [--data ../shared/data/conll2003] [--train-size 2000]
        [--features rich] [--out benchmarks/results/crf_predict.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description="CRF pool prediction: cached multitag backend vs sklearn-crfsuite")
    ap.add_argument("--data", default=os.path.join("..", "shared", "data", "conll2003"))
    ap.add_argument("--train-size", type=int, default=2000)
    ap.add_argument("--features", default="rich", choices=["rich", "paper"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=os.path.join("benchmarks", "results", "crf_predict.json"))
    args = ap.parse_args()

    import sklearn_crfsuite

    from multitag import registry
    from multitag.data import load_dataset
    from multitag.data.sentence import Corpus
    from multitag_crf import cache

    ds = load_dataset(args.data)
    pool = Corpus([s.unlabeled() for s in ds.train], name="pool")
    labels = ds.labels
    tagger = registry.create("crf", labels=labels, seed=args.seed, features=args.features)
    t0 = time.perf_counter()
    tagger.observe_unlabeled(pool)
    tagger.fit(ds.train[: args.train_size])
    t_fit = time.perf_counter() - t0

    t0 = time.perf_counter()
    tagger.predict(pool)                                   # first visit: extracts and caches
    t_first = time.perf_counter() - t0
    misses = cache.stats()["misses"]
    t0 = time.perf_counter()
    ours = tagger.predict(pool)                            # (a) second visit
    t_ours = time.perf_counter() - t0
    assert cache.stats()["misses"] == misses, "the second visit extracted features again"

    with tempfile.TemporaryDirectory() as tmp:
        tagger.save(tmp)
        crf = sklearn_crfsuite.CRF(model_filename=os.path.join(tmp, "model.crfsuite"))
        t0 = time.perf_counter()
        X = [tagger.extract(s) for s in pool]              # (b) fresh features ...
        theirs = crf.predict_marginals(X)                  # ... and sklearn-crfsuite's marginals
        t_theirs = time.perf_counter() - t0
        crf.tagger_.close()

    max_diff = 0.0
    for p, m in zip(ours, theirs):
        ref = np.array([[row.get(y, 0.0) for y in labels] for row in m])
        if len(ref):
            max_diff = max(max_diff, float(np.abs(ref - p.marginals).max()))
    n_tokens = pool.n_tokens
    result = {
        "data": args.data, "features": args.features, "train_sentences": min(args.train_size, len(ds.train)),
        "pool_sentences": len(pool), "pool_tokens": n_tokens, "labels": len(labels),
        "fit_seconds": round(t_fit, 2), "first_visit_seconds": round(t_first, 2),
        "multitag_second_visit_seconds": round(t_ours, 2), "sklearn_crfsuite_seconds": round(t_theirs, 2),
        "speedup": round(t_theirs / t_ours, 2), "max_abs_marginal_diff": max_diff,
        "feature_cache": cache.stats(),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "python": platform.python_version(), "cpu_count": os.cpu_count(),
    }
    rows = [("fit (train subset)", t_fit), ("multitag predict, first visit", t_first),
            ("(a) multitag predict, second visit", t_ours), ("(b) sklearn-crfsuite extract + predict_marginals", t_theirs)]
    print(f"pool: {len(pool)} sentences, {n_tokens} tokens; features={args.features}")
    print(f"{'step':<50} {'seconds':>9} {'tokens/s':>10}")
    for i, (name, t) in enumerate(rows):
        rate = "-" if i == 0 else f"{n_tokens / t:.0f}"
        print(f"{name:<50} {t:9.2f} {rate:>10}")
    print(f"speedup (b)/(a): {result['speedup']:.2f}x; max |marginal difference|: {max_diff:.2e}")
    if max_diff > 1e-9:
        raise SystemExit(f"the two marginals differ by {max_diff}")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
