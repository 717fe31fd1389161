"""The manifest of a model folder, ``multitag.json``: typed JSON data, its reading and validation,
and its building from a tagger (see :mod:`multitag.persistence` for the layout)."""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import stat
from typing import Any

import multitag
from multitag import registry
from multitag.errors import MultitagError
from multitag.persistence.provenance import backend_package

FORMAT = "multitag-model"
VERSION = 1
MANIFEST = "multitag.json"
_MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_OLDER = "written by an older multitag or not a model; retrain"


def to_json(value: Any, what: str) -> Any:
    """``value`` as typed JSON data: tuples become lists; anything else that JSON cannot hold
    exactly (sets, numpy arrays, objects, non-string dict keys) is a :class:`MultitagError` naming
    ``what``. bool, int, float, str and None are kept as they are."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [to_json(v, what) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise MultitagError(f"{what} is not JSON-serialisable: dict key {k!r} is not a string")
            out[k] = to_json(v, what)
        return out
    raise MultitagError(f"{what} is not JSON-serialisable: {type(value).__name__} value {value!r:.80}")


def _finite(value: Any) -> Any:
    """Non-finite floats (a best score of -inf before any epoch) as None, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def one_line(e: BaseException) -> str:
    """The first line of an exception's message (its type name when it has none), at most 300 characters."""
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:300]


def _is_hex64(s: Any) -> bool:
    return isinstance(s, str) and len(s) == 64 and all(c in "0123456789abcdef" for c in s)


def _check_relpath(rel: Any, where: str) -> str:
    if not isinstance(rel, str) or not rel or "\\" in rel or "\x00" in rel or rel.startswith("/"):
        raise MultitagError(f"{where}: the manifest lists a bad file name {rel!r}")
    if any(part in ("", ".", "..") for part in rel.split("/")):
        raise MultitagError(f"{where}: the manifest lists a bad file name {rel!r}")
    if rel == MANIFEST:
        raise MultitagError(f"{where}: the manifest lists itself as a file")
    return rel


def _read_json(mpath: str) -> Any:
    """The parsed manifest file ``mpath`` (a regular file, not a link, of bounded size)."""
    try:
        fd = os.open(mpath, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as e:
        raise MultitagError(f"{mpath}: cannot read the manifest ({e.strerror or e})") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_MANIFEST_BYTES:
            raise MultitagError(f"{mpath}: not a model manifest (not a regular file, or too large)")
        raw = fh.read()
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise MultitagError(f"{mpath}: the manifest is not valid JSON ({one_line(e)})") from None


def _check_format(m: Any, path: str) -> None:
    if not isinstance(m, dict) or "format" not in m:
        raise MultitagError(f"{path}: {MANIFEST} has no format field: {_OLDER}")
    if m["format"] != FORMAT:
        raise MultitagError(f"{path}: {MANIFEST} has format {m['format']!r}, not {FORMAT!r}: {_OLDER}")
    version = m.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise MultitagError(f"{path}: {MANIFEST} has no integer version")
    if version > VERSION:
        raise MultitagError(f"{path}: model format version {version} was written by a newer multitag "
                            f"(this one reads version {VERSION}); upgrade multitag")
    if version < VERSION:
        raise MultitagError(f"{path}: model format version {version} is no longer read "
                            f"(this multitag reads version {VERSION}); retrain")


def _check_fields(m: dict[str, Any], path: str) -> None:
    backend = m.get("backend")
    if backend is not None and not isinstance(backend, str):
        raise MultitagError(f"{path}: {MANIFEST}: backend must be a registered name or null")
    if not isinstance(m.get("class"), str):
        raise MultitagError(f"{path}: {MANIFEST}: class must be a string")
    if not isinstance(m.get("params"), dict):
        raise MultitagError(f"{path}: {MANIFEST}: params must be an object")
    labels = m.get("labels")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise MultitagError(f"{path}: {MANIFEST}: labels must be a list of strings")
    if len(set(labels)) != len(labels):
        dup = next(x for x in labels if labels.count(x) > 1)
        raise MultitagError(f"{path}: {MANIFEST}: label {dup!r} is listed twice")
    files = m.get("files")
    if not isinstance(files, dict):
        raise MultitagError(f"{path}: {MANIFEST}: files must be an object")
    for rel, info in files.items():
        _check_relpath(rel, path)
        if (not isinstance(info, dict) or not isinstance(info.get("size"), int) or isinstance(info.get("size"), bool)
                or info["size"] < 0 or not _is_hex64(info.get("sha256"))):
            raise MultitagError(f"{path}: {MANIFEST}: the entry of {rel!r} needs an integer size and a sha256")
    if m.get("training") is not None and not isinstance(m["training"], dict):
        raise MultitagError(f"{path}: {MANIFEST}: training must be an object or null")


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """The validated manifest of the model folder ``path`` (no other file is opened).

    Raises :class:`MultitagError` (one line) for a missing folder, a folder without
    ``multitag.json`` or with one of another format or version, and a malformed manifest. What it
    records of the software that wrote it (``backend_package``; absent in older manifests) is
    informational and not checked.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise MultitagError(f"{path}: no such model folder")
    if not os.path.isdir(path):
        raise MultitagError(f"{path}: not a model folder ({_OLDER})")
    mpath = os.path.join(path, MANIFEST)
    if not os.path.lexists(mpath):
        raise MultitagError(f"{path}: no {MANIFEST}: {_OLDER}")
    m = _read_json(mpath)
    _check_format(m, path)
    _check_fields(m, path)
    return m


def is_model_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder with a manifest of this format (its files are not checked)."""
    try:
        with open(os.path.join(os.fspath(path), MANIFEST), "rb") as fh:
            m = json.loads(fh.read(_MAX_MANIFEST_BYTES).decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(m, dict) and m.get("format") == FORMAT


def build_manifest(tagger: Any, files: dict[str, dict[str, Any]], *, extra: dict | None = None) -> dict[str, Any]:
    """The manifest of ``tagger`` (a :class:`~multitag.backend.Tagger`) with the inventory ``files``
    (relative path -> size, sha256)."""
    cls = type(tagger)
    params = dict(tagger.get_params())
    labels = params.pop("labels")
    labels = list(labels)
    if not all(isinstance(x, str) for x in labels):
        raise MultitagError(f"cannot save {cls.__name__}: labels must be strings")
    typed = {k: to_json(v, f"cannot save {cls.__name__}: parameter {k!r}") for k, v in params.items()}
    training: dict[str, Any] = {}
    summary = tagger.training_summary()
    if summary:
        training.update(to_json(dict(summary), f"cannot save {cls.__name__}: its training summary"))
    if extra:
        training.update(to_json(dict(extra), f"cannot save {cls.__name__}: the training record"))
    manifest = {
        "format": FORMAT, "version": VERSION, "backend": registry.name_of(cls), "class": cls.__name__,
        "params": typed, "labels": labels, "files": files,
        "multitag": multitag.__version__, "backend_package": backend_package(cls),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if training:
        manifest["training"] = _finite(training)
    return manifest
