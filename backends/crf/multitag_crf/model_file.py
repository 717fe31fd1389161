"""The file crfsuite writes the model it trains into.

crfsuite takes a file name (it seeks while writing, so a pipe will not do) and the tagger keeps the
model as bytes, so the file only lives while :meth:`CRFTagger.fit` runs. By default it is an
anonymous in-memory file (``memfd_create``, reached as ``/proc/self/fd/N``, which the forked
training child inherits): neither a full temporary folder nor a full disk can cut it. With a
folder (``MULTITAG_CRF_SCRATCH``), or where the system has no in-memory files, it is a temporary
file in that folder (or the process's temporary folder), removed afterwards.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from typing import Iterator


@dataclass(frozen=True)
class ScratchFile:
    """``path``: the name crfsuite writes to; ``where``: how error messages name it."""

    path: str
    where: str

    def read(self) -> bytes:
        with open(self.path, "rb") as f:
            return f.read()


def _in_memory_fd() -> int | None:
    """A new anonymous in-memory file, or None where there is none (or no ``/proc/self/fd``)."""
    if not hasattr(os, "memfd_create"):  # pragma: no cover - not Linux
        return None
    try:
        fd = os.memfd_create("multitag-crfsuite-model", os.MFD_CLOEXEC)
    except OSError:  # pragma: no cover - kernel without memfd
        return None
    if not os.path.exists(f"/proc/self/fd/{fd}"):  # pragma: no cover - /proc not mounted
        os.close(fd)
        return None
    return fd


@contextlib.contextmanager
def scratch_model_file(folder: str | None = None) -> Iterator[ScratchFile]:
    """A :class:`ScratchFile` for crfsuite's model: in memory when ``folder`` is None, else a
    temporary file in ``folder``; it is gone when the block ends."""
    fd = _in_memory_fd() if folder is None else None
    if fd is not None:
        try:
            yield ScratchFile(f"/proc/self/fd/{fd}", "crfsuite's in-memory model file")
        finally:
            os.close(fd)
        return
    handle, path = tempfile.mkstemp(suffix=".crfsuite", dir=folder)
    os.close(handle)
    try:
        yield ScratchFile(path, path)
    finally:
        with contextlib.suppress(OSError):
            os.remove(path)
