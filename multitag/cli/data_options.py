"""The data options every command that reads a data set takes: ``--data DIR`` (or a train file),
``--train/--dev/--test FILE`` for files of any names, ``--scheme`` to override detection, and the
reading options ``--encoding``, ``--columns``, ``--tag-column``, ``--repair`` (:data:`READ_OPTIONS`,
also taken by ``compare`` / ``mismatch``)."""
from __future__ import annotations

import functools

import click

from multitag.data.read_options import ReadOptions
from multitag.errors import MultitagError

#: the reading options; their values reach the command as one ``read_options`` (:class:`ReadOptions`)
READ_OPTIONS = [
    click.option("--encoding", default=None,
                 help="The files' encoding (utf-8, latin-1, cp1252, ...), read strictly [default: UTF-8, else cp1252 "
                      "or Latin-1, as the per-split line says]."),
    click.option("--columns", default=None,
                 help="Which column holds what, from 1: token=N,tag=M[,pos=K] (e.g. token=2,tag=1 for tag-first "
                      "files) [default: detected]."),
    click.option("--tag-column", default=None,
                 help="With two nested tag columns (GermEval-2014): outer or inner; or the tag column's number."),
    click.option("--repair", is_flag=True, default=None,
                 help="Read a stray I-X (after O, after another type, at a sentence start) as B-X, as conlleval "
                      "and seqeval's non-strict mode do; prints how many tags changed per split."),
]
READ_KEYS = ("encoding", "columns", "tag_column", "repair")

OPTIONS = [
    click.option("--data", default=None, type=click.Path(),
                 help="Data folder with train/dev/test files (by name: train.txt, eng.train, devel.tsv, "
                      "wnut17train.conll, train/seq.in, ...), or a train file."),
    click.option("--train", "train_file", default=None, type=click.Path(), help="The train file (any name); wins over --data."),
    click.option("--dev", "dev_file", default=None, type=click.Path(), help="The dev file (any name); wins over --data."),
    click.option("--test", "test_file", default=None, type=click.Path(), help="The test file (any name); wins over --data."),
    click.option("--scheme", default=None, help="The files' tag scheme (IOB1, IOB2 or BIOES), instead of detecting it per split."),
    *READ_OPTIONS,
]


def read_options(encoding=None, columns=None, tag_column=None, repair=None) -> ReadOptions:
    """The :class:`ReadOptions` of the option values (parsed; a :class:`MultitagError` when one is wrong)."""
    return ReadOptions.parse(encoding, columns, tag_column, repair)


def data_options(f):
    """Decorator: ``f`` with :data:`OPTIONS`; the reading options reach it as ``read_options``."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        kwargs["read_options"] = read_options(**{k: kwargs.pop(k) for k in READ_KEYS})
        return f(*args, **kwargs)

    for o in reversed(OPTIONS):
        wrapper = o(wrapper)
    return wrapper


def load_from_options(data: str | None, train_file: str | None, dev_file: str | None, test_file: str | None,
                      scheme: str | None, *, echo: bool = True, options: ReadOptions | None = None,
                      single_file_as: str = "train"):
    """The data set the options name; prints what was read per split (file, scheme, counts) and
    any warning. ``single_file_as``: the split a ``--data FILE`` is (``evaluate`` reads it as test)."""
    from multitag.data import load_dataset
    from multitag.data.schemes import normalize_scheme

    if not (data or train_file or dev_file or test_file):
        raise MultitagError("no data: pass --data DIR (or --train / --dev / --test FILE)")
    ds = load_dataset(data, train=train_file, dev=dev_file, test=test_file,
                      scheme=normalize_scheme(scheme) if scheme else None, options=options,
                      single_file_as=single_file_as)
    if echo:
        for line in ds.describe():
            click.echo(line, err=True)
        for line in ds.warnings():
            click.echo(f"warning: {line}", err=True)
    return ds
