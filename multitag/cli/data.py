"""``multitag data inspect``: what the readers make of data files, and the options that read them."""
from __future__ import annotations

import functools

import click

from multitag.cli import main
from multitag.cli.data_options import READ_OPTIONS, read_options
from multitag.cli.learner_options import apply


@main.group("data")
def data_group() -> None:
    """Look at data files before using them."""


@data_group.command("inspect")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--as-command", is_flag=True, help="Print only the --train/--dev/--test/--columns/... options that read the files.")
@functools.partial(apply, READ_OPTIONS)
def inspect_cmd(paths: tuple[str, ...], as_command: bool, **reading) -> None:
    """Per file (a folder: each of its data files): format and column layout, encoding, scheme,
    sentences, tokens, entities per type, the first sentence as read, repairs and warnings."""
    from multitag.data.inspect import as_command as command_of, inspect_paths

    reports = inspect_paths(paths, read_options(**reading))
    if as_command:
        click.echo(command_of(reports))
        return
    for k, report in enumerate(reports):
        if k:
            click.echo("")
        for line in report.lines():
            click.echo(line)

