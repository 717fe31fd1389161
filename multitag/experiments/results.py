"""Results on disk: ``OUT/results.jsonl``, one JSON record per run, model and iteration.

Records are appended as they are produced, an iteration's records in one write followed by fsync;
a line cut short by a crash is dropped (and truncated away) when the file is read again, so a killed
run resumes from its last finished iteration.
"""
from __future__ import annotations

import json
import os
from typing import Iterable

from multitag.errors import MultitagError


class ResultsStore:
    def __init__(self, path: str):
        self.path = path

    def load(self) -> list[dict]:
        """All complete records; a trailing partial line is removed from the file."""
        if not os.path.exists(self.path):
            return []
        with open(self.path, "rb") as fh:
            data = fh.read()
        records = []
        good_end = 0
        pos = 0
        for lineno, raw in enumerate(data.split(b"\n"), start=1):
            end = pos + len(raw)
            if end >= len(data) and not data.endswith(b"\n"):
                break  # last line without newline: cut short by a crash
            pos = end + 1
            if raw.strip():
                try:
                    records.append(json.loads(raw))
                except json.JSONDecodeError:
                    raise MultitagError(f"{self.path}:{lineno}: not a JSON record; the results file is damaged") from None
            good_end = pos
        if good_end < len(data):
            with open(self.path, "r+b") as fh:
                fh.truncate(good_end)
        return records

    def append(self, records: Iterable[dict]) -> None:
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
        if not text:
            return
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
