"""The model template: one folder layout, one manifest, one loader for every backend.

A saved model is a folder holding ``multitag.json`` (the manifest) and the files the backend's
:meth:`~multitag.backend.Tagger._save_state` hook wrote, and nothing else::

    {"format": "multitag-model", "version": 1,
     "backend": "crf",                      # registered name (reverse lookup), or null
     "class": "CRFTagger",                  # informational only: never imported
     "params": {"c1": 0.1, "cluster_sizes": [32, 128, 512], "max_seconds": null, ...},
     "labels": ["O", "B-PER", ...],
     "files": {"model.crfsuite": {"size": 40213, "sha256": "..."}, ...},
     "training": {"epochs_run": 12, "best_epoch": 9, "seconds": 41.2, ...},   # optional
     "multitag": "0.1.0", "created": "2025-01-01T12:00:00+00:00"}

Loading (:func:`load_model`, also ``multitag.load``) resolves the class only through
:mod:`multitag.registry` from the stored name (a module path read from a file is never imported),
checks the size and sha256 of every listed file before the backend opens any of them, refuses files
the manifest does not list, and only then builds ``cls(labels=..., **params)`` and calls its
``_load_state`` hook. Saving (:func:`save_model`) writes into a fresh temporary folder beside the
target and swaps it into place by renames, so an interrupted save (full disk, permissions) leaves
the previous model untouched.

This module imports neither torch nor any backend.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import inspect
import json
import math
import os
import re
import shutil
import socket
import stat
import uuid
from typing import TYPE_CHECKING, Any

from multitag.errors import MultitagError
from multitag.fileio import current_umask

if TYPE_CHECKING:  # pragma: no cover
    from multitag.backend import Tagger

FORMAT = "multitag-model"
VERSION = 1
MANIFEST = "multitag.json"
_MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_OLDER = "written by an older multitag or not a model; retrain"


# ---------------------------------------------------------------------- typed JSON

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


def _wants_tuple(default: Any, annotation: Any) -> bool:
    if isinstance(default, tuple):
        return True
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    return any(part.strip().lower().startswith("tuple") for part in str(text).split("|"))


def params_from_manifest(cls: type, params: dict[str, Any], *, where: str = "") -> dict[str, Any]:
    """The ``params`` of a manifest back in the types of ``cls``'s constructor, each checked
    against its declaration: a list becomes a tuple where the default (or the annotation) is a
    tuple; a name the constructor lacks, or a value that does not fit the declared type, is a
    one-line :class:`MultitagError` naming the parameter (allowed *values*, such as a feature set's
    names, are the backend's to check in its ``_load_state``)."""
    from multitag.params import _coerce, _type_of, param_infos

    sig = inspect.signature(cls.__init__)
    try:
        infos = {i.name: i for i in param_infos(cls)}
    except Exception:  # pragma: no cover - an unusual constructor: names only
        infos = {}
    out = {}
    for name, value in params.items():
        p = sig.parameters.get(name)
        if p is None or name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            have = ", ".join(n for n in sig.parameters if n not in ("self", "labels"))
            raise MultitagError(f"{where}{cls.__name__} has no parameter {name!r} (it has {have}); "
                                "the model was saved by another version of the backend; retrain")
        info = infos.get(name)
        if info is not None and name != "labels":
            try:
                typed = _coerce(value, _type_of(info))
            except (ValueError, TypeError):
                raise MultitagError(f"{where}{MANIFEST}: parameter {name!r} of {cls.__name__} expects "
                                    f"{info.expected()}, not {value!r:.80}; the manifest was edited or "
                                    "damaged") from None
            if isinstance(typed, (list, tuple)):
                value = typed
        if isinstance(value, list) and _wants_tuple(p.default, p.annotation):
            value = tuple(value)
        out[name] = value
    return out


# ---------------------------------------------------------------------- manifest

def _one_line(e: BaseException) -> str:
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


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """The validated manifest of the model folder ``path`` (no other file is opened).

    Raises :class:`MultitagError` (one line) for a missing folder, a folder without
    ``multitag.json`` or with one of another format or version, and a malformed manifest.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise MultitagError(f"{path}: no such model folder")
    if not os.path.isdir(path):
        raise MultitagError(f"{path}: not a model folder ({_OLDER})")
    mpath = os.path.join(path, MANIFEST)
    if not os.path.lexists(mpath):
        raise MultitagError(f"{path}: no {MANIFEST}: {_OLDER}")
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
        m = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise MultitagError(f"{mpath}: the manifest is not valid JSON ({_one_line(e)})") from None
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
    return m


def _listing(folder: str) -> tuple[set[str], list[str]]:
    """Relative names of the regular files under ``folder`` and of anything else found there
    (symbolic links, devices, ...), both with ``/`` separators."""
    files, odd = set(), []
    for root, dirs, names in os.walk(folder, followlinks=False):
        for d in list(dirs):
            full = os.path.join(root, d)
            if os.path.islink(full):
                odd.append(os.path.relpath(full, folder).replace(os.sep, "/"))
                dirs.remove(d)
        for n in names:
            full = os.path.join(root, n)
            rel = os.path.relpath(full, folder).replace(os.sep, "/")
            if stat.S_ISREG(os.lstat(full).st_mode):
                files.add(rel)
            else:
                odd.append(rel)
    return files, sorted(odd)


def _digest(full: str, *, expected_size: int | None = None, sync: bool = False) -> tuple[int, str]:
    """``(size, sha256)`` of the regular file ``full``, opened without following a symbolic link;
    with ``expected_size``, a size mismatch is reported before any byte is read."""
    fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise MultitagError(f"{full}: not a regular file")
        if expected_size is not None and st.st_size != expected_size:
            return st.st_size, ""
        if sync:
            os.fsync(fh.fileno())
        return st.st_size, hashlib.file_digest(fh, "sha256").hexdigest()


def verify_files(path: str | os.PathLike, manifest: dict[str, Any]) -> None:
    """Check that the folder ``path`` holds exactly ``multitag.json`` and the files ``manifest``
    lists, each with its recorded size and sha256 (nothing is parsed). Raises
    :class:`MultitagError` naming the first file that is missing, changed or unexpected."""
    path = os.fspath(path)
    present, odd = _listing(path)
    if odd:
        raise MultitagError(f"{path}: {odd[0]} is not a regular file (a model folder holds only regular files)")
    listed = manifest["files"]
    unexpected = sorted(present - set(listed) - {MANIFEST})
    if unexpected:
        raise MultitagError(f"{path}: {unexpected[0]} is not listed in {MANIFEST} (a model folder holds only "
                            f"{MANIFEST} and the files it lists); remove it")
    for rel in sorted(listed):
        info = listed[rel]
        if rel not in present:
            raise MultitagError(f"{path}: {rel} is missing (listed in {MANIFEST}); the model is incomplete")
        try:
            size, digest = _digest(os.path.join(path, *rel.split("/")), expected_size=info["size"])
        except OSError as e:
            raise MultitagError(f"{path}: cannot read {rel} ({e.strerror or e})") from None
        if size != info["size"]:
            raise MultitagError(f"{path}: {rel} has {size} bytes, the manifest says {info['size']}: "
                                "the file is truncated or was replaced")
        if digest != info["sha256"]:
            raise MultitagError(f"{path}: {rel} does not match its sha256 in {MANIFEST}: the file was changed "
                                "or replaced")


# ---------------------------------------------------------------------- load

def _resolve_class(manifest: dict[str, Any], path: str, expected: type | None) -> tuple[type, str]:
    from multitag import registry

    name = manifest["backend"]
    what = name or manifest["class"]
    if expected is not None:
        if name is not None:
            mine = registry.name_of(expected)
            if mine != name:
                raise MultitagError(f"{path}: holds a {name!r} model, not a {expected.__name__}"
                                    + (f" ({mine!r})" if mine else ""))
        elif manifest["class"] != expected.__name__:
            raise MultitagError(f"{path}: holds a {manifest['class']} model, not a {expected.__name__}")
        return expected, what
    if name is None:
        raise MultitagError(f"{path}: the model's backend ({manifest['class']}) was not registered when it was "
                            "saved, so it cannot be found by name; load it with its class: TheClass.load(path)")
    try:
        cls = registry.resolve(name).cls
    except MultitagError as e:
        raise MultitagError(f"{path}: this model needs the backend {name!r}: {e}") from None
    return cls, what


def load_model(path: str | os.PathLike, *, expected: type | None = None) -> "Tagger":
    """Read a model folder written by :func:`save_model` (``multitag.load``).

    Parameters
    ----------
    path : str
        The model folder.
    expected : Tagger subclass, optional
        When given (``Cls.load(path)``), the manifest must name this class; otherwise the class is
        found through the registry from the stored backend name.

    Raises
    ------
    MultitagError
        One line, for every reason the folder cannot be loaded: not a model, other format or
        version, unregistered or uninstalled backend, a missing, truncated, changed or unlisted
        file, parameters the class does not have, or a state the backend cannot read.
    """
    from multitag.backend import Tagger

    path = os.fspath(path)
    manifest = read_manifest(path)
    remove_stale(path)
    cls, what = _resolve_class(manifest, path, expected)
    if not (isinstance(cls, type) and issubclass(cls, Tagger)):
        raise MultitagError(f"{path}: backend {what!r} is not a Tagger")
    verify_files(path, manifest)
    params = params_from_manifest(cls, manifest["params"], where=f"{path}: ")
    params.pop("labels", None)
    try:
        tagger = cls(labels=list(manifest["labels"]), **params)
    except TypeError as e:
        raise MultitagError(f"{path}: cannot build {cls.__name__} from the saved parameters ({_one_line(e)})") from e
    try:
        tagger._load_state(path)
    except MultitagError as e:
        msg = str(e)
        raise MultitagError(msg if path in msg else f"{path}: {msg}") from e
    except Exception as e:  # a state file the backend cannot parse: the model is damaged
        raise MultitagError(f"{path}: cannot load the {what} model state ({type(e).__name__}: {_one_line(e)})") from e
    return tagger


# ---------------------------------------------------------------------- save

def is_model_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder with a manifest of this format (its files are not checked)."""
    try:
        with open(os.path.join(os.fspath(path), MANIFEST), "rb") as fh:
            m = json.loads(fh.read(_MAX_MANIFEST_BYTES).decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(m, dict) and m.get("format") == FORMAT


def _fsync_dir(path: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def build_manifest(tagger: "Tagger", files: dict[str, dict[str, Any]], *, extra: dict | None = None) -> dict[str, Any]:
    """The manifest of ``tagger`` with the inventory ``files`` (relative path -> size, sha256)."""
    import multitag
    from multitag import registry

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
        "multitag": multitag.__version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if training:
        manifest["training"] = _finite(training)
    return manifest


def check_save_target(path: str | os.PathLike) -> bool:
    """Refuse ``path`` as a model folder to write (a file, a link, or a non-empty folder that is not a
    multitag model) before any work is done; return whether something is there (a model, or an
    empty folder, which a save replaces)."""
    path = os.path.abspath(os.fspath(path))
    if not os.path.lexists(path):
        return False
    if os.path.islink(path) or not os.path.isdir(path):
        raise MultitagError(f"{path} exists and is not a folder; refusing to overwrite it with a model")
    if os.listdir(path) and not is_model_folder(path):
        raise MultitagError(f"{path} is a non-empty folder that is not a multitag model; refusing to overwrite "
                            "it (choose another folder, or empty it)")
    return True


def save_model(tagger: "Tagger", path: str | os.PathLike, *, extra: dict[str, Any] | None = None) -> None:
    """Write ``tagger`` to the folder ``path`` atomically (``Tagger.save``).

    The backend's ``_save_state`` hook writes into a fresh temporary folder beside ``path``; the
    manifest lists every file it wrote with size and sha256; then the folder is swapped into place
    by renames (a previous model at ``path`` is renamed aside, the new one renamed in, the old one
    removed). On any failure the temporary folder is removed and a previous model at ``path`` is
    left as it was.

    Parameters
    ----------
    extra : dict, optional
        Typed JSON data stored under ``training`` with the backend's ``training_summary()`` (e.g.
        the scores and timings of ``multitag train``).

    Raises
    ------
    MultitagError
        ``path`` is a file or a non-empty folder that is not a multitag model (never overwritten); a
        parameter is not JSON-serialisable; writing failed (disk full, permissions).
    """
    path = os.path.abspath(os.fspath(path))
    cls = type(tagger)
    existed = check_save_target(path)
    build_manifest(tagger, {}, extra=extra)  # refuse bad parameters before anything is written
    parent, base = os.path.split(path)
    tmp = None
    try:
        os.makedirs(parent, exist_ok=True)
        remove_stale(path)
        tmp = _make_scratch(parent, base, "saving")
        os.chmod(tmp, 0o777 & ~current_umask())
        tagger._save_state(tmp)
        present, odd = _listing(tmp)
        if odd:
            raise MultitagError(f"cannot save {cls.__name__}: its _save_state wrote {odd[0]}, which is not a regular file")
        if MANIFEST in present:
            raise MultitagError(f"cannot save {cls.__name__}: its _save_state wrote {MANIFEST}, a name the template owns")
        files = {}
        for rel in sorted(present):
            size, digest = _digest(os.path.join(tmp, *rel.split("/")), sync=True)
            files[rel] = {"size": size, "sha256": digest}
        manifest = build_manifest(tagger, files, extra=extra)
        with open(os.path.join(tmp, MANIFEST), "w", encoding="utf-8") as fh:
            fh.write(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        for root, _, _ in os.walk(tmp):
            _fsync_dir(root)
        _swap(tmp, path)
        tmp = None
    except MultitagError:
        raise
    except OSError as e:
        raise MultitagError(f"cannot save the model to {path}: {e.strerror or _one_line(e)}"
                            + ("; the model there was left unchanged" if existed else "")) from e
    except Exception as e:  # a library's own error for a failed write (safetensors reports ENOSPC so)
        raise MultitagError(f"cannot save the model to {path}: {type(e).__name__}: {_one_line(e)}"
                            + ("; the model there was left unchanged" if existed else "")) from e
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _swap(new: str, path: str) -> None:
    """Put the folder ``new`` at ``path`` by renames; a previous folder there is removed only once
    ``new`` is in place (and put back if that fails)."""
    parent, base = os.path.split(path)
    if not os.path.lexists(path):
        os.rename(new, path)
        _fsync_dir(parent)
        return
    old = os.path.join(parent, f".{base}.old-{_writer_tag()}-{uuid.uuid4().hex[:12]}")
    os.rename(path, old)
    try:
        os.rename(new, path)
    except BaseException:
        os.rename(old, path)
        raise
    _fsync_dir(parent)
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------- stale temporary folders
#
# A save writes ``.M.saving-<writer>-<random>`` beside the model M and, while it swaps, renames the
# previous model to ``.M.old-<writer>-<random>``. ``<writer>`` is ``<host>_<boot>_<pid>_<start>``:
# the host name (letters and digits), the first 8 hex digits of the kernel's boot id, the writer's
# process id and its start time (clock ticks since boot, from /proc), so that a later save or load
# of M can tell a folder whose writer was killed (removed) from one that is still being written
# (kept), even when the pid has been reused.

_STALE = re.compile(r"^(?:saving|old)-([A-Za-z0-9]*)_([0-9a-f]{8})_([0-9]+)_([0-9]+)-[0-9A-Za-z_]+$")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:40]


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
            text = fh.read().strip().replace("-", "").lower()
    except OSError:
        return "00000000"
    return text[:8] if re.fullmatch(r"[0-9a-f]{8,}", text) else "00000000"


def _start_time(pid: int) -> int:
    """Start time of process ``pid`` in clock ticks since boot (0 where it cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            text = fh.read().decode("ascii", "replace")
        return int(text[text.rindex(")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return 0


def _writer_tag(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    return f"{_host()}_{_boot_id()}_{pid}_{_start_time(pid)}"


def _make_scratch(parent: str, base: str, kind: str) -> str:
    while True:
        tmp = os.path.join(parent, f".{base}.{kind}-{_writer_tag()}-{uuid.uuid4().hex[:12]}")
        try:
            os.mkdir(tmp, 0o700)
            return tmp
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


def _writer_gone(host: str, boot: str, pid: int, start: int) -> bool:
    """Whether the writer a scratch folder names has certainly ended (never guesses "gone" for a
    folder written from another host)."""
    if host != _host():
        return False
    mine = _boot_id()
    if boot != mine and "00000000" not in (boot, mine):
        return True  # written before the machine last booted
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, owned by someone else
    except OSError:  # pragma: no cover
        return False
    now = _start_time(pid)
    return bool(start and now and now != start)  # the pid was reused by a later process


def remove_stale(path: str | os.PathLike) -> list[str]:
    """Remove the ``.M.saving-*`` and ``.M.old-*`` folders beside the model ``path`` whose writer
    has ended (a save that was killed); folders of a live writer, of another host, or of a name
    this module did not write are left alone. Returns the removed paths; never raises."""
    removed: list[str] = []
    try:
        parent, base = os.path.split(os.path.abspath(os.fspath(path)))
        prefix = f".{base}."
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(prefix):
            continue
        m = _STALE.match(name[len(prefix):])
        if not m:
            continue
        full = os.path.join(parent, name)
        try:
            if os.path.islink(full) or not os.path.isdir(full):
                continue
            if not _writer_gone(m[1], m[2], int(m[3]), int(m[4])):
                continue
            shutil.rmtree(full)
            removed.append(full)
        except (OSError, ValueError):
            continue
    return removed
