"""The endpoints of ``multitag serve``: the page and the JSON API over the annotation queue and
the retrain loop (what each does is listed in :mod:`multitag.serve.app`)."""
from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from multitag.errors import MultitagError
from multitag.serve.queue import AnnotationQueue, QueueError
from multitag.serve.retrain import RetrainLoop
from multitag.serve.security import COOKIE, Guard, failure

PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; "
                                           "style-src 'unsafe-inline'; frame-ancestors 'none'"}


SESSION_DAYS = 30      # how long a browser stays signed in


def annotator_of(request: Request, body: dict | None = None) -> str:
    """Who answers: the annotator a personal token signed in, else ``X-Annotator``, ``?annotator=``
    or the body's ``annotator`` (else anonymous)."""
    signed_in = getattr(request.state, "signed_in", None)
    if signed_in:
        return signed_in
    name = request.headers.get("x-annotator") or request.query_params.get("annotator") or (body or {}).get("annotator")
    name = (name or "anonymous").strip()
    if not name or len(name) > 100:
        raise QueueError("the annotator's name must be 1 to 100 characters")
    return name


async def read_json(request: Request) -> dict:
    """The request body, a JSON object."""
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise QueueError("the request body is not JSON") from None
    if not isinstance(data, dict):
        raise QueueError("the request body must be a JSON object")
    return data


def _lease_of(data: dict) -> int:
    lease = data.get("lease")
    if not isinstance(lease, int):
        raise QueueError("lease must be the integer of the task's lease")
    return lease


def _seconds_of(data: dict) -> float | None:
    """The active seconds the page measured for an answer (``active_seconds``), if it sent them."""
    seconds = data.get("active_seconds")
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= 86400:
        raise QueueError("active_seconds must be a number of seconds between 0 and 86400")
    return float(seconds)


class Handlers:
    """The endpoints over one served project: GET handlers take the request, POST handlers the
    request and its parsed JSON body (:meth:`post` wraps them)."""

    def __init__(self, queue: AnnotationQueue, loop: RetrainLoop, guard: Guard, page: str, signin: str):
        self.queue = queue
        self.loop = loop
        self.guard = guard
        self.page_html = page
        self.signin_html = signin

    def post(self, handler):
        """An async endpoint: the checks of a state-changing request, the body parsed in the event
        loop, ``handler(request, data)`` run in the thread pool."""
        async def endpoint(request: Request) -> Response:
            refused = self.guard.refusal(request, state_changing=True)
            if refused is not None:
                return refused
            try:
                data = await read_json(request)
                return await run_in_threadpool(handler, request, data)
            except MultitagError as e:
                return failure(e)
        return endpoint

    def status_payload(self, annotator: str) -> dict:
        s = self.queue.status(annotator)
        self.loop._collect()
        s.update(retraining=self.loop.retraining, retrain_error=self.loop.last_error,
                 answers_since_retrain=self.loop.answers, retrain_every=self.loop.retrain_every)
        return s

    # ---------------------------------------------------------------- GET
    def page(self, request: Request) -> Response:
        """The page; a browser that is not signed in gets the sign-in page (401) instead.

        A sign-in (``?token=``) sets a cookie that signs the browser in for :data:`SESSION_DAYS`
        days in every tab and bookmark; the page gets the token in its HTML for the API's
        ``Authorization`` header (the cookie itself never authenticates the API)."""
        refused = self.guard.refusal(request)
        if refused is not None:
            if refused.status_code != 401:
                return refused
            wrong = bool(request.query_params.get("token") or request.cookies.get(COOKIE))
            html = self.signin_html.replace("<!--message-->", "That token is not valid." if wrong else "")
            response = HTMLResponse(html, status_code=401, headers=PAGE_HEADERS)
            if request.cookies.get(COOKIE):
                response.delete_cookie(COOKIE, path="/")
            return response
        token = self.guard.given_token(request) if self.guard.needs_token() else None
        session = {"token": token, "annotator": request.state.signed_in}
        html = self.page_html.replace('<script id="session" type="application/json">{}</script>',
                                      '<script id="session" type="application/json">'
                                      + json.dumps(session).replace("<", "\\u003c") + "</script>")
        response = HTMLResponse(html, headers=PAGE_HEADERS)
        if token:
            # Lax: a link or bookmark opened from elsewhere is signed in; the cookie only ever
            # authenticates this GET of the page, which changes nothing
            response.set_cookie(COOKIE, token, max_age=SESSION_DAYS * 86400, httponly=True, samesite="lax", path="/")
        return response

    def next(self, request: Request) -> Response:
        annotator = annotator_of(request)
        task = self.queue.next(annotator)
        if task is None and not self.loop.retraining:
            status = self.queue.status()
            if status["annotated_tokens"] < status["pool_tokens"]:
                self.loop.start()     # the queue ran dry: choose the next round in the background
        return JSONResponse({"task": task, "status": self.status_payload(annotator)})

    def status(self, request: Request) -> Response:
        return JSONResponse(self.status_payload(annotator_of(request)))

    def disagreements(self, request: Request) -> Response:
        return JSONResponse({"disagreements": self.queue.disagreements()})

    def settle(self, request: Request, data: dict) -> Response:
        sentence = data.get("sentence")
        if not isinstance(sentence, int):
            raise QueueError("sentence must be the integer id of the sentence to settle")
        result = self.queue.settle(annotator_of(request, data), sentence, data.get("tags"))
        return JSONResponse({"settle": result, "disagreements": self.queue.disagreements()})

    def history(self, request: Request) -> Response:
        return JSONResponse({"history": self.queue.history(annotator_of(request))})

    # ---------------------------------------------------------------- POST
    def answer(self, request: Request, data: dict) -> Response:
        annotator = annotator_of(request, data)
        result = self.queue.answer(annotator, _lease_of(data), data.get("tags"), _seconds_of(data))
        if not result["correction"]:      # a correction is not another answer
            self.loop.answered(self.queue.status()["round_tasks"], result["lease"])
        return JSONResponse({"answer": result, "status": self.status_payload(annotator)})

    def undo(self, request: Request, data: dict) -> Response:
        annotator = annotator_of(request, data)
        result = self.queue.undo(annotator)
        self.loop.undone(result["lease"])
        return JSONResponse({"undo": result, "task": self.queue.next(annotator), "status": self.status_payload(annotator)})

    def decide(self, request: Request, data: dict) -> Response:
        annotator = annotator_of(request, data)
        result = self.queue.decide(annotator, _lease_of(data), data, _seconds_of(data))
        if result["decision"] != "ignore":
            self.loop.answered(self.queue.status()["round_tasks"], result["lease"])
        return JSONResponse({"decision": result, "status": self.status_payload(annotator)})

    def reopen(self, request: Request, data: dict) -> Response:
        annotator = annotator_of(request, data)
        result = self.queue.reopen(annotator, _lease_of(data))
        return JSONResponse({"reopen": result, "task": self.queue.next(annotator), "status": self.status_payload(annotator)})

    def skip(self, request: Request, data: dict) -> Response:
        annotator = annotator_of(request, data)
        return JSONResponse({"skip": self.queue.skip(annotator, _lease_of(data)), "status": self.status_payload(annotator)})
