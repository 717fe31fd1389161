"""The data options every command that reads a data set takes: ``--data DIR`` (or a train file),
``--train/--dev/--test FILE`` for files of any names, and ``--scheme`` to override detection."""
from __future__ import annotations

import click

from multitag.errors import MultitagError

OPTIONS = [
    click.option("--data", default=None, type=click.Path(),
                 help="Data folder with train/dev/test files (by name: train.txt, eng.train, wnut17train.conll, "
                      "train/seq.in, ...), or a train file."),
    click.option("--train", "train_file", default=None, type=click.Path(), help="The train file (any name); wins over --data."),
    click.option("--dev", "dev_file", default=None, type=click.Path(), help="The dev file (any name); wins over --data."),
    click.option("--test", "test_file", default=None, type=click.Path(), help="The test file (any name); wins over --data."),
    click.option("--scheme", default=None, help="The files' tag scheme (IOB1, IOB2 or BIOES), instead of detecting it per split."),
]


def data_options(f):
    for o in reversed(OPTIONS):
        f = o(f)
    return f


def load_from_options(data: str | None, train_file: str | None, dev_file: str | None, test_file: str | None,
                      scheme: str | None, *, echo: bool = True):
    """The data set the options name; prints what was read per split (file, scheme, counts)."""
    from multitag.data import load_dataset
    from multitag.data.schemes import normalize_scheme

    if not (data or train_file or dev_file or test_file):
        raise MultitagError("no data: pass --data DIR (or --train / --dev / --test FILE)")
    ds = load_dataset(data, train=train_file, dev=dev_file, test=test_file,
                      scheme=normalize_scheme(scheme) if scheme else None)
    if echo:
        for line in ds.describe():
            click.echo(line, err=True)
    return ds
