"""Benchmark: ``multitag project init`` of a large plain-text file, a first ``project query``
(the seed set) and a second one (a model trained on the answers scores the pool), in seconds and
peak resident memory.

For each N: write N sentences (one per line) under ``--work`` from CoNLL-2003's training
sentences, read in place; every copy of the training set after the first appends its copy number
to a quarter of its tokens (``Germany`` -> ``Germany3``), so that the text is not N/14,041
duplicates of the same lines. Then run, each as a subprocess of its own (peak RSS from
``os.wait4``, the child's own ``ru_maxrss``):

1. ``multitag project init P --text FILE --labels PER,LOC,ORG,MISC`` (spaCy's tokenizer, the default);
2. ``multitag project query P --budget 500 --format jsonl --out batch.jsonl`` (the seed set);
3. ``multitag serve``'s queue on P (:class:`multitag.serve.queue.AnnotationQueue`, as the page
   calls it): an annotator's first task, then the queue's status three times;
4. ``multitag project import P answers.jsonl``: the seed batch answered by a scripted annotator
   (a capitalised token after the first is part of a MISC entity, every other token is ``O``:
   what is measured is the memory and time of a round, not the model's quality);
5. ``multitag project query P --budget 500``: the store replayed into the pool, the project's model
   (the CRF with its defaults, word clusters from the whole pool included) trained on the answers,
   the pool pass over every sentence, the selection.

Prints a markdown table (N, step, seconds, peak RSS MB, store MB) and writes JSON.

Usage (from the repository root)::

    nice -n 10 python benchmarks/project_scale.py [--sizes 100000,1000000]
        [--data ../shared/data/conll2003] [--work /tmp/multitag-project-scale]
        [--out benchmarks/results/project_scale.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time


#: step 3, run as ``python -c QUEUE PROJECT``
QUEUE = """
import sys
from multitag.serve.queue import AnnotationQueue
queue = AnnotationQueue(sys.argv[1])
task = queue.next("bench")
assert task is not None and task["round_kind"] == "seed", task
for _ in range(3):
    status = queue.status("bench")
assert status["queue_tasks"] > 0 and status["pool_tokens"] > 0, status
"""


def training_sentences(data: str) -> list[list[str]]:
    """The token lists of CoNLL-2003's training split (read in place)."""
    from multitag.data import load_dataset

    return [list(s.tokens) for s in load_dataset(data).train if len(s)]


def write_text(sentences: list[list[str]], n: int, path: str) -> None:
    """``n`` lines: the training sentences over and over, copy ``c > 0`` with ``c`` appended to
    every token ``j`` where ``(j + c) % 4 == 0``."""
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            c, tokens = i // len(sentences), sentences[i % len(sentences)]
            if c:
                tokens = [t + str(c) if (j + c) % 4 == 0 else t for j, t in enumerate(tokens)]
            fh.write(" ".join(tokens) + "\n")


def scripted_answers(batch: str, out: str) -> None:
    """Answer every token of a JSONL batch: capitalised tokens after the first are MISC, the rest O."""
    with open(batch, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as g:
        for line in f:
            d = json.loads(line)
            tags, inside = [], False
            for j, t in enumerate(d["tokens"]):
                entity = j > 0 and t[:1].isupper()
                tags.append(("I-MISC" if inside else "B-MISC") if entity else "O")
                inside = entity
            d["tags"], d["annotator"] = tags, "bench"
            g.write(json.dumps(d, ensure_ascii=False) + "\n")


def timed(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd`` (its output into a temporary file); its wall seconds and peak RSS in MB. Fails
    loudly when it fails."""
    with tempfile.TemporaryFile() as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            log.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed:\n{log.read().decode(errors='replace')}")
    return seconds, usage.ru_maxrss / 1024   # ru_maxrss is in KiB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description="project init and a first query of N sentences: seconds, peak RSS")
    ap.add_argument("--sizes", default="100000,1000000", help="comma-separated numbers of sentences")
    ap.add_argument("--data", default=os.path.join("..", "shared", "data", "conll2003"))
    ap.add_argument("--work", default="/tmp/multitag-project-scale", help="where the text files and projects go")
    ap.add_argument("--budget", type=int, default=500)
    ap.add_argument("--out", default=os.path.join("benchmarks", "results", "project_scale.json"))
    args = ap.parse_args()

    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    os.makedirs(args.work, exist_ok=True)
    sentences = training_sentences(args.data)
    multitag = [sys.executable, "-m", "multitag"]
    rows = []
    for n in sizes:
        text = os.path.join(args.work, f"text-{n}.txt")
        project = os.path.join(args.work, f"project-{n}")
        write_text(sentences, n, text)
        shutil.rmtree(project, ignore_errors=True)
        s_init, mb_init = timed(multitag + ["project", "init", project, "--text", text, "--labels", "PER,LOC,ORG,MISC"])
        store_mb = os.path.getsize(os.path.join(project, "project.sqlite")) / 2**20
        batch = os.path.join(args.work, f"batch-{n}.jsonl")
        s_query, mb_query = timed(multitag + ["project", "query", project, "--budget", str(args.budget), "--format",
                                              "jsonl", "--out", batch, "--quiet"])
        with open(batch, encoding="utf-8") as fh:
            tasks = sum(1 for _ in fh)
        s_queue, mb_queue = timed([sys.executable, "-c", QUEUE, project])
        answers = os.path.join(args.work, f"answers-{n}.jsonl")
        scripted_answers(batch, answers)
        s_import, mb_import = timed(multitag + ["project", "import", project, answers])
        second = os.path.join(args.work, f"batch2-{n}.jsonl")
        s_model, mb_model = timed(multitag + ["project", "query", project, "--budget", str(args.budget), "--format",
                                              "jsonl", "--out", second, "--quiet"])
        with open(second, encoding="utf-8") as fh:
            model_tasks = sum(1 for _ in fh)
        rows.append({"sentences": n, "text_mb": os.path.getsize(text) / 2**20, "store_mb": store_mb,
                     "init_seconds": s_init, "init_peak_rss_mb": mb_init, "query_seconds": s_query,
                     "query_peak_rss_mb": mb_query, "seed_tasks": tasks, "queue_seconds": s_queue,
                     "queue_peak_rss_mb": mb_queue, "import_seconds": s_import, "import_peak_rss_mb": mb_import,
                     "model_query_seconds": s_model, "model_query_peak_rss_mb": mb_model, "model_tasks": model_tasks})
        shutil.rmtree(project, ignore_errors=True)
        os.remove(text)
    print("| sentences | step | seconds | peak RSS MB | store MB |")
    print("|---:|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['sentences']:,} | `project init` | {r['init_seconds']:.1f} | {r['init_peak_rss_mb']:.0f} | "
              f"{r['store_mb']:.0f} |")
        print(f"| {r['sentences']:,} | first `project query` (seed set, {r['seed_tasks']} tasks) | "
              f"{r['query_seconds']:.1f} | {r['query_peak_rss_mb']:.0f} | |")
        print(f"| {r['sentences']:,} | `serve` queue: a first task, 3 statuses | {r['queue_seconds']:.1f} | "
              f"{r['queue_peak_rss_mb']:.0f} | |")
        print(f"| {r['sentences']:,} | `project import` of the answered seed set | {r['import_seconds']:.1f} | "
              f"{r['import_peak_rss_mb']:.0f} | |")
        print(f"| {r['sentences']:,} | second `project query` (CRF trained, whole pool scored, {r['model_tasks']} tasks) | "
              f"{r['model_query_seconds']:.1f} | {r['model_query_peak_rss_mb']:.0f} | |")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump({"machine": platform.platform(), "cpus": os.cpu_count(), "budget": args.budget, "rows": rows}, fh,
                  indent=2)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
