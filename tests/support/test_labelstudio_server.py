"""A real Label Studio server: a 2-task NER project with pre-annotations (predictions) goes in
through the API, an annotation is submitted as the labeling page submits it, and Label Studio's
own export gives it back with its character offsets. In the browser, the labeling page draws the
prediction's spans and its Submit sends what :meth:`LabelStudioClient.annotate` sends."""
from __future__ import annotations

import json
import urllib.parse

import pytest

from support.labelstudio import (USER_EMAIL, LabelStudioClient, LabelStudioError, annotation_body,
                                 highlighted_spans, login, open_task, screenshot_task)

pytest_plugins = ("support.labelstudio", "support.browser")

LABEL_CONFIG = """<View>
  <Labels name="label" toName="text">
    <Label value="PER"/>
    <Label value="LOC"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>"""

SENTENCES = [
    ("s1", "John lives in Berlin .", [("John", "PER"), ("Berlin", "LOC")]),
    ("s2", "Mary visited Paris .", [("Paris", "LOC")]),
]


def region(text: str, word: str, label: str, **extra) -> dict:
    """A Label Studio ``labels`` region over the first occurrence of ``word`` in ``text``."""
    start = text.index(word)
    return {"from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": start + len(word), "text": word, "labels": [label]},
            **extra}


def ner_tasks() -> list[dict]:
    return [{"data": {"text": text, "multitag_id": sid},
             "predictions": [{"model_version": "crf-test", "score": 0.25 * (i + 1),
                              "result": [region(text, w, lab, id=f"{sid}-{j}", score=0.9)
                                         for j, (w, lab) in enumerate(spans)]}]}
            for i, (sid, text, spans) in enumerate(SENTENCES)]


def values(result: list[dict]) -> list[tuple[int, int, str, list[str]]]:
    return [(r["value"]["start"], r["value"]["end"], r["value"]["text"], r["value"]["labels"])
            for r in result]


@pytest.fixture
def project(labelstudio: LabelStudioClient) -> tuple[int, list[dict]]:
    """A fresh NER project with the two tasks imported; returns (project id, its tasks)."""
    pid = labelstudio.create_project("multitag smoke test", LABEL_CONFIG)
    summary = labelstudio.import_tasks(pid, ner_tasks())
    assert (summary["task_count"], summary["prediction_count"]) == (2, 2)
    tasks = sorted(labelstudio.tasks(pid), key=lambda t: t["data"]["multitag_id"])
    return pid, tasks


def _listening_addresses(port: int) -> set[str]:
    """Local IPv4/IPv6 addresses (hex, as /proc/net/tcp* writes them) listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in list(f)[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hexport = local.rsplit(":", 1)
                if state == "0A" and int(hexport, 16) == port:   # 0A: LISTEN
                    found.add(address)
    return found


def test_server_is_healthy_on_loopback_only(labelstudio_server, labelstudio):
    url = urllib.parse.urlsplit(labelstudio_server.url)
    assert url.hostname == "127.0.0.1"
    assert _listening_addresses(url.port) == {"0100007F"}     # 127.0.0.1, nothing else
    assert labelstudio.whoami()["email"] == USER_EMAIL
    assert labelstudio.json("GET", "/api/version")["release"] == "1.23.2"


def test_predictions_are_visible_through_the_api(project):
    _, tasks = project
    assert [t["data"]["multitag_id"] for t in tasks] == ["s1", "s2"]
    for task, (_, text, spans) in zip(tasks, SENTENCES):
        assert task["data"]["text"] == text
        assert task["annotations"] == []
        (prediction,) = task["predictions"]
        assert prediction["model_version"] == "crf-test"
        assert values(prediction["result"]) == values([region(text, w, lab) for w, lab in spans])


def test_submitted_annotation_is_exported_with_its_character_offsets(labelstudio, project):
    pid, tasks = project
    task = tasks[0]
    text = task["data"]["text"]
    # the annotator keeps John/PER from the prediction and relabels Berlin as PER
    result = [region(text, "John", "PER", id="a1", origin="prediction"),
              region(text, "Berlin", "PER", id="a2", origin="prediction")]
    stored = labelstudio.annotate(task["id"], result,
                                  parent_prediction=task["predictions"][0]["id"], lead_time=3.5)
    assert stored["task"] == task["id"] and stored["was_cancelled"] is False

    exported = labelstudio.export(pid, "JSON")
    assert [t["id"] for t in exported] == [task["id"]]    # only annotated tasks by default
    (annotation,) = exported[0]["annotations"]
    assert annotation["completed_by"] == labelstudio.whoami()["id"]
    assert annotation["lead_time"] == 3.5
    assert annotation["prediction"]["id"] == task["predictions"][0]["id"]
    assert [r["id"] for r in annotation["result"]] == ["a1", "a2"]
    assert {(r["from_name"], r["to_name"], r["type"]) for r in annotation["result"]} \
        == {("label", "text", "labels")}
    assert values(annotation["result"]) == [(0, 4, "John", ["PER"]), (14, 20, "Berlin", ["PER"])]
    for r in annotation["result"]:
        assert exported[0]["data"]["text"][r["value"]["start"]:r["value"]["end"]] \
            == r["value"]["text"]

    everything = labelstudio.export(pid, "JSON", download_all_tasks=True)
    assert sorted(t["id"] for t in everything) == sorted(t["id"] for t in tasks)
    conll = labelstudio.export(pid, "CONLL2003").decode()
    assert "Berlin -X- _ B-PER" in conll


def test_personal_access_token_authenticates(labelstudio, project):
    pid, tasks = project
    jwt = labelstudio.with_personal_access_token()
    assert jwt.authorization.startswith("Bearer ")
    assert [t["id"] for t in jwt.tasks(pid)] == [t["id"] for t in tasks]
    with pytest.raises(LabelStudioError) as wrong:
        LabelStudioClient(labelstudio.url, "Bearer not-a-token").tasks(pid)
    assert wrong.value.status == 401


def test_screenshot_shows_the_prediction_spans(labelstudio, project, chromium_context, tmp_path):
    from PIL import Image

    pid, tasks = project
    png = tmp_path / "task.png"
    for task, (_, text, spans) in zip(tasks, SENTENCES):
        drawn = screenshot_task(labelstudio, pid, task["id"], png, context=chromium_context)
        assert drawn == [(s, e, lab) for s, e, _, (lab,) in
                         values([region(text, w, lab) for w, lab in spans])]
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size[0] >= 800


def test_browser_submit_sends_what_annotate_sends(labelstudio, project, chromium_page):
    pid, tasks = project
    task = tasks[1]                      # Mary visited Paris . with Paris/LOC predicted
    login(chromium_page, labelstudio)
    open_task(chromium_page, labelstudio, pid, task["id"], n_regions=1)
    assert highlighted_spans(chromium_page) == [(13, 18, "LOC")]
    with chromium_page.expect_request(
            lambda r: r.method == "POST" and "/annotations" in r.url) as submitted:
        chromium_page.get_by_role("button", name="Submit").click()
    request = submitted.value
    url = urllib.parse.urlsplit(request.url)
    assert url.path == f"/api/tasks/{task['id']}/annotations"
    assert urllib.parse.parse_qs(url.query) == {"project": [str(pid)]}
    body = json.loads(request.post_data)
    assert set(body) == set(annotation_body([], project=pid))
    assert body["parent_prediction"] == task["predictions"][0]["id"]
    assert body["project"] == str(pid)
    assert [r["origin"] for r in body["result"]] == ["prediction"]
    assert values(body["result"]) == [(13, 18, "Paris", ["LOC"])]
    response = request.response()
    assert response is not None and response.status == 201

    (exported,) = labelstudio.export(pid, "JSON")
    assert exported["id"] == task["id"]
    assert values(exported["annotations"][0]["result"]) == [(13, 18, "Paris", ["LOC"])]
