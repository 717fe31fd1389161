"""Sign-in: a browser that signed in once (``?token=``) stays signed in by its cookie (a reload, a
second tab, a bookmark); one that has not gets a small sign-in page (401). A registered annotator's
own token names them: the name cannot be borrowed by a header."""
import importlib.util
import json
import os
import re

from starlette.testclient import TestClient

from multitag.project.importer import now
from multitag.project.store import Store
from multitag.serve.app import create_app

_spec = importlib.util.spec_from_file_location("serve_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def add_annotator(path, name):
    with Store(path) as s:
        with s.transaction():
            return s.annotators.add(name, now())


def session_of(html: str) -> dict:
    return json.loads(re.search(r'<script id="session" type="application/json">(.*?)</script>', html).group(1))


def test_a_browser_without_the_token_gets_the_sign_in_page_and_stays_signed_in(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold)
    app = create_app(path, token="s3cret", budget=80)
    c = TestClient(app, base_url="http://127.0.0.1:8000")
    r = c.get("/")
    assert r.status_code == 401 and '<form method="get" action="/">' in r.text and 'name="token"' in r.text
    assert "not valid" not in r.text
    r = c.get("/?token=wrong")
    assert r.status_code == 401 and "That token is not valid." in r.text
    r = c.get("/?token=s3cret")
    assert r.status_code == 200 and session_of(r.text) == {"token": "s3cret", "annotator": None}
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=" in cookie, cookie
    fresh_tab = TestClient(app, base_url="http://127.0.0.1:8000", cookies=dict(c.cookies))
    r = fresh_tab.get("/")                     # a bookmark / second tab: only the cookie
    assert r.status_code == 200 and session_of(r.text)["token"] == "s3cret"
    assert fresh_tab.get("/api/next").status_code == 401, "the cookie never authenticates the API"
    assert fresh_tab.get("/api/next", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    app.state.loop.close()


def test_a_registered_annotator_signs_in_with_their_own_token(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold)
    alice, bob = add_annotator(path, "alice"), add_annotator(path, "bob")
    app = create_app(path, budget=120)          # no shared token: the annotators' tokens are required
    c = TestClient(app, base_url="http://127.0.0.1:8000")
    assert c.get("/").status_code == 401 and c.get("/api/next").status_code == 401
    r = c.get(f"/?token={alice}")
    assert r.status_code == 200 and session_of(r.text) == {"token": alice, "annotator": "alice"}
    ha = {"Authorization": f"Bearer {alice}", "X-Annotator": "bob"}     # the token names her, not the header
    task = c.get("/api/next", headers=ha).json()["task"]
    by_tokens = {tuple(s.tokens): list(s.tags) for s in gold}
    r = c.post("/api/answer", json={"lease": task["lease"], "tags": by_tokens[tuple(task["tokens"])]}, headers=ha)
    assert r.status_code == 200 and r.json()["status"]["my_answers"] == 1
    hb = {"Authorization": f"Bearer {bob}"}
    b1 = c.get("/api/next", headers=hb).json()
    a2 = c.get("/api/next", headers=ha).json()["task"]
    assert b1["status"]["my_answers"] == 0 and b1["task"]["sentence"] not in (task["sentence"], a2["sentence"])
    with Store(path) as s:
        assert [r["annotator"] for r in s.query("SELECT annotator FROM leases ORDER BY id")] == ["alice", "bob", "alice"]
        assert {r["annotator"] for r in s.query("SELECT DISTINCT annotator FROM annotations")} == {"alice"}
    app.state.loop.close()
