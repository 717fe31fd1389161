"""A process-wide, bounded cache of extracted features (``pycrfsuite.ItemSequence``) per sentence.

The key of an entry is ``(feature_key, tokens, pos)`` where ``feature_key`` identifies the feature
extractor completely (feature set name plus the fingerprint of the word clusters it uses). Features
are a pure function of that key, so an entry can never be stale; it survives ``clone()`` and new
tagger instances, which is what lets the AL engine re-predict the same pool every iteration with a
freshly fitted model at the cost of inference only.

The bound is in tokens (default 300,000: about 0.4-1.2 GB of item sequences, 1.3-4 KB a token with
and without word clusters; the 204,567 tokens of CoNLL-2003's training set fit). A full cache admits
no new entry: an AL round scans the whole pool every iteration, and over a pool larger than the bound
a least-recently-used cache would miss on every sentence, where this one keeps serving the part that
fits; memory stays bounded whatever the pool's size. Lowering the bound with :func:`set_limit` drops
the least recently used entries; read counters with :func:`stats`.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Hashable, Sequence

import pycrfsuite

_entries: "OrderedDict[tuple, pycrfsuite.ItemSequence]" = OrderedDict()
_sizes: dict[tuple, int] = {}
DEFAULT_LIMIT = 300_000
_state = {"tokens": 0, "limit": DEFAULT_LIMIT, "hits": 0, "misses": 0}


def get(feature_key: Hashable, tokens: Sequence[str], pos: Sequence[str] | None,
        extract: Callable[[], list[list[str]]]) -> pycrfsuite.ItemSequence:
    """The cached item sequence of one sentence, extracting it with ``extract()`` on a miss."""
    key = (feature_key, tuple(tokens), None if pos is None else tuple(pos))
    item = _entries.get(key)
    if item is not None:
        _entries.move_to_end(key)
        _state["hits"] += 1
        return item
    _state["misses"] += 1
    item = pycrfsuite.ItemSequence(extract())
    n = max(1, len(tokens))
    if _state["tokens"] + n <= _state["limit"]:   # full: not admitted (see the module docstring)
        _entries[key] = item
        _sizes[key] = n
        _state["tokens"] += n
    return item


def _evict() -> None:
    while _state["tokens"] > _state["limit"] and _entries:
        key, _ = _entries.popitem(last=False)
        _state["tokens"] -= _sizes.pop(key)


def set_limit(max_tokens: int) -> None:
    """Bound the cache to ``max_tokens`` tokens in total (0 disables caching)."""
    _state["limit"] = int(max_tokens)
    _evict()


def clear() -> None:
    """Drop every entry and reset the counters."""
    _entries.clear()
    _sizes.clear()
    _state.update(tokens=0, hits=0, misses=0)


def stats() -> dict[str, int]:
    """``hits``, ``misses`` (= feature extractions), ``entries``, ``tokens`` held and ``limit``."""
    return {"hits": _state["hits"], "misses": _state["misses"], "entries": len(_entries),
            "tokens": _state["tokens"], "limit": _state["limit"]}
