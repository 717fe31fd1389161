"""Hugging Face data sets as files: JSON lines with ``tokens`` and integer ``ner_tags`` (what
``Dataset.to_json`` writes), label names from the ClassLabel feature in the ``dataset_info.json``
beside the file (as ``save_to_disk`` writes it); string ``ner_tags`` need no names.

``save_to_disk`` folders (Arrow files) and parquet files are read by :mod:`.hf_arrow` through
``pyarrow``; without it they are refused with what to install (the ``hf`` extra) or how to export
the split as JSON lines.
"""
from __future__ import annotations

import json
import os

from multitag.data.sentence import Sentence
from multitag.data.tag_cells import read_tag
from multitag.data.textfile import read_text_file
from multitag.errors import DataError

INFO = "dataset_info.json"
HF_KEYS = ("tokens", "ner_tags", "id", "pos_tags", "chunk_tags", "spans", "langs")


def is_hf_jsonl(path: str) -> bool:
    """A ``.jsonl`` / ``.json`` file whose first non-blank line is an object with ``ner_tags``."""
    try:
        with open(path, "rb") as fh:
            for raw in fh:
                if raw.strip():
                    obj = json.loads(raw)
                    return isinstance(obj, dict) and "ner_tags" in obj
    except (OSError, ValueError):
        return False
    return False


def is_arrow_folder(path: str) -> bool:
    """A folder written by ``Dataset.save_to_disk`` (``state.json`` and Arrow files)."""
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, "state.json"))


def label_names(folder: str, path: str) -> list[str] | None:
    """The ClassLabel names of ``ner_tags`` in ``folder/dataset_info.json``; ``None`` without the file."""
    info_path = os.path.join(folder, INFO)
    if not os.path.isfile(info_path):
        return None
    try:
        with open(info_path, encoding="utf-8") as fh:
            feature = json.load(fh)["features"]["ner_tags"]
        names = feature.get("feature", feature)["names"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise DataError(f"no ClassLabel names for ner_tags in {INFO} (features.ner_tags.feature.names)",
                        path=info_path) from None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DataError("features.ner_tags names must be a list of strings", path=info_path)
    return names


def read_hf_jsonl(path: str | os.PathLike, *, id_prefix: str | None = None, encoding: str | None = None) -> list[Sentence]:
    """The sentences of a Hugging Face JSON-lines split (see the module's description)."""
    path = os.fspath(path)
    prefix = id_prefix if id_prefix is not None else os.path.basename(path)
    names = label_names(os.path.dirname(path) or ".", path)
    sentences = []
    for lineno, line in enumerate(read_text_file(path, columns=False, encoding=encoding or "utf-8").lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise DataError(f"invalid JSON ({e})", path=path, line=lineno) from None
        sentences.append(sentence_from_row(obj, names, path, lineno, f"{prefix}:{len(sentences)}"))
    if not sentences:
        raise DataError("no sentences in the file", path=path)
    return sentences


def sentence_from_row(obj, names: list[str] | None, path: str, number: int, default_id: str, *,
                      where: str = "line") -> Sentence:
    """One ``{"tokens": [...], "ner_tags": [...], "id": ...}`` record as a sentence; errors name
    ``path`` and the record's ``number`` (a line of a JSON-lines file, or a row of an Arrow table)."""
    def error(message: str) -> DataError:
        if where == "line":
            return DataError(message, path=path, line=number)
        return DataError(f"{where} {number}: {message}", path=path)

    if not isinstance(obj, dict) or not isinstance(obj.get("tokens"), list) or not isinstance(obj.get("ner_tags"), list):
        raise error("expected an object with \"tokens\" and \"ner_tags\" lists")
    tokens, ids = obj["tokens"], obj["ner_tags"]
    if not tokens or not all(isinstance(t, str) and t and not any(c.isspace() for c in t) for t in tokens):
        raise error("\"tokens\" must be a non-empty list of non-empty strings without spaces")
    if len(ids) != len(tokens):
        raise error(f"{len(ids)} ner_tags for {len(tokens)} tokens")
    try:
        tags = [_tag(v, names, path, number) for v in ids]
    except DataError as e:
        if where == "line":
            raise
        raise error(e.reason) from None
    sid = obj.get("id")
    return Sentence(tokens, tags, id=str(sid) if sid is not None else default_id,
                    line=number if where == "line" else None)


def _tag(value, names: list[str] | None, path: str, line: int) -> str:
    if isinstance(value, str):
        return read_tag(value, path, line, hint="or an integer label id")  # type: ignore[return-value]
    if not isinstance(value, int) or isinstance(value, bool):
        raise DataError(f"ner_tags value {value!r} is neither a label id nor a tag", path=path, line=line)
    if names is None:
        raise DataError(f"integer ner_tags need their label names: put the data set's {INFO} (as save_to_disk writes "
                        "it, with the ClassLabel feature) beside the file", path=path, line=line)
    if not 0 <= value < len(names):
        raise DataError(f"ner_tags id {value} is not a label id (the ClassLabel has {len(names)} names)",
                        path=path, line=line)
    return read_tag(names[value], path, line, hint=f"the ClassLabel name of id {value}")  # type: ignore[return-value]


def refuse_arrow(path: str) -> DataError:
    """Arrow (``save_to_disk``) and parquet files are read through pyarrow (:mod:`.hf_arrow`); the
    error when it is not installed."""
    return DataError("reading Arrow / parquet files needs pyarrow, which is not installed: pip install pyarrow (the hf "
                     "extra), or export the split with Dataset.to_json('train.jsonl') and put dataset_info.json "
                     "beside it", path=path)
