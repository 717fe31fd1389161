import json
import os
import sqlite3

import pytest

from multitag import registry
from multitag.baseline import CountTagger
from multitag.data.writers import write_conll, write_jsonl

CONLL = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "data", "conll2003")
TYPES = ["LOC", "MISC", "ORG", "PER"]


def _conll():
    from multitag.data import load_dataset

    if "ds" not in _CACHE:
        _CACHE["ds"] = load_dataset(CONLL)
    return _CACHE["ds"]


_CACHE: dict = {}


@pytest.fixture
def count_backend():
    with registry.registered("count", CountTagger):
        yield "count"


@pytest.fixture
def gold():
    """The pool sentences with their gold tags (the scripted annotator's answers): the first 150
    sentences of CoNLL-2003 train, which hold every B-/I- tag of the four types."""
    return list(_conll().train[:150])


@pytest.fixture
def text_file(tmp_path, gold):
    """The pool as text to annotate (JSONL, tags null)."""
    path = tmp_path / "text.jsonl"
    write_jsonl([s.unlabeled() for s in gold], path)
    return str(path)


@pytest.fixture
def data_dir(tmp_path, gold):
    """The same pool as a simulation's data set (train = pool, test)."""
    d = tmp_path / "data"
    write_conll(gold, d / "train.txt")
    write_conll(_conll().test[:50], d / "test.txt")
    return str(d)


def dump(project: str) -> dict:
    """Every row of every table of a project store (to compare before and after a refused command)."""
    conn = sqlite3.connect(os.path.join(project, "project.sqlite"))
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
    finally:
        conn.close()


def answer_jsonl(batch: str, out: str, gold_by_tokens: dict, *, annotator: str = "scripted") -> None:
    """A scripted annotator: fill a JSONL batch with gold tags at every token."""
    with open(batch) as f, open(out, "w") as g:
        for line in f:
            d = json.loads(line)
            d["tags"] = list(gold_by_tokens[tuple(d["tokens"])])
            d["annotator"] = annotator
            g.write(json.dumps(d) + "\n")
