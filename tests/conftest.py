"""Fixtures shared by the core and backend tests: hostile files for the persistence tests."""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import pickle

import pytest


class _Payload:
    """Unpickling it runs code: it writes ``marker``."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('pwned')",))


def _dumps(obj, torch_format: bool) -> bytes:
    if not torch_format:
        return pickle.dumps(obj)
    import io

    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _loads(data: bytes, torch_format: bool) -> None:
    if not torch_format:
        pickle.loads(data)
        return
    import io

    import torch

    torch.load(io.BytesIO(data), weights_only=False)


@pytest.fixture
def evil_pickle(tmp_path):
    """``evil_pickle(marker, torch_format=False) -> bytes``: a pickle (or a ``torch.save`` file)
    that creates the file ``marker`` when unpickled. The same construction is first proved on a
    spare marker, so a test that finds no marker is not fooled by a payload that never worked."""

    def make(marker: str, *, torch_format: bool = False) -> bytes:
        probe = str(tmp_path / "probe-marker")
        _loads(_dumps(_Payload(probe), torch_format), torch_format)
        assert os.path.exists(probe), "the test payload does not run code when unpickled"
        os.remove(probe)
        return _dumps(_Payload(marker), torch_format)

    return make


@pytest.fixture
def rehash():
    """``rehash(folder)``: rewrite the manifest's file list to match the folder's files as they now
    are (what someone crafting a model folder would do), keeping everything else."""

    def _rehash(folder: str) -> None:
        mpath = os.path.join(folder, "multitag.json")
        with open(mpath, encoding="utf-8") as fh:
            manifest = json.load(fh)
        files = {}
        for root, _, names in os.walk(folder):
            for n in names:
                full = os.path.join(root, n)
                rel = os.path.relpath(full, folder).replace(os.sep, "/")
                if rel == "multitag.json":
                    continue
                with open(full, "rb") as fh:
                    data = fh.read()
                files[rel] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        manifest["files"] = files
        with open(mpath, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh)

    return _rehash


class DiskFaults:
    """Counts the write events of a save (each ``write`` on a file opened for writing, each
    ``os.rename``) and raises ``OSError(ENOSPC)`` at event number ``fail_at``."""

    def __init__(self, fail_at: int):
        self.fail_at = fail_at
        self.events = 0
        self.fired = False

    def tick(self, what: str) -> None:
        self.events += 1
        if self.events == self.fail_at:
            self.fired = True
            raise OSError(errno.ENOSPC, f"No space left on device (injected at {what})")


class _FaultyFile:
    def __init__(self, fh, faults: DiskFaults, name: str):
        self._fh, self._faults, self._name = fh, faults, name

    def write(self, data):
        self._faults.tick(f"write {os.path.basename(self._name)}")
        return self._fh.write(data)

    def __getattr__(self, attr):
        return getattr(self._fh, attr)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()
        return False

    def __iter__(self):
        return iter(self._fh)


@pytest.fixture
def disk_faults():
    """``with disk_faults(k) as faults: ...``: inside the block the k-th write event fails with a full
    disk (see :class:`DiskFaults`); ``faults.fired`` tells whether it was reached."""
    import builtins

    @contextlib.contextmanager
    def inject(fail_at: int):
        faults = DiskFaults(fail_at)
        real_open, real_rename = builtins.open, os.rename

        def faulty_open(file, mode="r", *args, **kwargs):
            fh = real_open(file, mode, *args, **kwargs)
            if any(c in mode for c in "wax+"):
                return _FaultyFile(fh, faults, str(file))
            return fh

        def faulty_rename(src, dst, *args, **kwargs):
            faults.tick(f"rename {os.path.basename(str(src))}")
            return real_rename(src, dst, *args, **kwargs)

        builtins.open, os.rename = faulty_open, faulty_rename
        try:
            yield faults
        finally:
            builtins.open, os.rename = real_open, real_rename

    return inject


@contextlib.contextmanager
def small_disk(folder, size: str = "96k"):
    """Mount a tmpfs of ``size`` on ``folder`` when this process may (root in a container that
    allows it); yields whether it did. Unmounted on exit."""
    import subprocess

    os.makedirs(folder, exist_ok=True)
    mounted = False
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                           capture_output=True, text=True)
        mounted = r.returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], capture_output=True)


@pytest.fixture
def full_disk():
    """The :func:`small_disk` context manager."""
    return small_disk
