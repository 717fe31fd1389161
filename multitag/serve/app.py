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

One module per job: :mod:`.security` (the checks and the body limit), :mod:`.handlers` (the
endpoints), :mod:`.routes` (the URL map), :mod:`.retrain` (the background loop),
:mod:`.predictions` (pre-annotations) and :mod:`.queue` (tasks, leases, answers); this module
puts them together.
"""
from __future__ import annotations

import contextlib
import os

from starlette.applications import Starlette

from multitag.project.project import Project
from multitag.serve.handlers import Handlers
from multitag.serve.predictions import Predictions
from multitag.serve.queue import AnnotationQueue
from multitag.serve.retrain import RETRAIN_DELAY_ENV, RetrainLoop
from multitag.serve.routes import routes
from multitag.serve.security import COOKIE, MAX_BODY_BYTES, BodyLimit, Guard

STATIC = os.path.join(os.path.dirname(__file__), "static")

__all__ = ["create_app", "BodyLimit", "COOKIE", "MAX_BODY_BYTES", "Predictions", "RETRAIN_DELAY_ENV", "RetrainLoop",
           "STATIC"]


def create_app(project: str, *, token: str | None = None, budget: int = 200, retrain_every: int | None = None,
               lease_seconds: float = 600.0, allowed_hosts: list[str] | None = None):
    """The Starlette app serving ``project``."""
    with Project(project) as p:   # refuse a folder that is not a project before serving
        if AnnotationQueue.current_round(p) is None:
            p.choose_round(budget)    # the first round (the seed set while nothing is annotated) is ready at once
    queue = AnnotationQueue(project, lease_seconds=lease_seconds, predictor=Predictions())
    loop = RetrainLoop(project, budget=budget, retrain_every=retrain_every)
    with open(os.path.join(STATIC, "index.html"), encoding="utf-8") as fh:
        page = fh.read()
    handlers = Handlers(queue, loop, Guard(token=token, allowed_hosts=allowed_hosts), page)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        loop.close()

    app = Starlette(routes=routes(handlers), lifespan=lifespan)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.state.loop = loop
    app.state.queue = queue
    return app
