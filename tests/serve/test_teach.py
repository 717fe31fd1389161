"""Teach mode, over the API and by keys on the page in headless Chromium: the task carries the
model's most uncertain span as a suggestion; accept stores it as an entity-level answer, reject
stores "not this type at this span", ignore only the decision; each moves the annotator on."""
import importlib.util
import os

import numpy as np
from starlette.testclient import TestClient

from multitag.backend import Prediction
from multitag.project.project import Project
from multitag.serve.app import create_app
from multitag.serve.teach import suggestion

pytest_plugins = ("support.browser",)

_spec = importlib.util.spec_from_file_location("serve_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

LABELS = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]


def test_the_suggestion_is_the_least_confident_predicted_span_else_the_likeliest_begin():
    m = np.array([[.1, .8, 0, .1, 0], [.2, 0, .7, 0, .1], [.9, .05, 0, .05, 0], [.4, 0, 0, .6, 0]])
    pred = Prediction(tags=["B-LOC", "I-LOC", "O", "B-PER"], marginals=m, logprob=-1.0)
    assert suggestion(pred, LABELS, ["LOC", "PER"]) == {"start": 3, "end": 4, "label": "PER", "confidence": 0.6}
    assert suggestion(pred, LABELS, ["LOC"])["start"] == 0, "only the project's types"
    none = Prediction(tags=["O"] * 4, marginals=m, logprob=-1.0)
    assert suggestion(none, LABELS, ["LOC", "PER"]) == {"start": 0, "end": 1, "label": "LOC", "confidence": 0.8}


def served_with_a_model(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold, level="entity", strategy="bt")
    helpers.answer_the_seed_set(tmp_path, path, gold)
    with Project(path) as p:
        p.choose_round(60)
    return path


def test_accept_reject_and_ignore_are_stored_as_what_they_are(tmp_path, gold):
    path = served_with_a_model(tmp_path, gold)
    app = create_app(path, budget=60, retrain_every=100)
    c = TestClient(app, base_url="http://127.0.0.1:8000")
    h = {"X-Annotator": "tess"}
    seen, done = [], {}
    for decision in ("reject", "accept", "ignore"):
        t = c.get("/api/next", headers=h).json()["task"]
        assert t["sentence"] not in seen, "a decision moves the annotator on"
        seen.append(t["sentence"])
        s = t["suggestion"]
        assert s is not None and 0 <= s["start"] < s["end"] <= len(t["tokens"]) and s["label"] in helpers.TYPES
        if decision == "reject":
            bad = c.post("/api/decide", json={"lease": t["lease"], "decision": "maybe", **{k: s[k] for k in ("start", "end", "label")}}, headers=h)
            assert bad.status_code == 400 and "decision must be one of" in bad.json()["error"]
        r = c.post("/api/decide", json={"lease": t["lease"], "decision": decision, "start": s["start"], "end": s["end"],
                                        "label": s["label"]}, headers=h)
        assert r.status_code == 200, r.text
        done[decision] = (t, s)
        again = c.post("/api/decide", json={"lease": t["lease"], "decision": decision, "start": s["start"],
                                            "end": s["end"], "label": s["label"]}, headers=h)
        assert again.status_code == 409
    assert app.state.loop.answers == 2, "accepts and rejects count as answers, ignores do not"
    with Project(path) as p:
        rej_t, rej = done["reject"]
        assert p.store.decisions.rejections() == [(rej_t["sentence"], rej["start"], rej["end"], rej["label"])]
        acc_t, acc = done["accept"]
        want = {i: ("B-" if i == acc["start"] else "I-") + acc["label"] for i in range(acc["start"], acc["end"])}
        got = p.store.annotations.current_tags(acc_t["sentence"])
        before = {i for i, a in enumerate(acc_t["annotated"]) if a is not None}
        assert {i: got[i] for i in want} == want and set(got) == set(want) | before, "the span's tokens, nothing else"
        ign_t, _ = done["ignore"]
        assert p.store.annotations.current_tags(ign_t["sentence"]) == {}
        assert p.store.decisions.count_by_decision("tess") == {"accept": 1, "reject": 1, "ignore": 1}
        assert [r["state"] for r in p.store.query("SELECT state FROM leases ORDER BY id")] == ["decided"] * 3
    app.state.loop.close()


def test_accept_reject_and_ignore_by_keys_on_the_page(tmp_path, gold, chromium_page):
    path = served_with_a_model(tmp_path, gold)
    server = helpers.Served(path, "--budget", "60", "--retrain-every", "100")
    page = chromium_page
    try:
        server.wait_ready()
        page.goto(server.base + "/?annotator=tess&mode=teach")
        page.wait_for_selector("#sentence .tok")
        assert page.locator("body.teach").count() == 1 and page.locator("#teach-keys").is_visible()
        helpers.screenshot(page, "serve-teach.png", tmp_path)
        shown = []
        for key in ("r", "a", "i"):
            lease = page.locator("#sentence").get_attribute("data-lease")
            ents = page.locator("#sentence .tok.ent").evaluate_all("els => els.map(e => Number(e.dataset.i))")
            label = page.locator("#sentence .tok.ent.begin").get_attribute("data-label")
            assert ents and f"Is this {label}?" in page.locator("#instruction").inner_text()
            shown.append((int(lease), ents[0], ents[-1] + 1, label))
            page.keyboard.press(key)
            page.wait_for_function("old => { const s = document.getElementById('sentence');"
                                   " return s.dataset.lease && s.dataset.lease !== old; }", arg=lease)
        assert page.locator("#who b").inner_text() == "tess (0 answers, 3 decisions)", "the annotator's own count"
    finally:
        server.stop()
    with Project(path) as p:
        rows = p.store.query("SELECT lease_id, start_token, end_token, label, decision FROM span_decisions ORDER BY id")
        assert [tuple(r) for r in rows] == [(*x, d) for x, d in zip(shown, ("reject", "accept", "ignore"))]
        sid = p.store.query("SELECT sentence_id FROM leases WHERE id = ?", (shown[0][0],))[0][0]
        assert p.store.decisions.rejections() == [(sid, shown[0][1], shown[0][2], shown[0][3])], "the rejection is stored"
