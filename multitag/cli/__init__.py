"""The ``multitag`` command line (one module per command family).

Expected errors (:class:`~multitag.errors.MultitagError`) print one line and exit with status 2;
nothing here imports torch or a backend library until a command needs a backend.
"""
from __future__ import annotations

import sys

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



# the command modules register themselves on ``main``
from multitag.cli import backends as _backends, experiments as _experiments, models as _models, project as _project, serve as _serve  # noqa: E402,F401
from multitag.cli import data as _data  # noqa: E402,F401


if __name__ == "__main__":
    main()
