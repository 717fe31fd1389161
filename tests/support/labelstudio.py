"""A real Label Studio server for the tests, and a small HTTP client for it.

The server runs from its own virtual environment (``build/labelstudio-venv``, made by
``bin/install-extras``), on 127.0.0.1 and a free port, with SQLite and every file in a temporary
folder, no browser, no telemetry and no version check. One user is created at start; the client
authenticates with that user's API token (the organisation is created with legacy tokens enabled,
``--enable-legacy-api-token``). The personal-access-token path (JWT refresh -> access) works as
well: :meth:`LabelStudioClient.with_personal_access_token`.

Fixtures (use them with ``pytest_plugins = ("support.labelstudio",)``):

``labelstudio``
    session scoped: the :class:`LabelStudioClient` of one running server; skips with the reason
    when the virtual environment is missing.

Without pytest: ``with LabelStudioServer.start(workdir) as server: server.client()...``; see
``bin/screenshot-labelstudio``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("MULTITAG_LABELSTUDIO_VENV", REPO / "build" / "labelstudio-venv"))
TEMPLATE_DB = "multitag-template.sqlite3"   # migrated by bin/install-extras, inside the venv

USER_EMAIL = "annotator@example.com"
USER_PASSWORD = "multitag-test-password"
USER_TOKEN = "multitag-test-token-0123456789"

START_TIMEOUT_S = 90.0            # with the template database (about 10-20 s on 2 busy cores)
START_TIMEOUT_MIGRATING_S = 600.0  # without it, the server migrates a fresh database first
REQUEST_TIMEOUT_S = 60.0

# Loopback only: never through an http_proxy that the environment may name.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# The server's environment: everything that would reach outside the machine off, and none of the
# caller's variables that Label Studio would read as its own settings.
_SERVER_ENV = {
    "DJANGO_DB": "sqlite",
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "COLLECT_ANALYTICS": "false",
    "LATEST_VERSION_CHECK": "false",
    "LOG_LEVEL": "WARNING",
}
_DROPPED_ENV = ("PYTHONPATH", "HOST", "PORT", "USERNAME", "PASSWORD", "USER_TOKEN", "DEBUG",
                "DATABASE_NAME", "DJANGO_SETTINGS_MODULE")


class LabelStudioError(RuntimeError):
    """An HTTP request to Label Studio failed; ``status`` is the HTTP status (0: no answer)."""

    def __init__(self, method: str, url: str, status: int, body: str):
        super().__init__(f"{method} {url} -> {status}: {body[:500]}")
        self.status = status
        self.body = body


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def label_studio_missing() -> str | None:
    """Why the server cannot start here (a sentence), or None when it can."""
    exe = VENV / "bin" / "label-studio"
    if not exe.is_file():
        return (f"Label Studio is not installed ({exe} not found); "
                "run `bash bin/install-extras` to install it")
    return None


class LabelStudioClient:
    """The few Label Studio HTTP API calls the tests need, with plain ``urllib``.

    Parameters
    ----------
    url : str
        The server's root, e.g. ``http://127.0.0.1:40123``.
    authorization : str
        The value of the ``Authorization`` header: ``"Token <legacy token>"`` or
        ``"Bearer <access token>"``.
    refresh_token : str, optional
        A personal access token (a JWT refresh token); when given, a 401 answer is retried once
        with a fresh access token from it (access tokens live 5 minutes).
    email, password : str
        The user's credentials, for logging into the web UI (:func:`screenshot_task`).
    """

    def __init__(self, url: str, authorization: str, *, refresh_token: str | None = None,
                 email: str = USER_EMAIL, password: str = USER_PASSWORD):
        self.url = url.rstrip("/")
        self.authorization = authorization
        self.refresh_token = refresh_token
        self.email = email
        self.password = password

    # -- transport ---------------------------------------------------------------------------
    def request(self, method: str, path: str, *, body: Any = None,
                params: dict[str, Any] | None = None, auth: bool = True) -> bytes:
        """Send one request; returns the raw answer body, raises :class:`LabelStudioError`."""
        url = self.url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        for attempt in (0, 1):
            req = urllib.request.Request(url, data=data, method=method)
            req.add_header("Accept", "application/json")
            if data is not None:
                req.add_header("Content-Type", "application/json")
            if auth:
                req.add_header("Authorization", self.authorization)
            try:
                with _OPENER.open(req, timeout=REQUEST_TIMEOUT_S) as answer:
                    return answer.read()
            except urllib.error.HTTPError as e:
                text = e.read().decode(errors="replace")
                if (e.code == 401 and auth and attempt == 0 and self.refresh_token
                        and self.authorization.startswith("Bearer ")):
                    self.authorization = "Bearer " + self.access_token(self.refresh_token)
                    continue
                raise LabelStudioError(method, url, e.code, text) from None
            except (urllib.error.URLError, OSError) as e:
                raise LabelStudioError(method, url, 0, str(e)) from None
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`request`, with the answer parsed as JSON."""
        return json.loads(self.request(method, path, **kwargs) or b"null")

    # -- auth --------------------------------------------------------------------------------
    def personal_access_token(self) -> str:
        """The user's personal access token, created on the first call and kept by this client.

        Label Studio allows one valid token per user (a second ``POST /api/token/`` answers 409),
        so make the token through one client only (e.g. the session's ``labelstudio``).

        Returns
        -------
        str
            A JWT refresh token, to be exchanged for access tokens by :meth:`access_token`.
        """
        if self.refresh_token is None:
            self.refresh_token = self.json("POST", "/api/token/")["token"]
        return self.refresh_token

    def access_token(self, refresh_token: str) -> str:
        """Exchange a personal access token for a short-lived access token (``Bearer``)."""
        return self.json("POST", "/api/token/refresh/", body={"refresh": refresh_token},
                         auth=False)["access"]

    def with_personal_access_token(self) -> LabelStudioClient:
        """A client for the same user that authenticates with JWT (``Bearer``) only."""
        refresh = self.personal_access_token()
        return LabelStudioClient(self.url, "Bearer " + self.access_token(refresh),
                                 refresh_token=refresh, email=self.email, password=self.password)

    # -- projects, tasks, annotations, export ------------------------------------------------
    def whoami(self) -> dict:
        """The authenticated user (``id``, ``email``, ``active_organization``, ...)."""
        return self.json("GET", "/api/current-user/whoami")

    def create_project(self, title: str, label_config: str) -> int:
        """Create a project with a labeling config (XML); returns its id."""
        return self.json("POST", "/api/projects",
                         body={"title": title, "label_config": label_config})["id"]

    def import_tasks(self, project: int, tasks: list[dict]) -> dict:
        """Import tasks in Label Studio's JSON format (``data``, optional ``predictions``).

        Returns
        -------
        dict
            The server's summary: ``task_count``, ``prediction_count``, ``annotation_count``, ...
        """
        return self.json("POST", f"/api/projects/{project}/import", body=tasks)

    def tasks(self, project: int, *, page_size: int = 100) -> list[dict]:
        """Every task of a project with its ``data``, ``predictions`` and ``annotations``."""
        out: list[dict] = []
        page = 1
        while True:
            answer = self.json("GET", "/api/tasks", params={
                "project": project, "fields": "all", "page": page, "page_size": page_size})
            out.extend(answer["tasks"])
            if not answer["tasks"] or len(out) >= answer["total"]:
                return out
            page += 1

    def task(self, task_id: int) -> dict:
        """One task (``data``, ``predictions``, ``annotations``, ``project``)."""
        return self.json("GET", f"/api/tasks/{task_id}")

    def annotate(self, task_id: int, result: list[dict], *, project: int | None = None,
                 parent_prediction: int | None = None, lead_time: float = 1.0) -> dict:
        """Submit an annotation the way the labeling page does when an annotator clicks Submit.

        The body has exactly the keys that Label Studio 1.23's page was observed to send
        (``POST /api/tasks/<id>/annotations?project=<p>``, see
        ``test_browser_submit_sends_what_annotate_sends``).

        Parameters
        ----------
        task_id : int
        result : list of dict
            Region items: ``{"id", "from_name", "to_name", "type": "labels", "origin",
            "value": {"start", "end", "text", "labels": [...]}}`` with character offsets.
        project : int, optional
            Looked up from the task when not given.
        parent_prediction : int, optional
            The prediction the annotator started from (the page sends it when the annotation
            was made from a pre-annotation).
        lead_time : float
            Seconds the annotator spent.

        Returns
        -------
        dict
            The stored annotation (``id``, ``result``, ``completed_by``, ...).
        """
        if project is None:
            project = self.task(task_id)["project"]
        body = annotation_body(result, project=project, parent_prediction=parent_prediction,
                               lead_time=lead_time)
        return self.json("POST", f"/api/tasks/{task_id}/annotations",
                         params={"project": project}, body=body)

    def export(self, project: int, export_type: str = "JSON", *,
               download_all_tasks: bool = False) -> Any:
        """Label Studio's own export endpoint (``GET /api/projects/<id>/export``).

        Parameters
        ----------
        export_type : str
            ``"JSON"`` (tasks with ``annotations`` and ``predictions``), ``"JSON_MIN"``,
            ``"CONLL2003"``, ``"CSV"``, ...
        download_all_tasks : bool
            Also tasks without annotations (Label Studio's default leaves them out).

        Returns
        -------
        list or bytes
            The parsed list for ``JSON``/``JSON_MIN``, else the file's bytes.
        """
        raw = self.request("GET", f"/api/projects/{project}/export", params={
            "exportType": export_type, "download_all_tasks": str(download_all_tasks).lower()})
        return json.loads(raw) if export_type in ("JSON", "JSON_MIN") else raw


def annotation_body(result: list[dict], *, project: int, parent_prediction: int | None = None,
                    lead_time: float = 1.0) -> dict:
    """The JSON body the labeling page POSTs for a submitted annotation (Label Studio 1.23)."""
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {"lead_time": lead_time, "result": result, "draft_id": 0,
            "parent_prediction": parent_prediction, "parent_annotation": None,
            "started_at": started, "project": str(project)}


class LabelStudioServer:
    """One ``label-studio`` process; make it with :meth:`start`, end it with :meth:`stop`.

    Attributes
    ----------
    url : str
        ``http://127.0.0.1:<port>``.
    workdir : Path
        Its data folder, database and log (``server.log``).
    startup_s : float
        Seconds from launch until ``/health`` answered ``UP``.
    """

    def __init__(self, process: subprocess.Popen, url: str, workdir: Path, startup_s: float):
        self.process = process
        self.url = url
        self.workdir = workdir
        self.startup_s = startup_s

    @classmethod
    def start(cls, workdir: str | os.PathLike, *, timeout: float | None = None
              ) -> LabelStudioServer:
        """Launch Label Studio on 127.0.0.1 and a free port and wait until it is healthy.

        Parameters
        ----------
        workdir : path
            An empty folder for the database, media, exports and the log.
        timeout : float, optional
            Seconds to wait for health; default :data:`START_TIMEOUT_S` when the migrated
            template database exists, else :data:`START_TIMEOUT_MIGRATING_S`.

        Raises
        ------
        RuntimeError
            When the venv is missing, the process exits, or it is not healthy in time (the
            message ends with the log's tail).
        """
        why = label_studio_missing()
        if why:
            raise RuntimeError(why)
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        db = workdir / "label_studio.sqlite3"
        template = VENV / TEMPLATE_DB
        if template.is_file():
            shutil.copyfile(template, db)
        if timeout is None:
            timeout = START_TIMEOUT_S if template.is_file() else START_TIMEOUT_MIGRATING_S
        env = {k: v for k, v in os.environ.items()
               if k not in _DROPPED_ENV and not k.startswith(("LABEL_STUDIO_", "HEARTEX_"))}
        env.update(_SERVER_ENV)
        # also as a variable: its argument parser makes the default data folder
        # (~/.local/share/label-studio) before it reads --data-dir
        env["LABEL_STUDIO_BASE_DATA_DIR"] = str(workdir / "data")
        port = free_port()
        cmd = [str(VENV / "bin" / "label-studio"), "start", "--no-browser",
               "--internal-host", "127.0.0.1", "--port", str(port),
               "--data-dir", str(workdir / "data"), "--database", str(db),
               "--username", USER_EMAIL, "--password", USER_PASSWORD,
               "--user-token", USER_TOKEN, "--enable-legacy-api-token"]
        log_path = workdir / "server.log"
        t0 = time.monotonic()
        with open(log_path, "wb") as log:
            process = subprocess.Popen(cmd, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True, preexec_fn=_die_with_parent)
        server = cls(process, f"http://127.0.0.1:{port}", workdir, 0.0)
        try:
            server._wait_healthy(port, t0 + timeout, log_path)
        except BaseException:
            server.stop()
            raise
        server.startup_s = time.monotonic() - t0
        return server

    def _wait_healthy(self, port: int, deadline: float, log_path: Path) -> None:
        # Label Studio moves to the next port when its port is taken meanwhile: follow the log.
        started = re.compile(rb"Starting development server at http://127\.0\.0\.1:(\d+)/")
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"label-studio exited with {self.process.returncode}:\n"
                                   + _tail(log_path))
            m = started.search(log_path.read_bytes())
            if m:
                self.url = f"http://127.0.0.1:{int(m.group(1))}"
                try:
                    with _OPENER.open(self.url + "/health", timeout=5) as answer:
                        if json.loads(answer.read()).get("status") == "UP":
                            return
                except (OSError, ValueError):
                    pass
            time.sleep(0.25)
        raise RuntimeError(f"label-studio not healthy on port {port} in time:\n" + _tail(log_path))

    def client(self) -> LabelStudioClient:
        """A client authenticated as the created user with its API token."""
        return LabelStudioClient(self.url, "Token " + USER_TOKEN)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the server's process group, SIGKILL it after ``timeout`` seconds."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)
        except ProcessLookupError:
            pass

    def __enter__(self) -> LabelStudioServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test process dies (Linux), so that a
    killed pytest leaves no server behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _tail(path: Path, n: int = 30) -> str:
    lines = path.read_text(errors="replace").splitlines()
    return "\n".join(line for line in lines[-n:] if not line.startswith("WARNING: Location"))


@pytest.fixture(scope="session")
def labelstudio_server() -> Iterator[LabelStudioServer]:
    """A running Label Studio server for the whole session (skips when it is not installed)."""
    why = label_studio_missing()
    if why:
        pytest.skip(why)
    with tempfile.TemporaryDirectory(prefix="multitag-labelstudio-") as workdir:
        server = LabelStudioServer.start(workdir)
        print(f"\nLabel Studio at {server.url}, healthy after {server.startup_s:.1f} s")
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def labelstudio(labelstudio_server: LabelStudioServer) -> LabelStudioClient:
    """A :class:`LabelStudioClient` of the session's Label Studio server."""
    return labelstudio_server.client()


# -- the labeling page in the browser ----------------------------------------------------------

def login(page: Any, client: LabelStudioClient, *, timeout_ms: float = 60_000) -> None:
    """Log into the Label Studio web UI in a Playwright ``page`` as the client's user.

    A context that is already logged in (its session cookie) is sent on from the login page;
    then there is nothing to do."""
    page.goto(client.url + "/user/login/", timeout=timeout_ms)
    if "/user/login" not in page.url:
        return
    page.fill("input[name=email]", client.email)
    page.fill("input[name=password]", client.password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/user/login" not in url, timeout=timeout_ms)


OPEN_TASK_ATTEMPTS = 4
REGIONS_GRACE_MS = 5_000


def open_task(page: Any, client: LabelStudioClient, project: int, task_id: int, *,
              n_regions: int, timeout_ms: float = 60_000) -> int:
    """Open a task on the labeling page and wait until ``n_regions`` text spans are drawn.

    Label Studio 1.23's page sometimes shows the task with no prediction at all although the
    API sent it (observed: 5 of 24 loads, each the first load of a new project's page, while
    the data manager creates the project's first view and loads the task list concurrently).
    A page that shows fewer spans than ``n_regions`` once the network is idle is therefore
    reloaded, at most :data:`OPEN_TASK_ATTEMPTS` times (every reload observed showed them).

    Returns
    -------
    int
        The number of loads it took (1 when the first one showed all spans).

    Raises
    ------
    playwright.sync_api.TimeoutError
        When the text never appears, or the spans are still missing after the last load.
    """
    url = f"{client.url}/projects/{project}/data?task={task_id}"
    for attempt in range(1, OPEN_TASK_ATTEMPTS + 1):
        page.goto(url, timeout=timeout_ms)
        page.locator(".lsf-richtext__line").first.wait_for(timeout=timeout_ms)  # the text
        page.wait_for_load_state("networkidle", timeout=timeout_ms)
        if not n_regions:
            return attempt
        last = attempt == OPEN_TASK_ATTEMPTS
        try:
            page.locator(".htx-highlight").nth(n_regions - 1).wait_for(
                timeout=timeout_ms if last else REGIONS_GRACE_MS)
            return attempt
        except Exception:   # playwright's TimeoutError; reload unless it was the last load
            if last:
                raise
    raise AssertionError("unreachable")


def highlighted_spans(page: Any) -> list[tuple[int, int, str]]:
    """The text regions drawn on an open labeling page: ``(start, end, label)`` each, with the
    character offsets and label that Label Studio puts on the span (``data-start``,
    ``data-end``, ``data-label="<n>:<LABEL>"``), in page order."""
    spans = page.locator(".htx-highlight").evaluate_all(
        "els => els.map(e => [e.dataset.start, e.dataset.end, e.dataset.label])")
    return [(int(a), int(b), label.split(":", 1)[-1]) for a, b, label in spans]


def screenshot_task(client: LabelStudioClient, project: int, task_id: int,
                    path: str | os.PathLike, *, context: Any, timeout_ms: float = 60_000
                    ) -> list[tuple[int, int, str]]:
    """Log into Label Studio and save a PNG of a task's labeling page with its pre-annotation.

    For a task without annotations, the page draws the task's (first) prediction as the
    starting annotation; this waits until all of its spans are drawn.

    Parameters
    ----------
    client : LabelStudioClient
    project, task_id : int
    path : path
        Where the PNG goes.
    context : playwright BrowserContext
        E.g. the ``chromium_context`` fixture of :mod:`support.browser`.

    Returns
    -------
    list of (int, int, str)
        The spans drawn on the page, as :func:`highlighted_spans`.
    """
    predictions = client.task(task_id)["predictions"]
    n_regions = len(predictions[0]["result"]) if predictions else 0
    page = context.new_page()
    try:
        login(page, client, timeout_ms=timeout_ms)
        open_task(page, client, project, task_id, n_regions=n_regions, timeout_ms=timeout_ms)
        page.screenshot(path=str(path))
        return highlighted_spans(page)
    finally:
        page.close()


# -- a demo screenshot, for bin/screenshot-labelstudio ---------------------------------------

DEMO_LABEL_CONFIG = """<View>
  <Labels name="label" toName="text">
    <Label value="PER" background="#f4a261"/>
    <Label value="LOC" background="#2a9d8f"/>
    <Label value="ORG" background="#e76f51"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>"""

DEMO_TEXT = "Angela Merkel met Emmanuel Macron in Paris before the European Council summit ."
DEMO_SPANS = [("Angela Merkel", "PER"), ("Emmanuel Macron", "PER"), ("Paris", "LOC"),
              ("European Council", "ORG")]


def demo_task() -> dict:
    """One task in Label Studio's import format, with a prediction over :data:`DEMO_TEXT`."""
    result = []
    for i, (words, label) in enumerate(DEMO_SPANS):
        start = DEMO_TEXT.index(words)
        result.append({"id": f"r{i}", "from_name": "label", "to_name": "text", "type": "labels",
                       "value": {"start": start, "end": start + len(words), "text": words,
                                 "labels": [label]}, "score": 0.8})
    return {"data": {"text": DEMO_TEXT},
            "predictions": [{"model_version": "multitag-demo", "score": 0.5, "result": result}]}


def main(argv: list[str] | None = None) -> int:
    """``python -m support.labelstudio OUT.png``: start a server, import :func:`demo_task`,
    save a screenshot of its labeling page and print the spans drawn and the timings."""
    import argparse

    from support.browser import browser_missing, chromium_context_manager

    parser = argparse.ArgumentParser(prog="bin/screenshot-labelstudio", description=main.__doc__)
    parser.add_argument("out", help="the PNG to write")
    args = parser.parse_args(argv)
    why = label_studio_missing() or browser_missing()
    if why:
        print(f"error: {why}")
        return 2
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="multitag-labelstudio-") as workdir, \
            LabelStudioServer.start(workdir) as server, chromium_context_manager() as context:
        client = server.client()
        project = client.create_project("multitag demo", DEMO_LABEL_CONFIG)
        client.import_tasks(project, [demo_task()])
        (task,) = client.tasks(project)
        spans = screenshot_task(client, project, task["id"], args.out, context=context)
        print(f"Label Studio {client.json('GET', '/api/version')['release']} at {server.url}: "
              f"healthy after {server.startup_s:.1f} s")
        print(f"wrote {args.out}: {len(spans)} spans drawn {spans}; "
              f"blocked requests: {len(context.blocked_urls)}; total {time.monotonic() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
