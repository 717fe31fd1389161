"""Which file of a data set folder holds which split, by the names that releases use.

Recognised (case-insensitive):

* ``<split><ext>`` and ``<anything>[._-]<split><ext>`` with ``<ext>`` one of ``.txt``, ``.conll``,
  ``.tsv``, ``.bio``, ``.iob``, ``.iob2``, ``.bioes``, ``.jsonl``, ``.seq.in`` (``train.txt``,
  ``valid.tsv``, ``devel.tsv``, ``emerging.dev.conll``, ``en_test.iob``, ``NER-de-train.tsv``),
  where ``<split>`` is ``train`` / ``training``, ``dev`` / ``devel`` / ``development`` / ``valid`` /
  ``validation`` / ``val`` / ``testa``, or ``test`` / ``testb``;
* the CoNLL-2002/2003 release names ``<lang>.train``, ``<lang>.testa`` (dev), ``<lang>.testb``
  (test), e.g. ``eng.train``, ``esp.testa``, ``ned.testb``, ``deu.train``;
* the MIT Movie / Restaurant names ``engtrain.bio``, ``engtest.bio``, ``trivia10k13train.bio``,
  ``restauranttest.bio``;
* the WNUT-17 release names ``wnut17train.conll``, ``emerging.dev.conll``, ``emerging.test.annotated``;
* sub-folders ``train/``, ``dev/`` (``valid/``, ``validation/``, ...), ``test/`` holding ``seq.in`` and
  ``seq.out``, as JointBERT ships ATIS and SNIPS; or BRAT documents (``.txt`` + ``.ann``); or a
  Hugging Face ``save_to_disk`` split (``state.json``), as a ``DatasetDict`` folder holds them.

A ``*.seq.in`` file is read with the ``*.seq.out`` beside it. Two files that claim one split are
an error naming both. Files of a folder that look like data but claim no split are listed by
:func:`unrecognised_files`, for the commands to name.
"""
from __future__ import annotations

import os
import re

from multitag.errors import DataError

SPLITS = ("train", "dev", "test")
SPLIT_WORDS = {
    "train": ("train", "training"),
    "dev": ("dev", "devel", "development", "valid", "validation", "val", "testa"),
    "test": ("test", "testb"),
}
DATA_EXTENSIONS = (".seq.in", ".jsonl", ".conll", ".txt", ".tsv", ".bio", ".iob", ".iob2", ".bioes", ".spacy", ".parquet",
                   ".json")
SPLIT_FOLDER_MARKS = ("state.json",)      # a save_to_disk folder
RELEASE_NAMES = {"wnut17train.conll": "train", "emerging.dev.conll": "dev", "emerging.test.annotated": "test"}
_CONLL_RELEASE = re.compile(r"^[a-z]{2,3}\.(train|testa|testb)$")
_MIT_RELEASE = re.compile(r"^(eng|trivia10k13|restaurant)(train|test)\.bio$")
_NOT_DATA = re.compile(r"^(readme|license|licence|copying|changelog|notice|dataset_info\.json$|dataset_dict\.json$|"
                       r"state\.json$)", re.IGNORECASE)
_WORD_SPLIT = {w: split for split, words in SPLIT_WORDS.items() for w in words}
_SEPARATORS = re.compile(r"[._\-]")

EXPECTED_NAMES = ("train.txt, dev.txt, devel.txt or valid.txt, test.txt (or .conll, .tsv, .bio, .iob, .iob2, .bioes, "
                  ".jsonl), train.seq.in, eng.train / eng.testa / eng.testb, engtrain.bio, wnut17train.conll, "
                  "or train/ dev/ test/ folders with seq.in and seq.out")


def split_of(name: str) -> str | None:
    """The split a file name claims (``"train"``, ``"dev"``, ``"test"``), or ``None``."""
    lower = name.lower()
    if lower in RELEASE_NAMES:
        return RELEASE_NAMES[lower]
    m = _CONLL_RELEASE.match(lower) or _MIT_RELEASE.match(lower)
    if m:
        return _WORD_SPLIT[m.groups()[-1]]
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
            elif any(os.path.isfile(os.path.join(full, n)) for n in SPLIT_FOLDER_MARKS) or any(
                    n.endswith(".ann") for n in os.listdir(full)):
                claims.setdefault(split, []).append(full)          # a BRAT or save_to_disk split folder
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


def unrecognised_files(folder: str, claims: dict[str, list[str]]) -> list[str]:
    """Names of the files of ``folder`` that look like data (a data extension, or none) but claim no
    split (``notes.txt``, ``NER-de-sample.tsv``); READMEs and licences are left out."""
    claimed = {os.path.basename(p) for paths in claims.values() for p in paths}
    out = []
    for name in sorted(os.listdir(folder)):
        full = os.path.join(folder, name)
        if name.startswith(".") or name in claimed or not os.path.isfile(full) or _NOT_DATA.match(name):
            continue
        lower = name.lower()
        if lower.endswith(".seq.out") or (("." in name) and not lower.endswith(DATA_EXTENSIONS)):
            continue
        out.append(name)
    return out


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
