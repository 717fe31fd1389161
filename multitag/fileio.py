"""Small file helpers: atomic writes, so that a crash or a full disk never leaves a half-written file."""
from __future__ import annotations

import contextlib
import os
import tempfile
from typing import IO, Iterator

from multitag.errors import MultitagError


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Write to a temporary file beside ``path`` and rename it over ``path`` only on success.

    Any ``OSError`` while writing (a full disk, a read-only folder) removes the temporary file,
    leaves ``path`` as it was (complete or absent) and becomes a one-line :class:`MultitagError`
    naming ``path``.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    tmp = None
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        raise MultitagError(f"{path}: cannot write ({e.strerror or e}); the file was left as it was") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
