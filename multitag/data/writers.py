"""Writers for CoNLL column files and JSONL (atomic: a file is complete or absent)."""
from __future__ import annotations

import json
import os
from typing import Iterable

from multitag.data.readers import UNANNOTATED
from multitag.data.schemes import is_valid_tag
from multitag.data.sentence import Sentence
from multitag.errors import MultitagError
from multitag.fileio import atomic_write


def write_conll(sentences: Iterable[Sentence], path: str | os.PathLike) -> None:
    """``TOKEN TAG`` per line (``TOKEN POS _ TAG`` when POS is known), a blank line after each sentence."""
    with atomic_write(path) as fh:
        with_pos = None
        for s in sentences:
            if with_pos is None:
                with_pos = s.pos is not None
            elif with_pos != (s.pos is not None):
                raise MultitagError(f"write_conll: sentence {s.id}: some sentences have POS tags and others not; "
                                    "a CoNLL file needs the same columns on every line")
            bad = next((t for t in s.tokens if not t or t == "-DOCSTART-" or any(c.isspace() for c in t)), None)
            if bad is not None:
                raise MultitagError(f"write_conll: sentence {s.id}: token {bad!r} cannot be written to a CoNLL file "
                                    "(empty, whitespace or -DOCSTART-); use write_jsonl")
            bad = next((p for p in s.pos or () if not p or any(c.isspace() for c in p)), None)
            if bad is not None:
                raise MultitagError(f"write_conll: sentence {s.id}: POS tag {bad!r} cannot be written to a CoNLL file "
                                    "(empty or whitespace)")
            bad = next((t for t in s.tags if t is not None and not is_valid_tag(t)), None)
            if bad is not None:
                raise MultitagError(f"write_conll: sentence {s.id}: {bad!r} is not a tag (O or B-/I-/E-/S-TYPE)")
            for i, tok in enumerate(s.tokens):
                tag = s.tags[i] if s.tags[i] is not None else UNANNOTATED
                if s.pos is not None:
                    fh.write(f"{tok} {s.pos[i]} _ {tag}\n")
                else:
                    fh.write(f"{tok} {tag}\n")
            fh.write("\n")


def write_jsonl(sentences: Iterable[Sentence], path: str | os.PathLike) -> None:
    """One JSON object per sentence: ``id``, ``tokens``, ``tags`` (``null`` when not annotated), ``pos`` when known."""
    with atomic_write(path) as fh:
        for s in sentences:
            obj: dict = {"id": s.id, "tokens": list(s.tokens), "tags": list(s.tags)}
            if s.pos is not None:
                obj["pos"] = list(s.pos)
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
