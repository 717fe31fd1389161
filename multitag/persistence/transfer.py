"""A fitted model as bytes in memory, and back: how a model travels to other processes (the shards
of a round's pool pass on Dask workers) without pickle.

:func:`model_files` saves the model through the template into a temporary folder and reads every
file; :func:`model_from_files` writes them into a temporary folder and loads it with
:func:`~multitag.persistence.load_model` (sizes and sha256 checked as for any model folder).
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from typing import Any

from multitag.persistence.loading import load_model
from multitag.persistence.saving import save_model


def model_files(tagger: Any) -> dict[str, bytes]:
    """Every file of ``tagger``'s model folder (relative path -> contents)."""
    with tempfile.TemporaryDirectory(prefix="multitag-ship-") as tmp:
        folder = os.path.join(tmp, "model")
        save_model(tagger, folder)
        out: dict[str, bytes] = {}
        for root, _, names in os.walk(folder):
            for name in names:
                full = os.path.join(root, name)
                with open(full, "rb") as fh:
                    out[os.path.relpath(full, folder)] = fh.read()
        return out


def files_digest(files: dict[str, bytes]) -> str:
    """A sha256 over the files (names and contents): the identity of a shipped model."""
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode("utf-8") + b"\0" + hashlib.sha256(files[rel]).digest())
    return h.hexdigest()


def model_from_files(files: dict[str, bytes], cls: type | None = None) -> Any:
    """The model :func:`model_files` read, loaded here (as ``cls``, the class of the model that was
    shipped, when given: a backend need not be registered under a name)."""
    with tempfile.TemporaryDirectory(prefix="multitag-ship-") as tmp:
        folder = os.path.join(tmp, "model")
        for rel, data in files.items():
            full = os.path.normpath(os.path.join(folder, rel))
            if not full.startswith(folder + os.sep):
                raise ValueError(f"shipped model file outside its folder: {rel!r}")
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as fh:
                fh.write(data)
        return load_model(folder, expected=cls)
