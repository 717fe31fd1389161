"""Creating a project: read and check the text (and the gold set), validate the settings, and
write the store into a temporary folder that becomes the project folder by one rename
(:func:`multitag.fileio.atomic_folder`), so the folder appears complete or not at all."""
from __future__ import annotations

import hashlib
import json
import os
import uuid
from typing import Sequence

from multitag.annotation.levels import DEFAULT_LEVEL
from multitag.data import load_dataset
from multitag.data.sentence import Sentence
from multitag.errors import MultitagError
from multitag.fileio import atomic_folder
from multitag.project.importer import now
from multitag.project.ingest import Document, read_text
from multitag.project.models import MODELS
from multitag.project.settings import Settings, check_settings
from multitag.project.store import DB_NAME, Store


def _sentence_hash(text: str, tokens: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps([text, list(tokens)], ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def _write_store(folder: str, docs: list[Document], gold: list[Sentence] | None, settings: Settings, text_file: str,
                 eval_file: str | None) -> tuple[int, int, int]:
    """Write the store of a new project into ``folder``: its meta, its text (the tags that came with
    it as round 0) and its gold set. Returns the numbers of sentences, tokens and annotated tokens."""
    store = Store(folder, create=True)
    store.create_schema({"project_uid": uuid.uuid4().hex, "settings": settings.to_json(), "created": now(),
                         "text_file": os.path.abspath(text_file), "eval_file": os.path.abspath(eval_file) if eval_file else None})
    n_sent = n_tok = n_ann = 0
    with store.transaction():
        stamp = now()
        text_round = any(tags is not None and any(t is not None for t in tags) for d in docs for tags in d.tags)
        if text_round:
            store.rounds.add_text_round(stamp, DEFAULT_LEVEL)
        for d in docs:
            doc_id = store.text.add_document(d.name, d.text)
            for piece, tags, pos, source in zip(d.sentences, d.tags, d.pos, d.sources):
                sid = store.text.add_sentence(document_id=doc_id, offset=piece.offset, text=piece.text,
                                              tokens=piece.tokens, starts=piece.starts, ends=piece.ends, pos=pos,
                                              hash=_sentence_hash(piece.text, piece.tokens), source=source)
                n_sent += 1
                n_tok += len(piece.tokens)
                for t, tag in enumerate(tags or []):
                    if tag is not None:
                        store.annotations.add(sentence_id=sid, token=t, tag=tag, round_id=0, query_id=None,
                                              annotator=f"file:{os.path.basename(text_file)}", import_id=None,
                                              created=stamp)
                        n_ann += 1
        for s in gold or []:
            store.text.add_eval_sentence(tokens=s.tokens, tags=s.tags, pos=s.pos, source=f"{eval_file}:{s.line}")
    store.close()
    return n_sent, n_tok, n_ann


def init_project(path: str, text_file: str, settings: Settings, *, text_format: str = "auto", documents: bool = False,
                 eval_file: str | None = None) -> dict:
    """Create project ``path`` from ``text_file``; the folder appears complete or not at all."""
    if os.path.exists(os.path.join(path, DB_NAME)):
        raise MultitagError(f"{path} is already a project; use another folder")
    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise MultitagError(f"{path} exists and is not an empty folder; use another folder")
    docs = read_text(text_file, fmt=text_format, tokenizer_name=settings.tokenizer, documents=documents)
    found = {t[2:] for d in docs for tags in d.tags if tags for t in tags if t not in (None, "O")}
    unknown = found - set(settings.entity_types) if settings.entity_types else set()
    if unknown:
        raise MultitagError(f"{text_file}: tags of types {', '.join(sorted(unknown))} are not among --labels "
                            f"{','.join(settings.entity_types)}")
    if not settings.entity_types:
        settings.entity_types = sorted(found)
    settings.entity_types = sorted(set(settings.entity_types))
    has_pos = all(p is not None for d in docs for p in d.pos)
    gold = None
    if eval_file:
        gold = load_dataset(eval_file).train
        if any(not s.is_fully_annotated for s in gold):
            raise MultitagError(f"{eval_file}: the gold evaluation set must be fully annotated")
        extra = {t[2:] for s in gold for t in s.tags if t != "O"} - set(settings.entity_types or found)
        if extra:
            raise MultitagError(f"{eval_file}: gold tags of types {', '.join(sorted(extra))} are not project labels")
    settings = check_settings(settings, has_pos=has_pos)
    base = os.path.basename(os.path.abspath(path))
    try:
        # an empty folder at ``path`` (checked above) is put aside and removed once the project is in place
        with atomic_folder(path, scratch_prefix=f".{base}.init-", aside_prefix=f".{base}.empty-",
                           private=True) as tmp:   # 0700, as a project folder always was
            n_sent, n_tok, n_ann = _write_store(tmp, docs, gold, settings, text_file, eval_file)
            os.makedirs(os.path.join(tmp, MODELS))
    except OSError as e:
        raise MultitagError(f"{path}: cannot create the project ({e.strerror}); nothing was written") from None
    return {"sentences": n_sent, "tokens": n_tok, "annotated_tokens": n_ann, "labels": settings.entity_types,
            "eval_sentences": len(gold or [])}
