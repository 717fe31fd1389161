"""Saving a model: refuse a target that is not a model folder, then write the backend's state and
the manifest into a temporary folder that replaces the target by renames
(:func:`multitag.fileio.atomic_folder`)."""
from __future__ import annotations

import json
import os
from typing import Any

from multitag.errors import MultitagError
from multitag.fileio import atomic_folder
from multitag.persistence.files import inventory, listing
from multitag.persistence.manifest import MANIFEST, build_manifest, is_model_folder, one_line
from multitag.persistence.scratch import remove_stale, scratch_prefix


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


def _write_model(tagger: Any, folder: str, extra: dict[str, Any] | None) -> None:
    """The backend's state and the manifest listing it, written into the empty folder ``folder``."""
    cls = type(tagger)
    tagger._save_state(folder)
    present, odd = listing(folder)
    if odd:
        raise MultitagError(f"cannot save {cls.__name__}: its _save_state wrote {odd[0]}, which is not a regular file")
    if MANIFEST in present:
        raise MultitagError(f"cannot save {cls.__name__}: its _save_state wrote {MANIFEST}, a name the template owns")
    manifest = build_manifest(tagger, inventory(folder, present), extra=extra)
    with open(os.path.join(folder, MANIFEST), "w", encoding="utf-8") as fh:
        fh.write(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def save_model(tagger: Any, path: str | os.PathLike, *, extra: dict[str, Any] | None = None) -> None:
    """Write ``tagger`` (a :class:`~multitag.backend.Tagger`) to the folder ``path`` atomically
    (``Tagger.save``).

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
    existed = check_save_target(path)
    build_manifest(tagger, {}, extra=extra)  # refuse bad parameters before anything is written
    base = os.path.basename(path)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        remove_stale(path)
        with atomic_folder(path, scratch_prefix=scratch_prefix(base, "saving"),
                           aside_prefix=scratch_prefix(base, "old")) as tmp:
            _write_model(tagger, tmp, extra)
    except MultitagError:
        raise
    except OSError as e:
        raise MultitagError(f"cannot save the model to {path}: {e.strerror or one_line(e)}"
                            + ("; the model there was left unchanged" if existed else "")) from e
    except Exception as e:  # a library's own error for a failed write (safetensors reports ENOSPC so)
        raise MultitagError(f"cannot save the model to {path}: {type(e).__name__}: {one_line(e)}"
                            + ("; the model there was left unchanged" if existed else "")) from e
