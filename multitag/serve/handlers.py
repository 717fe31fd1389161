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


def annotator_of(request: Request, body: dict | None = None) -> str:
    """Who answers: ``X-Annotator``, ``?annotator=`` or the body's ``annotator`` (else anonymous)."""
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


class Handlers:
    """The endpoints over one served project: GET handlers take the request, POST handlers the
    request and its parsed JSON body (:meth:`post` wraps them)."""

    def __init__(self, queue: AnnotationQueue, loop: RetrainLoop, guard: Guard, page: str):
        self.queue = queue
        self.loop = loop
        self.guard = guard
        self.page_html = page

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
        response = HTMLResponse(self.page_html, headers=PAGE_HEADERS)
        if self.guard.token is not None:
            # the page drops ?token= from its address; a reload then authenticates with this cookie,
            # which only the page itself accepts (the API wants the Authorization header)
            response.set_cookie(COOKIE, self.guard.token, httponly=True, samesite="strict", path="/")
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

    # ---------------------------------------------------------------- POST
    def answer(self, request: Request, data: dict) -> Response:
        annotator = annotator_of(request, data)
        result = self.queue.answer(annotator, _lease_of(data), data.get("tags"))
        self.loop.answered(self.queue.status()["round_tasks"])
        return JSONResponse({"answer": result, "status": self.status_payload(annotator)})

    def undo(self, request: Request, data: dict) -> Response:
        annotator = annotator_of(request, data)
        result = self.queue.undo(annotator)
        return JSONResponse({"undo": result, "task": self.queue.next(annotator), "status": self.status_payload(annotator)})

    def skip(self, request: Request, data: dict) -> Response:
        annotator = annotator_of(request, data)
        return JSONResponse({"skip": self.queue.skip(annotator, _lease_of(data)), "status": self.status_payload(annotator)})
