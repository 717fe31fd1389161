"""The URL map of ``multitag serve``: each path, its method and its handler behind the checks."""
from __future__ import annotations

from starlette.routing import Route

from multitag.serve.handlers import Handlers


def routes(h: Handlers) -> list[Route]:
    """The routes of the page and the API (GET endpoints behind ``h.guard``, POST ones through
    ``h.post``; the page checks for itself, to answer the sign-in page)."""
    return [
        Route("/", h.page, methods=["GET"]),          # its own checks: the sign-in page when signed out
        Route("/api/next", h.guard(h.next), methods=["GET"]),
        Route("/api/status", h.guard(h.status), methods=["GET"]),
        Route("/api/history", h.guard(h.history), methods=["GET"]),
        Route("/api/reopen", h.post(h.reopen), methods=["POST"]),
        Route("/api/decide", h.post(h.decide), methods=["POST"]),
        Route("/api/disagreements", h.guard(h.disagreements), methods=["GET"]),
        Route("/api/settle", h.post(h.settle), methods=["POST"]),
        Route("/api/answer", h.post(h.answer), methods=["POST"]),
        Route("/api/undo", h.post(h.undo), methods=["POST"]),
        Route("/api/skip", h.post(h.skip), methods=["POST"]),
    ]
