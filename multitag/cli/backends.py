"""``multitag backends [NAME]`` and ``multitag strategies``: what is installed, what it needs and
how it is configured."""
from __future__ import annotations

import inspect
import json

import click

from multitag import registry
from multitag.cli import main
from multitag.errors import MultitagError
from multitag.params import param_infos


def _capabilities(cls) -> dict:
    """The capability tags of a backend class, as ``multitag backends`` shows them."""
    tags = cls.tags()
    return {"mc_modes": list(tags.mc_modes), "partial_training": tags.partial_training,
            "hidden": tags.hidden_states, "warm_start": tags.warm_start,
            "rejections": bool(getattr(cls, "learns_from_rejections", False))}


def _backend_rows() -> list[dict]:
    rows = []
    for name in registry.available():
        try:
            preset = registry.resolve(name)
            cls = preset.cls
            rows.append({"name": name, "class": cls.__name__, **_capabilities(cls),
                         "defaults": {k: str(v) for k, v in preset.defaults.items() if not callable(v)},
                         "description": preset.description})
        except MultitagError as e:
            rows.append({"name": name, "error": str(e)})
    return rows


def _show(value) -> str:
    if value is inspect.Parameter.empty:
        return "(required)"
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value) if not isinstance(value, str) else value


def _backend_detail(name: str, as_json: bool) -> None:
    preset = registry.resolve(name)
    cls = preset.cls
    defaults = preset.resolved_defaults()
    params = []
    for info in param_infos(cls):
        if info.name == "labels":
            continue
        default = defaults.get(info.name, info.default)
        params.append({"name": info.name, "default": None if default is inspect.Parameter.empty else default,
                       "expects": info.expected(), "meaning": info.doc,
                       "preset": info.name in defaults})
    info = {"name": name, "class": f"{cls.__module__}.{cls.__qualname__}", **_capabilities(cls),
            "description": preset.description,
            "parameters": params}
    if as_json:
        click.echo(json.dumps(info, indent=2, default=str))
        return
    doc = (inspect.getdoc(cls) or "").split("\n\n")[0].replace("\n", " ")
    click.echo(f"{name}: {cls.__name__} ({cls.__module__})")
    if preset.description:
        click.echo(f"  {preset.description}")
    if doc:
        click.echo(f"  {doc}")
    caps = _capabilities(cls)
    click.echo(f"  MC-dropout modes: {', '.join(caps['mc_modes']) or 'none'}; partial labels: "
               f"{'yes' if caps['partial_training'] else 'no'}; hidden states: {'yes' if caps['hidden'] else 'no'}; "
               f"warm start: {'yes' if caps['warm_start'] else 'no'}; learns from rejections: "
               f"{'yes' if caps['rejections'] else 'no (ignores them)'}")
    click.echo("")
    click.echo("parameters (--param KEY=VALUE; YAML values):")
    width = max((len(p["name"]) for p in params), default=4)
    for p in params:
        default = _show(defaults.get(p["name"], next(i.default for i in param_infos(cls) if i.name == p["name"])))
        mark = " (preset)" if p["preset"] else ""
        click.echo(f"  {p['name']:<{width}}  default {default}{mark}")
        if p["meaning"]:
            click.echo(f"  {'':<{width}}  {p['meaning']}")


@main.command("backends")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def backends_cmd(name: str | None, as_json: bool) -> None:
    """List installed backends and their capabilities, or, with NAME, every parameter of one
    backend with its default and meaning (imports the backends)."""
    if name:
        _backend_detail(name, as_json)
        return
    rows = _backend_rows()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no backends installed (pip install ./backends/crf)")
        return
    click.echo(f"{'name':<18} {'class':<22} {'mc_modes':<20} {'partial':<8} {'hidden':<7} {'warm':<5} rejections")
    for r in rows:
        if "error" in r:
            click.echo(f"{r['name']:<18} unavailable: {r['error']}")
            continue
        click.echo(f"{r['name']:<18} {r['class']:<22} {','.join(r['mc_modes']) or '-':<20} "
                   f"{'yes' if r['partial_training'] else 'no':<8} {'yes' if r['hidden'] else 'no':<7} "
                   f"{'yes' if r['warm_start'] else 'no':<5} {'yes' if r['rejections'] else 'ignored'}")
    click.echo("\n`multitag backends NAME` lists the parameters of one backend.")


@main.command("strategies")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def strategies_cmd(as_json: bool) -> None:
    """List installed query strategies: what each needs from a backend and the annotation levels it
    supports."""
    from multitag.annotation.levels import LEVELS
    from multitag.strategies import strategy_class

    rows = []
    for name in registry.strategies.names():
        try:
            cls = strategy_class(name)
        except MultitagError as e:
            rows.append({"name": name, "error": str(e)})
            continue
        levels = [name for name, lv in LEVELS.items() if cls.token_level or not lv.token_level]
        doc = (inspect.getdoc(cls) or "").split("\n\n")[0].replace("\n", " ")
        rows.append({"name": name, "needs": sorted(cls.needs), "levels": levels,
                     "aggregations": list(cls.aggregations), "module": cls.__module__, "description": doc})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'name':<12} {'needs':<28} {'levels':<24} aggregations")
    for r in rows:
        if "error" in r:
            click.echo(f"{r['name']:<12} unavailable: {r['error']}")
            continue
        click.echo(f"{r['name']:<12} {', '.join(r['needs']) or '-':<28} {', '.join(r['levels']):<24} "
                   f"{', '.join('-' + a for a in r['aggregations']) or '-'}")
