"""The ``multitag`` command line.

Expected errors (:class:`~multitag.errors.MultitagError`) print one line and exit with status 2;
nothing here imports torch or a backend library until a command needs a backend.
"""
from __future__ import annotations

import json
import os
import sys
import time

import click

from multitag.errors import MultitagError


class _PluginCommand(click.Command):
    """A plugin command (entry-point group ``multitag.commands``) imported only when it runs or its
    own help is asked for, so that ``multitag --help`` imports no backend library."""

    def __init__(self, name: str, entry_point):
        super().__init__(name, help=f"(plugin command from {entry_point.value.split(':')[0]}; see `multitag {name} --help`)")
        self.entry_point = entry_point

    def _load(self) -> click.Command:
        try:
            return self.entry_point.load()
        except ImportError as e:
            raise MultitagError(f"command {self.name!r} is installed but cannot be imported: {e}") from None

    def make_context(self, info_name, args, parent=None, **extra):
        return self._load().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        return ctx.command.invoke(ctx) if ctx.command is not self else self._load().invoke(ctx)


class _Group(click.Group):
    """A click group that adds plugin commands (entry-point group ``multitag.commands``) lazily and
    turns MultitagError into a one-line message."""

    def list_commands(self, ctx):
        from multitag.registry import commands

        return sorted(set(super().list_commands(ctx)) | {ep.name for ep in commands()})

    def get_command(self, ctx, name):
        cmd = super().get_command(ctx, name)
        if cmd is not None:
            return cmd
        from multitag.registry import commands

        for ep in commands():
            if ep.name == name:
                return _PluginCommand(name, ep)
        return None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MultitagError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="multitag")
def main() -> None:
    """multitag: active learning for sequence tagging (NER, slot filling).

    One AL engine, many backends behind one contract. Start with `multitag backends`.
    """


@main.command("backends")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def backends_cmd(as_json: bool) -> None:
    """List installed backends and their capabilities (imports each backend)."""
    from multitag import registry

    rows = []
    for name in registry.available():
        try:
            preset = registry.resolve(name)
            cls = preset.cls
            rows.append({"name": name, "class": cls.__name__, "mc_modes": list(cls.mc_modes),
                         "partial_training": bool(cls.partial_training), "hidden": bool(cls.hidden_states),
                         "defaults": {k: str(v) for k, v in preset.defaults.items() if not callable(v)},
                         "description": preset.description})
        except MultitagError as e:
            rows.append({"name": name, "error": str(e)})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no backends installed (pip install ./backends/crf)")
        return
    click.echo(f"{'name':<18} {'class':<22} {'mc_modes':<20} {'partial':<8} hidden")
    for r in rows:
        if "error" in r:
            click.echo(f"{r['name']:<18} unavailable: {r['error']}")
            continue
        click.echo(f"{r['name']:<18} {r['class']:<22} {','.join(r['mc_modes']) or '-':<20} "
                   f"{'yes' if r['partial_training'] else 'no':<8} {'yes' if r['hidden'] else 'no'}")


def parse_params(items: tuple[str, ...]) -> dict:
    """``--param key=value`` pairs; values are read as YAML scalars/lists (``3``, ``0.1``, ``[a, b]``)."""
    import yaml

    params = {}
    for item in items:
        if "=" not in item:
            raise MultitagError(f"--param expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        try:
            params[key.strip().replace("-", "_")] = yaml.safe_load(value)
        except yaml.YAMLError:
            params[key.strip().replace("-", "_")] = value
    return params


@main.command("train")
@click.option("--backend", required=True, help="Registered backend or preset name (see `multitag backends`).")
@click.option("--data", required=True, type=click.Path(), help="Data folder with train/dev/test files, or a train file.")
@click.option("--out", "out", type=click.Path(), default=None, help="Folder to write the trained model to.")
@click.option("--param", "params", multiple=True, help="Backend parameter KEY=VALUE (repeatable), e.g. --param features=paper.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--no-dev", is_flag=True, help="Do not pass the dev split to the backend (no early stopping on dev).")
def train_cmd(backend: str, data: str, out: str | None, params: tuple[str, ...], seed: int, no_dev: bool) -> None:
    """Train BACKEND on the train split, validate on dev, print test P/R/F1 and save the model."""
    from multitag import registry
    from multitag.data import load_dataset
    from multitag.evaluation import evaluate

    ds = load_dataset(data)
    tagger = registry.create(backend, labels=ds.labels, seed=seed, **parse_params(params))
    tagger.check()
    click.echo(f"{backend}: training on {len(ds.train)} sentences ({ds.train.n_tokens} tokens), {len(ds.labels)} labels", err=True)
    t0 = time.perf_counter()
    tagger.observe_unlabeled([s.unlabeled() for s in ds.train])
    tagger.fit(ds.train, None if no_dev else ds.dev)
    train_s = time.perf_counter() - t0
    result = {"backend": backend, "params": {k: str(v) for k, v in tagger.get_params().items() if k != "labels"},
              "train_seconds": round(train_s, 2)}
    for split in ("dev", "test"):
        corpus = getattr(ds, split)
        if corpus is None:
            continue
        t0 = time.perf_counter()
        preds = tagger.predict([s.unlabeled() for s in corpus])
        scores = evaluate([s.tags for s in corpus], [p.tags for p in preds], scheme=ds.scheme)
        result[split] = {k: scores[k] for k in ("precision", "recall", "f1")}
        result[f"{split}_predict_seconds"] = round(time.perf_counter() - t0, 2)
        if split == "test":
            result["test"]["per_type"] = scores["per_type"]
    if out:
        tagger.save(out)
        with open(os.path.join(out, "multitag-train.json") if os.path.isdir(out) else out + ".json", "w") as fh:
            json.dump({**result, "backend_class": f"{type(tagger).__module__}:{type(tagger).__qualname__}"}, fh, indent=2)
        result["model"] = out
    for split in ("dev", "test"):
        if split in result:
            r = result[split]
            click.echo(f"{split}: P={r['precision']:.4f} R={r['recall']:.4f} F1={r['f1']:.4f}")
    click.echo(f"train time: {train_s:.1f}s" + (f"; model written to {out}" if out else ""))


def _load_model(path: str):
    """Load a model written by `multitag train --out` (its JSON sidecar names the backend class)."""
    import importlib

    meta_path = os.path.join(path, "multitag-train.json") if os.path.isdir(path) else path + ".json"
    if not os.path.exists(meta_path):
        raise MultitagError(f"{path}: not a model written by `multitag train --out` (no {os.path.basename(meta_path)})")
    with open(meta_path) as fh:
        meta = json.load(fh)
    module, _, qual = meta["backend_class"].partition(":")
    try:
        cls = getattr(importlib.import_module(module), qual)
    except (ImportError, AttributeError) as e:
        raise MultitagError(f"{path}: the backend {meta['backend_class']} is not installed ({e})") from None
    return cls.load(path), meta


@main.command("evaluate")
@click.option("--model", required=True, type=click.Path(exists=True), help="A model written by `multitag train --out`.")
@click.option("--data", required=True, type=click.Path(exists=True), help="A labeled file, or a data folder (its test split).")
@click.option("--split", default="test", show_default=True, help="Split to evaluate when --data is a folder.")
def evaluate_cmd(model: str, data: str, split: str) -> None:
    """Evaluate a saved model on labeled data: span P/R/F1, micro and per type."""
    from multitag.data import load_dataset
    from multitag.evaluation import evaluate

    tagger, _ = _load_model(model)
    ds = load_dataset(data)
    corpus = ds.split(split) if os.path.isdir(data) else ds.train
    unknown = set(corpus.labels()) - set(tagger.labels)
    if unknown:
        click.echo(f"warning: tags unknown to the model (always counted as misses): {', '.join(sorted(unknown))}", err=True)
    preds = tagger.predict([s.unlabeled() for s in corpus])
    scores = evaluate([s.tags for s in corpus], [p.tags for p in preds], scheme=ds.scheme)
    click.echo(f"P={scores['precision']:.4f} R={scores['recall']:.4f} F1={scores['f1']:.4f} ({scores['support']} spans)")
    for typ, v in sorted(scores["per_type"].items()):
        click.echo(f"  {typ:<24} P={v['precision']:.4f} R={v['recall']:.4f} F1={v['f1']:.4f} n={v['support']}")


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


if __name__ == "__main__":
    main()
