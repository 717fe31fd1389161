"""The temporary folders of a save, named after their writer, and the removal of stale ones.

A save writes ``.M.saving-<writer>-<random>`` beside the model M and, while it swaps, renames the
previous model to ``.M.old-<writer>-<random>``. ``<writer>`` is ``<host>_<boot>_<pid>_<start>``:
the host name (letters and digits), the first 8 hex digits of the kernel's boot id, the writer's
process id and its start time (clock ticks since boot, from /proc), so that a later save or load
of M can tell a folder whose writer was killed (removed) from one that is still being written
(kept), even when the pid has been reused.
"""
from __future__ import annotations

import os
import re
import shutil
import socket

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


def scratch_prefix(base: str, kind: str) -> str:
    """The name of a temporary folder of this process beside the model ``base``, up to its random
    suffix: ``kind`` is ``saving`` (the new model) or ``old`` (the previous one, while swapping)."""
    return f".{base}.{kind}-{_writer_tag()}-"


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
