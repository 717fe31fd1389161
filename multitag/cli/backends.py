"""``multitag backends``: installed backends and their capabilities."""
from __future__ import annotations

import json

import click

from multitag.cli import main
from multitag.errors import MultitagError


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
