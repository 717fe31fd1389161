"""Results on disk: ``OUT/results.jsonl``, one typed record (:mod:`multitag.experiments.records`)
per JSON line.

An iteration's records (the acquisition model's and every successor's) are appended as one group
in one write followed by fsync; each carries ``group_size``. When the file is read, a group cut
short by a crash (a partial last line, or fewer records than its ``group_size`` at the end of the
file) is dropped and truncated away, so a killed run resumes from its last finished iteration and
never records an iteration twice. Duplicate records (two writers, a damaged file) are refused.
"""
from __future__ import annotations

import json
import os
from typing import Iterable, Sequence

from multitag.errors import MultitagError
from multitag.experiments.records import IterationRecord, ReferenceRecord, parse_record

Record = IterationRecord | ReferenceRecord


class ResultsStore:
    def __init__(self, path: str):
        self.path = path

    def load(self) -> list[Record]:
        """All complete records, in file order; an incomplete group at the end is removed from the file."""
        if not os.path.exists(self.path):
            return []
        try:
            with open(self.path, "rb") as fh:
                data = fh.read()
        except OSError as e:
            raise MultitagError(f"{self.path}: cannot read ({e.strerror})") from None
        records: list[Record] = []
        good_end = 0                 # byte offset after the last complete group
        pos = 0
        pending: list[Record] = []   # the group being read
        pending_size = 0
        seen: dict[tuple, int] = {}
        lines = data.split(b"\n")
        for lineno, raw in enumerate(lines, start=1):
            end = pos + len(raw)
            if lineno == len(lines):
                break  # after the last newline: empty, or a line cut short by a crash
            pos = end + 1
            if not raw.strip():
                if not pending:
                    good_end = pos
                continue
            where = f"{self.path}:{lineno}"
            try:
                obj = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise MultitagError(f"{where}: not a JSON record; the results file is damaged") from None
            rec = parse_record(obj, where)
            key = rec.key()
            if key in seen:
                raise MultitagError(f"{where}: the same record as line {seen[key]} (run, model and iteration); "
                                    "two processes wrote this folder or it is damaged")
            seen[key] = lineno
            size = getattr(rec, "group_size", None) or 1
            if not pending:
                pending_size = size
            pending.append(rec)
            if len(pending) >= pending_size:
                records += pending
                pending = []
                good_end = pos
        if good_end < len(data):
            with open(self.path, "r+b") as fh:
                fh.truncate(good_end)
        return records

    def append(self, records: Sequence[Record]) -> None:
        """Append ``records`` as one group (one write, then fsync)."""
        if not records:
            return
        objs = [r.to_json() for r in records]
        if len(objs) > 1 or isinstance(records[0], IterationRecord):
            for o in objs:
                if o.get("role") != "reference":
                    o["group_size"] = len(objs)
        text = "".join(json.dumps(o, sort_keys=True) + "\n" for o in objs)
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        try:
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as e:
            raise MultitagError(f"{self.path}: cannot write results ({e.strerror}); the run resumes from its last "
                                "complete iteration when the same command is run again") from None


def iteration_records(records: Iterable[Record]) -> list[IterationRecord]:
    return [r for r in records if isinstance(r, IterationRecord)]


def reference_records(records: Iterable[Record]) -> list[ReferenceRecord]:
    return [r for r in records if isinstance(r, ReferenceRecord)]
