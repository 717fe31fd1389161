"""The annotation page in headless Chromium against a real `multitag serve`: five tasks annotated
with the keyboard (one undo, one skip) survive a reload and are in the project store; the queue is
re-ordered after a background retrain; without the token the server refuses. Screenshots of the
page at sentence and entity level go to docs/ when MULTITAG_UPDATE_SCREENSHOTS is set."""
import importlib.util
import json
import os
import shutil
import time
import urllib.error
import urllib.request

from multitag.data.entity_spans import entity_spans
from multitag.project.project import Project

pytest_plugins = ("support.browser",)

_spec = importlib.util.spec_from_file_location("serve_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)
DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs")


def _lease(page):
    return page.locator("#sentence").get_attribute("data-lease")


def _tokens(page):
    return page.locator("#sentence .tok").all_inner_texts()


def _wait_for_new_task(page, old_lease, timeout=30_000):
    page.wait_for_function("old => { const s = document.getElementById('sentence');"
                           " return s.dataset.lease && s.dataset.lease !== old && s.querySelector('.tok'); }",
                           arg=old_lease, timeout=timeout)


def _type_entities(page, tags, labels, start=0):
    """Mark the gold entities with the keyboard (cursor starts at ``start``): arrows move,
    Shift+arrows extend, the label's digit labels the selection."""
    cursor = start
    for typ, a, b in entity_spans(tags):
        while cursor < a:
            page.keyboard.press("ArrowRight"); cursor += 1
        while cursor > a:
            page.keyboard.press("ArrowLeft"); cursor -= 1
        for _ in range(b - 1 - a):
            page.keyboard.press("Shift+ArrowRight"); cursor += 1
        page.keyboard.press(str(labels.index(typ) + 1))
    return cursor


def _shot(page, name, tmp_path):
    path = tmp_path / name
    page.screenshot(path=str(path))
    assert path.stat().st_size > 5_000
    if os.environ.get("MULTITAG_UPDATE_SCREENSHOTS"):
        shutil.copy(path, os.path.join(DOCS, name))


def test_five_tasks_by_keyboard_with_an_undo_and_a_skip_survive_a_reload(tmp_path, gold, chromium_page):
    path = helpers.make_project(tmp_path, gold)
    by_tokens = {tuple(s.tokens): list(s.tags) for s in gold}
    server = helpers.Served(path, "--budget", "300", "--retrain-every", "100")
    page = chromium_page
    try:
        server.wait_ready()
        page.goto(server.base + "/?annotator=alice")
        page.wait_for_selector("#sentence .tok")
        labels = helpers.TYPES
        answered, skipped = [], None
        steps = ["answer", "answer", "undo", "skip", "answer", "answer", "answer"]
        for step in steps:
            lease = _lease(page)
            toks = _tokens(page)
            if step == "answer":
                _type_entities(page, by_tokens[tuple(toks)], labels)
                if len(answered) == 4 and page.locator("#sentence .tok.ent").count():
                    _shot(page, "serve-sentence.png", tmp_path)     # the last one, marked, before Enter
                page.keyboard.press("Enter")
                answered.append(tuple(toks))
                _wait_for_new_task(page, lease)
            elif step == "undo":
                page.keyboard.press("u")
                _wait_for_new_task(page, lease)
                undone = answered.pop()
                assert tuple(_tokens(page)) == undone, "undo brings the last task back"
                # with the undone answer restored for editing (no key to redo): its entities, labelled
                want = [(a, typ) for typ, a, b in entity_spans(by_tokens[undone])]
                got = page.locator("#sentence .tok.ent.begin").evaluate_all(
                    "els => els.map(e => [Number(e.dataset.i), e.dataset.label])")
                assert [tuple(g) for g in got] == want, "undo restores the undone answer"
                with Project(path) as p:   # while it is retracted in the store
                    assert p.store.query("SELECT COUNT(*) FROM annotations WHERE retracted IS NOT NULL")[0][0] > 0
                back = _lease(page)
                page.keyboard.press("Enter")
                answered.append(undone)
                _wait_for_new_task(page, back)
            else:
                skipped = tuple(toks)
                page.keyboard.press("x")
                _wait_for_new_task(page, lease)
        assert len(answered) == 5
        shown = (_lease(page), _tokens(page))
        page.reload()
        page.wait_for_selector("#sentence .tok")
        assert (_lease(page), _tokens(page)) == shown, "a reload shows the same task"
    finally:
        server.stop()
    with Project(path) as p:
        learner, rows = p.learner()
        got = {tuple(rows[int(i)]["tokens"]): learner.pool.tags(int(i)) for i in learner.pool.touched()}
        assert set(got) == set(answered), "exactly the five answered sentences are annotated"
        for toks in answered:
            assert list(got[toks]) == by_tokens[toks]
        assert skipped not in got
        leases = p.store.query("SELECT state, annotator FROM leases")
        assert sum(1 for r in leases if r["state"] == "answered") == 5 and {r["annotator"] for r in leases} == {"alice"}
        assert sum(1 for r in leases if r["state"] == "skipped") == 1
        assert p.store.query("SELECT COUNT(*) FROM annotations WHERE retracted IS NOT NULL")[0][0] > 0


def test_the_page_follows_the_queue_re_ordered_after_a_background_retrain(tmp_path, gold, chromium_page):
    path = helpers.make_project(tmp_path, gold, level="entity", strategy="bt")
    by_tokens = {tuple(s.tokens): list(s.tags) for s in gold}
    helpers.answer_the_seed_set(tmp_path, path, gold)   # answered before serving, as a first Label Studio round
    server = helpers.Served(path, "--budget", "60", "--retrain-every", "3")
    page = chromium_page
    try:
        server.wait_ready()
        page.goto(server.base + "/?annotator=bob")
        page.wait_for_selector("#sentence .tok")
        _shot(page, "serve-entity.png", tmp_path)
        with Project(path) as p:
            first = p.store.query("SELECT MAX(id) FROM rounds")[0][0]
            old_order = [t.ref.sentence for t in p.round_tasks(first)]
        done = []
        for _ in range(3):                                   # three answers: a retrain starts in the background
            lease, toks = _lease(page), _tokens(page)
            sid = next(r for r in old_order if tuple(_row_tokens(path, r)) == tuple(toks))
            done.append(sid)
            asked = [i for i, c in enumerate(page.locator("#sentence .tok").evaluate_all("els => els.map(e => e.className)"))
                     if "asked" in c]
            _type_entities(page, by_tokens[tuple(toks)], helpers.TYPES, start=asked[0] if asked else 0)
            page.keyboard.press("Enter")
            _wait_for_new_task(page, lease)
        assert done == old_order[:3], "the page serves the round in its rank order"
        deadline = time.time() + 120
        while time.time() < deadline:                        # the page keeps working meanwhile
            with Project(path) as p:
                newest = p.store.query("SELECT MAX(id) FROM rounds")[0][0]
            if newest > first:
                break
            time.sleep(0.5)
        assert newest > first, "a background retrain made a new round"
        with Project(path) as p:
            new_order = [t.ref.sentence for t in p.round_tasks(newest)]
        held = next(r for r in old_order if tuple(_row_tokens(path, r)) == tuple(_tokens(page)))
        page.wait_for_function("n => document.querySelector('#queue b').textContent.includes('newest round ' + n)",
                               arg=newest, timeout=15_000)
        assert page.locator("#round b").inner_text().startswith(f"round {first} (query"), \
            "the header describes the task shown (of the previous round), not the newest round"
        # answer the held task, then the page follows the new round's order
        lease = _lease(page)
        page.keyboard.press("Enter")
        _wait_for_new_task(page, lease)
        next_sid = next(r for r in new_order if tuple(_row_tokens(path, r)) == tuple(_tokens(page)))
        assert page.locator("#round b").inner_text().startswith(f"round {newest} (query, bt), rank ")
        expected = next(s for s in new_order if s not in done and s != held)
        assert next_sid == expected
        remaining_old = [s for s in old_order if s not in done and s != held]
        assert [s for s in new_order if s in remaining_old][: 5] != remaining_old[:5] or new_order[:5] != remaining_old[:5]
    finally:
        server.stop()


def _row_tokens(path, sid):
    with Project(path) as p:
        return json.loads(p.store.query("SELECT tokens FROM sentences WHERE id = ?", (sid,))[0][0])


def test_without_the_token_the_server_refuses(tmp_path, gold, chromium_page):
    path = helpers.make_project(tmp_path, gold, with_eval=False)
    server = helpers.Served(path, "--token", "t0ken-xyz", "--budget", "100")
    try:
        server.wait_ready(token="t0ken-xyz")
        for url in (server.base + "/api/next", server.base + "/", server.base + "/?token=wrong"):
            try:
                urllib.request.urlopen(url, timeout=10)
                raise AssertionError(f"{url} answered without the token")
            except urllib.error.HTTPError as e:
                assert e.code == 401
        req = urllib.request.Request(server.base + "/api/answer", data=b'{"lease": 1, "tags": []}', method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=10)
            raise AssertionError("a post without the token was accepted")
        except urllib.error.HTTPError as e:
            assert e.code == 401
        page = chromium_page
        page.goto(server.base + "/?token=t0ken-xyz&annotator=carol")
        page.wait_for_selector("#sentence .tok")
        assert "token" not in page.url, "the page drops the token from the address bar"
        page.reload()                                   # the page kept it for its own requests
        page.wait_for_selector("#sentence .tok")
    finally:
        server.stop()
