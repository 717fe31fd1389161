"""The acquisition/successor study of paper 001 (its Fig. 3) on a CoNLL-2003 pool, with and
without pseudo-labelled successors (PLASM), written to docs/results/mismatch-conll.{md,csv,png,html}.

    python benchmarks/mismatch_study.py [--data ../shared/data/conll2003] [--pool 1000] [--test 500]
        [--models crf,cnn-bilstm-crf,minilm] [--seeds 3] [--schedule 2%x8] [--successor-every 4]
        [--pseudo 20%] [--arms plain,pseudo] [--workers 2] [--max-epochs ''] [--epochs ''] [--no-reference]
        [--work runs/mismatch-study] [--docs docs/results] [--name mismatch-conll]

The distilled-acquisition case (paper 001), as run for the README (1.2 h here): ``python
benchmarks/fetch_mpnet.py`` once, then ``--models minilm,mpnet --arms plain --pool 500 --test 300
--seeds 2 --schedule 4%x4 --successor-every 2 --epochs 12 --no-reference --name mismatch-conll-mpnet
--work runs/mismatch-mpnet`` (mpnet needs the 12 epochs on sets this small; one 12-epoch fit on
120 sentences takes 10 minutes on one CPU core, so larger pools are a GPU job).

What runs (all under WORK, resumable: the same command again continues where it stopped):

* ``random``: every model chooses at random (``compare --strategies random``): each model's random
  baseline, the same for both arms;
* per arm (``plain``, ``pseudo``) and per acquisition model A: ``mismatch --acquisition A
  --successor <the other models> --strategies mnlp`` (A's own records are the native pair), with
  ``--successor-every`` and, in the ``pseudo`` arm, ``--successor-pseudo-labels``.

Every run uses the first POOL training sentences as the pool, the first TEST test sentences for
evaluation, 25% of the labeled set as validation (paper 001), a 2% token seed set and SCHEDULE
(paper 001: 2% per iteration); the random folder also trains every model once on the whole pool
(``--full-reference``) for tokens-to-95%/99%. The subsets are written under WORK/data (the shared data is read in place).
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _subsets(data: str, pool: int, test: int, folder: str) -> str:
    from multitag.data import load_dataset
    from multitag.data.writers import write_conll

    if not os.path.exists(os.path.join(folder, "test.txt")):
        ds = load_dataset(data)
        os.makedirs(folder, exist_ok=True)
        write_conll(ds.train[:pool], os.path.join(folder, "train.txt"))
        write_conll(ds.test[:test], os.path.join(folder, "test.txt"))
    return folder


def _epoch_limits(text: str, models: list[str]) -> dict[str, int]:
    """``"6"`` -> every model 6 epochs; ``"minilm=6,cnn-bilstm-crf=30"`` -> those models; 0: the model's own."""
    text = text.strip()
    if text.isdigit():
        return {m: int(text) for m in models}
    limits = {}
    for item in (i.strip() for i in text.split(",") if i.strip()):
        name, sep, value = item.partition("=")
        if not sep or not value.strip().isdigit():
            raise SystemExit(f"{text!r}: {item!r} is not MODEL=EPOCHS")
        limits[name.strip()] = int(value)
    return limits


def _params(models: list[str], max_epochs: dict[str, int], epochs: dict[str, int]) -> dict:
    """One thread per run (the runs share the cores), and the neural models' epoch limits (``max_epochs`` under
    early stopping, ``epochs`` for the transformers' fixed schedule)."""
    from multitag import registry
    from multitag.params import param_infos

    out = {}
    for m in models:
        names = {i.name for i in param_infos(registry.resolve(m).cls)}
        p = {k: v for k, v in (("threads", 1), ("max_epochs", max_epochs.get(m) or None), ("epochs", epochs.get(m) or None))
             if k in names and v is not None}
        if p:
            out[m] = p
    return out


def _run(out: str, execution, **settings) -> list:
    from multitag.experiments.config import ExperimentConfig
    from multitag.experiments.results import ResultsStore
    from multitag.experiments.runner import run_experiment
    from multitag.report import write_report

    t0 = time.perf_counter()
    result = run_experiment(ExperimentConfig(**settings), out, progress=False, execution=execution)
    write_report(out, data=result["dataset"])
    print(f"{out}: {result['runs']} runs, {result['failed']} failed, {time.perf_counter() - t0:.0f}s", flush=True)
    if result["failed"]:
        raise SystemExit(f"{result['failed']} runs failed; see {out}/failed/ (the same command again retries them)")
    return ResultsStore(os.path.join(out, "results.jsonl")).load()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "conll2003"))
    ap.add_argument("--pool", type=int, default=1000)
    ap.add_argument("--test", type=int, default=500)
    ap.add_argument("--models", default="crf,cnn-bilstm-crf,minilm")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--schedule", default="2%x8")
    ap.add_argument("--successor-every", type=int, default=4)
    ap.add_argument("--pseudo", default="20%")
    ap.add_argument("--arms", default="plain,pseudo",
                    help="plain (successors on the labeled set), pseudo (PLASM with --pseudo), or both")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-epochs", default="",
                    help="max_epochs of the models that have it: N for all, or MODEL=N,... ('' or 0: their own "
                         "schedules; minilm trains its `epochs`, 4, unless early stopping is on)")
    ap.add_argument("--epochs", default="",
                    help="the fixed `epochs` of the models that have it (the transformers): N or MODEL=N,... "
                         "('' or 0: their default, 4)")
    ap.add_argument("--no-reference", action="store_true",
                    help="skip the full-data training of every model (tokens to 95%%/99%% are then not reported)")
    ap.add_argument("--work", default=os.path.join(ROOT, "runs", "mismatch-study"))
    ap.add_argument("--docs", default=os.path.join(ROOT, "docs", "results"))
    ap.add_argument("--name", default="mismatch-conll",
                    help="the result files' name under --docs (e.g. mismatch-conll-mpnet for --models minilm,mpnet)")
    args = ap.parse_args(argv)
    wanted = [a.strip() for a in args.arms.split(",") if a.strip()]
    if not wanted or set(wanted) - {"plain", "pseudo"}:
        ap.error(f"--arms: plain, pseudo or plain,pseudo, not {args.arms!r}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from multitag.annotation.budget import parse_fraction
    from multitag.experiments.cluster import Execution

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    data = _subsets(args.data, args.pool, args.test, os.path.join(args.work, "data"))
    execution = Execution(workers=args.workers, threads_per_worker=1) if args.workers > 1 else Execution()
    common = dict(data=data, seeds=list(range(args.seeds)), initial_size="2%", schedule=args.schedule,
                  valid="25%", params=_params(models, _epoch_limits(args.max_epochs, models),
                                              _epoch_limits(args.epochs, models)))
    started = time.perf_counter()
    records = list(_run(os.path.join(args.work, "random"), execution, backends=models, strategies=["random"],
                        full_reference=not args.no_reference, **common))   # the full-data references once, here
    arms: dict[str, list] = {}
    for arm, pseudo in (("plain", None), ("pseudo", parse_fraction(args.pseudo, "--pseudo"))):
        if arm not in wanted:
            continue
        arms[arm] = list(records)
        for acquisition in models:
            others = [m for m in models if m != acquisition]
            settings = copy.deepcopy(common)
            settings["params"] = {k: v for k, v in settings["params"].items() if k in [acquisition, *others]}
            arms[arm] += _run(os.path.join(args.work, arm, acquisition), execution, backends=[acquisition],
                              successors=others, strategies=["mnlp"], successor_every=args.successor_every,
                              successor_pseudo_labels=pseudo, **settings)
    write_docs(arms, args, time.perf_counter() - started)


def write_docs(arms: dict[str, list], args, seconds: float) -> None:
    """docs/results/<name>.{md,csv,png,html}: the arms' mismatch tables and heatmaps."""
    import csv
    import io

    from multitag.fileio import atomic_write
    from multitag.report import format_reach
    from multitag.report.document import Heading, Image, Paragraph, Table, render_html, render_markdown
    from multitag.report.mismatch import mismatch_cells, mismatch_csv_rows
    from multitag.report.plots import mismatch_png

    labels = {"plain": "successors on the labeled set", "pseudo": f"PLASM: + {args.pseudo} pseudo-labelled"}
    cells = []
    for arm, records in arms.items():
        for c in mismatch_cells(_dedup(records)):
            c.setting = labels[arm]
            cells.append(c)
    image = mismatch_png(cells)
    rows = [[c.setting, c.successor, c.source, str(c.seeds), f"{c.aulc:.4f} ± {c.aulc_std:.4f}",
             format_reach(c.reach, "95%"), format_reach(c.reach, "99%"), "-" if c.gain_kept is None else f"{c.gain_kept * 100:.0f}%"]
            for c in cells]
    blocks = [
        Heading(1, "Acquisition / successor mismatch on CoNLL-2003"),
        Paragraph(f"Pool: the first {args.pool} CoNLL-2003 training sentences; evaluation: the first {args.test} test "
                  f"sentences; models {args.models}; MNLP (and random for the baseline); {args.seeds} seeds; 2% seed "
                  f"set, schedule {args.schedule}, validation on 25% of the labeled set; epoch limits: "
                  f"{args.max_epochs or 'each model its own'}"
                  f"{'; fixed epochs: ' + args.epochs if args.epochs else ''}"
                  f"{'; no full-data references (tokens to 95%/99% not measured)' if args.no_reference else ''}"
                  f"; successors every "
                  f"{args.successor_every} iterations and at the last; written by `benchmarks/mismatch_study.py` in "
                  f"{seconds / 3600:.1f} h on this machine."),
        Paragraph("Gain kept: (AULC - AULC random) / (AULC native - AULC random), each read at the successor's "
                  "iterations; native = the successor choosing for itself (no pseudo-labels), random = the "
                  "successor's own random-choice run."),
        Table(["arm", "successor", "chosen by", "seeds", "AULC", "tokens to 95%", "tokens to 99%", "gain kept"], rows),
        Image("AL gain kept per acquisition x successor pair (rows: who chose; columns: who was trained)",
              f"{args.name}.png", image)]
    os.makedirs(args.docs, exist_ok=True)
    base = os.path.join(args.docs, args.name)
    buf = io.StringIO()
    csv_rows = mismatch_csv_rows(cells)
    csv.writer(buf).writerows([["arm"] + csv_rows[0]] + [[c.setting] + r for c, r in zip(cells, csv_rows[1:])])
    for suffix, content in ((".md", render_markdown(blocks)), (".csv", buf.getvalue()),
                            (".html", render_html(blocks, title="multitag: acquisition/successor mismatch"))):
        with atomic_write(base + suffix) as fh:
            fh.write(content)
    with atomic_write(base + ".png", "wb") as fh:
        fh.write(image)
    print(f"written: {base}.{{md,csv,png,html}}")


def _dedup(records: list) -> list:
    """The records of several results folders, each key once (the references are in every folder)."""
    seen, out = set(), []
    for r in records:
        if r.key() not in seen:
            seen.add(r.key())
            out.append(r)
    return out


if __name__ == "__main__":
    sys.exit(main())
