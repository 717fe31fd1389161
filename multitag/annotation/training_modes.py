"""What a model trains on when sentences are only partly annotated (paper 000, section 3.2.2).

* ``mask``: unannotated tokens stay ``None`` (no loss); needs a backend with ``partial_training``;
* ``drop``: unannotated tokens are removed from the sentence before training;
* ``mask-entity-like`` / ``drop-entity-like``: first, unannotated tokens whose POS is not NNP/NNPS
  become ``O``; then mask or drop the rest. Needs POS tags;
* ``auto``: ``mask`` for backends with ``partial_training``, else ``drop``.
"""
from __future__ import annotations

from multitag.data.sentence import Corpus, Sentence
from multitag.errors import CompatibilityError

TRAINING_MODES = ("auto", "mask", "drop", "mask-entity-like", "drop-entity-like")
ENTITY_LIKE_POS = frozenset({"NNP", "NNPS"})


def resolve_mode(mode: str, partial_training: bool) -> str:
    if mode not in TRAINING_MODES:
        raise CompatibilityError(f"unknown training mode {mode!r}; use one of {', '.join(TRAINING_MODES)}")
    if mode == "auto":
        return "mask" if partial_training else "drop"
    return mode


def check_mode(mode: str, *, partial_training: bool, has_pos: bool, backend: str) -> str | None:
    """Why ``mode`` cannot be honoured (``None`` if it can)."""
    mode = resolve_mode(mode, partial_training)
    if mode.startswith("mask") and not partial_training:
        return f"training mode {mode!r} needs a backend that learns from partial labels; {backend!r} cannot (use drop)"
    if mode.endswith("entity-like") and not has_pos:
        return f"training mode {mode!r} needs POS tags (NNP/NNPS), and this data has none"
    return None


def _fill_entity_like(s: Sentence) -> Sentence:
    assert s.pos is not None
    return s.with_tags([t if t is not None or p in ENTITY_LIKE_POS else "O" for t, p in zip(s.tags, s.pos)])


def _drop_unannotated(s: Sentence) -> Sentence | None:
    keep = [i for i, t in enumerate(s.tags) if t is not None]
    if not keep:
        return None
    return Sentence([s.tokens[i] for i in keep], [s.tags[i] for i in keep],
                    None if s.pos is None else [s.pos[i] for i in keep], id=s.id)


def apply_mode(corpus: Corpus, mode: str) -> Corpus:
    """The training corpus for ``mode`` (already resolved: not ``auto``)."""
    out = []
    for s in corpus:
        if s.is_fully_annotated:
            out.append(s)
            continue
        if mode.endswith("entity-like"):
            s = _fill_entity_like(s)
        if mode.startswith("drop"):
            d = _drop_unannotated(s)
            if d is not None:
                out.append(d)
        else:
            out.append(s)
    return Corpus(out, name=corpus.name)
