"""Hugging Face data sets in Arrow form: a folder written by ``Dataset.save_to_disk`` (``state.json``,
``dataset_info.json`` and ``data-*.arrow`` stream files) or a parquet file (as ``to_parquet`` and
the Hub write them). Read through ``pyarrow`` (the ``hf`` extra): columns ``tokens`` (list of
strings) and ``ner_tags`` (integer ids with the ClassLabel names of the data set's features, or
tag strings), an optional ``id``. Arrow is a columnar format: nothing in it is executed.
"""
from __future__ import annotations

import json
import os
from typing import Any

from multitag.data.hf import INFO, label_names, refuse_arrow, sentence_from_row
from multitag.data.sentence import Sentence
from multitag.errors import DataError


def _pyarrow(path: str):
    try:
        import pyarrow
        import pyarrow.ipc  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise refuse_arrow(path) from None
    return pyarrow


def _names_from_features(features: Any, path: str) -> list[str] | None:
    """ClassLabel names of ``ner_tags`` from a ``features`` mapping (None when it has none)."""
    try:
        feature = features["ner_tags"]
        names = feature.get("feature", feature).get("names")
    except (KeyError, TypeError, AttributeError):
        return None
    if names is None:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DataError("features.ner_tags names must be a list of strings", path=path)
    return names


def _arrow_files(folder: str) -> list[str]:
    state_path = os.path.join(folder, "state.json")
    try:
        with open(state_path, encoding="utf-8") as fh:
            state = json.load(fh)
        files = [f["filename"] for f in state["_data_files"]]
    except (OSError, ValueError, KeyError, TypeError):
        raise DataError("not a save_to_disk state (expected _data_files with file names)", path=state_path) from None
    for f in files:
        if not isinstance(f, str) or os.path.basename(f) != f or not f.endswith(".arrow"):
            raise DataError(f"data file {f!r} is not an .arrow file of this folder", path=state_path)
    return [os.path.join(folder, f) for f in files]


def _read_arrow(pa, path: str):
    try:
        with pa.memory_map(path) as source:
            try:
                return pa.ipc.open_stream(source).read_all()
            except pa.ArrowInvalid:
                source.seek(0)
                return pa.ipc.open_file(source).read_all()
    except (OSError, pa.ArrowInvalid) as e:
        raise DataError(f"not a readable Arrow file ({e})", path=path) from None


def read_hf_arrow(path: str | os.PathLike, *, id_prefix: str | None = None) -> list[Sentence]:
    """The sentences of a ``save_to_disk`` folder or a parquet file (see the module's description)."""
    path = os.fspath(path)
    pa = _pyarrow(path)
    prefix = id_prefix if id_prefix is not None else os.path.basename(os.path.normpath(path))
    if os.path.isdir(path):
        names = label_names(path, path)
        tables = [(f, _read_arrow(pa, f)) for f in _arrow_files(path)]
    else:
        try:
            table = pa.parquet.read_table(path)
        except (OSError, pa.ArrowInvalid) as e:
            raise DataError(f"not a readable parquet file ({e})", path=path) from None
        names = _parquet_names(table, path)
        if names is None and os.path.isfile(os.path.join(os.path.dirname(path) or ".", INFO)):
            names = label_names(os.path.dirname(path) or ".", path)
        tables = [(path, table)]
    sentences: list[Sentence] = []
    for file, table in tables:
        missing = {"tokens", "ner_tags"} - set(table.column_names)
        if missing:
            raise DataError(f"no {' or '.join(sorted(missing))} column (columns: {', '.join(table.column_names)})",
                            path=file)
        for row_number, row in enumerate(table.select([c for c in ("id", "tokens", "ner_tags")
                                                       if c in table.column_names]).to_pylist(), start=1):
            sentences.append(sentence_from_row(row, names, file, row_number, f"{prefix}:{len(sentences)}",
                                               where="row"))
    if not sentences:
        raise DataError("no sentences in the data set", path=path)
    return sentences


def _parquet_names(table, path: str) -> list[str] | None:
    """The ClassLabel names the Hub stores in a parquet file's ``huggingface`` schema metadata."""
    meta = table.schema.metadata or {}
    raw = meta.get(b"huggingface")
    if raw is None:
        return None
    try:
        info = json.loads(raw)
    except ValueError:
        return None
    return _names_from_features(info.get("info", {}).get("features", {}), path)
