"""The Label Studio API calls the ML backend makes (plain ``urllib``, never through a proxy)."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from multitag.errors import MultitagError

TIMEOUT_S = 60.0
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LabelStudioAPI:
    """A Label Studio server's API as one user: ``token`` is a legacy API token, or a personal
    access token (a JWT, exchanged for short-lived access tokens)."""

    def __init__(self, url: str, token: str):
        self.url = url.rstrip("/")
        self.token = token
        self._bearer: str | None = None
        self._emails: dict[int, str] = {}

    def _authorization(self, fresh: bool = False) -> str:
        if self.token.count(".") != 2:      # a legacy token
            return "Token " + self.token
        if self._bearer is None or fresh:
            self._bearer = self.call("POST", "/api/token/refresh/", body={"refresh": self.token}, auth=False)["access"]
        return "Bearer " + self._bearer

    def call(self, method: str, path: str, *, body: Any = None, params: dict | None = None, auth: bool = True) -> Any:
        """One request; the parsed JSON answer (None when empty). Raises MultitagError."""
        url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        data = None if body is None else json.dumps(body).encode()
        for attempt in (0, 1):
            req = urllib.request.Request(url, data=data, method=method)
            req.add_header("Accept", "application/json")
            if data is not None:
                req.add_header("Content-Type", "application/json")
            if auth:
                req.add_header("Authorization", self._authorization(fresh=attempt == 1))
            try:
                with _OPENER.open(req, timeout=TIMEOUT_S) as answer:
                    raw = answer.read()
                return json.loads(raw) if raw else None
            except urllib.error.HTTPError as e:
                text = e.read().decode(errors="replace")
                if e.code == 401 and auth and attempt == 0 and self.token.count(".") == 2:
                    continue
                raise MultitagError(f"Label Studio {method} {path}: {e.code} {text[:200]}") from None
            except (urllib.error.URLError, OSError, ValueError) as e:
                raise MultitagError(f"Label Studio at {self.url} does not answer ({e})") from None
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ reading
    def tasks(self, project: int, *, view: int | None = None, page_size: int = 100) -> list[dict]:
        """Every task of a project (``data``, ``annotations``, ``predictions``), in the view's
        order when ``view`` is given."""
        out: list[dict] = []
        page = 1
        while True:
            params = {"project": project, "fields": "all", "page": page, "page_size": page_size}
            if view is not None:
                params["view"] = view
            answer = self.call("GET", "/api/tasks", params=params)
            out.extend(answer["tasks"])
            if not answer["tasks"] or len(out) >= answer["total"]:
                return out
            page += 1

    def email_of(self, user: int) -> str:
        """The e-mail of a Label Studio user (what its exports name the annotator by)."""
        if user not in self._emails:
            self._emails[user] = str(self.call("GET", f"/api/users/{int(user)}")["email"])
        return self._emails[user]

    # ------------------------------------------------------------------ writing
    def import_tasks(self, project: int, tasks: list[dict]) -> dict:
        return self.call("POST", f"/api/projects/{project}/import", body=tasks)

    def replace_prediction(self, task: dict, prediction: dict) -> None:
        """Delete the task's predictions and give it ``prediction`` (``result``, ``score``,
        ``model_version``)."""
        for old in task.get("predictions") or []:
            self.call("DELETE", f"/api/predictions/{old['id']}")
        self.call("POST", "/api/predictions", body={"task": task["id"], **prediction})

    def set_task_data(self, task: dict, data: dict) -> None:
        self.call("PATCH", f"/api/tasks/{task['id']}", body={"data": data})

    def show_model_version(self, project: int, version: str) -> None:
        """The predictions Label Studio's labeling stream shows: those of ``version``."""
        self.call("PATCH", f"/api/projects/{project}", body={"model_version": version})

    def views(self, project: int) -> list[dict]:
        return self.call("GET", "/api/dm/views", params={"project": project})

    def add_view(self, project: int, data: dict) -> dict:
        return self.call("POST", "/api/dm/views", body={"project": project, "data": data})
