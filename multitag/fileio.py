"""Small file helpers: atomic writes of a file (:func:`atomic_write`) and of a folder
(:func:`atomic_folder`), so that a crash or a full disk never leaves a half-written one, and a
folder lock.

Both writers follow one recipe, built from the primitives below: write into a fresh temporary
entry beside the target, flush it to disk, put it in place by a rename (the only step another
process can observe), flush the parent folder, and remove the temporary entry on any failure.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import tempfile
import time
import uuid
from typing import IO, Iterator

from multitag.errors import MultitagError


def current_umask() -> int:
    """The process's umask (read without changing it for longer than the call)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_dir(path: str) -> None:
    """Flush the entries of the folder ``path`` (a rename into it) to disk; a file system that
    cannot sync a folder is not an error."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def make_scratch_folder(parent: str, prefix: str) -> str:
    """A new, empty, private (0700) folder ``parent/<prefix><12 random hex digits>``."""
    while True:
        tmp = os.path.join(parent, f"{prefix}{uuid.uuid4().hex[:12]}")
        try:
            os.mkdir(tmp, 0o700)
            return tmp
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


def replace_folder(new: str, path: str, *, aside_prefix: str) -> None:
    """Put the folder ``new`` at ``path`` by renames. A previous entry at ``path`` is renamed aside
    (to ``<aside_prefix><12 random hex digits>`` in the same parent) and removed only once ``new``
    is in place; if that rename fails, the previous entry is put back."""
    parent = os.path.dirname(path)
    if not os.path.lexists(path):
        os.rename(new, path)
        fsync_dir(parent)
        return
    old = os.path.join(parent, f"{aside_prefix}{uuid.uuid4().hex[:12]}")
    os.rename(path, old)
    try:
        os.rename(new, path)
    except BaseException:
        os.rename(old, path)
        raise
    fsync_dir(parent)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike, *, scratch_prefix: str, aside_prefix: str,
                  private: bool = False) -> Iterator[str]:
    """Build the folder ``path`` atomically: the block writes into the fresh folder it is given
    (``<scratch_prefix><random>`` beside ``path``, with the permissions of a new folder under the
    umask); when the block ends normally every folder in it is synced and it replaces ``path``
    (:func:`replace_folder`). On any exception the temporary folder is removed, ``path`` is left
    as it was and the exception propagates unchanged (callers word their own errors). ``private``:
    the folder keeps mode 0700 (a project's annotations), instead of the umask's mode."""
    path = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    tmp: str | None = make_scratch_folder(parent, scratch_prefix)
    try:
        if not private:
            os.chmod(tmp, 0o777 & ~current_umask())
        yield tmp
        for root, _, _ in os.walk(tmp):
            fsync_dir(root)
        replace_folder(tmp, path, aside_prefix=aside_prefix)
        tmp = None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Write to a temporary file beside ``path`` and rename it over ``path`` only on success.

    Any ``OSError`` while writing (a full disk, a read-only folder) removes the temporary file,
    leaves ``path`` as it was (complete or absent) and becomes a one-line :class:`MultitagError`
    naming ``path``. The file gets the permissions of the file it replaces, or of a new file under the
    umask (``mkstemp`` alone would leave every result readable by its owner only).
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    tmp = None
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
        try:
            wanted = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            wanted = 0o666 & ~current_umask()
        os.chmod(tmp, wanted)
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
        fsync_dir(directory)
    except OSError as e:
        raise MultitagError(f"{path}: cannot write ({e.strerror or e}); the file was left as it was") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


class FolderLock:
    """An exclusive lock on a folder: the file ``folder/name`` held with ``flock`` until
    :meth:`release` (or the process ends), naming its owner's pid, host and start time.

    A second process gets a one-line :class:`MultitagError` naming the owner and ``advice``. A lock
    file left by a process that died is held by no one, so it is simply taken over.
    """

    def __init__(self, folder: str, name: str = ".lock", *, advice: str = "wait for it to finish"):
        self.folder = folder
        self.path = os.path.join(folder, name)
        self.advice = advice
        self._fd: int | None = None

    def acquire(self) -> "FolderLock":
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise MultitagError(f"{self.path}: cannot create the lock file ({e.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                owner = json.loads(os.read(fd, 4096).decode() or "{}")
            except (OSError, ValueError):
                owner = {}
            os.close(fd)
            who = (f"process {owner.get('pid', '?')} on {owner.get('host', '?')} since {owner.get('started', '?')}"
                   if owner else "another process")
            raise MultitagError(f"{self.folder} is in use by {who}; {self.advice}") from None
        info = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                           "started": time.strftime("%Y-%m-%d %H:%M:%S")}).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, info, 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> "FolderLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
