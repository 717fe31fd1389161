"""What every request of ``multitag serve`` must pass: a body of bounded size (:class:`BodyLimit`,
ASGI middleware), a Host that names this server (no DNS rebinding), the token, and for a
state-changing request JSON from this server's origin (:class:`Guard`)."""
from __future__ import annotations

import hmac
import json
from typing import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from multitag.errors import MultitagError
from multitag.serve.queue import QueueError

COOKIE = "multitag_page"
MAX_BODY_BYTES = 512 * 1024     # the largest request body the server reads; larger ones get 413


def error(message: str, status: int) -> JSONResponse:
    """The JSON error response every refusal and failure gets: ``{"error": message}``."""
    return JSONResponse({"error": message}, status_code=status)


def failure(e: MultitagError) -> JSONResponse:
    """The response of a request that failed with an expected error: the queue's own status for a
    :class:`QueueError`, else 400."""
    return error(str(e), e.status if isinstance(e, QueueError) else 400)


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


class Guard:
    """The checks of a request before its handler runs.

    ``token``: the server's shared token (``Authorization: Bearer``; the page itself also takes
    ``?token=`` or its cookie); None: no shared token. ``annotator_of_token``: the registered
    annotator a personal token belongs to (or None); while ``annotators_registered()`` is true,
    every request needs a token even without a shared one. ``allowed_hosts``: the Host header
    values this server answers (None: any).

    A request that passes carries ``request.state.signed_in``: the annotator's name when a
    personal token signed it in, else None.
    """

    def __init__(self, *, token: str | None, allowed_hosts: list[str] | None,
                 annotator_of_token: Callable[[str], str | None] | None = None,
                 annotators_registered: Callable[[], bool] | None = None):
        self.token = token
        self.allowed_hosts = allowed_hosts
        self.annotator_of_token = annotator_of_token or (lambda given: None)
        self.annotators_registered = annotators_registered or (lambda: False)

    def host_ok(self, request: Request) -> bool:
        host = request.headers.get("host", "")
        return self.allowed_hosts is None or host in self.allowed_hosts

    def needs_token(self) -> bool:
        return self.token is not None or self.annotators_registered()

    @staticmethod
    def given_token(request: Request) -> str:
        """The token a request carries: ``Authorization: Bearer``, and for the page itself also
        ``?token=`` (a sign-in) or the cookie of an earlier sign-in. The API takes the header only."""
        given = request.headers.get("authorization", "")
        if given.startswith("Bearer "):
            return given[len("Bearer "):]
        if request.method == "GET" and request.url.path == "/":
            return request.query_params.get("token") or request.cookies.get(COOKIE, "")
        return ""

    def identify(self, request: Request) -> tuple[bool, str | None]:
        """(whether the request is signed in, the annotator's name when a personal token signed it in)."""
        if not self.needs_token():
            return True, None
        given = self.given_token(request)
        if not given:
            return False, None
        if self.token is not None and hmac.compare_digest(given.encode(), self.token.encode()):
            return True, None
        name = self.annotator_of_token(given)
        return name is not None, name

    def authorised(self, request: Request) -> bool:
        return self.identify(request)[0]

    @staticmethod
    def same_origin(request: Request) -> bool:
        if request.headers.get("sec-fetch-site") == "cross-site":
            return False
        origin = request.headers.get("origin")
        if origin is not None and origin.split("://", 1)[-1] != request.headers.get("host", ""):
            return False
        return request.headers.get("content-type", "").split(";")[0].strip() == "application/json"

    def refusal(self, request: Request, *, state_changing: bool = False) -> Response | None:
        """The error response a request gets before its handler runs, or None when it may pass."""
        if not self.host_ok(request):
            return error("unknown Host", 403)
        ok, name = self.identify(request)
        if not ok:
            return error("missing or wrong token", 401)
        request.state.signed_in = name
        if state_changing and not self.same_origin(request):
            return error("a state-changing request must be JSON from this page's origin", 403)
        return None

    def __call__(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        """``handler`` (a GET endpoint) behind the checks, its expected errors as JSON responses."""
        def wrapped(request: Request) -> Response:
            refused = self.refusal(request)
            if refused is not None:
                return refused
            try:
                return handler(request)
            except MultitagError as e:
                return failure(e)
        return wrapped
