"""The history side list in headless Chromium: an answer given wrong is clicked in the list,
corrected with the keyboard and stored as a correction (the old rows kept, superseded)."""
import importlib.util
import os

from multitag.data.entity_spans import entity_spans
from multitag.project.project import Project

pytest_plugins = ("support.browser",)

_spec = importlib.util.spec_from_file_location("serve_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def _lease(page):
    return page.locator("#sentence").get_attribute("data-lease")


def _tokens(page):
    return tuple(page.locator("#sentence .tok").all_inner_texts())


def _wait_new(page, old):
    page.wait_for_function("old => { const s = document.getElementById('sentence');"
                           " return s.dataset.lease && s.dataset.lease !== old && s.querySelector('.tok'); }", arg=old)


def test_a_history_item_is_reopened_and_corrected(tmp_path, gold, chromium_page):
    path = helpers.make_project(tmp_path, gold, with_eval=False)
    by_tokens = {tuple(s.tokens): list(s.tags) for s in gold}
    server = helpers.Served(path, "--budget", "300", "--retrain-every", "100")
    page = chromium_page
    try:
        server.wait_ready()
        page.goto(server.base + "/?annotator=erin")
        page.wait_for_selector("#sentence .tok")
        while not entity_spans(by_tokens[_tokens(page)]):          # a sentence with entities
            lease = _lease(page)
            page.keyboard.press("x")
            _wait_new(page, lease)
        wrong = _tokens(page)
        lease = _lease(page)
        page.keyboard.press("Enter")                               # answered with no entity: wrong
        _wait_new(page, lease)
        lease = _lease(page)
        page.keyboard.press("Enter")
        _wait_new(page, lease)
        page.wait_for_function("() => document.querySelectorAll('#history li').length === 2")
        assert page.locator("#history li .ents").nth(1).inner_text() == "no entities"
        page.locator("#history li").nth(1).click()                  # reopen the wrong one
        page.wait_for_function("t => Array.from(document.querySelectorAll('#sentence .tok')).map(e => e.textContent)"
                               ".join(' ') === t", arg=" ".join(wrong))
        assert "back for editing" in page.locator("#instruction").inner_text()
        cursor = 0
        for typ, a, b in entity_spans(by_tokens[wrong]):
            while cursor < a:
                page.keyboard.press("ArrowRight"); cursor += 1
            for _ in range(b - 1 - a):
                page.keyboard.press("Shift+ArrowRight"); cursor += 1
            page.keyboard.press(str(helpers.TYPES.index(typ) + 1))
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.getElementById('message').textContent.startsWith('corrected')")
        page.wait_for_function("() => document.querySelector('#history li .chip') !== null")
        first_types = page.locator("#history li").first.locator(".chip").all_inner_texts()
        assert first_types == [typ for typ, _, _ in entity_spans(by_tokens[wrong])]
        assert page.locator("#who b").inner_text() == "erin (2 answers)", "a correction is not another answer"
        helpers.screenshot(page, "serve-history.png", tmp_path)
    finally:
        server.stop()
    with Project(path) as p:
        learner, rows = p.learner()
        sid = next(r.id for r in rows if tuple(r.tokens) == wrong)
        assert list(learner.pool.tags(sid - 1)) == by_tokens[wrong]
        superseded = p.store.query("SELECT COUNT(*) FROM annotations WHERE sentence_id = ? AND superseded_by IS NOT NULL"
                                   " AND retracted IS NULL", (sid,))[0][0]
        assert superseded == sum(1 for t in by_tokens[wrong] if t != "O"), "the wrong answer stays, superseded"
        timings = [r[0] for r in p.store.query("SELECT seconds FROM lease_answers ORDER BY lease_id")]
        assert len(timings) == 3 and all(0 <= t < 120 for t in timings) and timings[2] > 0, \
            "the page measured each answer's active time (the correction took keys)"
