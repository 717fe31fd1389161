"""Command-line options generated from the learner settings' metadata (:mod:`multitag.settings`):
one option per :class:`~multitag.settings.LearnerSettings` field, with its help text, for
``compare``/``mismatch`` (grid axes take comma-separated values) and for ``project init``."""
from __future__ import annotations

from typing import Any, Callable

import click

from multitag import settings as learner


def _default_text(name: str) -> str:
    i = learner.info(name)
    if i.default_text is not None:
        return i.default_text
    value = i.plain(learner.default(name))
    if isinstance(value, dict):
        return ",".join(f"{k}={v:g}" for k, v in value.items())
    return str(value)


def experiment_options() -> list[Callable]:
    """Options of ``compare``/``mismatch``: each defaults to None (not given), so that a value of
    the ``--config`` file stands unless the command line names it. The click name of each is its
    experiment configuration key (``levels``, ``cost_model``, ...)."""
    options = []
    for name in learner.field_names():
        i = learner.info(name)
        key = i.grid or name
        flag = isinstance(learner.default(name), bool)
        kw: dict[str, Any] = {"default": None}
        if i.grid:
            text = f"{i.help} Comma-separated values: a grid axis (every run of the grid has one). " \
                   f"[default: {_default_text(name)}]"
        elif i.items:
            text, kw = f"{i.help} Repeatable; merged onto the --config file's values.", {"multiple": True}
        elif flag:
            text, kw["is_flag"] = i.help, True
        else:
            text = f"{i.help} [default: {_default_text(name)}]"
        path = {"type": click.Path()} if i.metavar == "PATH" else {}
        options.append(click.option(i.flag(name), key, help=text, metavar=i.metavar, **kw, **path))
    return options


def project_options() -> list[Callable]:
    """Options of ``project init``: the settings a project stores, single values with their defaults.
    The click name of each is its field name."""
    options = []
    for name in learner.project_names():
        i = learner.info(name)
        if i.items:
            options.append(click.option(i.flag(name), name, multiple=True, help=i.help, metavar=i.metavar))
            continue
        default = learner.default(name)
        path = {"type": click.Path()} if i.metavar == "PATH" else {}
        options.append(click.option(i.flag(name), name, default=default, show_default=default is not None,
                                    help=i.help if default is not None or i.default_text is None
                                    else f"{i.help} [default: {i.default_text}]", metavar=i.metavar, **path))
    return options


def project_values(kw: dict[str, Any]) -> dict[str, Any]:
    """The learner settings given to ``project init`` (taken out of ``kw``; KEY=VALUE items read as
    a mapping). They are checked with the rest of the project's settings
    (:func:`multitag.project.settings.check_settings`)."""
    from multitag.experiments.config import parse_param_items

    out = {}
    for name in learner.project_names():
        i = learner.info(name)
        value = kw.pop(name)
        out[name] = i.parse(parse_param_items(value, i.flag(name)), i.flag(name)) if i.items else value
    return out


def apply(options: list[Callable], f: Callable) -> Callable:
    """``f`` with ``options`` (the first is listed first in ``--help``)."""
    for o in reversed(options):
        f = o(f)
    return f


def with_project_options(f: Callable) -> Callable:
    """Decorator: ``f`` with the options of :func:`project_options`."""
    return apply(project_options(), f)
