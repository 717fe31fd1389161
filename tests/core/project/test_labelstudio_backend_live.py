"""multitag as the ML backend of a real Label Studio server (loopback): connected through Label
Studio's API, it pre-annotates the tasks Label Studio opens, receives every submitted annotation by
webhook into the store, retrains after N answers, refreshes the unlabelled tasks' predictions and
informativeness (the Data Manager sorts by it), adds the next batch when the queue runs low, and
loses nothing when it is killed in the middle of a webhook and restarted."""
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest
from click.testing import CliRunner

from multitag.cli import main
from multitag.labelstudio.answers import STORE_DELAY_ENV
from multitag.labelstudio.loop import VIEW_TITLE
from multitag.project.project import Project
from support.labelstudio import USER_EMAIL, USER_TOKEN, LabelStudioServer, free_port, label_studio_missing

pytest_plugins = ("support.browser",)

_spec = importlib.util.spec_from_file_location("backend_helpers", os.path.join(os.path.dirname(__file__),
                                                                               "test_labelstudio_backend.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)
DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs")
#: Label Studio refuses ML backends and webhooks on local addresses unless told otherwise
LOCAL_ML_ENV = {"ML_BLOCK_LOCAL_IP": "false", "SSRF_PROTECTION_ENABLED": "false"}
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def ls():
    """One Label Studio server for this module, allowed to call a backend on 127.0.0.1."""
    why = label_studio_missing()
    if why:
        pytest.skip(why)
    saved = {k: os.environ.get(k) for k in LOCAL_ML_ENV}
    os.environ.update(LOCAL_ML_ENV)
    try:
        with tempfile.TemporaryDirectory(prefix="multitag-ls-backend-") as workdir:
            server = LabelStudioServer.start(workdir)
            try:
                yield server.client()
            finally:
                server.stop()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class Backend:
    """``multitag labelstudio-backend`` in a subprocess on 127.0.0.1 and a free port."""

    def __init__(self, path, ls, *args, env=None, port=None, with_api=True):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(path, f"backend-{time.time():.0f}.log"), "w")
        api = ["--label-studio", ls.url, "--label-studio-token", USER_TOKEN] if with_api else []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "multitag", "labelstudio-backend", path, "--port", str(self.port), *api, *args],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with _OPENER.open(self.url + "/health", timeout=2) as r:
                    if json.loads(r.read())["status"] == "UP":
                        return
            except OSError:
                time.sleep(0.3)
        self.kill()
        raise AssertionError("the backend did not start: " + open(self.log.name).read())

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)
        self.log.close()


def _wait(what, check, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _connected(tmp_path, text_file, gold, ls, *backend_args, name="p", env=None, seed_tokens=600, with_api=True):
    path = h.trained_project(tmp_path, text_file, gold, name=name, seed_tokens=seed_tokens)
    config = CliRunner().invoke(main, ["project", "labelstudio-config", path]).output
    ls_project = ls.create_project(f"multitag {name} {time.time()}", config)
    backend = Backend(path, ls, *backend_args, env=env, with_api=with_api)
    try:
        ml = ls.json("POST", "/api/ml", body={"url": backend.url, "project": ls_project, "title": "multitag"})
        assert ml["state"] == "CO", ml
        _wait("the first batch", lambda: ls.tasks(ls_project))
    except BaseException:
        backend.kill()
        raise
    return path, ls_project, backend


def _submit(ls, ls_project, task, by_tokens):
    """Submit the gold annotation of a task as the labeling page does, from its prediction."""
    row_text = task["data"]["text"]
    with Project(task["_path"]) as p:
        s = p.store.text.sentence(task["data"]["multitag"]["sentence"])
    assert s.text == row_text
    result = h.gold_result(s, by_tokens[tuple(s.tokens)])
    pred = (task.get("predictions") or [{}])[0].get("id")
    return ls.annotate(task["id"], result, project=ls_project, parent_prediction=pred), s


def _stored(path, ls_project, annotation_ids):
    with Project(path) as p:
        return all(len(p.store.labelstudio.imports_of_annotation(ls_project, a)) == 1 for a in annotation_ids)


def test_the_backend_in_label_studio_pre_annotates_learns_and_refills(tmp_path, text_file, gold, ls):
    path, ls_project, backend = _connected(tmp_path, text_file, gold, ls, "--retrain-every", "3",
                                           "--min-unlabelled", "13", "--budget", "120")
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    try:
        tasks = ls.tasks(ls_project)
        first_batch = len(tasks)
        assert first_batch >= 10 and all(t["data"]["multitag"]["project"] for t in tasks)
        # a task opened without a prediction gets multitag's from /predict
        t = tasks[-1]
        for pr in t["predictions"]:
            ls.request("DELETE", f"/api/predictions/{pr['id']}")
        (pred,) = ls.task(t["id"])["predictions"]
        with Project(path) as p:
            v0 = f"multitag-model-{p.latest_model_row().id}"
        assert pred["model_version"] == v0 and 0 < pred["score"] <= 1
        # the backend added a Data Manager tab that sorts by informativeness, highest first
        (view,) = [v["id"] for v in ls.json("GET", "/api/dm/views", params={"project": ls_project})
                   if v["data"]["title"] == VIEW_TITLE]

        def in_view_order():
            return ls.json("GET", "/api/tasks", params={"project": ls_project, "view": view, "fields": "all",
                                                        "page_size": 500})["tasks"]
        before = {x["id"]: (x["data"]["informativeness"], x["predictions"][0]["result"], x["predictions"][0]["score"])
                  for x in in_view_order()}
        # three annotations submitted through Label Studio's API arrive by webhook
        ids = []
        for task in in_view_order()[:3]:
            task["_path"] = path
            ann, s = _submit(ls, ls_project, task, by_tokens)
            ids.append(ann["id"])
        _wait("the webhooks' annotations in the store", lambda: _stored(path, ls_project, ids), 30)
        with Project(path) as p:
            mine = [r for r in p.store.annotations.current() if r.annotator == USER_EMAIL]
            assert len({r.sentence_id for r in mine}) == 3
        # the third answer started a retrain; then the unlabelled tasks' predictions are refreshed
        def refreshed():
            left = [x for x in in_view_order() if not x["annotations"]]
            versions = {p["model_version"] for x in left for p in x["predictions"]}
            return left if versions and v0 not in versions and all(len(x["predictions"]) == 1 for x in left) else None
        _wait("fresh predictions after the retrain", refreshed, 180)
        _wait("the second batch", lambda: len(ls.tasks(ls_project)) > first_batch, 60)
        left = refreshed()
        infos = [x["data"]["informativeness"] for x in left]
        assert infos == sorted(infos, reverse=True), "the view sorts by the new informativeness"
        assert len(set(infos)) > 1
        # "Label All Tasks" in that tab: Label Studio's next task is the most informative one, shown
        # with the retrained model's prediction
        nxt = ls.json("GET", f"/api/projects/{ls_project}/next", params={"view": view})
        assert nxt["id"] == left[0]["id"]
        assert [p["model_version"] for p in nxt["predictions"]] == [left[0]["predictions"][0]["model_version"]]
        old = [x for x in left if x["id"] in before]
        assert any((x["data"]["informativeness"], x["predictions"][0]["result"], x["predictions"][0]["score"])
                   != before[x["id"]] for x in old), "the retrained model changed the predictions"
    finally:
        backend.kill()


def test_killed_during_a_webhook_and_restarted_every_annotation_is_stored_once(tmp_path, text_file, gold, ls):
    path, ls_project, backend = _connected(tmp_path, text_file, gold, ls, "--retrain-every", "1000", name="k",
                                           env={STORE_DELAY_ENV: "10"})
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    try:
        tasks = ls.tasks(ls_project)
        for t in tasks:
            t["_path"] = path
        a, sa = _submit(ls, ls_project, tasks[0], by_tokens)     # the backend sleeps inside this webhook
        time.sleep(1.5)
        backend.kill()                                           # ... and dies there
        with Project(path) as p:
            assert not p.store.labelstudio.imports_of_annotation(ls_project, a["id"])
        b, sb = _submit(ls, ls_project, tasks[1], by_tokens)     # a webhook sent while it is down
        backend = Backend(path, ls, "--retrain-every", "1000", port=backend.port)   # reconciles on start
        assert _stored(path, ls_project, [a["id"], b["id"]])
        # the same webhook delivered again, and a sync on demand, store nothing more
        task0 = ls.task(tasks[0]["id"])
        body = h.webhook("ANNOTATION_CREATED", {**task0, "project": ls_project},
                         [dict(r) for r in a["result"]], annotation_id=a["id"], ls_project=ls_project)
        body["annotation"]["completed_by"] = a["completed_by"]
        req = urllib.request.Request(backend.url + "/webhook", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with _OPENER.open(req, timeout=30) as r:
            assert json.loads(r.read())["result"]["already"]
        pat = ls.personal_access_token()       # a personal access token (JWT) works as well
        r = CliRunner().invoke(main, ["project", "sync-labelstudio", path, "--label-studio-token", pat])
        assert r.exit_code == 0, r.output
        assert "0 annotations stored, 2 already stored" in r.output
        # Label Studio's "Start Training" reaches the backend as START_TRAINING: a new model
        with Project(path) as p:
            models = len(p.store.models.all())
        (ml,) = ls.json("GET", "/api/ml", params={"project": ls_project})
        ls.request("POST", f"/api/ml/{ml['id']}/train", body={})

        def trained():
            with Project(path) as p:
                return len(p.store.models.all()) > models
        _wait("the model trained on Start Training", trained, 120)
        with Project(path) as p:
            for s in (sa, sb):
                assert p.store.annotations.current_tags(s.id) == dict(enumerate(by_tokens[tuple(s.tokens)]))
            assert _stored(path, ls_project, [a["id"], b["id"]])
        # deleted in Label Studio while the backend was down: the sync retracts it
        backend.kill()
        ls.request("DELETE", f"/api/annotations/{b['id']}")
        r = CliRunner().invoke(main, ["project", "sync-labelstudio", path, "--label-studio-token", USER_TOKEN])
        assert "1 deleted ones retracted" in r.output, r.output
        with Project(path) as p:
            assert p.store.annotations.current_tags(sb.id) == {}
    finally:
        backend.kill()


def test_the_labeling_page_shows_the_backends_live_prediction(tmp_path, text_file, gold, ls, chromium_context):
    """Screenshot: docs/labelstudio-backend.png when MULTITAG_UPDATE_SCREENSHOTS is set."""
    import shutil

    from support.labelstudio import screenshot_task

    path, ls_project, backend = _connected(tmp_path, text_file, gold, ls, "--retrain-every", "1000", name="s",
                                           seed_tokens=1500)
    try:
        task = max(ls.tasks(ls_project), key=lambda t: len(t["predictions"][0]["result"]) if t["predictions"] else -1)
        for pr in task["predictions"]:      # no stored prediction: Label Studio asks the backend
            ls.request("DELETE", f"/api/predictions/{pr['id']}")
        png = tmp_path / "labelstudio-backend.png"
        spans = screenshot_task(ls, ls_project, task["id"], png, context=chromium_context)
        (live,) = ls.task(task["id"])["predictions"]
        with Project(path) as p:
            assert live["model_version"] == f"multitag-model-{p.latest_model_row().id}"
        assert live["result"] and sorted(spans) == sorted(
            (r["value"]["start"], r["value"]["end"], r["value"]["labels"][0]) for r in live["result"])
        assert png.stat().st_size > 10_000
        if os.environ.get("MULTITAG_UPDATE_SCREENSHOTS"):
            shutil.copy(png, os.path.join(DOCS, "labelstudio-backend.png"))
    finally:
        backend.kill()


def test_without_label_studio_options_the_backend_uses_what_setup_tells_it(tmp_path, text_file, gold, ls):
    """Label Studio's /setup names its host and the project owner's token: connecting is enough."""
    path, ls_project, backend = _connected(tmp_path, text_file, gold, ls, name="z", with_api=False)
    try:
        tasks = ls.tasks(ls_project)
        with Project(path) as p:
            want = {q.sentence_id for q in p.store.queries.of_round(p.store.rounds.latest_chosen().id)}
            assert p.store.labelstudio.connection()["project"] == ls_project
        assert {t["data"]["multitag"]["sentence"] for t in tasks} == want
    finally:
        backend.kill()
