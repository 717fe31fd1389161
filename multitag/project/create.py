"""Creating a project: read and check the text (and the gold set), validate the settings, and
write the store into a temporary folder that becomes the project folder by one rename
(:func:`multitag.fileio.atomic_folder`), so the folder appears complete or not at all. Plain text
is streamed into the store in batches (one transaction each), so a million-line file takes the
memory of one batch; a bad line in any batch, or an interrupt, leaves no project."""
from __future__ import annotations

import hashlib
import json
import os
import uuid
from typing import Callable, Iterator, Sequence

from multitag.annotation.levels import DEFAULT_LEVEL
from multitag.data import load_dataset
from multitag.data.sentence import Sentence
from multitag.errors import MultitagError
from multitag.fileio import atomic_folder
from multitag.project.importer import now
from multitag.project.ingest import Document, TextSource, open_text
from multitag.project.models import MODELS
from multitag.project.settings import Settings, check_settings
from multitag.project.store import DB_NAME, Store


def _sentence_hash(text: str, tokens: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps([text, list(tokens)], ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


#: sentences read and written per transaction by ``project init``
BATCH_SENTENCES = 10_000


def _batches(docs: Iterator[Document], size: int) -> Iterator[list[Document]]:
    """Whole documents, grouped until a group holds at least ``size`` sentences."""
    batch, n = [], 0
    for d in docs:
        batch.append(d)
        n += len(d.sentences)
        if n >= size:
            yield batch
            batch, n = [], 0
    if batch:
        yield batch


class _TextWriter:
    """Writes the text into a new store a batch of documents at a time, numbering documents and
    sentences as SQLite would (1, 2, ...); the first tag seen opens round 0."""

    def __init__(self, store: Store, stamp: str, annotator: str):
        self.store, self.stamp, self.annotator = store, stamp, annotator
        self.n_docs = self.n_sent = self.n_tok = self.n_ann = 0
        self.text_round = False

    def write(self, batch: list[Document]) -> None:
        documents, sentences, annotations = [], [], []
        for d in batch:
            self.n_docs += 1
            documents.append((self.n_docs, d.name, d.text))
            for piece, tags, pos, source in zip(d.sentences, d.tags, d.pos, d.sources):
                self.n_sent += 1
                self.n_tok += len(piece.tokens)
                sentences.append((self.n_sent, self.n_docs, piece.offset, piece.text, piece.tokens, piece.starts,
                                  piece.ends, pos, _sentence_hash(piece.text, piece.tokens), source))
                annotations.extend((self.n_sent, t, tag, 0, None, self.annotator, None, self.stamp)
                                   for t, tag in enumerate(tags or []) if tag is not None)
        with self.store.transaction():
            if annotations and not self.text_round:
                self.store.rounds.add_text_round(self.stamp, DEFAULT_LEVEL)
                self.text_round = True
            self.store.text.add_documents(documents)
            self.store.text.add_sentences(sentences)
            self.store.annotations.add_many(annotations)
        self.n_ann += len(annotations)


def _write_store(folder: str, source: TextSource, gold: list[Sentence] | None, settings: Settings, eval_file: str | None,
                 *, batch_size: int, progress: Callable[[int, int, int], None]) -> tuple[int, int, int]:
    """Write the store of a new project into ``folder``: its meta, its text (the tags that came with
    it as round 0), a batch of ``batch_size`` sentences per transaction, and its gold set. Returns
    the numbers of sentences, tokens and annotated tokens."""
    store = Store(folder, create=True)
    try:
        store.create_schema({"project_uid": uuid.uuid4().hex, "settings": settings.to_json(), "created": now(),
                             "text_file": os.path.abspath(source.path),
                             "eval_file": os.path.abspath(eval_file) if eval_file else None})
        writer = _TextWriter(store, now(), f"file:{os.path.basename(source.path)}")
        for batch in _batches(source.documents, batch_size):
            writer.write(batch)
            progress(writer.n_sent, source.bytes_read, source.size)
        with store.transaction():
            for s in gold or []:
                store.text.add_eval_sentence(tokens=s.tokens, tags=s.tags, pos=s.pos, source=f"{eval_file}:{s.line}")
    finally:
        store.close()
    return writer.n_sent, writer.n_tok, writer.n_ann


def init_project(path: str, text_file: str, settings: Settings, *, text_format: str = "auto", documents: bool = False,
                 eval_file: str | None = None, batch_size: int = BATCH_SENTENCES,
                 progress: Callable[[int, int, int], None] | None = None) -> dict:
    """Create project ``path`` from ``text_file``; the folder appears complete or not at all.

    Plain text is streamed: ``batch_size`` sentences are read, tokenised and written per
    transaction, so memory does not grow with the file. ``progress(sentences, bytes_read,
    file_bytes)`` is called after each batch."""
    if os.path.exists(os.path.join(path, DB_NAME)):
        raise MultitagError(f"{path} is already a project; use another folder")
    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise MultitagError(f"{path} exists and is not an empty folder; use another folder")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise MultitagError(f"the batch size must be a positive number of sentences, not {batch_size!r}")
    source = open_text(text_file, fmt=text_format, tokenizer_name=settings.tokenizer, documents=documents)
    found = source.tag_types
    unknown = found - set(settings.entity_types) if settings.entity_types else set()
    if unknown:
        raise MultitagError(f"{text_file}: tags of types {', '.join(sorted(unknown))} are not among --labels "
                            f"{','.join(settings.entity_types)}")
    if not settings.entity_types:
        settings.entity_types = sorted(found)
    settings.entity_types = sorted(set(settings.entity_types))
    gold = None
    if eval_file:
        gold = load_dataset(eval_file).train
        if any(not s.is_fully_annotated for s in gold):
            raise MultitagError(f"{eval_file}: the gold evaluation set must be fully annotated")
        extra = {t[2:] for s in gold for t in s.tags if t != "O"} - set(settings.entity_types or found)
        if extra:
            raise MultitagError(f"{eval_file}: gold tags of types {', '.join(sorted(extra))} are not project labels")
    settings = check_settings(settings, has_pos=source.has_pos)
    base = os.path.basename(os.path.abspath(path))
    try:
        # an empty folder at ``path`` (checked above) is put aside and removed once the project is in place
        with atomic_folder(path, scratch_prefix=f".{base}.init-", aside_prefix=f".{base}.empty-",
                           private=True) as tmp:   # 0700, as a project folder always was
            n_sent, n_tok, n_ann = _write_store(tmp, source, gold, settings, eval_file, batch_size=batch_size,
                                                progress=progress or (lambda *a: None))
            os.makedirs(os.path.join(tmp, MODELS))
    except OSError as e:
        raise MultitagError(f"{path}: cannot create the project ({e.strerror}); nothing was written") from None
    return {"sentences": n_sent, "tokens": n_tok, "annotated_tokens": n_ann, "labels": settings.entity_types,
            "eval_sentences": len(gold or [])}
