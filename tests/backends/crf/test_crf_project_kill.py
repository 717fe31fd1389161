"""Killing `multitag project query` or `import` at random moments leaves the project consistent,
and the next command completes."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

from multitag.data import load_dataset
from multitag.data.writers import write_jsonl
from multitag.project.project import Project, Settings, init_project

CONLL = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "data", "conll2003")


def _cli(*args):
    return [sys.executable, "-m", "multitag", "project", *args]


def _consistent(path):
    conn = sqlite3.connect(os.path.join(path, "project.sqlite"))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for (folder,) in conn.execute("SELECT path FROM models"):
            assert os.path.isfile(os.path.join(path, folder, "multitag.json")), "a recorded model must be complete"
        # an import is all of its rows or none: the counts recorded with it are the rows it wrote
        for imp_id, tokens in conn.execute("SELECT id, tokens FROM imports"):
            n = conn.execute("SELECT COUNT(*) FROM annotations WHERE import_id = ?", (imp_id,)).fetchone()[0]
            assert n <= tokens
    finally:
        conn.close()
    with Project(path) as p:          # the project opens and replays
        p.learner()
        for m in p.store.query("SELECT * FROM models"):
            p.load_model(m)           # hashes checked: complete


def _run_and_kill(args, delay):
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_killed_queries_and_imports_leave_the_project_consistent(tmp_path):
    ds = load_dataset(CONLL)
    gold = list(ds.train[:150])
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    text = tmp_path / "text.jsonl"
    write_jsonl([s.unlabeled() for s in gold], text)
    path = str(tmp_path / "project")
    init_project(path, str(text), Settings(backend="crf", params={"features": "paper", "max_iterations": 30},
                                           strategy="mnlp", level="sentence", entity_types=["LOC", "MISC", "ORG", "PER"]))
    rng = random.Random(0)
    batch = str(tmp_path / "batch.jsonl")
    for round_no in range(3):
        for _ in range(2):
            _run_and_kill(_cli("query", path, "--budget", "300", "--format", "jsonl", "--out", batch, "--quiet"),
                          rng.uniform(0.2, 3.0))
            _consistent(path)
        r = subprocess.run(_cli("query", path, "--budget", "300", "--format", "jsonl", "--out", batch, "--quiet"),
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        _consistent(path)
        answers = tmp_path / f"answers{round_no}.jsonl"
        with open(batch) as f, open(answers, "w") as g:
            for line in f:
                d = json.loads(line)
                d["tags"] = list(by_tokens[tuple(d["tokens"])])
                g.write(json.dumps(d) + "\n")
        for _ in range(2):
            _run_and_kill(_cli("import", path, str(answers)), rng.uniform(0.2, 2.0))
            _consistent(path)
        r = subprocess.run(_cli("import", path, str(answers)), capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        _consistent(path)
    with Project(path) as p:
        learner, _ = p.learner()
        for i, s in enumerate(gold):
            tags = learner.pool.tags(i)
            assert all(t is None or t == g for t, g in zip(tags, s.tags)), "only gold answers were imported"
        n_rounds = p.store.query("SELECT COUNT(*) FROM rounds WHERE kind IN ('seed', 'query')")[0][0]
        assert n_rounds >= 3
    # no temporary or orphaned model folder is left behind once a query completed
    with Project(path) as p:
        known = {r["path"] for r in p.store.query("SELECT path FROM models")}
    assert {os.path.join("models", f) for f in os.listdir(os.path.join(path, "models"))} <= known


def test_two_shells_importing_and_querying_at_once(tmp_path):
    """A query (training, scoring) and an import running at the same time both complete and no row is
    lost (which of the two commits first varies)."""
    ds = load_dataset(CONLL)
    gold = list(ds.train[:200])
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    text = tmp_path / "text.jsonl"
    write_jsonl([s.unlabeled() for s in gold], text)
    path = str(tmp_path / "project")
    init_project(path, str(text), Settings(backend="crf", params={"features": "paper"}, strategy="mnlp",
                                           level="sentence", entity_types=["LOC", "MISC", "ORG", "PER"]))
    with Project(path) as p:
        p.query(600, fmt="jsonl", out=str(tmp_path / "seed.jsonl"))
    seed_answers = tmp_path / "seed-answers.jsonl"
    with open(tmp_path / "seed.jsonl") as f, open(seed_answers, "w") as g:
        for line in f:
            d = json.loads(line)
            d["tags"] = list(by_tokens[tuple(d["tokens"])])
            g.write(json.dumps(d) + "\n")
    with Project(path) as p:
        p.import_file(str(seed_answers))
        learner, rows = p.learner()      # rows read from the store: while it is open
        untouched = [i for i in range(len(rows)) if learner.pool.revealed_counts()[i] == 0]
        tokens = {i: rows[i]["tokens"] for i in untouched[:30]}
    # a hand-annotated file of 30 other sentences, imported while the query trains
    hand = tmp_path / "hand.conll"
    hand.write_text("".join("".join(f"{t} {g}\n" for t, g in zip(tokens[i], by_tokens[tuple(tokens[i])]))
                            + "\n" for i in untouched[:30]))
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    q = subprocess.Popen(_cli("query", path, "--budget", "800", "--format", "jsonl", "--out", str(tmp_path / "b.jsonl"),
                              "--quiet"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(1.5)
    i = subprocess.run(_cli("import", path, str(hand)), capture_output=True, text=True, env=env)
    out, err = q.communicate(timeout=300)
    assert q.returncode == 0, err
    assert i.returncode == 0, i.stderr
    _consistent(path)
    with Project(path) as p:
        learner, rows = p.learner()
        for k in untouched[:30]:
            assert learner.pool.tags(k) == tuple(by_tokens[tuple(rows[k]["tokens"])]), "the import's rows are all there"
        assert p.store.query("SELECT COUNT(*) FROM rounds WHERE kind = 'query'")[0][0] == 1
