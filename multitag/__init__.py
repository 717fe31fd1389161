"""multitag: active learning for sequence tagging.

Importing this package never imports torch or any backend library; backends are found through the
``multitag.backends`` entry-point group and imported only when used.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from multitag.errors import CompatibilityError, DataError, MultitagError

if TYPE_CHECKING:  # pragma: no cover
    from multitag.backend import Tagger

__version__ = "0.1.0"

__all__ = ["MultitagError", "DataError", "CompatibilityError", "load", "__version__"]


def load(path: str) -> "Tagger":
    """Load the model folder ``path`` written by ``Tagger.save`` / ``multitag train --out``, whatever
    its backend (found by its registered name; see :func:`multitag.persistence.load_model`)."""
    from multitag.persistence import load_model

    return load_model(path)
