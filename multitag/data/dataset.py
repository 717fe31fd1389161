"""A data set: train / dev / test splits, each read from its own file(s) and brought into one tag scheme.

The tag scheme is decided per split (a split in another scheme, or one bad tag, does not change
how the other splits are read), recorded in :class:`SplitInfo`, and every error names the file
and the line of the offending tag.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

from multitag.data.brat import is_brat_folder
from multitag.data.columns import ColumnLayout
from multitag.data.hf import is_arrow_folder
from multitag.data.layout import EXPECTED_NAMES, SPLITS, one_file_per_split, split_claims, unrecognised_files
from multitag.data.packed import packed_corpus
from multitag.data.read_options import ReadOptions
from multitag.data.schemes import normalize_scheme
from multitag.data.sentence import Corpus, sort_labels
from multitag.data.sources import SourceFile
from multitag.data.split_schemes import convert_split, decide_scheme, repair_if_needed
from multitag.errors import DataError, MultitagError


@dataclass(frozen=True)
class SplitInfo:
    """What was read for one split and what was done to its tags.

    Attributes
    ----------
    name : ``"train"``, ``"dev"`` or ``"test"``
    source : the file(s) it was read from
    scheme : the scheme of the files (detected, or given by the caller); ``None`` when the split
        has no entity tag, so that there is no scheme to tell (and nothing to convert)
    scheme_given : ``scheme`` was given by the caller rather than detected
    converted_to : the scheme the tags were converted to; ``None`` when they were kept as read
    n_sentences, n_tokens : as read
    n_unannotated : tokens without a tag (``_`` / ``null``), as read
    encoding : the encoding the file(s) were read with (``"UTF-8"``, ``"Latin-1"``, ...)
    layout : the column layout, for column files (:class:`~multitag.data.columns.ColumnLayout`)
    n_comments : comment lines skipped
    n_repaired : stray ``I-X`` tags read as ``B-X`` (``--repair``)
    warnings : what the commands should print about the file (e.g. mojibake)
    """

    name: str
    source: SourceFile
    scheme: str | None
    scheme_given: bool
    converted_to: str | None
    n_sentences: int
    n_tokens: int
    n_unannotated: int
    encoding: str = "UTF-8"
    layout: ColumnLayout | None = None
    n_comments: int = 0
    n_repaired: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def scheme_detail(self) -> str:
        """``"IOB1, converted to IOB2"``, ``"IOB2"``, ``"IOB1 (given), converted to IOB2"``, ``"no entity tags"``."""
        if self.scheme is None:
            return "no entity tags"
        text = self.scheme + (" (given)" if self.scheme_given else "")
        if self.n_repaired:
            text += f", {_count(self.n_repaired, 'stray I- tag')} repaired to B-"
        return text + (f", converted to {self.converted_to}" if self.converted_to else "")

    @property
    def reading_detail(self) -> str:
        """How the file was read when that is worth saying: ``"Latin-1; token column 2, tag column 1 (tag
        first); 12 comment lines skipped"``; empty for a plain UTF-8 file."""
        parts = []
        if not self.encoding.startswith("UTF-8"):
            parts.append(self.encoding)
        if self.layout is not None and not self.layout.is_plain:
            parts.append(self.layout.describe())
        if self.n_comments:
            parts.append(f"{_count(self.n_comments, 'comment line')} skipped")
        return "; ".join(parts)

    @property
    def scheme_note(self) -> str:
        """``"train.txt: IOB1, converted to IOB2"``: what was detected and done, for the commands to print."""
        return f"{os.path.basename(self.source.path)}: {self.scheme_detail}"


@dataclass
class Dataset:
    """The splits of one data set, all in one tag scheme.

    ``labels`` is the union of the tags over all splits (ATIS dev/test have tags unseen in train),
    ``O`` first. ``split_info`` maps each split read from a file to its :class:`SplitInfo` (empty for
    a data set built in code).
    """

    train: Corpus
    dev: Corpus | None
    test: Corpus | None
    scheme: str
    path: str | None = None
    split_info: dict[str, SplitInfo] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

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

    def _present(self) -> list[tuple[str, Corpus]]:
        return [(n, c) for n in SPLITS if (c := getattr(self, n)) is not None and (len(c) or n in self.split_info)]

    def scheme_notes(self) -> list[str]:
        """One line per split read from a file: ``"train.txt: IOB1, converted to IOB2"``."""
        return [info.scheme_note for n in SPLITS if (info := self.split_info.get(n)) is not None]

    def describe(self) -> list[str]:
        """One line per split, e.g. ``"train: data/eng.train (IOB1, converted to IOB2): 14,041 sentences, 203,621 tokens"``.

        Counts are those of the splits as they are now (after any truncation by the caller).
        """
        lines = []
        for name, corpus in self._present():
            info = self.split_info.get(name)
            head = f"{name}: {info.source} ({info.scheme_detail})" if info is not None else f"{name} ({self.scheme})"
            if info is not None and info.reading_detail:
                head = f"{head[:-1]}; {info.reading_detail})"
            text = f"{head}: {_count(len(corpus), 'sentence')}, {_count(corpus.n_tokens, 'token')}"
            missing = sum(t is None for s in corpus for t in s.tags)
            if missing:
                text += f" ({missing:,} not annotated)"
            lines.append(text)
        return lines

    def warnings(self) -> list[str]:
        """What the commands should print after :meth:`describe` (mojibake, files not read, ...)."""
        out = [w for n in SPLITS if (info := self.split_info.get(n)) is not None for w in info.warnings]
        return out + list(self.notes)

    def fingerprint(self) -> dict:
        """Per split: ``{"sentences", "tokens", "sha256", "features_sha256", "path"}``, to bind results to their data.

        ``sha256`` is over the tokens and (converted) tags of every sentence in order, so it changes
        when the data as used changes, whatever the file layout; ``features_sha256`` is over every
        other column a backend may read (the POS column, ``null`` where a sentence has none), kept
        apart so that fingerprints recorded before it existed still compare on ``sha256``; ``path`` is the absolute path of the
        split's file (the ``seq.in`` file for parallel files), ``None`` for a split built in code.
        """
        out = {}
        for name, corpus in self._present():
            h = hashlib.sha256()
            features = hashlib.sha256()
            for s in corpus:
                h.update(json.dumps([s.tokens, s.tags], ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
                h.update(b"\n")
                features.update(json.dumps([s.pos], ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
                features.update(b"\n")
            info = self.split_info.get(name)
            out[name] = {"sentences": len(corpus), "tokens": corpus.n_tokens, "sha256": h.hexdigest(),
                         "features_sha256": features.hexdigest(),
                         "path": os.path.abspath(info.source.path) if info is not None else None}
        return out

    def first_unannotated(self, split: str = "train") -> tuple[str | None, int | None] | None:
        """``(file, line)`` of the first token of ``split`` without a tag, ``None`` if every token has one.

        The file is the one holding the tag (the ``seq.out`` file for parallel files); it is ``None``
        for a split built in code, and the line is ``None`` when unknown.
        """
        info = self.split_info.get(split)
        for s in self.split(split):
            for i, t in enumerate(s.tags):
                if t is None:
                    return info.source.tag_line(s, i) if info is not None else (None, s.line)
        return None


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


# ---------------------------------------------------------------------- loading


def read_split(name: str, source: SourceFile, given: str | None, target: str | None,
                tags: str = "required", options: ReadOptions | None = None) -> tuple[Corpus, SplitInfo]:
    options = options or ReadOptions()
    read = source.load(id_prefix=name, tags=tags, options=options)
    sentences, n_repaired = read.sentences, 0
    if options.repair:
        sentences, n_repaired = repair_if_needed(sentences, given)
    scheme = decide_scheme(sentences, source, given, target)
    converted = target if scheme is not None and target is not None and scheme != target else None
    if converted is not None:
        sentences = convert_split(sentences, source, scheme, converted)  # type: ignore[arg-type]
    info = SplitInfo(name=name, source=source, scheme=scheme, scheme_given=given is not None, converted_to=converted,
                     n_sentences=len(sentences), n_tokens=sum(len(s) for s in sentences),
                     n_unannotated=sum(t is None for s in sentences for t in s.tags), encoding=read.encoding,
                     layout=read.layout, n_comments=read.n_comments, n_repaired=n_repaired,
                     warnings=tuple(read.warnings))
    return packed_corpus(sentences, name=name), info


def _split_files(path: str | None, explicit: dict[str, str], single_file_as: str = "train",
                 notes: list[str] | None = None) -> dict[str, str]:
    """Split name -> file path from a folder or file ``path`` and the explicit ``train=`` ... files;
    ``notes`` gets a line naming the files of the folder that were not read."""
    files: dict[str, str] = {}
    if path is not None:
        if is_brat_folder(path) or is_arrow_folder(path):
            files = {single_file_as: path}                                # the folder is one split
        elif os.path.isdir(path):
            claims = split_claims(path)
            if not claims and os.path.isfile(os.path.join(path, "seq.in")):
                claims = {"train": [os.path.join(path, "seq.in")]}      # a JointBERT split folder itself
            others = unrecognised_files(path, claims)
            if not claims and not explicit:
                found = f"; found {', '.join(others)}: name them with --train/--dev/--test FILE" if others else ""
                raise DataError(f"no train/dev/test files recognised (expected names like {EXPECTED_NAMES}){found}",
                                path=path)
            files = one_file_per_split(claims, [s for s in SPLITS if s not in explicit])
            if others and notes is not None:
                notes.append(f"{path}: not read, as no split name was recognised: {', '.join(others)} "
                             "(pass --train/--dev/--test FILE to use one)")
        elif os.path.exists(path):
            if single_file_as in explicit:
                raise DataError(f"two files for the {single_file_as} split: {path} and {explicit[single_file_as]}")
            files = {single_file_as: path}
        else:
            raise DataError("no such file or folder", path=path)
    for split, f in explicit.items():
        if not os.path.exists(f):
            raise DataError(f"no such file or folder (the {split} split)", path=f)
        files[split] = f
    return {s: files[s] for s in SPLITS if s in files}


def load_dataset(path: str | os.PathLike | None = None, *, train: str | os.PathLike | None = None,
                 dev: str | os.PathLike | None = None, test: str | os.PathLike | None = None,
                 scheme: str | None = None, convert_to: str | None = "IOB2", tags: str = "required",
                 options: ReadOptions | None = None, single_file_as: str = "train") -> Dataset:
    """Load a data set from a folder, a single file, or explicit split files.

    Parameters
    ----------
    path : a folder whose files are recognised by name (see :mod:`multitag.data.layout`), or a
        single file, which is the train split. May be omitted when split files are given.
    train, dev, test : explicit split files of any name (CoNLL, JSONL, ``*.seq.in`` / ``seq.in``
        with its ``seq.out``, or a folder holding ``seq.in``); any one may be given; with a folder
        ``path`` they replace what the folder holds for their split.
    scheme : the tag scheme of the files (``"IOB1"``, ``"IOB2"``, ``"BIOES"``), replacing detection;
        ``None`` detects it per split.
    convert_to : the scheme every split is converted to; ``None`` keeps the files' own (then the
        splits must agree).
    tags : ``"optional"`` accepts JSONL lines without ``tags`` (text to annotate); by default a
        missing ``tags`` key is an error at its line.
    options : encoding, column layout and ``repair`` for every file (:class:`ReadOptions`).
    single_file_as : the split that a file ``path`` is (``"test"`` to evaluate on it).

    Returns
    -------
    Dataset whose ``split_info`` records, per split, the file, the scheme detected (or given), the
    conversion done and the counts; ``scheme_notes()`` and ``describe()`` put them in words.
    """
    explicit = {n: os.fspath(f) for n, f in (("train", train), ("dev", dev), ("test", test)) if f is not None}
    path = os.fspath(path) if path is not None else None
    if path is None and not explicit:
        raise MultitagError("load_dataset: give a data folder or file, or train=/dev=/test= files")
    given = normalize_scheme(scheme) if scheme else None
    target = normalize_scheme(convert_to) if convert_to else None
    notes: list[str] = []
    files = _split_files(path, explicit, single_file_as, notes)
    corpora: dict[str, Corpus] = {}
    infos: dict[str, SplitInfo] = {}
    for name, f in files.items():
        corpora[name], infos[name] = read_split(name, SourceFile.for_path(f), given, target, tags, options)
    if target is None:
        found = {i.scheme for i in infos.values() if i.scheme is not None}
        if len(found) > 1:
            raise MultitagError("the splits are in different tag schemes (" + ", ".join(
                i.scheme_note for i in infos.values() if i.scheme) + "); convert them to one")
        target = found.pop() if found else (given or "IOB2")
    return Dataset(train=corpora.get("train", Corpus([], name="train")), dev=corpora.get("dev"),
                   test=corpora.get("test"), scheme=target, path=path, split_info=infos, notes=notes)
