"""Benchmark of the torch taggers on CoNLL-2003 (a subset by default; the output says which).

For each tagger: seconds per training epoch; sentences per second of ``predict`` (Viterbi / greedy
path + marginals + log P(path)) against best-path decoding alone (``predict_tags``) and their ratio
(target: marginals cost at most 1.5x); the time of ``sample(n_samples=10)`` per MC mode relative
to ``predict`` (``last``: the encoder runs once, only the last layer or the greedy decoder per
sample). predict, predict_tags and the sample modes run alternately ``--repeat`` times and the best
time of each is kept, so the ratios compare runs under the same load. Prints a table and writes JSON.

    python benchmarks/torch_taggers.py --data ../shared/data/conll2003 --train-size 2000 \
        --test-size 1000 --epochs 1 --threads 1 --json /tmp/torch_taggers.json

With ``--incremental R1,R2,K`` it also measures an AL round the two ways: after a fit on the first
R1 training sentences, a fit on the first R2 from scratch (``--epochs``) against a warm fit
(``warm_start=True, incremental_epochs=K``): seconds and test F1 of each.

With ``--full-cnn-bilstm-crf`` it runs the quality check instead: cnn-bilstm-crf on all of
CoNLL-2003 (FastText vectors trained on the train text, dev for annealing), test F1.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _time(fn, repeat: int = 1) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


CLOCK = time.perf_counter  # --clock cpu: time.process_time


def best_times(fns: dict, repeats: int) -> dict[str, tuple[float, object]]:
    """Best time (``CLOCK``) and last result of each function, the functions run alternately."""
    best = {k: (float("inf"), None) for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t = CLOCK()
            out = fn()
            d = CLOCK() - t
            best[k] = (min(best[k][0], d), out)
    return best


def incremental_round(name: str, ds, spec: str, args) -> dict:
    """One AL round on the first R2 training sentences after a fit on the first R1: from scratch vs warm."""
    from multitag import registry
    from multitag.evaluation import evaluate

    r1, r2, k = (int(x) for x in spec.split(","))
    pool = [s.unlabeled() for s in ds.train]
    test = ds.test if args.test_size <= 0 else ds.test[: args.test_size]
    out = {"tagger": name, "round1": r1, "round2": r2, "incremental_epochs": k, "epochs": args.epochs}
    for how in ("scratch", "warm"):
        t = registry.create(name, labels=ds.labels, seed=0, max_epochs=args.epochs, threads=args.threads,
                            embeddings=args.embeddings, warm_start=how == "warm", incremental_epochs=k)
        t.observe_unlabeled(pool)
        t.fit(ds.train[:r1])
        t0 = time.perf_counter()
        t.fit(ds.train[:r2])
        secs = time.perf_counter() - t0
        f1 = evaluate([list(s.tags) for s in test], t.predict_tags([s.unlabeled() for s in test]))["f1"]
        out[how] = {"seconds": secs, "epochs_run": len(t.history_.epochs), "test_f1": f1}
        print(f"{name} round {r1}->{r2} {how}: {secs:.1f}s, {len(t.history_.epochs)} epochs, test F1 {f1:.4f}",
              flush=True)
    out["speedup"] = out["scratch"]["seconds"] / out["warm"]["seconds"]
    return out


def full_cnn_bilstm_crf(data: str, out_json: str, threads: int, max_seconds: float | None, max_epochs: int = 30) -> int:
    """The quality run: cnn-bilstm-crf on all of CoNLL-2003 train, dev for annealing / model
    selection, FastText vectors trained on the train text, evaluated on test."""
    from multitag.data import load_dataset
    from multitag.evaluation import evaluate
    from multitag_torch.taggers import CNNBiLSTMCRFTagger

    t0 = time.time()
    ds = load_dataset(data)
    tagger = CNNBiLSTMCRFTagger(labels=ds.labels, seed=1, embeddings="train:fasttext", threads=threads,
                                max_epochs=max_epochs, max_seconds=max_seconds, progress=True)
    tagger.observe_unlabeled([s.unlabeled() for s in ds.train])
    tagger.fit(ds.train, ds.dev)
    fit_s = time.time() - t0
    pred = tagger.predict_tags([s.unlabeled() for s in ds.test])
    res = evaluate([list(s.tags) for s in ds.test], pred)
    out = {"test": res, "fit_seconds": fit_s, "epochs_run": len(tagger.history_.epochs),
           "best_epoch": tagger.history_.best_epoch, "history": tagger.history_.epochs,
           "params": {k: v for k, v in tagger.get_params().items() if k != "labels"}}
    print(f"test F1 {res['f1']:.4f} after {len(tagger.history_.epochs)} epochs (best {tagger.history_.best_epoch}), "
          f"{fit_s / 60:.1f} min", flush=True)
    with open(out_json, "w") as f:
        json.dump(out, f, indent=1, default=str)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "conll2003"))
    ap.add_argument("--train-size", type=int, default=2000, help="training sentences (0 = all)")
    ap.add_argument("--test-size", type=int, default=1000, help="test sentences to predict (0 = all)")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=2, help="timing repeats for prediction (best is kept)")
    ap.add_argument("--embeddings", default="random",
                    help="embeddings parameter (default: random, for speed; the taggers' own default is train:fasttext)")
    ap.add_argument("--incremental", default=None, metavar="R1,R2,K",
                    help="also time a round on R2 sentences after R1: from scratch vs warm_start with K epochs")
    ap.add_argument("--taggers", nargs="*", default=["cnn-bilstm-crf", "cnn-cnn-lstm", "bilstm", "bilstm-encdec"])
    ap.add_argument("--json", default="torch_taggers.json")
    ap.add_argument("--full-cnn-bilstm-crf", action="store_true",
                    help="instead: train cnn-bilstm-crf on all of CoNLL-2003 (FastText vectors on the train text) "
                         "and report test F1; --max-seconds caps the training time")
    ap.add_argument("--max-seconds", type=float, default=None)
    ap.add_argument("--max-epochs", type=int, default=30, help="epochs of the full run (the paper's 30 by default)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="cpu: process CPU time for the prediction/sampling ratios, steadier on a shared CPU with --threads 1")
    args = ap.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.full_cnn_bilstm_crf:
        return full_cnn_bilstm_crf(args.data, args.json, args.threads, args.max_seconds, args.max_epochs)

    from multitag.data import load_dataset
    from multitag.evaluation import evaluate
    from multitag import registry

    ds = load_dataset(args.data)
    train = ds.train if args.train_size <= 0 else ds.train[: args.train_size]
    test = ds.test if args.test_size <= 0 else ds.test[: args.test_size]
    test_x = [s.unlabeled() for s in test]
    subset = f"train {len(train)}/{len(ds.train)} sentences, test {len(test)}/{len(ds.test)} sentences"
    print(f"CoNLL-2003 {'SUBSET: ' if len(train) < len(ds.train) or len(test) < len(ds.test) else ''}{subset}; "
          f"{args.epochs} epoch(s); threads {args.threads}", flush=True)

    rows = []
    for name in args.taggers:
        tagger = registry.create(name, labels=ds.labels, seed=0, max_epochs=args.epochs, threads=args.threads,
                                 embeddings=args.embeddings, patience=10 ** 6)
        fit_s, _ = _time(lambda: tagger.fit(train))
        epochs = len(tagger.history_.epochs)
        tagger.predict(test_x[:32])  # warm-up
        fns = {"predict": lambda: tagger.predict(test_x), "predict_tags": lambda: tagger.predict_tags(test_x)}
        for mode in type(tagger).mc_modes:
            fns[mode] = lambda mode=mode: tagger.sample(test_x, n_samples=args.samples, mode=mode)
        best = best_times(fns, args.repeat)
        (pred_s, preds), (tags_s, _) = best["predict"], best["predict_tags"]
        f1 = evaluate([list(s.tags) for s in test], [p.tags for p in preds])["f1"]
        sample = {}
        for mode in type(tagger).mc_modes:
            s_s = best[mode][0]
            sample[mode] = {"seconds": s_s, "relative_to_predict": s_s / pred_s}
        row = {"tagger": name, "epochs": epochs, "seconds_per_epoch": tagger.history_.seconds / max(epochs, 1),
               "fit_seconds_total": fit_s, "predict_sents_per_s": len(test) / pred_s,
               "decode_only_sents_per_s": len(test) / tags_s, "marginals_cost_ratio": pred_s / tags_s,
               "sample": sample, "f1_subset_model": f1}
        rows.append(row)
        print(json.dumps(row), flush=True)

    print()
    print(f"{'tagger':16s} {'s/epoch':>8s} {'pred s/s':>9s} {'decode s/s':>10s} {'marg x':>7s}  sample(n={args.samples}) / predict")
    for r in rows:
        samp = ", ".join(f"{m} {v['relative_to_predict']:.1f}x" for m, v in r["sample"].items())
        print(f"{r['tagger']:16s} {r['seconds_per_epoch']:8.1f} {r['predict_sents_per_s']:9.0f} "
              f"{r['decode_only_sents_per_s']:10.0f} {r['marginals_cost_ratio']:7.2f}  {samp}")
    print(f"({subset}; F1 of these briefly trained models is not a quality figure)")
    rounds = [incremental_round(name, ds, args.incremental, args) for name in args.taggers] if args.incremental else []
    for r in rounds:
        print(f"{r['tagger']:16s} round {r['round1']}->{r['round2']}: scratch {r['scratch']['seconds']:.1f}s "
              f"(F1 {r['scratch']['test_f1']:.3f}), warm {r['incremental_epochs']} epoch(s) {r['warm']['seconds']:.1f}s "
              f"(F1 {r['warm']['test_f1']:.3f}): {r['speedup']:.1f}x faster")
    out = {"subset": subset, "epochs": args.epochs, "threads": args.threads, "n_samples": args.samples, "clock": args.clock,
           "embeddings": args.embeddings, "python": platform.python_version(), "argv": sys.argv[1:], "rows": rows,
           "incremental_rounds": rounds}
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
