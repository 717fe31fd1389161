"""The page's faster keys in headless Chromium: Home/End, word-wise Ctrl+arrows, Tab / Shift+Tab
to the next / previous suggested span (then a digit relabels it), and readable label chips."""
import importlib.util
import os
import re

pytest_plugins = ("support.browser",)

_spec = importlib.util.spec_from_file_location("serve_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def _cursor(page):
    return int(page.locator("#sentence .tok.cur").get_attribute("data-i"))


def _selected(page):
    return [int(i) for i in page.locator("#sentence .tok.sel").evaluate_all("els => els.map(e => e.dataset.i)")]


def _entities(page):
    return [tuple(x) for x in page.locator("#sentence .tok.ent.begin").evaluate_all(
        "els => els.map(e => [Number(e.dataset.i), e.dataset.label])")]


def test_home_end_word_wise_and_tab_through_spans(tmp_path, gold, chromium_page):
    path = helpers.make_project(tmp_path, gold, with_eval=False)
    server = helpers.Served(path, "--budget", "300")
    page = chromium_page
    try:
        server.wait_ready()
        page.goto(server.base + "/?annotator=kim")
        page.wait_for_selector("#sentence .tok")
        while len(page.locator("#sentence .tok").all_inner_texts()) < 6:
            lease = page.locator("#sentence").get_attribute("data-lease")
            page.keyboard.press("x")
            page.wait_for_function("old => document.getElementById('sentence').dataset.lease !== old", arg=lease)
            page.wait_for_selector("#sentence .tok")
        toks = page.locator("#sentence .tok").all_inner_texts()
        n = len(toks)
        page.keyboard.press("End")
        assert _cursor(page) == n - 1
        page.keyboard.press("Home")
        assert _cursor(page) == 0
        stops = [i for i in range(1, n) if re.match(r"[A-Z0-9]", toks[i])] or [n - 1]
        page.keyboard.press("Control+ArrowRight")
        assert _cursor(page) == stops[0], "word-wise: to the next capitalised word"
        page.keyboard.press("Control+ArrowLeft")
        assert _cursor(page) == 0
        page.keyboard.press("Shift+End")
        assert _selected(page) == list(range(n)), "Shift+End selects to the end"
        page.keyboard.press("Escape")
        page.keyboard.press("Home")                   # two entities: token 1 PER, tokens n-2..n-1 LOC
        page.keyboard.press("ArrowRight")
        page.keyboard.press("4")
        page.keyboard.press("End")
        page.keyboard.press("Shift+ArrowLeft")
        page.keyboard.press("1")
        assert _entities(page) == [(1, "PER"), (n - 2, "LOC")]
        page.keyboard.press("Home")
        page.keyboard.press("Tab")
        assert _selected(page) == [1], "Tab selects the next span"
        page.keyboard.press("Tab")
        assert _selected(page) == [n - 2, n - 1]
        page.keyboard.press("Shift+Tab")
        assert _selected(page) == [1], "Shift+Tab the previous one"
        page.keyboard.press("2")                       # a digit relabels the selected span
        assert _entities(page) == [(1, "MISC"), (n - 2, "LOC")]
        chip = page.locator("#sentence .tok.ent.begin").first.evaluate(
            "e => { const s = getComputedStyle(e, '::before'); return [s.content, s.fontSize, s.color]; }")
        assert chip[0] == '"MISC"' and float(chip[1][:-2]) >= 11 and chip[2] == "rgb(255, 255, 255)", chip
        helpers.screenshot(page, "serve-keys.png", tmp_path)
    finally:
        server.stop()
