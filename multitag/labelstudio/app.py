"""The ASGI app of ``multitag labelstudio-backend``: Label Studio's ML backend protocol (as
``label-studio-ml-backend``'s ``label_studio_ml/api.py`` serves it) over a multitag project.

* ``GET /`` and ``GET /health``: ``{"status": "UP", "model_class": ...}``;
* ``POST /setup`` ``{"project": "<id>.<created>", "schema", "hostname", "access_token", ...}``:
  ``{"model_version": ...}``; the first call of a Label Studio project connects it (its
  annotations reconciled with the store, its first batch added when it has too few tasks);
* ``POST /predict`` ``{"tasks": [...], "project", "label_config", "params"}``:
  ``{"results": [{"result", "score", "model_version"}, ...]}``, one per task, ``score`` the
  model's confidence in its labelling;
* ``POST /webhook`` ``{"action", "annotation", "task", "project"}``: ANNOTATION_CREATED and
  ANNOTATION_UPDATED store the annotation (as ``project import`` would; 201), ANNOTATIONS_DELETED
  (and ANNOTATION_DELETED) retract, START_TRAINING retrains; other actions get 200
  ``{"status": "Unknown event"}``. A refused payload gets a 4xx answer and one log line, and
  changes nothing.
"""
from __future__ import annotations

import base64
import contextlib
import hmac
import logging
import threading

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from multitag.errors import MultitagError
from multitag.labelstudio.answers import annotator_of, delete_annotations, reconcile, store_annotation
from multitag.labelstudio.client import LabelStudioAPI
from multitag.labelstudio.loop import (LabelStudioLoop, add_newest_round, ensure_view, multitag_sentence, show_version,
                                      unlabelled)
from multitag.labelstudio.scoring import model_version, prediction_json, score
from multitag.project.project import Project
from multitag.serve.security import MAX_BODY_BYTES, BodyLimit

log = logging.getLogger("multitag.labelstudio")

ANNOTATION_EVENTS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED")
DELETE_EVENTS = ("ANNOTATIONS_DELETED", "ANNOTATION_DELETED")


class Refused(MultitagError):
    """A request the backend refuses: ``status`` is the HTTP status (4xx)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def ls_project_id(value, what: str) -> int:
    """Label Studio's project id from ``"12.1700000000"`` (``/setup``, ``/predict``) or an object."""
    if isinstance(value, dict):
        value = value.get("id")
    try:
        return int(str(value).split(".", 1)[0])
    except ValueError:
        raise Refused(f"{what}: no Label Studio project id in {value!r:.60}") from None


class Backend:
    """The state of one served project: its loop, the model that predicts, the connection."""

    def __init__(self, project: str, loop: LabelStudioLoop, *, api: LabelStudioAPI | None, ls_project: int | None):
        self.project = project
        self.loop = loop
        loop.api, loop.ls_project = api, ls_project
        self._model = (None, None)
        self._lock = threading.Lock()
        self._connect_started = False

    # ------------------------------------------------------------------ connection
    def connect(self) -> dict:
        """Reconcile the store with the Label Studio project and add a batch when it has too few
        unlabelled tasks (on start and on the first ``/setup``)."""
        if not self.loop.connected():
            return {}
        with self.loop.updating:
            return self._reconcile_and_top_up()

    def _reconcile_and_top_up(self) -> dict:
        with Project(self.project) as p:
            with p.store.transaction():
                p.store.labelstudio.set_connection({"project": self.loop.ls_project, "url": self.loop.api.url})
            r = reconcile(p, self.loop.api, self.loop.ls_project, log=log.warning)
        r["view"] = ensure_view(self.loop.api, self.loop.ls_project)
        left = len(unlabelled(self.loop.api.tasks(self.loop.ls_project)))
        if left < self.loop.min_unlabelled:
            r["added"] = add_newest_round(self.project, self.loop.api, self.loop.ls_project, self.loop.budget)
        show_version(self.loop.api, self.loop.ls_project, self.current_version())
        log.info("Label Studio project %s reconciled: %s", self.loop.ls_project, r)
        return r

    def setup(self, data: dict) -> dict:
        lsp = ls_project_id(data.get("project"), "setup")
        if self.loop.ls_project is not None and lsp != self.loop.ls_project:
            raise Refused(f"setup from Label Studio project {lsp}; this backend serves project {self.loop.ls_project}", 409)
        if self.loop.api is None and data.get("hostname") and data.get("access_token"):
            self.loop.api = LabelStudioAPI(str(data["hostname"]), str(data["access_token"]))
        with self._lock:
            first, self._connect_started = not self._connect_started, True
        if first:     # Label Studio calls /setup before every prediction: connect on the first only
            self.loop.ls_project = lsp
            threading.Thread(target=self.try_connect, daemon=True).start()
        return {"model_version": self.current_version()}

    def try_connect(self) -> None:
        """:meth:`connect`, a failure logged (Label Studio may be down; its next ``/setup`` retries)."""
        try:
            self.connect()
            with self._lock:
                self._connect_started = True
        except Exception as e:
            with self._lock:
                self._connect_started = False
            log.warning("connecting Label Studio project %s failed: %s", self.loop.ls_project, e)

    # ------------------------------------------------------------------ predictions
    def current_version(self) -> str:
        with Project(self.project) as p:
            row = p.latest_model_row()
        return model_version(None if row is None else row.id)

    def predict(self, data: dict) -> dict:
        tasks = data.get("tasks")
        if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
            raise Refused("predict: \"tasks\" must be a list of tasks")
        with Project(self.project) as p:
            row = p.latest_model_row()
            version = model_version(None if row is None else row.id)
            sids = [multitag_sentence(t, p.uid) for t in tasks]
            if row is None:
                return {"results": [prediction_json(None, version) for _ in tasks]}
            with self._lock:
                if self._model[0] != row.id:
                    self._model = (row.id, p.load_model(row))
                model = self._model[1]
            known = [s for s in sids if s is not None]
            rows = {s: r for s, r in zip(known, [p.store.text.sentence(s) for s in known]) if r is not None}
            scored = dict(zip(rows, score(p, model, list(rows.values()))))
        return {"results": [prediction_json(scored.get(s), version) for s in sids]}

    # ------------------------------------------------------------------ webhook
    def webhook(self, data: dict) -> tuple[dict, int]:
        action = data.get("action")
        if action not in ANNOTATION_EVENTS + DELETE_EVENTS + ("START_TRAINING",):
            return {"status": "Unknown event"}, 200
        lsp = ls_project_id(data.get("project"), f"{action}")
        if self.loop.ls_project is None:
            self.loop.ls_project = lsp
        if lsp != self.loop.ls_project:
            raise Refused(f"{action} from Label Studio project {lsp}; this backend serves project "
                          f"{self.loop.ls_project}", 403)
        if action == "START_TRAINING":
            return {"result": {"started": self.loop.start_retrain()}, "status": "ok"}, 201
        if action in DELETE_EVENTS:
            anns = data.get("annotations", [data.get("annotation")])
            if not isinstance(anns, list) or not all(isinstance(a, dict) and isinstance(a.get("id"), int) for a in anns):
                raise Refused(f"{action}: \"annotations\" must be a list of objects with an integer id")
            with Project(self.project) as p:
                n = delete_annotations(p, lsp, [a["id"] for a in anns])
            return {"result": {"retracted_tokens": n}, "status": "ok"}, 201
        ann, task = data.get("annotation"), data.get("task")
        if not isinstance(ann, dict) or not isinstance(task, dict):
            raise Refused(f"{action}: the payload needs \"annotation\" and \"task\" objects")
        if ann.get("was_cancelled"):
            return {"result": {"skipped": True}, "status": "ok"}, 201
        with Project(self.project) as p:
            try:
                r = store_annotation(p, lsp, task, ann, annotator_of(ann, self.loop.api))
            except Refused:
                raise
            except MultitagError as e:
                raise Refused(str(e), 422) from None
        if not r["already"]:
            log.info("%s: annotation %s of task %s stored (%s tokens changed)", action, r["annotation"], task.get("id"),
                     r.get("annotated_tokens"))
            self.loop.answered()
        return {"result": r, "status": "ok"}, 201


def _endpoint(handler):
    """A POST endpoint: the JSON body parsed, ``handler(data)`` run in the thread pool, a refusal
    answered 4xx with one log line."""
    async def endpoint(request: Request) -> JSONResponse:
        try:
            try:
                data = await request.json()
            except (ValueError, UnicodeDecodeError):
                raise Refused("the request body is not JSON") from None
            if not isinstance(data, dict):
                raise Refused("the request body must be a JSON object")
            out = await run_in_threadpool(handler, data)
        except Refused as e:
            log.warning("refused %s: %s", request.url.path, str(e).replace("\n", " "))
            return JSONResponse({"error": str(e), "status": "error"}, status_code=e.status)
        except MultitagError as e:
            log.warning("refused %s: %s", request.url.path, str(e).replace("\n", " "))
            return JSONResponse({"error": str(e), "status": "error"}, status_code=400)
        body, status = out if isinstance(out, tuple) else (out, 200)
        return JSONResponse(body, status_code=status)
    return endpoint


class BasicAuth:
    """ASGI middleware: every request must carry HTTP Basic credentials ``user:password`` (what
    Label Studio sends to an ML backend whose Authentication is Basic Auth)."""

    def __init__(self, app, credentials: str):
        self.app = app
        self.expected = ("Basic " + base64.b64encode(credentials.encode()).decode()).encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            given = dict(scope.get("headers", [])).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                response = JSONResponse({"error": "missing or wrong credentials", "status": "error"}, status_code=401,
                                        headers={"WWW-Authenticate": 'Basic realm="multitag"'})
                return await response(scope, receive, send)
        return await self.app(scope, receive, send)


def create_app(project: str, *, api: LabelStudioAPI | None = None, ls_project: int | None = None, budget: int = 200,
               retrain_every: int = 10, min_unlabelled: int = 5, basic_auth: str | None = None) -> Starlette:
    """The Starlette app serving ``project`` to Label Studio (``basic_auth``: ``user:password``
    that every request must carry)."""
    with Project(project) as p:     # refuse a folder that is not a project before serving
        known = p.store.labelstudio.connection()
    if ls_project is None:
        ls_project = known.get("project")
    loop = LabelStudioLoop(project, budget=budget, retrain_every=retrain_every, min_unlabelled=min_unlabelled)
    backend = Backend(project, loop, api=api, ls_project=ls_project)

    def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "UP", "model_class": "multitag", "model_version": backend.current_version(),
                             "retraining": loop.retrain.retraining, "retrain_error": loop.retrain.last_error})

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if loop.connected():     # nothing lost while the backend was down (Label Studio down: at its /setup)
            await run_in_threadpool(backend.try_connect)
        yield
        loop.close()

    app = Starlette(routes=[
        Route("/", health, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", lambda request: JSONResponse({}), methods=["GET"]),
        Route("/setup", _endpoint(backend.setup), methods=["POST"]),
        Route("/predict", _endpoint(backend.predict), methods=["POST"]),
        Route("/webhook", _endpoint(backend.webhook), methods=["POST"]),
    ], lifespan=lifespan)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    if basic_auth is not None:
        app.add_middleware(BasicAuth, credentials=basic_auth)
    app.state.backend = backend
    return app
