"""A data set folder: train / dev / test splits recognised by file name."""
from __future__ import annotations

import os
from dataclasses import dataclass

from multitag.data.readers import read_file
from multitag.data.schemes import convert, detect_scheme, normalize_scheme, validation_error
from multitag.data.sentence import Corpus, Sentence, sort_labels
from multitag.errors import DataError, MultitagError

_SPLIT_STEMS = {
    "train": ("train", "training"),
    "dev": ("dev", "valid", "validation", "val", "testa"),
    "test": ("test", "testb"),
}
_EXTENSIONS = (".txt", ".conll", ".tsv", ".bio", ".iob", ".jsonl", ".seq.in")


@dataclass
class Dataset:
    """The splits of one data set, all in one tag scheme.

    ``labels`` is the union of the tags over all splits (ATIS dev/test have tags unseen in train),
    ``O`` first.
    """

    train: Corpus
    dev: Corpus | None
    test: Corpus | None
    scheme: str
    path: str | None = None

    @property
    def labels(self) -> list[str]:
        found: set[str] = set()
        for c in (self.train, self.dev, self.test):
            if c is not None:
                found.update(c.labels())
        found.add("O")
        return sort_labels(found)

    def split(self, name: str) -> Corpus:
        corpus = getattr(self, name, None)
        if corpus is None:
            raise MultitagError(f"the data set {self.path or ''} has no {name} split".replace("  ", " "))
        return corpus


def find_split_files(folder: str) -> dict[str, str]:
    """Map split name -> file path for the files of ``folder`` recognised by name."""
    found: dict[str, str] = {}
    names = set(os.listdir(folder))
    for split, stems in _SPLIT_STEMS.items():
        for stem in stems:
            hit = next((stem + ext for ext in _EXTENSIONS if stem + ext in names), None)
            if hit:
                found[split] = os.path.join(folder, hit)
                break
    return found


def _to_scheme(sentences: list[Sentence], source: str, target: str, path: str) -> list[Sentence]:
    out = []
    for s in sentences:
        if not s.is_fully_annotated:
            if source != target and not s.is_unannotated:
                raise DataError(f"sentence {s.id}: cannot convert a partially annotated sentence from {source} to {target}", path=path)
            out.append(s)
            continue
        err = validation_error(s.tags, source)  # type: ignore[arg-type]
        if err is not None:
            line = None if s.line is None else (s.line + err[0] if path.endswith((".txt", ".conll", ".tsv", ".bio", ".iob")) else s.line)
            raise DataError(f"sentence {s.id}, token {err[0] + 1}: {err[1]}", path=path, line=line)
        out.append(s if source == target else s.with_tags(convert(s.tags, source, target)))  # type: ignore[arg-type]
    return out


def load_dataset(path: str | os.PathLike, *, scheme: str | None = "IOB2", source_scheme: str | None = None) -> Dataset:
    """Load a folder with train/dev/test files (or a single file as the train split).

    Parameters
    ----------
    scheme : the scheme to convert every split to (``None`` keeps the data's own).
    source_scheme : the data's scheme; detected from all splits together when ``None``.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        files = find_split_files(path)
        if "train" not in files and "test" not in files:
            raise DataError(
                "no train/dev/test files recognised (expected names like train.txt, dev.txt or valid.txt, "
                "test.txt, train.jsonl, train.seq.in)", path=path,
            )
    elif os.path.exists(path):
        files = {"train": path}
    else:
        raise DataError("no such file or folder", path=path)
    raw = {split: read_file(f, id_prefix=split) for split, f in files.items()}
    src = normalize_scheme(source_scheme) if source_scheme else detect_scheme(
        s.tags for sents in raw.values() for s in sents)
    target = normalize_scheme(scheme) if scheme else src
    corpora = {split: Corpus(_to_scheme(sents, src, target, files[split]), name=split) for split, sents in raw.items()}
    train = corpora.get("train")
    if train is None:
        train = Corpus([], name="train")
    return Dataset(train=train, dev=corpora.get("dev"), test=corpora.get("test"), scheme=target, path=path)
