"""The URL map of ``multitag serve``: each path, its method and its handler behind the checks."""
from __future__ import annotations

from starlette.routing import Route

from multitag.serve.handlers import Handlers


def routes(h: Handlers) -> list[Route]:
    """The routes of the page and the API (GET endpoints behind ``h.guard``, POST ones through
    ``h.post``)."""
    return [
        Route("/", h.guard(h.page), methods=["GET"]),
        Route("/api/next", h.guard(h.next), methods=["GET"]),
        Route("/api/status", h.guard(h.status), methods=["GET"]),
        Route("/api/answer", h.post(h.answer), methods=["POST"]),
        Route("/api/undo", h.post(h.undo), methods=["POST"]),
        Route("/api/skip", h.post(h.skip), methods=["POST"]),
    ]
