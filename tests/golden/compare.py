"""Helpers of the golden-record tests: load ``generate.py`` and compare records with it."""
from __future__ import annotations

import importlib.util
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def generator():
    spec = importlib.util.spec_from_file_location("multitag_golden_generate", os.path.join(HERE, "generate.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(name: str) -> list[dict]:
    with open(os.path.join(HERE, f"{name}.jsonl")) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _key(r: dict) -> tuple:
    return tuple(json.dumps(r.get(k)) for k in ("backend", "strategy", "seed", "level", "training_mode", "initial",
                                                 "role", "model", "iteration"))


def assert_same_records(got: list[dict], want: list[dict]) -> None:
    """Every golden record has its twin: identical ids, tokens and accounting, F1 equal to 1e-9."""
    got_by, want_by = {_key(r): r for r in got}, {_key(r): r for r in want}
    assert len(got_by) == len(got), "duplicate records"
    assert got_by.keys() == want_by.keys(), f"runs differ: {sorted(set(got_by) ^ set(want_by))[:3]}"
    for k, w in want_by.items():
        g = got_by[k]
        assert g.keys() == w.keys(), f"{k}: fields differ: {sorted(set(g) ^ set(w))}"
        for field, wv in w.items():
            gv = g[field]
            if isinstance(wv, float):
                assert math.isclose(gv, wv, rel_tol=0, abs_tol=1e-9), f"{k} {field}: {gv} != {wv}"
            elif field == "per_type":
                assert gv.keys() == wv.keys() and all(math.isclose(gv[t], wv[t], abs_tol=1e-6) for t in wv), \
                    f"{k} per_type: {gv} != {wv}"
            else:
                assert gv == wv, f"{k} {field}: {gv!r} != {wv!r}"
