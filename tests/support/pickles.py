"""A crafted pickle for security tests: unpickling it creates a marker file (proof that code ran)."""
from __future__ import annotations

import os
import pickle


class _Evil:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def make_pickle(folder: str, name: str = "vectors.kv") -> tuple[str, str]:
    """Write ``folder/name``, a pickle whose loading creates ``folder/PWNED``; return both paths."""
    marker = os.path.join(folder, "PWNED")
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        pickle.dump(_Evil(marker), f, protocol=4)
    return path, marker
