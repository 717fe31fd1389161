"""Loading a model: the class only through the registry, every file checked before the backend
opens one, then ``cls(labels=..., **params)`` and its ``_load_state`` hook."""
from __future__ import annotations

import os
from typing import Any

from multitag import registry
from multitag.errors import MultitagError
from multitag.persistence.files import verify_files
from multitag.persistence.manifest import one_line, read_manifest
from multitag.persistence.scratch import remove_stale
from multitag.persistence.typed_params import params_from_manifest


def _resolve_class(manifest: dict[str, Any], path: str, expected: type | None) -> tuple[type, str]:
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


def load_model(path: str | os.PathLike, *, expected: type | None = None) -> Any:
    """Read a model folder written by :func:`~multitag.persistence.save_model` (``multitag.load``);
    returns the :class:`~multitag.backend.Tagger`.

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
    path = os.fspath(path)
    manifest = read_manifest(path)
    remove_stale(path)
    cls, what = _resolve_class(manifest, path, expected)
    if not registry.is_tagger_class(cls):
        raise MultitagError(f"{path}: backend {what!r} is not a Tagger")
    verify_files(path, manifest)
    params = params_from_manifest(cls, manifest["params"], where=f"{path}: ")
    params.pop("labels", None)
    try:
        tagger = cls(labels=list(manifest["labels"]), **params)
    except TypeError as e:
        raise MultitagError(f"{path}: cannot build {cls.__name__} from the saved parameters ({one_line(e)})") from e
    try:
        tagger._load_state(path)
    except MultitagError as e:
        msg = str(e)
        raise MultitagError(msg if path in msg else f"{path}: {msg}") from e
    except Exception as e:  # a state file the backend cannot parse: the model is damaged
        raise MultitagError(f"{path}: cannot load the {what} model state ({type(e).__name__}: {one_line(e)})") from e
    return tagger
