"""The files of a model folder: their inventory (size and sha256 of each) and its check."""
from __future__ import annotations

import hashlib
import os
import stat
from typing import Any

from multitag.errors import MultitagError
from multitag.persistence.manifest import MANIFEST


def listing(folder: str) -> tuple[set[str], list[str]]:
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


def digest(full: str, *, expected_size: int | None = None, sync: bool = False) -> tuple[int, str]:
    """``(size, sha256)`` of the regular file ``full``, opened without following a symbolic link;
    with ``expected_size``, a size mismatch is reported (as an empty digest) before any byte is
    read; with ``sync``, the file is flushed to disk first."""
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


def inventory(folder: str, files: set[str]) -> dict[str, dict[str, Any]]:
    """The manifest's ``files`` entry: relative name -> size and sha256, each file synced to disk."""
    out = {}
    for rel in sorted(files):
        size, sha = digest(os.path.join(folder, *rel.split("/")), sync=True)
        out[rel] = {"size": size, "sha256": sha}
    return out


def verify_files(path: str | os.PathLike, manifest: dict[str, Any]) -> None:
    """Check that the folder ``path`` holds exactly ``multitag.json`` and the files ``manifest``
    lists, each with its recorded size and sha256 (nothing is parsed). Raises
    :class:`MultitagError` naming the first file that is missing, changed or unexpected."""
    path = os.fspath(path)
    present, odd = listing(path)
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
            size, sha = digest(os.path.join(path, *rel.split("/")), expected_size=info["size"])
        except OSError as e:
            raise MultitagError(f"{path}: cannot read {rel} ({e.strerror or e})") from None
        if size != info["size"]:
            raise MultitagError(f"{path}: {rel} has {size} bytes, the manifest says {info['size']}: "
                                "the file is truncated or was replaced")
        if sha != info["sha256"]:
            raise MultitagError(f"{path}: {rel} does not match its sha256 in {MANIFEST}: the file was changed "
                                "or replaced")
