"""The ASGI app of ``multitag serve``: the annotation page and its JSON API over a project store,
with the active-learning loop inside (a background worker process retrains and re-ranks).

API (JSON; the token, when the server has one or annotators are registered, travels as
``Authorization: Bearer TOKEN``; a registered annotator's own token names them, else the
annotator's name travels as ``X-Annotator`` or ``?annotator=``):

* ``GET /api/next``: the annotator's current task, or the next one (``{"task": null}`` when the
  queue is empty; ``"retraining": true`` while a new round is being chosen);
* ``POST /api/answer`` ``{"lease": id, "tags": [...], "active_seconds": s}``: store the answer (IOB2
  tags per token) and the active seconds the page measured for it (optional; idle time left out);
* ``POST /api/undo``: retract the annotator's last answer and hand its task back, the undone
  answer as ``task.draft`` to edit;
* ``POST /api/skip`` ``{"lease": id}``: skip the task (not shown to this annotator again this round);
* ``POST /api/decide`` ``{"lease": id, "decision": "accept"|"reject"|"ignore", "start": i, "end": j,
  "label": TYPE}``: teach mode: a decision on the suggested span (``task.suggestion``, the model's
  most uncertain entity) of the task; an accept is stored as an entity-level answer, a rejection as
  "not this type at this span";
* ``GET /api/disagreements``: the overlap's sentences whose annotators disagree (unsettled), with
  every annotator's tags; ``POST /api/settle`` ``{"sentence": id, "tags": [...]}``: a reviewer's
  settled answer (it supersedes theirs; exports use it);
* ``GET /api/history``: the annotator's latest answers (newest first, one per sentence);
* ``POST /api/reopen`` ``{"lease": id}``: reopen one of them for a correction (the task comes back
  with its current tags; the corrected answer supersedes the old one, which stays as history);
* ``GET /api/status``: the queue and the round's progress, tokens annotated, the model's F1 on the
  gold set, the annotator's answers and active seconds, and the agreement per annotator pair on
  the overlap (span F1, Cohen's kappa).

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


def _static(name: str) -> str:
    with open(os.path.join(STATIC, name), encoding="utf-8") as fh:
        return fh.read()


def create_app(project: str, *, token: str | None = None, budget: int = 200, retrain_every: int | None = None,
               lease_seconds: float = 600.0, allowed_hosts: list[str] | None = None, overlap: float = 0.0):
    """The Starlette app serving ``project``."""
    with Project(project) as p:   # refuse a folder that is not a project before serving
        if AnnotationQueue.current_round(p) is None:
            p.choose_round(budget)    # the first round (the seed set while nothing is annotated) is ready at once
    queue = AnnotationQueue(project, lease_seconds=lease_seconds, predictor=Predictions(), overlap=overlap)
    loop = RetrainLoop(project, budget=budget, retrain_every=retrain_every)
    guard = Guard(token=token, allowed_hosts=allowed_hosts, annotator_of_token=queue.annotator_of_token,
                  annotators_registered=queue.has_annotators)
    handlers = Handlers(queue, loop, guard, _static("index.html"), _static("signin.html"))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        loop.close()

    app = Starlette(routes=routes(handlers), lifespan=lifespan)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.state.loop = loop
    app.state.queue = queue
    return app
