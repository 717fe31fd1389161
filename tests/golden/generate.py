"""Produce the golden records of the engine (``tests/golden/*.jsonl``).

The files were written by this script on the code *before* the engine refactor of issue 11 and
committed; ``tests/core/engine/test_golden.py`` and ``tests/backends/crf/test_crf_golden.py`` check
that the engine still writes identical records (selected ids, tokens, accounting, F1). Run it again
only when a change of results is intended and explained::

    python tests/golden/generate.py
"""
from __future__ import annotations

import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "..", "shared", "data", "conll2003")

# the fields every record is compared on: what was selected, how much it cost, what it scored
STABLE = ("backend", "strategy", "seed", "level", "training_mode", "initial", "role", "model", "iteration",
          "tokens_annotated", "tokens_fraction", "sentences_annotated", "entities_annotated", "estimated_seconds",
          "train_sentences", "valid_sentences", "precision", "recall", "f1", "per_type", "budget", "selected",
          "selected_tokens", "queried_tokens", "initial_selected")


def stable(record: dict) -> dict:
    return {k: record[k] for k in STABLE if k in record}


def count_data(folder: str) -> str:
    """The synthetic data of the count-baseline runs (deterministic)."""
    from multitag.data.writers import write_conll
    from multitag.testing import synthetic_corpus

    write_conll(synthetic_corpus(120, seed=10, prefix="train"), os.path.join(folder, "train.txt"))
    write_conll(synthetic_corpus(30, seed=11, prefix="dev"), os.path.join(folder, "dev.txt"))
    write_conll(synthetic_corpus(40, seed=12, prefix="test"), os.path.join(folder, "test.txt"))
    return folder


def conll_subset(folder: str, conll: str = SHARED) -> str:
    """The first 300 / 100 / 300 sentences of CoNLL-2003 train / dev / test (POS kept)."""
    from multitag.data import load_dataset
    from multitag.data.writers import write_conll

    ds = load_dataset(conll)
    write_conll(ds.train[:300], os.path.join(folder, "train.txt"))
    write_conll(ds.dev[:100], os.path.join(folder, "dev.txt"))
    write_conll(ds.test[:300], os.path.join(folder, "test.txt"))
    return folder


COUNT_CONFIGS = {
    # name -> ExperimentConfig fields (data filled in)
    "count-entity-token": dict(backends=["count"], strategies=["bt", "random", "tlc-sum"], seeds=[0, 1],
                               levels=["entity", "token"], training_modes=["mask", "drop"],
                               initial_size="10%", schedule="4%x3", valid="none"),
    "count-sentence": dict(backends=["count"], strategies=["mnlp", "bt-mean", "random"], seeds=[0],
                           initial_size="10%", schedule="5%x3", valid="25%", successors=["count"]),
}
CRF_CONFIG = dict(backends=["crf"], strategies=["mnlp", "random", "lc"], seeds=[0], initial_size="5%",
                  schedule="4%x4", valid="dev", params={"crf": {"features": "paper"}})


def run(config_fields: dict, data: str, out: str) -> list[dict]:
    from multitag.experiments.config import ExperimentConfig
    from multitag.experiments.results import ResultsStore
    from multitag.experiments.runner import run_experiment

    config = ExperimentConfig(data=data, **config_fields)
    run_experiment(config, out, progress=False)
    return [stable(r if isinstance(r, dict) else r.to_json())  # dicts before the typed records of issue 11
            for r in ResultsStore(os.path.join(out, "results.jsonl")).load()]


def write(records: list[dict], path: str) -> None:
    with open(path, "w") as fh:
        for r in records:
            fh.write(json.dumps(r, sort_keys=True) + "\n")


def main() -> None:
    from multitag import registry
    from multitag.baseline import CountTagger

    with tempfile.TemporaryDirectory() as tmp, registry.registered("count", CountTagger):
        data = count_data(os.path.join(tmp, "count-data"))
        for name, fields in COUNT_CONFIGS.items():
            write(run(fields, data, os.path.join(tmp, name)), os.path.join(HERE, f"{name}.jsonl"))
        crf_data = conll_subset(os.path.join(tmp, "crf-data"))
        write(run(CRF_CONFIG, crf_data, os.path.join(tmp, "crf")), os.path.join(HERE, "crf-sentence.jsonl"))
    print("golden files written to", HERE, file=sys.stderr)


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(HERE, "..", ".."))
    main()
