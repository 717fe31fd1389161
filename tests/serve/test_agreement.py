"""Agreement on the overlap: span F1 and Cohen's kappa per annotator pair, against figures worked
out by hand; `--overlap` gives a task to two annotators (never twice to one), over the API and on
the page in headless Chromium, where the header shows the pair's agreement."""
import importlib.util
import json
import os

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from multitag.cli import main
from multitag.project.agreement import agreement, cohen_kappa, span_f1
from multitag.project.importer import now
from multitag.project.store import Store
from multitag.serve.app import create_app

pytest_plugins = ("support.browser",)

_spec = importlib.util.spec_from_file_location("serve_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def test_span_f1_and_kappa_equal_the_hand_computed_figures():
    a = ["B-PER", "I-PER", "O", "B-LOC"]
    b = ["B-PER", "I-PER", "O", "B-ORG"]
    assert span_f1([(a, b)]) == 0.5                      # PER agreed, LOC vs ORG: 2 * 1 / (2 + 2)
    # observed 3/4; expected (1 + 1 + 1 + 0) / 16 = 3/16; kappa = (3/4 - 3/16) / (1 - 3/16) = 9/13
    assert cohen_kappa([(a, b)]) == pytest.approx(9 / 13)
    assert cohen_kappa([([None, "O"], ["B-PER", None])]) is None, "only tokens both annotated"
    assert span_f1([(["O"], ["O"])]) == 1.0 and cohen_kappa([(["O"], ["O"])]) == 1.0
    got = agreement([(1, "bob", b), (1, "alice", a), (2, "alice", ["O"]), (2, "carl", ["B-PER"])])
    assert got == [{"annotators": ["alice", "bob"], "sentences": 1, "span_f1": 0.5, "kappa": round(9 / 13, 4)},
                   {"annotators": ["alice", "carl"], "sentences": 1, "span_f1": 0.0, "kappa": 0.0}]


def _tokens(path, n):
    with Store(path) as s:
        with s.transaction():
            return [s.annotators.add(f"a{i}", now()) for i in range(n)]


def test_an_overlap_task_goes_to_two_annotators_never_twice_to_one(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold)
    app = create_app(path, budget=150, overlap=1.0)
    c = TestClient(app, base_url="http://127.0.0.1:8000")
    h = [{"X-Annotator": n} for n in ("ann", "ben", "cat")]
    t0 = c.get("/api/next", headers=h[0]).json()["task"]
    t1 = c.get("/api/next", headers=h[1]).json()["task"]
    t2 = c.get("/api/next", headers=h[2]).json()["task"]
    assert t0["sentence"] == t1["sentence"] != t2["sentence"], "two annotators at most on one task"
    tags = ["O"] * len(t0["tokens"])
    assert c.post("/api/answer", json={"lease": t0["lease"], "tags": tags}, headers=h[0]).status_code == 200
    assert c.get("/api/next", headers=h[0]).json()["task"]["sentence"] not in (t0["sentence"],)
    other = tags.copy()
    other[0] = "B-PER"
    r = c.post("/api/answer", json={"lease": t1["lease"], "tags": other}, headers=h[1])
    assert r.status_code == 200, r.text
    n = len(tags)
    po, pe = (n - 1) / n, ((n - 1) / n) ** 2     # one token differs; O is (n-1)/n of each one's tags
    assert r.json()["status"]["agreement"] == [{"annotators": ["ann", "ben"], "sentences": 1, "span_f1": 0.0,
                                                "kappa": round((po - pe) / (1 - pe), 4)}]
    assert c.get("/api/next", headers=h[2]).json()["task"]["sentence"] == t2["sentence"]
    app.state.loop.close()
    r = CliRunner().invoke(main, ["project", "annotators", "agreement", path])
    assert r.exit_code == 0 and r.stdout.startswith("ann\tben\t1 sentences\tspan F1 0.0000\tkappa"), r.output
    # project status shows the same agreement, and the page's measured time beside the estimate
    r = CliRunner().invoke(main, ["project", "status", path, "--json"])
    status = json.loads(r.stdout)
    assert status["agreement"] == [{"annotators": ["ann", "ben"], "sentences": 1, "span_f1": 0.0,
                                    "kappa": round((po - pe) / (1 - pe), 4)}]
    assert set(status["measured"]) == {"answers", "active_seconds"}
    text = CliRunner().invoke(main, ["project", "status", path]).stdout
    assert "agreement ann / ben: 1 sentences, span F1 0.0000" in text


def test_two_named_annotators_on_an_overlap_see_the_hand_computed_agreement(tmp_path, gold, chromium_context):
    path = helpers.make_project(tmp_path, gold, with_eval=False)
    alice, bob = _tokens(path, 2)
    server = helpers.Served(path, "--budget", "100", "--overlap", "100%")
    try:
        server.wait_ready()
        a, b = chromium_context.new_page(), chromium_context.new_page()
        a.goto(server.base + f"/?token={alice}")
        b.goto(server.base + f"/?token={bob}")
        a.wait_for_selector("#sentence .tok")
        b.wait_for_selector("#sentence .tok")
        while True:
            toks = a.locator("#sentence .tok").all_inner_texts()
            assert b.locator("#sentence .tok").all_inner_texts() == toks, "the overlap task goes to both"
            if len(toks) >= 4:
                break
            for page in (a, b):                            # both skip a very short sentence
                lease = page.locator("#sentence").get_attribute("data-lease")
                page.keyboard.press("x")
                page.wait_for_function("old => { const s = document.getElementById('sentence');"
                                       " return s.dataset.lease !== old && s.querySelector('.tok'); }", arg=lease)
        n = len(toks)
        a.keyboard.press("4")                             # a0: the first token is PER
        b.keyboard.press("End")                           # a1: the first token LOC, the last token PER
        b.keyboard.press("4")
        b.keyboard.press("Home")
        b.keyboard.press("1")
        for page in (a, b):
            lease = page.locator("#sentence").get_attribute("data-lease")
            page.keyboard.press("Enter")
            page.wait_for_function("old => document.getElementById('sentence').dataset.lease !== old", arg=lease)
        # by hand: spans {PER 0} vs {LOC 0, PER n-1}: F1 = 0; tokens: a0 has B-PER, O x (n-1); a1 has
        # B-LOC, O x (n-2), B-PER; they agree on n-2 tokens
        po = (n - 2) / n
        pe = ((n - 1) * (n - 2) + 1 * 1) / (n * n)         # O: (n-1)(n-2); B-PER: 1 * 1; B-LOC: 0
        kappa = (po - pe) / (1 - pe)
        want = f"agreement a0/a1: F1 0.00, kappa {kappa:.2f} (1)"
        for page in (b, a):                                # b's answer came second; a's page polls its status
            page.wait_for_function("w => document.getElementById('agreement').textContent === w", arg=want,
                                   timeout=15_000)
        helpers.screenshot(b, "serve-agreement.png", tmp_path)
        a.close()
        b.close()
        review = chromium_context.new_page()             # a reviewer settles the disagreement
        review.goto(server.base + f"/?token={alice}&mode=review")
        review.wait_for_selector(".version button")
        assert review.locator(".version b").all_inner_texts() == ["a0: ", "a1: "]
        assert review.locator("#sentence .tok").all_inner_texts() == toks
        helpers.screenshot(review, "serve-review.png", tmp_path)
        review.locator(".version button").nth(1).click()  # take a1's version
        review.keyboard.press("Enter")
        review.wait_for_function("() => document.getElementById('message').textContent.startsWith('settled')")
        assert review.locator("#sentence .empty").inner_text() == "No disagreement to settle."
        review.close()
    finally:
        server.stop()
    with Store(path) as s:
        sid = s.query("SELECT sentence_id FROM settlements")[0][0]
        assert s.annotations.current_tags(sid) == {i: ("B-LOC" if i == 0 else "B-PER" if i == n - 1 else "O")
                                                   for i in range(n)}, "the settled answer is current"


def test_a_reviewer_settles_a_disagreement_and_the_export_uses_it(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold)
    by_tokens = {tuple(s.tokens): list(s.tags) for s in gold}
    app = create_app(path, budget=150, overlap=1.0)
    c = TestClient(app, base_url="http://127.0.0.1:8000")
    ha, hb, hr = ({"X-Annotator": n} for n in ("ann", "ben", "rev"))
    t = c.get("/api/next", headers=ha).json()["task"]
    while not any(x != "O" for x in by_tokens[tuple(t["tokens"])]):
        c.post("/api/skip", json={"lease": t["lease"]}, headers=ha)
        t = c.get("/api/next", headers=ha).json()["task"]
    right = by_tokens[tuple(t["tokens"])]
    tb = c.get("/api/next", headers=hb).json()["task"]
    while tb["sentence"] != t["sentence"]:
        c.post("/api/skip", json={"lease": tb["lease"]}, headers=hb)
        tb = c.get("/api/next", headers=hb).json()["task"]
    c.post("/api/answer", json={"lease": t["lease"], "tags": ["O"] * len(right)}, headers=ha)
    c.post("/api/answer", json={"lease": tb["lease"], "tags": right}, headers=hb)
    d = c.get("/api/disagreements", headers=hr).json()["disagreements"]
    assert [x["sentence"] for x in d] == [t["sentence"]]
    assert d[0]["answers"] == [{"annotator": "ann", "tags": ["O"] * len(right)}, {"annotator": "ben", "tags": right}]
    mixed = ["O"] * len(right)
    first = next(i for i, x in enumerate(right) if x.startswith("B-"))
    mixed[first] = right[first]                       # the reviewer keeps only the first entity's first token
    r = c.post("/api/settle", json={"sentence": t["sentence"], "tags": mixed}, headers=hr)
    assert r.status_code == 200 and r.json()["disagreements"] == [], r.text
    assert c.post("/api/settle", json={"sentence": t["sentence"], "tags": mixed}, headers=hr).status_code == 404
    app.state.loop.close()
    out = tmp_path / "out.jsonl"
    assert CliRunner().invoke(main, ["project", "export", path, "--format", "jsonl", "--out", str(out)]).exit_code == 0
    exported = {tuple(x["tokens"]): x["tags"] for x in map(json.loads, out.read_text().splitlines())}
    assert exported[tuple(t["tokens"])] == mixed, "the export uses the settled answer"
