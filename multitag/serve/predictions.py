"""The pre-annotations the page shows: the model of a task's round tags its sentence."""
from __future__ import annotations

import threading
from typing import Any

from multitag.backend import Prediction
from multitag.data.sentence import Sentence


class Predictions:
    """The pre-annotations of a round: its model, loaded once, predicts a task's sentence."""

    def __init__(self):
        self._models: dict[int, Any] = {}
        self._lock = threading.Lock()

    def predict(self, project, round_row, sentences: list[dict]) -> tuple[list[Prediction], list[str]]:
        """The predictions of the round's model for ``sentences`` and the model's labels (column
        ``j`` of a prediction's marginals is ``labels[j]``)."""
        model_id = round_row["model_id"]
        with self._lock:
            model = self._models.get(model_id)
            if model is None:
                model = project.load_model(project.store.models.get(model_id))
                self._models = {model_id: model}     # keep only the newest
            preds = model.predict([Sentence(s["tokens"], None, s["pos"]) for s in sentences])
        return preds, list(model.labels)

    def __call__(self, project, round_row, sentences: list[dict]) -> list[list[str]]:
        return [list(p.tags) for p in self.predict(project, round_row, sentences)[0]]
