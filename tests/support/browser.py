"""Headless Debian Chromium driven by Playwright, for screenshots and end-to-end page tests.

Playwright's own browser download cannot work here, so Playwright drives ``/usr/bin/chromium``
(``executable_path``; override with ``MULTITAG_CHROMIUM``) with a fresh user-data folder. Every
request to a host other than 127.0.0.1/localhost/[::1] is aborted (and counted), so a page under
test cannot reach outside the machine.

Fixtures (use them with ``pytest_plugins = ("support.browser",)``):

``chromium_context``
    session scoped: a Playwright ``BrowserContext`` (``launch_persistent_context``); skips with
    the reason when playwright or chromium is missing.
``chromium_page``
    a new ``Page`` of that context for one test, closed after it.

Without pytest: ``with chromium_context_manager(user_data_dir) as context: ...``.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("MULTITAG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
DEFAULT_TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1280, "height": 800}


def browser_missing() -> str | None:
    """Why a browser cannot be started here (a sentence), or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return ("playwright is not installed in multitag's environment; "
                "run `bash bin/install-extras` to install it")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) \
            and shutil.which(CHROMIUM) is None:
        return (f"chromium not found at {CHROMIUM}; run `bash bin/install-extras` "
                "(apt-get install chromium) or set MULTITAG_CHROMIUM")
    return None


def _loopback_only(context: Any) -> None:
    """Abort every request that leaves the machine; the aborted URLs go to
    ``context.blocked_urls``. ``data:``/``blob:``/``about:`` URLs never reach the router."""
    context.blocked_urls = []

    def route(route: Any) -> None:
        url = route.request.url
        host = urllib.parse.urlsplit(url).hostname or ""
        if host in LOOPBACK_HOSTS or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            context.blocked_urls.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", route)


@contextlib.contextmanager
def chromium_context_manager(user_data_dir: str | os.PathLike | None = None
                             ) -> Iterator[Any]:
    """A Playwright ``BrowserContext`` of headless Debian Chromium with a fresh profile.

    Parameters
    ----------
    user_data_dir : path, optional
        The profile folder; a temporary one (removed afterwards) when not given.

    Yields
    ------
    playwright.sync_api.BrowserContext
        Viewport 1280 x 800, default timeout :data:`DEFAULT_TIMEOUT_MS`, loopback-only, with
        ``blocked_urls`` (list of str) for the requests that were aborted.
    """
    why = browser_missing()
    if why:
        raise RuntimeError(why)
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as stack:
        if user_data_dir is None:
            user_data_dir = stack.enter_context(
                tempfile.TemporaryDirectory(prefix="multitag-chromium-"))
        playwright = stack.enter_context(sync_playwright())
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport=VIEWPORT, timeout=DEFAULT_TIMEOUT_MS)
        stack.callback(context.close)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.set_default_navigation_timeout(2 * DEFAULT_TIMEOUT_MS)
        _loopback_only(context)
        yield context


@pytest.fixture(scope="session")
def chromium_context() -> Iterator[Any]:
    """The session's headless Chromium (a Playwright ``BrowserContext``); skips when missing."""
    why = browser_missing()
    if why:
        pytest.skip(why)
    with chromium_context_manager() as context:
        yield context


@pytest.fixture
def chromium_page(chromium_context: Any) -> Iterator[Any]:
    """A new page of the session's Chromium, closed after the test."""
    page = chromium_context.new_page()
    try:
        yield page
    finally:
        page.close()
