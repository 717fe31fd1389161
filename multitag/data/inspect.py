"""``multitag data inspect``: what the readers make of each file, before anything is trained on it.

Per file: the format and column layout detected, the encoding, the scheme (and repairs), the counts,
the entities per type, the first sentence as read and any warning; or the refusal, in the words the
commands would use. :func:`as_command` turns the reports into the options that read the files.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field, replace

from multitag.data.brat import is_brat_folder
from multitag.data.dataset import SplitInfo, read_split
from multitag.data.hf import is_arrow_folder
from multitag.data.layout import SPLITS, split_claims, split_of, unrecognised_files
from multitag.data.read_options import ReadOptions, format_columns
from multitag.data.schemes import spans
from multitag.data.sentence import Sentence
from multitag.data.sources import SourceFile
from multitag.errors import DataError

FORMAT_NAMES = {"conll": "CoNLL columns", "parallel": "parallel files (seq.in / seq.out)", "jsonl": "JSON lines",
                "brat": "BRAT standoff (.txt + .ann)", "hf-jsonl": "Hugging Face JSON lines (tokens, ner_tags)",
                "spacy": "spaCy DocBin", "arrow": "Arrow / parquet"}


@dataclass
class FileReport:
    """What reading one file found (``info`` and ``first``), or why it was refused (``error``).

    ``role``: the split its name claims (``None`` when it claims none); ``options``: the reading
    options it was read with (``repair`` added when the file reads only with it)."""

    path: str
    role: str | None
    options: ReadOptions
    info: SplitInfo | None = None
    first: Sentence | None = None
    entities: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def lines(self) -> list[str]:
        out = [f"{self.path}" + (f" ({self.role} split by its name)" if self.role else " (no split name recognised)")]
        if self.info is None:
            return out + [f"  refused: {self.error}"]
        info = self.info
        layout = f"; {info.layout.describe()}" if info.layout is not None else ""
        out += [f"  format: {FORMAT_NAMES[info.source.format]}{layout}",
                f"  encoding: {info.encoding}",
                f"  scheme: {info.scheme_detail}",
                f"  sentences: {info.n_sentences:,}, tokens: {info.n_tokens:,}"
                + (f" ({info.n_unannotated:,} not annotated)" if info.n_unannotated else ""),
                "  entities: " + (", ".join(f"{t} {n:,}" for t, n in sorted(self.entities.items())) or "none")]
        if self.first is not None:
            out.append("  first sentence: " + " ".join(f"{w}/{t if t is not None else '_'}"
                                                       for w, t in zip(self.first.tokens, self.first.tags)))
        if info.n_comments:
            out.append(f"  comment lines skipped: {info.n_comments:,}")
        if info.n_repaired:
            out.append(f"  repairs: {info.n_repaired:,} stray I- tags read as B- (--repair)")
        out += [f"  warning: {w}" for w in info.warnings]
        return out


def _entities(sentences) -> dict[str, int]:
    counts: Counter = Counter()
    for s in sentences:
        counts.update(t for t, _, _ in spans([t or "O" for t in s.tags], "IOB2"))
    return dict(counts)


def inspect_file(path: str, role: str | None, options: ReadOptions) -> FileReport:
    """One file's report; a file that reads only with ``--repair`` is read with it (and says so)."""
    try:
        source = SourceFile.for_path(path)
        corpus, info = read_split(role or "train", source, None, "IOB2", "optional", options)
    except DataError as e:
        if "--repair" in str(e) and not options.repair:
            report = inspect_file(path, role, replace(options, repair=True))
            if report.error is None:
                return report
        return FileReport(path, role, options, error=str(e))
    return FileReport(path, role, options, info, corpus[0] if len(corpus) else None, _entities(corpus))


def inspect_paths(paths, options: ReadOptions = ReadOptions()) -> list[FileReport]:
    """Reports for every file named, and for every data file of every folder named."""
    reports = []
    for path in paths:
        path = os.fspath(path)
        one_split = os.path.isfile(os.path.join(path, "seq.in")) or is_brat_folder(path) or is_arrow_folder(path)
        if os.path.isdir(path) and not one_split:
            claims = split_claims(path)
            for split in SPLITS:
                reports += [inspect_file(f, split, options) for f in claims.get(split, [])]
            reports += [inspect_file(os.path.join(path, n), None, options) for n in unrecognised_files(path, claims)]
        else:
            reports.append(inspect_file(path, split_of(os.path.basename(path)), options))
    return reports


def as_command(reports: list[FileReport]) -> str:
    """The options that read the files: ``--train/--dev/--test`` by role (when no file claims a
    split, the files are train, dev, test in the order given; else files without a role are left out), the layout options when the files share a layout that is not
    the plain one, ``--encoding`` when they share one that is not UTF-8, ``--repair`` when needed."""
    read = [r for r in reports if r.info is not None]
    parts: list[str] = []
    taken = set()
    named = any(r.role is not None for r in read)
    for r in read:
        role = r.role if named else next((s for s in SPLITS if s not in taken), None)
        if role is None or role in taken:
            continue
        taken.add(role)
        parts += [f"--{role}", _quoted(r.path)]
    layouts = {r.info.layout for r in read if r.info.layout is not None}
    if len(layouts) == 1:
        (layout,) = layouts
        if not layout.is_plain:
            parts += ["--columns", format_columns(layout.columns)]
    encodings = {r.info.encoding for r in read}
    if len(encodings) == 1 and not next(iter(encodings)).startswith("UTF-8"):
        parts += ["--encoding", next(iter(encodings))]
    if any(r.options.repair for r in read):
        parts.append("--repair")
    return " ".join(parts)


def _quoted(path: str) -> str:
    return path if all(c.isalnum() or c in "/._-+:@" for c in path) else "'" + path.replace("'", "'\\''") + "'"
