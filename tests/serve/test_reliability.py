"""Reliability of `multitag serve`: late answers on finished tasks, body size limits, IOB2 answers,
the retrain worker dying with the server."""
import contextlib
import importlib.util
import os
import time

from starlette.testclient import TestClient

from multitag.serve.app import MAX_BODY_BYTES, create_app

_spec = importlib.util.spec_from_file_location("serve_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def client(path, **kw):
    return TestClient(create_app(path, **kw), base_url="http://127.0.0.1:8000")


def test_late_answer_on_a_task_finished_by_another_is_a_conflict(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold)
    c = client(path, budget=120, lease_seconds=0.5)
    alice, bob = {"X-Annotator": "alice"}, {"X-Annotator": "bob"}
    late = c.get("/api/next", headers=alice).json()["task"]
    time.sleep(0.7)                                   # alice's lease expires
    by_tokens = {tuple(s.tokens): list(s.tags) for s in gold}
    task = c.get("/api/next", headers=bob).json()["task"]
    assert task["sentence"] == late["sentence"]
    tags = by_tokens[tuple(task["tokens"])]
    assert c.post("/api/answer", json={"lease": task["lease"], "tags": tags}, headers=bob).status_code == 200
    r = c.post("/api/answer", json={"lease": late["lease"], "tags": ["O"] * len(tags)}, headers=alice)
    assert r.status_code == 409 and "finished" in r.json()["error"]
    from multitag.project.project import Project
    with Project(path) as p:
        assert p.learner()[0].pool.tags(task["sentence"] - 1) == tuple(tags)


def test_answers_must_be_valid_iob2(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold)
    c = client(path, budget=120)
    task = c.get("/api/next").json()["task"]
    n = len(task["tokens"])
    r = c.post("/api/answer", json={"lease": task["lease"], "tags": ["I-PER"] + ["O"] * (n - 1)})
    assert r.status_code == 422 and "token 1" in r.json()["error"]


def test_request_bodies_over_the_limit_get_413(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold)
    c = client(path, budget=120)
    task = c.get("/api/next").json()["task"]
    big = b'{"x": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}'
    h = {"Content-Type": "application/json"}
    assert c.post("/api/answer", content=big, headers=h).status_code == 413
    sent = []

    def chunks():
        for _ in range(100):            # 100 x 64 KiB, far over the limit: stops being read early
            sent.append(1)
            yield b" " * 65536
    r = c.post("/api/answer", content=chunks(), headers=h)
    assert r.status_code == 413
    tags = ["O"] * len(task["tokens"])
    assert c.post("/api/answer", json={"lease": task["lease"], "tags": tags}).status_code == 200


def _children(pid):
    out = set()
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/children") as fh:
                out.update(int(x) for x in fh.read().split())
        except OSError:
            pass
    return out


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_kill_9_of_the_server_ends_the_retrain_worker(tmp_path, gold, monkeypatch):
    import json
    import signal
    import urllib.request

    path = helpers.make_project(tmp_path, gold)
    monkeypatch.setenv("MULTITAG_SERVE_RETRAIN_DELAY", "60")
    s = helpers.Served(path, "--budget", "120", "--retrain-every", "1")
    kids: set = set()
    try:
        s.wait_ready()
        task = json.load(urllib.request.urlopen(s.base + "/api/next"))["task"]
        req = urllib.request.Request(s.base + "/api/answer", method="POST", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"lease": task["lease"], "tags": ["O"] * len(task["tokens"])}).encode())
        urllib.request.urlopen(req).read()
        deadline = time.time() + 30
        while time.time() < deadline and not kids:
            kids = _children(s.proc.pid)
            time.sleep(0.3)
        assert kids, "no retrain worker started"
        time.sleep(2)                                  # the worker is past its start, sleeping in the retrain
        kids = _children(s.proc.pid)
        # the retrain worker and multiprocessing's resource tracker (both children of the server)
        assert any("resource_tracker" in _cmdline(k) for k in kids), {k: _cmdline(k) for k in kids}
        assert any("spawn_main" in _cmdline(k) for k in kids), {k: _cmdline(k) for k in kids}
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        deadline = time.time() + 5
        while time.time() < deadline and any(_alive(k) for k in kids):
            time.sleep(0.2)
        assert not [k for k in kids if _alive(k)], "children outlived the server"
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
        s.proc.communicate()
        for k in kids:                                 # a failing run leaves no worker behind either
            if _alive(k):
                with contextlib.suppress(OSError):
                    os.kill(k, signal.SIGKILL)
