"""``multitag compare``, ``mismatch`` and ``report``: active-learning experiments."""
from __future__ import annotations

import os
import time

import click

from multitag.cli import main
from multitag.cli.params import parse_params
from multitag.errors import MultitagError


def _split_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _backend_params(items: tuple[str, ...], names: list[str]) -> dict:
    """``--param KEY=VALUE`` (every backend) or ``--param BACKEND:KEY=VALUE`` (one backend)."""
    out: dict[str, dict] = {n: {} for n in names}
    for item in items:
        target = None
        head = item.split("=", 1)[0]
        if ":" in head:
            target, item = item.split(":", 1)
            if target not in out and target != "initial-lm":
                raise MultitagError(f"--param {target}:...: {target!r} is not one of the backends of this run ({', '.join(names)})")
        for name in ([target] if target else names):
            out.setdefault(name, {}).update(parse_params((item,)))
    return {k: v for k, v in out.items() if v}


def _al_options(f):
    opts = [
        click.option("--config", "config", default=None, type=click.Path(), help="YAML protocol (see configs/); command-line options override it."),
        click.option("--data", default=None, type=click.Path(), help="Data folder (train = pool, dev, test)."),
        click.option("--strategies", default="random,mnlp", show_default=True,
                     help="Comma-separated: random, lc, mnlp, tlc, bt, entropy (token ones take -max/-mean/-sum), vr, bald, coreset, badge, wbadge."),
        click.option("--seeds", default=1, show_default=True, type=int, help="Number of seeds (0..N-1)."),
        click.option("--schedule", default="2%x24", show_default=True, help="Per-iteration budgets: 2%x24, 1%x14,2.5%x4,5%x3,10%x4, 20000wx10."),
        click.option("--initial-size", default="2%", show_default=True, help="Seed set: % of pool tokens, or a sentence count."),
        click.option("--valid", default="dev", show_default=True, help="Validation for early stopping: dev, none, 25% (of the labeled set), 1%-of-pool."),
        click.option("--eval", "eval_split", default="test", show_default=True, type=click.Choice(["test", "dev"])),
        click.option("--mc-samples", default=10, show_default=True, type=int, help="Stochastic passes for vr/bald."),
        click.option("--mc-mode", default=None, help="MC-dropout mode (default: the backend's first)."),
        click.option("--pool-subsample", default=None, help="Score only this fraction of the unlabeled pool per iteration, e.g. 50%."),
        click.option("--train-limit", default=None, type=int, help="Use only the first N training sentences (quick runs)."),
        click.option("--full-reference", is_flag=True, help="Also train each model on the whole pool (for tokens-to-95%/99%)."),
        click.option("--level", "levels", default="sentence", show_default=True, help="Annotation level(s): sentence, entity, token (comma-separated: grid axis)."),
        click.option("--training-mode", "training_modes", default="auto", show_default=True,
                     help="Partial-label training: auto, mask, drop, mask-entity-like, drop-entity-like (comma-separated: grid axis)."),
        click.option("--initial", "initials", default="random", show_default=True, help="Seed-set selection: random, nnp, lm (comma-separated: grid axis)."),
        click.option("--initial-lm", default=None, type=click.Path(), help="Local masked-LM folder for --initial lm."),
        click.option("--cost", "cost", multiple=True, help="Cost model KEY=SECONDS: sentence, token_read, label."),
        click.option("--x", "x_axis", default="tokens", show_default=True, type=click.Choice(["tokens", "seconds"]), help="Curve x axis."),
        click.option("--param", "params", multiple=True, help="Backend parameter KEY=VALUE or BACKEND:KEY=VALUE (repeatable)."),
        click.option("--out", default=None, type=click.Path(), help="Output folder (default: runs/<command>-<data>)."),
        click.option("--no-progress", is_flag=True, help="No progress bar."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


_OPTION_TO_FIELD = {
    "data": "data", "strategies": "strategies", "seeds": "seeds", "schedule": "schedule", "initial_size": "initial_size",
    "valid": "valid", "eval_split": "eval", "mc_samples": "mc_samples", "mc_mode": "mc_mode",
    "pool_subsample": "pool_subsample", "train_limit": "train_limit", "full_reference": "full_reference",
    "levels": "levels", "training_modes": "training_modes", "initials": "initials",
}
_LIST_FIELDS = {"strategies", "levels", "training_modes", "initials", "backends", "successors"}


def _load_yaml_config(path: str) -> dict:
    import yaml

    try:
        with open(path) as fh:
            d = yaml.safe_load(fh) or {}
    except OSError as e:
        raise MultitagError(f"{path}: cannot read ({e.strerror})") from None
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        raise MultitagError(f"{path}{'' if line is None else f':{line + 1}'}: invalid YAML") from None
    if not isinstance(d, dict):
        raise MultitagError(f"{path}: expected a mapping of settings")
    d = {k.replace("-", "_"): v for k, v in d.items()}
    if isinstance(d.get("seeds"), int):
        d["seeds"] = list(range(d["seeds"]))
    for k in _LIST_FIELDS & set(d):
        if isinstance(d[k], str):
            d[k] = _split_list(d[k])
    return d


def _run(command: str, backends: list[str], successors: list[str], kw: dict) -> None:
    from click.core import ParameterSource

    from multitag.experiments.config import ExperimentConfig
    from multitag.experiments.runner import run_experiment

    ctx = click.get_current_context()
    given = lambda name: ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)
    settings = _load_yaml_config(kw["config"]) if kw["config"] else {}
    for option, fieldname in _OPTION_TO_FIELD.items():
        if given(option) or fieldname not in settings:
            value = kw[option]
            if fieldname in _LIST_FIELDS:
                value = _split_list(value)
            elif fieldname == "seeds":
                if value < 1:
                    raise MultitagError("--seeds must be at least 1")
                value = list(range(value))
            settings[fieldname] = value
    if backends:
        settings["backends"] = backends
    if successors:
        settings["successors"] = successors
    if not settings.get("data"):
        raise MultitagError("no data: pass --data DIR (or data: in the --config file)")
    if not settings.get("backends"):
        raise MultitagError("no backend: pass --backends (or backends: in the --config file)")
    names = list(dict.fromkeys(list(settings["backends"]) + list(settings.get("successors", []))))
    params = {k: dict(v) for k, v in (settings.get("params") or {}).items()}
    for name, p in _backend_params(kw["params"], names).items():
        params.setdefault(name, {}).update(p)
    if kw["initial_lm"]:
        params["initial-lm"] = {"model": kw["initial_lm"]}
    settings["params"] = params
    cost = dict(settings.get("cost_model") or {})
    cost.update({k: float(v) for k, v in parse_params(kw["cost"]).items()})
    settings["cost_model"] = cost
    config = ExperimentConfig.from_dict(settings)
    out = kw["out"] or os.path.join("runs", f"{command}-{os.path.basename(os.path.normpath(config.data))}")
    t0 = time.perf_counter()
    run_experiment(config, out, progress=not kw["no_progress"], report=False)
    from multitag.report import write_report

    paths = write_report(out, x=kw["x_axis"])
    click.echo(f"done in {time.perf_counter() - t0:.0f}s; results: {os.path.join(out, 'results.jsonl')}")
    click.echo(f"report: {paths['summary_md']}, {paths['summary_csv']}, {paths['curves_png']}")


@main.command("compare")
@click.option("--backends", default=None, help="Comma-separated backends (each is its own acquisition model).")
@_al_options
def compare_cmd(backends: str, **kw) -> None:
    """Simulate active learning for every backend x strategy x seed (x level x training mode x initial
    selection) and write results, a summary and learning curves. Re-running the same command resumes."""
    _run("compare", _split_list(backends), [], kw)


@main.command("mismatch")
@click.option("--acquisition", default=None, help="The backend that selects.")
@click.option("--successor", "successors", multiple=True, help="Backend(s) trained on the selected data and evaluated (repeatable or comma-separated).")
@_al_options
def mismatch_cmd(acquisition: str, successors: tuple[str, ...], **kw) -> None:
    """Acquisition/successor mismatch: ACQUISITION selects, each SUCCESSOR is trained on the same labeled set."""
    succ = [s for item in successors for s in _split_list(item)]
    if not succ and not kw["config"]:
        raise MultitagError("mismatch needs at least one --successor")
    _run("mismatch", [acquisition] if acquisition else [], succ, kw)


@main.command("report")
@click.argument("out", type=click.Path(exists=True, file_okay=False))
@click.option("--x", "x_axis", default="tokens", show_default=True, type=click.Choice(["tokens", "seconds"]))
def report_cmd(out: str, x_axis: str) -> None:
    """Rewrite OUT/summary.md, OUT/summary.csv and OUT/curves.png from OUT/results.jsonl."""
    from multitag.report import write_report

    paths = write_report(out, x=x_axis)
    click.echo(f"report: {paths['summary_md']}, {paths['summary_csv']}, {paths['curves_png']}")
