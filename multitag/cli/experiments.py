"""``multitag compare``, ``mismatch`` and ``report``: active-learning experiments."""
from __future__ import annotations

import os
import time

import click

from multitag import settings as learner
from multitag.cli import main
from multitag.cli.data_options import READ_KEYS, READ_OPTIONS
from multitag.cli.learner_options import apply, experiment_options
from multitag.errors import MultitagError
from multitag.experiments.config import LEARNER_KEYS


def _al_options(f):
    opts = [
        click.option("--config", "config", default=None, type=click.Path(), help="YAML protocol (see configs/); command-line options override it."),
        click.option("--data", default=None, type=click.Path(), help="Data folder (train = pool, dev, test; files recognised by name)."),
        click.option("--train", "train_file", default=None, type=click.Path(), help="The train file (the pool; any name); wins over --data."),
        click.option("--dev", "dev_file", default=None, type=click.Path(), help="The dev file (any name); wins over --data."),
        click.option("--test", "test_file", default=None, type=click.Path(), help="The test file (any name); wins over --data."),
        click.option("--scheme", default=None, help="The files' tag scheme (IOB1, IOB2 or BIOES), instead of detecting it per split."),
        *READ_OPTIONS,
        click.option("--strategies", default=None, help="Comma-separated strategies (`multitag strategies` lists them) [default: random,mnlp]."),
        click.option("--seeds", default=None, help="Number of seeds (0..N-1) [default: 1]."),
        click.option("--schedule", default=None, help="Per-iteration budgets: 2%x24, 1%x14,2.5%x4,5%x3,10%x4, 20000wx10 [default: 2%x24]."),
        click.option("--initial-size", default=None, help="Seed set: % of pool tokens, or a sentence count [default: 2%]."),
        click.option("--valid", default=None, help="Validation for early stopping: dev, none, 25% (of the labeled set), 1%-of-pool [default: dev]."),
        click.option("--eval", "eval", default=None, help="Split to evaluate on: test or dev [default: test]."),
        click.option("--train-limit", default=None, help="Use only the first N training sentences (quick runs)."),
        click.option("--full-reference", is_flag=True, default=None, help="Also train each model on the whole pool (for tokens-to-95%/99%)."),
        *experiment_options(),   # the learner settings (multitag.settings)
        click.option("--x", "x_axis", default="tokens", show_default=True, type=click.Choice(["tokens", "seconds"]), help="Curve x axis."),
        click.option("--param", "params", multiple=True, help="Backend parameter KEY=VALUE or BACKEND:KEY=VALUE (repeatable; `multitag backends NAME` lists them)."),
        click.option("--out", default=None, type=click.Path(), help="Output folder (default: runs/<command>-<data>)."),
        click.option("--no-progress", is_flag=True, help="No progress bar."),
        click.option("--workers", type=int, default=None,
                     help="Run the grid on a local Dask cluster of N worker processes (127.0.0.1; needs multitag[dask]). "
                          "Records are the same as sequentially."),
        click.option("--threads-per-worker", type=int, default=None,
                     help="Threads of each local worker [default: so that workers x threads = cores]."),
        click.option("--scheduler", default=None, help="Run the grid on an existing Dask cluster (tcp://HOST:8786)."),
        click.option("--gpus-per-run", type=int, default=0, show_default=True,
                     help="GPUs each run holds (Dask resource GPU); with --workers each worker gets its own GPU(s)."),
    ]
    return apply(opts, f)


#: options that are experiment settings (their click name is the configuration field); the learner
#: settings' options come from their metadata, those given as KEY=VALUE items apart
_SETTINGS = ("data", "train_file", "dev_file", "test_file", "scheme", *READ_KEYS, "strategies", "seeds", "schedule", "initial_size",
             "valid", "eval", "train_limit", "full_reference",
             *(k for k, n in LEARNER_KEYS.items() if not learner.info(n).items))
_ITEMS = tuple(k for k, n in LEARNER_KEYS.items() if learner.info(n).items)


def _run(command: str, backends: str | None, successors: list[str], kw: dict) -> None:
    from multitag.experiments.config import config_from_sources
    from multitag.experiments.cluster import Execution
    from multitag.experiments.runner import run_experiment

    options = {k: kw[k] for k in _SETTINGS if kw[k] is not None}
    if backends is not None:
        options["backends"] = backends
    if successors:
        options["successors"] = successors
    config = config_from_sources(yaml_path=kw["config"], options=options, params=kw["params"],
                                 items={k: kw[k] for k in _ITEMS})
    config.check_complete()
    out = kw["out"] or os.path.join("runs", f"{command}-{os.path.basename(os.path.normpath(config.data or config.train_file))}")
    execution = Execution(workers=kw["workers"], threads_per_worker=kw["threads_per_worker"], scheduler=kw["scheduler"],
                          gpus_per_run=kw["gpus_per_run"])
    t0 = time.perf_counter()
    result = run_experiment(config, out, progress=not kw["no_progress"], execution=execution, describe=True)
    paths = _write_report_if_any(out, kw["x_axis"], result["failed"], result.get("dataset"))
    click.echo(f"done in {time.perf_counter() - t0:.0f}s; results: {os.path.join(out, 'results.jsonl')}")
    if paths:
        click.echo(f"report: {_report_files(paths)}")
    if result["failed"]:
        raise MultitagError(f"{result['failed']} of {result['runs']} runs failed (the others finished); tracebacks in "
                            f"{result['failed_dir']}/; the same command again retries them")


def _write_report_if_any(out: str, x_axis: str, failed: int, data=None) -> dict | None:
    from multitag.report import write_report

    try:
        return write_report(out, x=x_axis, data=data)
    except MultitagError:
        if failed:
            return None  # every run failed before its first iteration: nothing to report
        raise


def _report_files(paths: dict) -> str:
    return ", ".join(paths[k] for k in ("summary_md", "report_html", "summary_csv", "curves_png", "profile_png", "mismatch_png",
                                       "mismatch_csv") if k in paths)


@main.command("compare")
@click.option("--backends", default=None, help="Comma-separated backends (each is its own acquisition model).")
@_al_options
def compare_cmd(backends: str, **kw) -> None:
    """Simulate active learning for every backend x strategy x seed (x level x training mode x initial
    selection) and write results, a summary and learning curves. Re-running the same command resumes."""
    _run("compare", backends, [], kw)


@main.command("mismatch")
@click.option("--acquisition", default=None, help="The backend that selects.")
@click.option("--successor", "successors", multiple=True, help="Backend(s) trained on the selected data and evaluated (repeatable or comma-separated).")
@_al_options
def mismatch_cmd(acquisition: str, successors: tuple[str, ...], **kw) -> None:
    """Acquisition/successor mismatch: ACQUISITION selects, each SUCCESSOR is trained on the same labeled set."""
    succ = [s.strip() for item in successors for s in item.split(",") if s.strip()]
    if not succ and not kw["config"]:
        raise MultitagError("mismatch needs at least one --successor")
    _run("mismatch", acquisition, succ, kw)


@main.command("report")
@click.argument("out", type=click.Path(exists=True, file_okay=False))
@click.option("--x", "x_axis", default="tokens", show_default=True, type=click.Choice(["tokens", "seconds"]))
def report_cmd(out: str, x_axis: str) -> None:
    """Rewrite the report of OUT (summary.md, report.html, summary.csv, curves.png, profile.png) from OUT/results.jsonl."""
    from multitag.report import write_report

    paths = write_report(out, x=x_axis)
    if paths.get("profile_kept"):
        click.echo(f"warning: the selection profile was not redrawn ({paths['profile_kept']}); the earlier "
                   f"profile.png is kept and summary.md says so", err=True)
    click.echo(f"report: {_report_files(paths)}")
