"""Headless Debian Chromium through Playwright: it is the Debian binary, it runs a page's
JavaScript, renders it into a screenshot, and stays on loopback."""
from __future__ import annotations

import http.server
import subprocess
import threading

import pytest

from support.browser import CHROMIUM, VIEWPORT

pytest_plugins = ("support.browser",)

PAGE = b"""<!doctype html><html><head><style>
body { margin: 0; background: #fff; }
#box { position: absolute; left: 100px; top: 50px; width: 300px; height: 200px; background: #f00; }
</style></head><body><div id="box"></div><p id="msg">static</p>
<img id="outside" src="http://example.invalid/pixel.png">
<script>document.getElementById("msg").textContent = "set by " + "script";</script>
</body></html>"""


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_page_url():
    """A one-page HTTP server on 127.0.0.1 and a free port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_the_browser_is_debian_chromium(chromium_context):
    debian = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True,
                            timeout=30).stdout          # "Chromium 156.0.8078.114 built on Debian"
    assert chromium_context.browser.version in debian


def test_page_on_loopback_runs_script_and_renders(chromium_page, local_page_url, tmp_path):
    from PIL import Image

    chromium_page.goto(local_page_url)
    assert chromium_page.inner_text("#msg") == "set by script"
    png = tmp_path / "page.png"
    chromium_page.screenshot(path=str(png))
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.size == (VIEWPORT["width"], VIEWPORT["height"])
        rgb = image.convert("RGB")
        assert rgb.getpixel((250, 150)) == (255, 0, 0)       # inside the red box
        assert rgb.getpixel((600, 150)) == (255, 255, 255)   # beside it


def test_requests_off_the_machine_are_aborted(chromium_context, chromium_page, local_page_url):
    chromium_page.goto(local_page_url)
    chromium_page.wait_for_load_state("networkidle")
    assert "http://example.invalid/pixel.png" in chromium_context.blocked_urls
    assert not any(url.startswith(local_page_url) for url in chromium_context.blocked_urls)
    # the image failed to load: its natural width is 0
    assert chromium_page.eval_on_selector("#outside", "img => img.naturalWidth") == 0
