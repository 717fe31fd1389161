"""A results folder belongs to one experiment, on one data set, with one writer.

``OUT/config.yaml`` holds the resolved configuration and a fingerprint of the data (per split:
sentences, tokens, a sha256 over tokens and tags and one over the feature columns such as POS); a rerun on the same OUT must describe the same
experiment on the same data, or it is refused naming what differs. ``OUT/.lock`` is held (``flock``)
by the one process writing OUT and names its pid, host and start time; a second process gets a
one-line error. A lock left by a process that died is not held by anyone, so it is taken over.
"""
from __future__ import annotations

import os
from typing import Any

import yaml

from multitag.data.dataset import Dataset
from multitag.errors import MultitagError
from multitag.experiments.config import differences
from multitag.fileio import FolderLock, atomic_write

LOCK = ".lock"
CONFIG = "config.yaml"


def data_fingerprint(ds: Dataset) -> dict[str, dict[str, Any]]:
    """Per split: sentences, tokens and a sha256 over every token and tag, in order (the data as the
    experiment uses it, after --train-limit). Where the files are is not part of it: the same data
    moved elsewhere is the same experiment."""
    return {name: {k: v for k, v in fp.items() if k != "path"} for name, fp in ds.fingerprint().items()}


def data_paths(ds: Dataset, out: str) -> dict[str, dict[str, str]]:
    """Per split read from a file: its absolute path and its path relative to ``out``, so that a
    report run from any working directory (or on a copy of OUT moved with its data) finds it again;
    the fingerprint confirms that what it finds is the same data."""
    paths = {}
    for name, fp in ds.fingerprint().items():
        if fp.get("path"):
            paths[name] = {"path": fp["path"], "from_out": os.path.relpath(fp["path"], os.path.abspath(out))}
    return paths


FEATURES = "features_sha256"


def _without_features(fp) -> dict:
    return {k: v for k, v in (fp or {}).items() if k != FEATURES}


def _same_split(was, now) -> bool:
    """One split's recorded and current fingerprints agree. A key missing from the recorded one
    (``features_sha256`` in folders written before feature columns were fingerprinted) is "not
    recorded": it is not compared, so such a folder resumes, and a changed POS column in it cannot be told."""
    if not isinstance(was, dict) or not isinstance(now, dict):
        return was == now
    if FEATURES not in was:
        now = _without_features(now)
    return was == now


def differing_splits(old: dict, now: dict) -> list[str]:
    """The splits, sorted, whose recorded fingerprint ``old`` differs from ``now`` (see :func:`_same_split`)."""
    return [s for s in sorted(set(old) | set(now)) if not _same_split(old.get(s), now.get(s))]


class OutLock(FolderLock):
    """The exclusive lock of a results folder (``OUT/.lock``)."""

    def __init__(self, folder: str):
        super().__init__(folder, LOCK, advice="wait for it to finish or use another --out")


def save_or_check(out: str, config: dict, fingerprint: dict, paths: dict | None = None) -> None:
    """Write ``OUT/config.yaml`` or check that the one there describes the same experiment and data
    (``paths``, see :func:`data_paths`, are written as ``data_paths`` and not compared)."""
    path = os.path.join(out, CONFIG)
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as fh:
                old = yaml.safe_load(fh) or {}
        except (OSError, yaml.YAMLError) as e:
            raise MultitagError(f"{path}: cannot read the saved configuration ({e}); use another --out") from None
        if not isinstance(old, dict):
            raise MultitagError(f"{path}: not a multitag configuration; use another --out")
        old_fp = old.pop("data_fingerprint", None)
        old.pop("data_paths", None)
        differ = differences(old, config)
        if differ:
            raise MultitagError(
                f"{out} holds results of a different experiment (differs in: {', '.join(differ)}); "
                "use another --out, or delete the folder to start over")
        differ = differing_splits(old_fp, fingerprint) if isinstance(old_fp, dict) else []
        if differ:
            split = differ[0]
            was, now = old_fp.get(split) or {}, fingerprint.get(split) or {}
            if _same_split(_without_features(was), _without_features(now)):
                raise MultitagError(
                    f"{out} was run on other data: the {split} split has the same tokens and tags but other feature "
                    f"columns (POS; recorded sha256 {str(was.get(FEATURES, '-'))[:12]}, now "
                    f"{str(now.get(FEATURES, '-'))[:12]}); use another --out")
            raise MultitagError(
                f"{out} was run on other data: the {split} split differs (recorded {was.get('sentences', 0)} sentences, "
                f"{was.get('tokens', 0)} tokens, sha256 {str(was.get('sha256', '-'))[:12]}; now {now.get('sentences', 0)} "
                f"sentences, {now.get('tokens', 0)} tokens, sha256 {str(now.get('sha256', '-'))[:12]}); use another --out")
        return
    try:
        with atomic_write(path) as fh:
            yaml.safe_dump({**config, "data_fingerprint": fingerprint, **({"data_paths": paths} if paths else {})}, fh,
                           sort_keys=False)
    except OSError as e:
        raise MultitagError(f"{path}: cannot write ({e.strerror})") from None
