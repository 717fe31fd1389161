"""What a manifest records of the software behind a model, as flair's model card does: the
distribution that provides the backend class, its version, and the installed version of each
library it requires (its framework among them: torch, transformers, flair, sklearn-crfsuite, ...).

Only distribution metadata is read; nothing is imported. A class that no installed distribution
provides (a backend defined in a script or a test) records ``None``.
"""
from __future__ import annotations

import re
from importlib import metadata
from typing import Any

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
_providers: dict[str, list[str]] = {}


def _distribution_of(module: str) -> str | None:
    """The distribution that installs the top-level package of ``module``, or None."""
    top = module.split(".")[0]
    if top not in _providers:  # read the (slow) mapping again only for a package it lacked
        _providers.clear()
        _providers.update(metadata.packages_distributions())
    names = _providers.get(top) or []
    return names[0] if names else None


def _requirements(dist: str) -> dict[str, str]:
    """Installed version of each unconditional requirement of ``dist`` (extras left out), by name."""
    out: dict[str, str] = {}
    for req in metadata.requires(dist) or []:
        marker = req.partition(";")[2]
        if "extra" in marker:
            continue
        m = _NAME.match(req.strip())
        if not m:
            continue
        try:
            out[m[0]] = metadata.version(m[0])
        except metadata.PackageNotFoundError:
            continue
    return dict(sorted(out.items()))


def backend_package(cls: type) -> dict[str, Any] | None:
    """``{"name": ..., "version": ..., "requires": {library: version}}`` of the distribution that
    provides ``cls``, or None when none does."""
    dist = _distribution_of(cls.__module__)
    if dist is None:
        return None
    try:
        version = metadata.version(dist)
    except metadata.PackageNotFoundError:  # pragma: no cover - listed by packages_distributions
        return None
    return {"name": dist, "version": version, "requires": _requirements(dist)}
