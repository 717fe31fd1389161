"""The ASGI app of ``multitag serve``: the annotation page and its JSON API over a project store,
with the active-learning loop inside (a background worker process retrains and re-ranks).

API (JSON; the token, when the server has one, travels as ``Authorization: Bearer TOKEN``; the
annotator's name as ``X-Annotator`` or ``?annotator=``):

* ``GET /api/next``: the annotator's current task, or the next one (``{"task": null}`` when the
  queue is empty; ``"retraining": true`` while a new round is being chosen);
* ``POST /api/answer`` ``{"lease": id, "tags": [...]}``: store the answer (IOB2 tags per token);
* ``POST /api/undo``: retract the annotator's last answer and hand its task back;
* ``POST /api/skip`` ``{"lease": id}``: skip the task (not shown to this annotator again this round);
* ``GET /api/status``: the round's progress, tokens annotated, the model's F1 on the gold set.

Safety: the server binds to loopback unless told otherwise (then only with a token); every request
is checked against the token; the Host header must name this server (no DNS rebinding); a
state-changing request must be JSON (a cross-site form cannot send it without a CORS preflight,
which this server never grants) from this server's origin.
"""
from __future__ import annotations

import hmac
import json
import os
import signal
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from multitag.errors import MultitagError
from multitag.serve.queue import AnnotationQueue, QueueError

STATIC = os.path.join(os.path.dirname(__file__), "static")
COOKIE = "multitag_page"
MAX_BODY_BYTES = 512 * 1024     # the largest request body the server reads; larger ones get 413
#: seconds the retrain worker sleeps before training (tests use it to make a retrain slow)
RETRAIN_DELAY_ENV = "MULTITAG_SERVE_RETRAIN_DELAY"


def _die_with_parent(parent: int) -> None:
    """In the worker process, first thing: be killed when the server dies (even by ``kill -9``)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:     # the server died before prctl took effect
        os._exit(1)


def _retrain(project: str, budget: int) -> int:
    """In the worker process: retrain on the current labeled set and choose the next round."""
    from multitag.project.project import Project

    delay = float(os.environ.get(RETRAIN_DELAY_ENV) or 0)
    if delay > 0:
        time.sleep(delay)

    with Project(project) as p:
        return p.choose_round(budget, reuse=False)[0]


class RetrainLoop:
    """The active-learning loop of a served project: counts answers and, after every
    ``retrain_every`` of them (or when the queue runs dry), retrains in a background process."""

    def __init__(self, project: str, *, budget: int, retrain_every: int | None):
        self.project = project
        self.budget = budget
        self.retrain_every = retrain_every
        self.answers = 0
        self._lock = threading.Lock()
        self._future: Future | None = None
        self._pool: ProcessPoolExecutor | None = None
        self.last_error: str | None = None
        self.rounds_started = 0

    @property
    def retraining(self) -> bool:
        f = self._future
        return f is not None and not f.done()

    def _collect(self) -> None:
        f = self._future
        if f is not None and f.done():
            try:
                f.result()
                self.last_error = None
            except Exception as e:  # shown on the page; the queue keeps serving the old round
                self.last_error = str(e) if isinstance(e, MultitagError) else f"{type(e).__name__}: {e}"
            self._future = None

    def start(self) -> bool:
        """Start choosing the next round unless one is being chosen; True when one started."""
        with self._lock:
            self._collect()
            if self.retraining:
                return False
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"),
                                                 initializer=_die_with_parent, initargs=(os.getpid(),))
            self.answers = 0
            self.rounds_started += 1
            self._future = self._pool.submit(_retrain, self.project, self.budget)
            return True

    def answered(self, round_tasks: int) -> None:
        with self._lock:
            self.answers += 1
            every = self.retrain_every or max(1, round_tasks)
            due = self.answers >= every
        if due:
            self.start()

    def wait(self, timeout: float | None = None) -> None:
        f = self._future
        if f is not None:
            f.result(timeout=timeout)
        with self._lock:
            self._collect()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class BodyLimit:
    """ASGI middleware: refuse a request body over ``limit`` bytes with 413 before reading it
    whole (a too large Content-Length at once; a chunked body as soon as the count passes it)."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES):
        self.app = app
        self.limit = limit

    @staticmethod
    async def _refuse(send, limit: int) -> None:
        body = json.dumps({"error": f"the request body is larger than {limit} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.limit
                except ValueError:
                    too_big = True
                if too_big:
                    return await self._refuse(send, self.limit)
        if scope.get("method") in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        chunks, total = [], 0
        while True:     # read at most limit + one chunk, then hand the body on
            message = await receive()
            if message["type"] != "http.request":
                chunks = None
                first = message
                break
            total += len(message.get("body", b""))
            if total > self.limit:
                return await self._refuse(send, self.limit)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        if chunks is None:     # disconnected
            async def replay_disconnect():
                return first
            return await self.app(scope, replay_disconnect, send)
        done = False

        async def replay():
            nonlocal done
            if not done:
                done = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()
        return await self.app(scope, replay, send)


class Predictions:
    """The pre-annotations of a round: its model, loaded once, predicts a task's sentence."""

    def __init__(self):
        self._models: dict[int, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, project, round_row, sentences: list[dict]) -> list[list[str]]:
        from multitag.data.sentence import Sentence

        model_id = round_row["model_id"]
        with self._lock:
            model = self._models.get(model_id)
            if model is None:
                row = project.store.query("SELECT * FROM models WHERE id = ?", (model_id,))[0]
                model = project.load_model(row)
                self._models = {model_id: model}     # keep only the newest
            preds = model.predict([Sentence(s["tokens"], None, s["pos"]) for s in sentences])
        return [list(p.tags) for p in preds]


def create_app(project: str, *, token: str | None = None, budget: int = 200, retrain_every: int | None = None,
               lease_seconds: float = 600.0, allowed_hosts: list[str] | None = None):
    """The Starlette app serving ``project``."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    from multitag.project.project import Project

    with Project(project) as p:   # refuse a folder that is not a project before serving
        if AnnotationQueue.current_round(p) is None:
            p.choose_round(budget)    # the first round (the seed set while nothing is annotated) is ready at once
    queue = AnnotationQueue(project, lease_seconds=lease_seconds, predictor=Predictions())
    loop = RetrainLoop(project, budget=budget, retrain_every=retrain_every)
    with open(os.path.join(STATIC, "index.html"), encoding="utf-8") as fh:
        page = fh.read()

    def error(message: str, status: int) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    def host_ok(request: Request) -> bool:
        host = request.headers.get("host", "")
        return allowed_hosts is None or host in allowed_hosts

    def authorised(request: Request) -> bool:
        if token is None:
            return True
        given = request.headers.get("authorization", "")
        if given.startswith("Bearer "):
            given = given[len("Bearer "):]
        elif request.method == "GET" and request.url.path == "/":
            # the page itself: the token of the printed URL, or the cookie set when it was first opened
            given = request.query_params.get("token") or request.cookies.get(COOKIE, "")
        else:
            given = ""   # the API takes the token from the Authorization header only (never a cookie)
        return hmac.compare_digest(given.encode(), token.encode())

    def same_origin(request: Request) -> bool:
        if request.headers.get("sec-fetch-site") == "cross-site":
            return False
        origin = request.headers.get("origin")
        if origin is not None and origin.split("://", 1)[-1] != request.headers.get("host", ""):
            return False
        return request.headers.get("content-type", "").split(";")[0].strip() == "application/json"

    def guard(handler, *, state_changing: bool = False):
        def wrapped(request: Request) -> Response:
            if not host_ok(request):
                return error("unknown Host", 403)
            if not authorised(request):
                return error("missing or wrong token", 401)
            if state_changing and not same_origin(request):
                return error("a state-changing request must be JSON from this page's origin", 403)
            try:
                return handler(request)
            except QueueError as e:
                return error(str(e), e.status)
            except MultitagError as e:
                return error(str(e), 400)
        return wrapped

    def annotator_of(request: Request, body: dict | None = None) -> str:
        name = request.headers.get("x-annotator") or request.query_params.get("annotator") or (body or {}).get("annotator")
        name = (name or "anonymous").strip()
        if not name or len(name) > 100:
            raise QueueError("the annotator's name must be 1 to 100 characters")
        return name

    async def read_json(request: Request) -> dict:
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise QueueError("the request body is not JSON") from None
        if not isinstance(data, dict):
            raise QueueError("the request body must be a JSON object")
        return data

    def page_handler(request: Request) -> Response:
        response = HTMLResponse(page, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                               "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; "
                                                                          "style-src 'unsafe-inline'; frame-ancestors 'none'"})
        if token is not None:
            # the page drops ?token= from its address; a reload then authenticates with this cookie,
            # which only the page itself accepts (the API wants the Authorization header)
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
        return response

    def status_payload(annotator: str) -> dict:
        s = queue.status(annotator)
        loop._collect()
        s.update(retraining=loop.retraining, retrain_error=loop.last_error, answers_since_retrain=loop.answers,
                 retrain_every=loop.retrain_every)
        return s

    def next_handler(request: Request) -> Response:
        annotator = annotator_of(request)
        task = queue.next(annotator)
        if task is None and not loop.retraining:
            status = queue.status()
            if status["annotated_tokens"] < status["pool_tokens"]:
                loop.start()     # the queue ran dry: choose the next round in the background
        return JSONResponse({"task": task, "status": status_payload(annotator)})

    def status_handler(request: Request) -> Response:
        return JSONResponse(status_payload(annotator_of(request)))

    # POST handlers: parse the body in the event loop, do the work in the thread pool
    from starlette.concurrency import run_in_threadpool

    def post(handler):
        async def endpoint(request: Request) -> Response:
            check = guard(lambda r: None, state_changing=True)(request)
            if check is not None:
                return check
            try:
                data = await read_json(request)
                return await run_in_threadpool(handler, request, data)
            except QueueError as e:
                return error(str(e), e.status)
            except MultitagError as e:
                return error(str(e), 400)
        return endpoint

    def answer_handler(request: Request, data: dict) -> Response:
        annotator = annotator_of(request, data)
        lease = data.get("lease")
        if not isinstance(lease, int):
            raise QueueError("lease must be the integer of the task's lease")
        result = queue.answer(annotator, lease, data.get("tags"))
        loop.answered(queue.status()["round_tasks"])
        return JSONResponse({"answer": result, "status": status_payload(annotator)})

    def undo_handler(request: Request, data: dict) -> Response:
        annotator = annotator_of(request, data)
        result = queue.undo(annotator)
        return JSONResponse({"undo": result, "task": queue.next(annotator), "status": status_payload(annotator)})

    def skip_handler(request: Request, data: dict) -> Response:
        annotator = annotator_of(request, data)
        lease = data.get("lease")
        if not isinstance(lease, int):
            raise QueueError("lease must be the integer of the task's lease")
        return JSONResponse({"skip": queue.skip(annotator, lease), "status": status_payload(annotator)})

    routes = [
        Route("/", guard(page_handler), methods=["GET"]),
        Route("/api/next", guard(next_handler), methods=["GET"]),
        Route("/api/status", guard(status_handler), methods=["GET"]),
        Route("/api/answer", post(answer_handler), methods=["POST"]),
        Route("/api/undo", post(undo_handler), methods=["POST"]),
        Route("/api/skip", post(skip_handler), methods=["POST"]),
    ]
    import contextlib

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        loop.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.state.loop = loop
    app.state.queue = queue
    return app
