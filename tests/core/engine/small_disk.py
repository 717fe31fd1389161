"""A folder with little free space, for full-disk tests: a real tmpfs where the test may mount one
(root), otherwise a folder whose writes raise ``OSError(ENOSPC)`` past a byte budget (every file
opened under it through ``open`` / ``os.fdopen`` counts against the budget)."""
from __future__ import annotations

import builtins
import contextlib
import errno
import os
import subprocess
from typing import Iterator


class _Limited:
    """A file object proxy that refuses writes once ``budget[0]`` bytes are spent."""

    def __init__(self, fh, budget: list[int]):
        self._fh, self._budget = fh, budget

    def write(self, data):
        n = len(data.encode() if isinstance(data, str) else data)
        if n > self._budget[0]:
            self._budget[0] = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self._budget[0] -= n
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        self._fh.__enter__()
        return self

    def __exit__(self, *exc):
        return self._fh.__exit__(*exc)

    def __iter__(self):
        return iter(self._fh)


@contextlib.contextmanager
def small_disk(folder: str, free_bytes: int) -> Iterator[str]:
    """``folder`` (created) with about ``free_bytes`` of free space while the block runs."""
    os.makedirs(folder, exist_ok=True)
    size_kb = max(4, free_bytes // 1024)
    mounted = False
    if not os.environ.get("MULTITAG_TEST_NO_TMPFS"):
        try:
            mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", folder],
                                     capture_output=True).returncode == 0
        except OSError:
            pass
    if mounted:
        try:
            yield folder
        finally:
            subprocess.run(["umount", "-l", folder], capture_output=True)
        return
    budget = [free_bytes]
    real_open, real_fdopen = builtins.open, os.fdopen
    root = os.path.realpath(folder)

    def under(path) -> bool:
        try:
            p = os.path.realpath(path if not isinstance(path, int) else os.readlink(f"/proc/self/fd/{path}"))
        except OSError:
            return False
        return p.startswith(root + os.sep)

    def limited_open(file, mode="r", *a, **k):
        fh = real_open(file, mode, *a, **k)
        return _Limited(fh, budget) if any(c in mode for c in "wax+") and under(file) else fh

    def limited_fdopen(fd, mode="r", *a, **k):
        fh = real_fdopen(fd, mode, *a, **k)
        return _Limited(fh, budget) if any(c in mode for c in "wax+") and under(fd) else fh

    builtins.open, os.fdopen = limited_open, limited_fdopen
    try:
        yield folder
    finally:
        builtins.open, os.fdopen = real_open, real_fdopen
