"""Which file of a data set folder holds which split, by the names that releases use.

Recognised (case-insensitive):

* ``<split><ext>`` and ``<anything>[._-]<split><ext>`` with ``<ext>`` one of ``.txt``, ``.conll``,
  ``.tsv``, ``.bio``, ``.iob``, ``.jsonl``, ``.seq.in`` (``train.txt``, ``valid.tsv``,
  ``emerging.dev.conll``, ``en_test.iob``), where ``<split>`` is ``train`` / ``training``, ``dev`` /
  ``development`` / ``valid`` / ``validation`` / ``val`` / ``testa``, or ``test`` / ``testb``;
* the CoNLL-2002/2003 release names ``<lang>.train``, ``<lang>.testa`` (dev), ``<lang>.testb``
  (test), e.g. ``eng.train``;
* the WNUT-17 release names ``wnut17train.conll``, ``emerging.dev.conll``, ``emerging.test.annotated``;
* sub-folders ``train/``, ``dev/`` (``valid/``, ...), ``test/`` holding ``seq.in`` and ``seq.out``, as
  JointBERT ships ATIS and SNIPS.

A ``*.seq.in`` file is read with the ``*.seq.out`` beside it. Two files that claim one split are
an error naming both.
"""
from __future__ import annotations

import os
import re

from multitag.errors import DataError

SPLITS = ("train", "dev", "test")
SPLIT_WORDS = {
    "train": ("train", "training"),
    "dev": ("dev", "development", "valid", "validation", "val", "testa"),
    "test": ("test", "testb"),
}
DATA_EXTENSIONS = (".seq.in", ".jsonl", ".conll", ".txt", ".tsv", ".bio", ".iob")
RELEASE_NAMES = {"wnut17train.conll": "train", "emerging.dev.conll": "dev", "emerging.test.annotated": "test"}
_CONLL_RELEASE = re.compile(r"^[a-z]{2,3}\.(train|testa|testb)$")
_WORD_SPLIT = {w: split for split, words in SPLIT_WORDS.items() for w in words}
_SEPARATORS = re.compile(r"[._\-]")

EXPECTED_NAMES = ("train.txt, dev.txt or valid.txt, test.txt (or .conll, .tsv, .bio, .iob, .jsonl), "
                  "train.seq.in, eng.train / eng.testa / eng.testb, wnut17train.conll, "
                  "or train/ dev/ test/ folders with seq.in and seq.out")


def split_of(name: str) -> str | None:
    """The split a file name claims (``"train"``, ``"dev"``, ``"test"``), or ``None``."""
    lower = name.lower()
    if lower in RELEASE_NAMES:
        return RELEASE_NAMES[lower]
    m = _CONLL_RELEASE.match(lower)
    if m:
        return _WORD_SPLIT[m.group(1)]
    for ext in DATA_EXTENSIONS:
        if lower.endswith(ext) and len(lower) > len(ext):
            last = _SEPARATORS.split(lower[: -len(ext)])[-1]
            return _WORD_SPLIT.get(last)
    return None


def split_claims(folder: str) -> dict[str, list[str]]:
    """Split name -> every path in ``folder`` that claims it (sorted), for the recognised names."""
    claims: dict[str, list[str]] = {}
    try:
        entries = sorted(os.listdir(folder))
    except OSError as e:
        raise DataError(f"cannot list the folder: {e.strerror}", path=folder) from None
    for name in entries:
        full = os.path.join(folder, name)
        if os.path.isdir(full):
            split = _WORD_SPLIT.get(name.lower())
            if split is None:
                continue
            if os.path.isfile(os.path.join(full, "seq.in")):
                claims.setdefault(split, []).append(os.path.join(full, "seq.in"))
            elif os.path.isfile(os.path.join(full, "seq.out")):
                raise DataError("seq.out without seq.in beside it", path=os.path.join(full, "seq.out"))
            continue
        if name.lower().endswith(".seq.out") and not os.path.exists(full[: -len(".out")] + ".in"):
            if split_of(name[: -len(".out")] + ".in") is not None:
                raise DataError(f"a tags file without its tokens file {name[:-len('.out')]}.in beside it", path=full)
            continue
        split = split_of(name)
        if split is not None and os.path.isfile(full):
            claims.setdefault(split, []).append(full)
    return claims


def one_file_per_split(claims: dict[str, list[str]], splits=SPLITS) -> dict[str, str]:
    """``claims`` reduced to one path per split in ``splits``; two claims for one split are an error."""
    found = {}
    for split in splits:
        paths = claims.get(split, [])
        if len(paths) > 1:
            raise DataError(f"{len(paths)} files for the {split} split: {' and '.join(paths)}; remove or rename "
                            f"all but one, or name the {split} file explicitly")
        if paths:
            found[split] = paths[0]
    return found


def find_split_files(folder: str | os.PathLike) -> dict[str, str]:
    """Map split name -> file path (the ``seq.in`` file for parallel files) for the files of
    ``folder`` recognised by name; a :class:`DataError` names both files when two claim one split."""
    return one_file_per_split(split_claims(os.fspath(folder)))
