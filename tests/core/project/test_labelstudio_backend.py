"""multitag as a Label Studio ML backend, without a Label Studio server: the protocol's endpoints
(health, setup, predict, webhook) on the Starlette app, annotations stored exactly once through
`project import`'s validation, refused payloads answered 4xx with one log line and nothing stored,
and the batch files' prediction score (the model's confidence) and informativeness.

The helpers at the top are shared with test_labelstudio_backend_live.py (a real Label Studio)."""
import base64
import importlib.util
import json
import logging
import math
import os

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from multitag.cli import main
from multitag.data.sentence import Sentence
from multitag.labelstudio.app import create_app
from multitag.project.formats.labelstudio import regions
from multitag.project.project import Project, Settings, init_project
from multitag.project.spans import tags_to_char_spans

_spec = importlib.util.spec_from_file_location("project_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)
TYPES = helpers.TYPES
dump = helpers.dump


def trained_project(tmp_path, text_file, gold, *, seed_tokens=600, level="sentence", name="p"):
    """A project whose seed set is answered with gold tags and whose first query round is chosen
    (a CRF model trained on the seed)."""
    path = str(tmp_path / name)
    init_project(path, text_file, Settings(backend="crf", params={"features": "paper", "max_iterations": 30},
                                           strategy="mnlp", level=level, entity_types=TYPES, training_mode="auto"))
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    with Project(path) as p:
        p.query(seed_tokens, fmt="jsonl", out=str(tmp_path / f"{name}-seed.jsonl"))
    helpers.answer_jsonl(str(tmp_path / f"{name}-seed.jsonl"), str(tmp_path / f"{name}-seed-answers.jsonl"), by_tokens)
    r = CliRunner().invoke(main, ["project", "import", path, str(tmp_path / f"{name}-seed-answers.jsonl")])
    assert r.exit_code == 0, r.output
    with Project(path) as p:
        p.choose_round(120)
    return path


def gold_result(row, gold_tags) -> list[dict]:
    """The regions a careful annotator submits for a sentence row."""
    out = regions(row.id, row.text, list(gold_tags), row.starts, row.ends, "manual")
    for r in out:
        r.pop("origin")
    return out


def ls_task(p, sentence_id: int, *, task_id: int = 1, ls_project: int = 7) -> dict:
    """The task Label Studio holds for a sentence (as its webhook serialises it)."""
    tasks = [t for t in p.round_tasks(p.store.rounds.latest_chosen().id) if t.ref.sentence == sentence_id]
    s = p.store.text.sentence(sentence_id)
    ref = tasks[0].ref.to_json() if tasks else {"project": p.uid, "sentence": s.id, "hash": s.hash}
    return {"id": task_id, "project": ls_project, "data": {"text": s.text, "multitag": ref}}


def webhook(action: str, task: dict, result: list[dict], *, annotation_id: int = 11, ls_project: int = 7,
            user: int = 1) -> dict:
    """A webhook body as Label Studio 1.23 sends it to an ML backend."""
    return {"action": action, "project": {"id": ls_project, "title": "multitag"},
            "task": task, "annotation": {"id": annotation_id, "result": result, "completed_by": user,
                                         "was_cancelled": False, "task": task["id"], "project": ls_project,
                                         "updated_at": "2026-12-02T14:00:00.000000Z"}}


# ---------------------------------------------------------------------------------------- tests


@pytest.fixture
def project(tmp_path, text_file, gold):
    return trained_project(tmp_path, text_file, gold)


@pytest.fixture
def client(project):
    with TestClient(create_app(project, retrain_every=1000)) as c:
        yield c


def _unanswered(p, gold):
    """A sentence of the newest round, not annotated, with entities, and its gold tags."""
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    for q in p.store.queries.of_round(p.store.rounds.latest_chosen().id):
        s = p.store.text.sentence(q.sentence_id)
        if not p.store.annotations.current_tags(s.id) and any(t != "O" for t in by_tokens[tuple(s.tokens)]):
            return s, by_tokens[tuple(s.tokens)]
    raise AssertionError("no unanswered sentence with entities")


def test_health_setup_and_predictions_with_the_models_confidence(project, client):
    assert client.get("/health").json()["status"] == "UP"
    with Project(project) as p:
        model_row = p.latest_model_row()
        rows = [p.store.text.sentence(q.sentence_id) for q in p.store.queries.of_round(p.store.rounds.latest_chosen().id)][:4]
        tasks = [ls_task(p, r.id, task_id=100 + k) for k, r in enumerate(rows)]
        preds = p.load_model(model_row).predict([Sentence(r.tokens, None, r.pos) for r in rows])
    setup = client.post("/setup", json={"project": "7.1764684000", "schema": "<View/>", "hostname": "", "access_token": ""})
    assert setup.status_code == 200 and setup.json() == {"model_version": f"multitag-model-{model_row.id}"}
    foreign = {"id": 200, "data": {"text": "not ours"}}
    answer = client.post("/predict", json={"tasks": tasks + [foreign], "project": "7.1764684000", "label_config": "",
                                           "params": {"context": None}})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert len(results) == len(tasks) + 1, "one prediction per task, in order"
    for r, row, pred in zip(results, rows, preds):
        assert r["model_version"] == f"multitag-model-{model_row.id}"
        assert r["score"] == pytest.approx(math.exp(pred.logprob)) and 0 < r["score"] <= 1
        assert [(x["value"]["start"], x["value"]["end"], x["value"]["labels"][0]) for x in r["result"]] == \
            tags_to_char_spans(pred.tags, row.starts, row.ends)
    assert results[-1]["result"] == [], "a task that is not multitag's gets an empty prediction"


def test_a_webhook_annotation_is_stored_once_updated_and_deleted(project, client, gold):
    with Project(project) as p:
        s, tags = _unanswered(p, gold)
        task = ls_task(p, s.id)
        before = p.store.annotations.count_current()
    result = gold_result(s, tags)
    body = webhook("ANNOTATION_CREATED", task, result)
    first = client.post("/webhook", json=body)
    assert first.status_code == 201, first.text
    again = client.post("/webhook", json=body)        # delivered twice
    assert again.status_code == 201 and again.json()["result"]["already"]
    with Project(project) as p:
        assert p.store.annotations.current_tags(s.id) == dict(enumerate(tags))
        assert p.store.annotations.count_current() == before + len(tags)
        assert {r.annotator for r in p.store.annotations.current() if r.sentence_id == s.id} == {"labelstudio-user-1"}
        assert len(p.store.labelstudio.imports_of_annotation(7, 11)) == 1
    # the annotator removes the first entity: the update supersedes the earlier version
    updated = webhook("ANNOTATION_UPDATED", task, result[1:])
    assert client.post("/webhook", json=updated).status_code == 201
    first_span = tags_to_char_spans(tags, s.starts, s.ends)[0]
    with Project(project) as p:
        now_tags = p.store.annotations.current_tags(s.id)
        k = s.starts.index(first_span[0])
        assert now_tags[k] == "O" and len(now_tags) == len(tags)
    deleted = {"action": "ANNOTATIONS_DELETED", "project": {"id": 7}, "annotations": [{"id": 11}]}
    assert client.post("/webhook", json=deleted).status_code == 201
    with Project(project) as p:
        assert p.store.annotations.current_tags(s.id) == {}
        assert p.store.annotations.count_current() == before
    assert client.post("/webhook", json={"action": "TASKS_CREATED", "project": {"id": 7}}).json() == \
        {"status": "Unknown event"}


def _off_boundary(result):
    bad = json.loads(json.dumps(result))
    bad[0]["value"]["start"] += 1
    return bad


def _unknown_label(result):
    bad = json.loads(json.dumps(result))
    bad[0]["value"]["labels"] = ["ANIMAL"]
    return bad


@pytest.mark.parametrize("case", ["another Label Studio project", "another multitag project", "unknown label",
                                  "off token boundaries", "changed text", "no annotation", "not JSON", "not an object",
                                  "result not a list"])
def test_malformed_or_foreign_webhooks_are_refused_and_change_nothing(project, client, gold, caplog, case):
    with Project(project) as p:
        s, tags = _unanswered(p, gold)
        task = ls_task(p, s.id)
    result = gold_result(s, tags)
    body = webhook("ANNOTATION_CREATED", task, result)
    client.post("/setup", json={"project": "7.1764684000", "schema": ""})
    raw = None
    if case == "another Label Studio project":
        body = webhook("ANNOTATION_CREATED", task, result, ls_project=8)
    elif case == "another multitag project":
        body["task"]["data"]["multitag"]["project"] = "0" * 32
    elif case == "unknown label":
        body["annotation"]["result"] = _unknown_label(result)
    elif case == "off token boundaries":
        body["annotation"]["result"] = _off_boundary(result)
    elif case == "changed text":
        body["task"]["data"]["text"] = s.text + " !"
    elif case == "no annotation":
        del body["annotation"]
    elif case == "not JSON":
        raw = b"{not json"
    elif case == "not an object":
        body = [body]
    elif case == "result not a list":
        body["annotation"]["result"] = {"start": 0}
    before = dump(project)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="multitag.labelstudio"):
        if raw is not None:
            answer = client.post("/webhook", content=raw, headers={"content-type": "application/json"})
        else:
            answer = client.post("/webhook", json=body)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text)
    assert answer.json()["status"] == "error" and answer.json()["error"]
    lines = [r.getMessage() for r in caplog.records if r.name == "multitag.labelstudio"]
    assert len(lines) == 1 and "\n" not in lines[0] and lines[0].startswith("refused /webhook")
    assert dump(project) == before


def test_a_labelstudio_batch_scores_by_confidence_and_names_the_informativeness(project, tmp_path):
    out = tmp_path / "batch.json"
    r = CliRunner().invoke(main, ["project", "query", project, "--budget", "120", "--format", "labelstudio",
                                  "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    batch = json.loads(out.read_text())
    with Project(project) as p:
        rnd = p.store.rounds.latest_chosen()
        scores = {}
        for q in p.store.queries.of_round(rnd.id):
            scores[q.sentence_id] = max(scores.get(q.sentence_id, -math.inf), q.score)
        model = p.load_model(p.store.models.get(rnd.model_id))
        for t in batch:
            sid = t["data"]["multitag"]["sentence"]
            assert t["data"]["informativeness"] == pytest.approx(scores[sid])
            s = p.store.text.sentence(sid)
            (pred,) = model.predict([Sentence(s.tokens, None, s.pos)])
            assert t["predictions"][0]["score"] == pytest.approx(math.exp(pred.logprob))
    assert any(t["predictions"][0]["score"] != pytest.approx(t["data"]["informativeness"]) for t in batch)


def test_setup_from_another_label_studio_project_is_refused(client):
    assert client.post("/setup", json={"project": "7.1764684000", "schema": ""}).status_code == 200
    other = client.post("/setup", json={"project": "8.1764684000", "schema": ""})
    assert other.status_code == 409 and "serves project 7" in other.json()["error"]


def test_basic_auth_guards_every_endpoint(project):
    with TestClient(create_app(project, basic_auth="ls:secret")) as c:
        assert c.get("/health").status_code == 401
        assert c.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 1}}).status_code == 401
        good = {"Authorization": "Basic " + base64.b64encode(b"ls:secret").decode()}
        wrong = {"Authorization": "Basic " + base64.b64encode(b"ls:guess").decode()}
        assert c.get("/health", headers=wrong).status_code == 401
        assert c.get("/health", headers=good).json()["status"] == "UP"


def test_informativeness_is_the_strategys_sentence_score_or_one_minus_confidence():
    import numpy as np

    from multitag.backend import Prediction
    from multitag.labelstudio.scoring import informativeness

    m = np.array([[0.9, 0.1], [0.6, 0.4], [0.5, 0.5]])
    preds = [Prediction(["O", "O", "O"], m, math.log(0.27)), Prediction(["O"], m[:1], math.log(0.9))]
    assert informativeness("mnlp", preds) == pytest.approx([-math.log(0.27) / 3, -math.log(0.9)])
    assert informativeness("lc", preds) == pytest.approx([0.73, 0.1])
    bt = informativeness("bt-max", preds)      # token scores aggregated: the most uncertain token
    assert bt == pytest.approx([1.0, 0.2])
    assert informativeness("random", preds) == pytest.approx([0.73, 0.1]), "no sentence scores: 1 - confidence"
