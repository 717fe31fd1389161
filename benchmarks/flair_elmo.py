"""ELMo cache benchmark: epoch time of elmo-bilstm-crf with and without the ELMo vector cache.

Runs the fixture ELMo model (shared/elmo/fixture, a tiny biLM) over CoNLL-2003 training sentences.
With the cache, ELMo runs once per sentence (in the first epoch, or never when an earlier AL
iteration already embedded it); without it, ELMo runs again in every epoch. Prints a table and
writes JSON.

    python benchmarks/flair_elmo.py --sentences 500 --epochs 3 --out flair_elmo.json
"""
from __future__ import annotations

import argparse
import json
import os
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "shared"))


def run(cache: bool, train, labels, args) -> dict:
    from multitag_flair.elmo_embedding import clear_cache
    from multitag_flair.tagger import ElmoBiLSTMCRFTagger

    clear_cache()
    tagger = ElmoBiLSTMCRFTagger(
        labels=labels, seed=0, elmo_options=os.path.join(args.elmo, "options.json"),
        elmo_weights=os.path.join(args.elmo, "lm_weights.hdf5"), elmo_cache=cache, max_epochs=args.epochs,
        patience=args.epochs + 1)
    t0 = time.perf_counter()
    tagger.fit(train)
    total = time.perf_counter() - t0
    ep = tagger.history_.epoch_seconds
    later = ep[1:] or ep
    return {"cache": cache, "epoch_seconds": ep, "first_epoch": ep[0], "later_epochs_mean": sum(later) / len(later),
            "fit_seconds": total}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.path.join(SHARED, "data", "conll2003"))
    p.add_argument("--elmo", default=os.path.join(SHARED, "elmo", "fixture"))
    p.add_argument("--sentences", type=int, default=500)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default="flair_elmo.json")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    from multitag.data import load_dataset

    torch.set_num_threads(args.threads)
    data = load_dataset(args.data)
    train = data.train[: args.sentences]
    rows = [run(True, train, data.labels, args), run(False, train, data.labels, args)]
    with_c, without = rows
    ratio = without["later_epochs_mean"] / with_c["later_epochs_mean"]
    result = {"sentences": len(train), "tokens": train.n_tokens, "epochs": args.epochs, "threads": args.threads,
              "elmo": args.elmo, "runs": rows,
              "ratio_epoch_time_without_over_with_cache": ratio}
    print(f"{'ELMo cache':<12}{'epoch 1 s':>11}{'later epochs s':>16}{'fit s':>9}")
    for r in rows:
        print(f"{'on' if r['cache'] else 'off':<12}{r['first_epoch']:>11.2f}{r['later_epochs_mean']:>16.2f}{r['fit_seconds']:>9.2f}")
    print(f"epoch time without / with cache (epochs 2..): {ratio:.2f}x  ({len(train)} sentences, {train.n_tokens} tokens)")
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
