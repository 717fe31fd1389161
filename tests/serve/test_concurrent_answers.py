"""200 answers posted concurrently by 4 clients to a real `multitag serve` on loopback are all
stored exactly once."""
import importlib.util
import json
import os
import threading
import urllib.request

from multitag.project.project import Project

_spec = importlib.util.spec_from_file_location("serve_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def _call(base, method, path, annotator, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"X-Annotator": annotator, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_200_concurrent_answers_are_stored_exactly_once(tmp_path):
    gold = list(helpers.conll().train[:320])
    path = helpers.make_project(tmp_path, gold, with_eval=False)
    by_tokens = {tuple(s.tokens): list(s.tags) for s in gold}
    server = helpers.Served(path, "--budget", "6000", "--retrain-every", "60")
    try:
        server.wait_ready()
        done: dict[str, list] = {}
        errors = []

        def annotate(name):
            mine = done.setdefault(name, [])
            while len(mine) < 50:
                status, d = _call(server.base, "GET", "/api/next", name)
                if status != 200 or d["task"] is None:
                    errors.append((name, status, d))
                    return
                t = d["task"]
                status, a = _call(server.base, "POST", "/api/answer", name,
                                  {"lease": t["lease"], "tags": by_tokens[tuple(t["tokens"])]})
                if status != 200:
                    errors.append((name, status, a))
                    return
                mine.append(t["sentence"])

        threads = [threading.Thread(target=annotate, args=(f"client{k}",)) for k in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=600)
        assert not errors, errors[:3]
        answered = [s for v in done.values() for s in v]
        assert len(answered) == 200 and len(set(answered)) == 200, "every task went to one client"
    finally:
        server.stop()
    with Project(path) as p:
        imports = p.store.query("SELECT id, annotator FROM imports WHERE format = 'serve'")
        assert len(imports) == 200
        leases = p.store.query("SELECT import_id, annotator, sentence_id FROM leases WHERE state = 'answered'")
        assert len(leases) == 200 and len({l["import_id"] for l in leases}) == 200
        assert {(l["annotator"], l["sentence_id"]) for l in leases} == {(n, s) for n, v in done.items() for s in v}
        learner, rows = p.learner()
        for sid in answered:
            assert learner.pool.tags(sid - 1) == tuple(by_tokens[tuple(rows[sid - 1]["tokens"])])
        n_rows = p.store.query("SELECT COUNT(*) FROM annotations WHERE superseded_by IS NULL")[0][0]
        assert n_rows == sum(len(rows[s - 1]["tokens"]) for s in answered)
