"""multitag-transformers: token classification with Hugging Face transformers.

Importing this package imports neither torch nor transformers; :class:`TransformerTagger` is
loaded on first access (``from multitag_transformers import TransformerTagger``).
"""
from __future__ import annotations

__all__ = ["TransformerTagger"]


def __getattr__(name: str):
    if name == "TransformerTagger":
        from multitag_transformers.tagger import TransformerTagger

        return TransformerTagger
    raise AttributeError(f"module 'multitag_transformers' has no attribute {name!r}")
