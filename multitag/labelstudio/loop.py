"""The active-learning loop of a Label Studio project: after every N answers the model retrains
in a background process (``multitag serve``'s :class:`~multitag.serve.retrain.RetrainLoop`, which
also chooses the next round); when it is done the unlabelled tasks get the new model's
predictions and informativeness through Label Studio's API, and when fewer than M unlabelled
tasks remain the newest round's tasks are added to the Label Studio project."""
from __future__ import annotations

import dataclasses
import logging
import threading

from multitag.errors import MultitagError
from multitag.labelstudio.client import LabelStudioAPI
from multitag.labelstudio.scoring import model_version, prediction_json, score
from multitag.project.formats.labelstudio import task_json
from multitag.project.project import Project
from multitag.serve.retrain import RetrainLoop

log = logging.getLogger("multitag.labelstudio")


def unlabelled(tasks: list[dict]) -> list[dict]:
    """The tasks nobody has annotated (a skipped task counts as annotated)."""
    return [t for t in tasks if not t.get("annotations")]


def multitag_sentence(task: dict, uid: str) -> int | None:
    """The sentence id a Label Studio task's ``data.multitag`` reference names, when the task is of
    the project ``uid``; else None."""
    ref = (task.get("data") or {}).get("multitag")
    if isinstance(ref, dict) and ref.get("project") == uid and isinstance(ref.get("sentence"), int):
        return ref["sentence"]
    return None


#: the Data Manager tab the backend adds: tasks by informativeness, highest first (numeric order)
VIEW_TITLE = "multitag: most informative first"
VIEW_DATA = {"title": VIEW_TITLE, "ordering": ["-tasks:data.informativeness"],
             "columnsDisplayType": {"tasks:data.informativeness": "Number"}}


def ensure_view(api: LabelStudioAPI, ls_project: int) -> int:
    """The id of the project's :data:`VIEW_TITLE` tab, added when missing."""
    for v in api.views(ls_project):
        if (v.get("data") or {}).get("title") == VIEW_TITLE:
            return v["id"]
    return api.add_view(ls_project, VIEW_DATA)["id"]


def show_version(api: LabelStudioAPI, ls_project: int, version: str) -> None:
    """Make the labeling stream show the predictions of ``version`` (Label Studio refuses a version
    no prediction has yet: then nothing changes)."""
    try:
        api.show_model_version(ls_project, version)
    except MultitagError as e:
        log.info("Label Studio project %s keeps its model version: %s", ls_project, e)


def refresh_predictions(project: str, api: LabelStudioAPI, ls_project: int) -> int:
    """Give every unlabelled task of the Label Studio project the newest model's prediction and
    informativeness; the number of tasks refreshed."""
    with Project(project) as p:
        row = p.latest_model_row()
        if row is None:
            return 0
        model = p.load_model(row)
        todo = [(t, multitag_sentence(t, p.uid)) for t in unlabelled(api.tasks(ls_project))]
        todo = [(t, sid) for t, sid in todo if sid is not None]
        rows = [p.store.text.sentence(sid) for _, sid in todo]
        scored = score(p, model, rows)
    version = model_version(row.id)
    for (task, _), s in zip(todo, scored):
        api.replace_prediction(task, prediction_json(s, version))
        api.set_task_data(task, {**task["data"], "informativeness": s.informativeness})
    show_version(api, ls_project, version)
    return len(todo)


def add_newest_round(project: str, api: LabelStudioAPI, ls_project: int, budget: int) -> int:
    """Add the newest round's tasks that the Label Studio project lacks (the seed set is chosen
    first when there is no round yet); how many were added."""
    with Project(project) as p:
        rnd = p.store.rounds.latest_chosen()
        rnd_id = p.choose_round(budget)[0] if rnd is None else rnd.id
        version = model_version(p.store.rounds.get(rnd_id).model_id)
        have = {multitag_sentence(t, p.uid) for t in api.tasks(ls_project)}
        tasks = [dataclasses.replace(t, model=version) for t in p.round_tasks(rnd_id) if t.ref.sentence not in have]
    if tasks:
        api.import_tasks(ls_project, [task_json(t) for t in tasks])
    return len(tasks)


class LabelStudioLoop:
    """Counts answers, retrains after every ``retrain_every`` of them, then refreshes the
    predictions and tops the Label Studio project up to ``min_unlabelled`` unlabelled tasks."""

    def __init__(self, project: str, *, budget: int, retrain_every: int, min_unlabelled: int):
        self.project = project
        self.budget = budget
        self.retrain_every = retrain_every
        self.min_unlabelled = min_unlabelled
        self.retrain = RetrainLoop(project, budget=budget, retrain_every=retrain_every)
        self.api: LabelStudioAPI | None = None
        self.ls_project: int | None = None
        self.answers = 0
        self.retrains_done = 0
        self._lock = threading.Lock()
        self.updating = threading.Lock()      # one change of the Label Studio project's tasks at a time
        self._threads: list[threading.Thread] = []

    def connected(self) -> bool:
        return self.api is not None and self.ls_project is not None

    def answered(self) -> None:
        with self._lock:
            self.answers += 1
            due = self.answers >= self.retrain_every
            if due:
                self.answers = 0
        if due:
            self.start_retrain()

    def start_retrain(self) -> bool:
        """Retrain in the background unless a retrain runs; True when one started."""
        if not self.retrain.start():
            return False
        self._spawn(self._after_retrain)
        return True

    def _spawn(self, target) -> None:
        t = threading.Thread(target=target, daemon=True)
        self._threads = [x for x in self._threads if x.is_alive()] + [t]
        t.start()

    def _after_retrain(self) -> None:
        try:
            self.retrain.wait()
        except Exception as e:     # the error is the retrain loop's last_error; keep serving
            log.warning("retrain failed: %s", e)
            return
        self.retrains_done += 1
        self.update_label_studio()

    def update_label_studio(self) -> None:
        """Refresh the unlabelled tasks' predictions and add the next batch when the queue is low."""
        if not self.connected():
            return
        with self.updating:
            self._update()

    def _update(self) -> None:
        try:
            n = refresh_predictions(self.project, self.api, self.ls_project)
            left = len(unlabelled(self.api.tasks(self.ls_project)))
            added = add_newest_round(self.project, self.api, self.ls_project, self.budget) if left < self.min_unlabelled else 0
            log.info("Label Studio project %s: %d predictions refreshed, %d tasks added", self.ls_project, n, added)
        except Exception as e:
            log.warning("updating Label Studio failed: %s", e)

    def idle(self, timeout: float | None = None) -> None:
        """Wait for the retrain and the Label Studio updates in flight (tests)."""
        for t in list(self._threads):
            t.join(timeout)

    def close(self) -> None:
        self.retrain.close()
