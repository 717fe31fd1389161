"""Sign-in in headless Chromium against a real `multitag serve`: a fresh browser gets the token
page; after one sign-in a second tab and a bookmark keep working; two registered annotators, each
in a browser of their own, see their own name and count and never hold the same task."""
import contextlib
import importlib.util
import os

from multitag.project.importer import now
from multitag.project.store import Store

pytest_plugins = ("support.browser",)

_spec = importlib.util.spec_from_file_location("serve_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def _task_shown(page):
    page.wait_for_selector("#sentence .tok")
    return page.locator("#sentence").get_attribute("data-lease")


def _fresh(context):
    """A new tab of the session's browser as a fresh browser: no sign-in cookie."""
    context.clear_cookies()
    page = context.new_page()
    page.goto("about:blank")
    return page


def test_a_fresh_browser_gets_the_token_page_then_every_tab_and_bookmark_works(tmp_path, gold, chromium_context):
    path = helpers.make_project(tmp_path, gold, with_eval=False)
    server = helpers.Served(path, "--token", "t0ken-xyz", "--budget", "100")
    try:
        server.wait_ready(token="t0ken-xyz")
        browser = chromium_context
        page = _fresh(browser)
        r = page.goto(server.base + "/")
        assert r.status == 401 and page.locator("input[name=token]").count() == 1
        helpers.screenshot(page, "serve-signin.png", tmp_path, min_bytes=3_000)
        page.fill("input[name=token]", "wrong")
        page.click("button[type=submit]")
        assert "That token is not valid." in page.locator("#message").inner_text()
        page.fill("input[name=token]", "t0ken-xyz")
        page.click("button[type=submit]")
        lease = _task_shown(page)
        assert "token" not in page.url
        second = browser.new_page()                       # a second tab
        second.goto(server.base + "/")
        assert _task_shown(second) == lease, "the same browser (same guest name) holds the same task"
        assert second.locator("#message").inner_text() == ""
        bookmark = browser.new_page()                     # a bookmark, after the first tab closed
        page.close()
        bookmark.goto(server.base + "/?annotator=dora")
        assert _task_shown(bookmark) != lease, "another name gets another task"
        bookmark.keyboard.press("Enter")                  # a POST works too
        bookmark.wait_for_function("() => document.querySelector('#who b').textContent.includes('1 answer')")
        assert "missing or wrong token" not in bookmark.locator("#message").inner_text()
        second.close()
        bookmark.close()
    finally:
        server.stop()


def test_two_registered_annotators_see_their_own_name_and_count(tmp_path, gold, chromium_context):
    path = helpers.make_project(tmp_path, gold, with_eval=False)
    tokens = {}
    with Store(path) as s:
        with s.transaction():
            for name in ("alice", "bob"):
                tokens[name] = s.annotators.add(name, now())
    server = helpers.Served(path, "--budget", "100")
    try:
        server.wait_ready()
        with contextlib.closing(_fresh(chromium_context)) as a:      # alice's browser

            assert a.goto(server.base + "/").status == 401, "with annotators registered, a token is needed"
            a.goto(server.base + f"/?token={tokens['alice']}&annotator=bob")   # the token names her
            first = _task_shown(a)
            assert a.locator("#who b").inner_text() == "alice (0 answers)"
            a.keyboard.press("Enter")
            a.wait_for_function("() => document.querySelector('#who b').textContent === 'alice (1 answer)'")
            held = _task_shown(a)
            helpers.screenshot(a, "serve-annotator.png", tmp_path)
        with contextlib.closing(_fresh(chromium_context)) as b:      # bob's, meanwhile

            b.goto(server.base + f"/?token={tokens['bob']}")
            lb = _task_shown(b)
            assert lb not in (first, held), "two annotators never hold the same task"
            assert b.locator("#who b").inner_text() == "bob (0 answers)"
            b.reload()                                         # signed in by the cookie
            assert _task_shown(b) == lb and b.locator("#who b").inner_text() == "bob (0 answers)"
    finally:
        server.stop()
    with Store(path) as s:
        assert sorted((r["annotator"], r["state"]) for r in s.query("SELECT annotator, state FROM leases")) == \
            [("alice", "answered"), ("alice", "held"), ("bob", "held")]
