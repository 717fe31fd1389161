"""Label Studio compatibility against a real Label Studio server: a project's `labelstudio-config`
makes a Label Studio project, a `query` batch imports with its pre-annotations as predictions,
annotations are submitted through the API as the labeling page submits them, Label Studio's own
export goes back through `multitag project import`, and the project then holds exactly those spans."""
import importlib.util
import json
import os
import shutil

from click.testing import CliRunner

from multitag.cli import main
from multitag.project.project import Project, Settings, init_project
from multitag.project.spans import char_spans_to_tags

pytest_plugins = ("support.labelstudio", "support.browser")

_spec = importlib.util.spec_from_file_location("project_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)
DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs")


def _project_with_a_round(tmp_path, text_file, gold, backend, level, *, seed_tokens=400, params=None):
    path = str(tmp_path / f"p-{level}")
    init_project(path, text_file, Settings(backend=backend, params=params or {}, strategy="bt", level=level,
                                           entity_types=helpers.TYPES, training_mode="auto"))
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    with Project(path) as p:
        p.query(seed_tokens, fmt="jsonl", out=str(tmp_path / "seed.jsonl"))
    helpers.answer_jsonl(str(tmp_path / "seed.jsonl"), str(tmp_path / "seed-answers.jsonl"), by_tokens)
    batch = tmp_path / f"batch-{level}.json"
    r = CliRunner().invoke(main, ["project", "import", path, str(tmp_path / "seed-answers.jsonl")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["project", "query", path, "--budget", "80", "--format", "labelstudio",
                                  "--out", str(batch), "--quiet"])
    assert r.exit_code == 0, r.output
    config = CliRunner().invoke(main, ["project", "labelstudio-config", path]).output
    return path, json.loads(batch.read_text()), config


def _gold_result(task, by_tokens):
    """The regions a careful annotator submits: the gold entities, starting from the prediction."""
    text = task["data"]["text"]
    toks = text.split(" ")
    starts = [sum(len(t) + 1 for t in toks[:k]) for k in range(len(toks))]
    from multitag.project.spans import tags_to_char_spans

    ends = [s + len(t) for s, t in zip(starts, toks)]
    out = []
    for k, (s, e, typ) in enumerate(tags_to_char_spans(by_tokens[tuple(toks)], starts, ends)):
        out.append({"id": f"g{k}abcdef", "from_name": "label", "to_name": "text", "type": "labels", "origin": "manual",
                    "value": {"start": s, "end": e, "text": text[s:e], "labels": [typ]}})
    return out


def _round_trip(tmp_path, labelstudio, text_file, gold, backend, level):
    path, batch, config = _project_with_a_round(tmp_path, text_file, gold, backend, level)
    ls_project = labelstudio.create_project(f"multitag {level}", config)
    summary = labelstudio.import_tasks(ls_project, batch)
    with_prediction = sum(1 for t in batch if t.get("predictions"))
    assert summary["task_count"] == len(batch) and summary["prediction_count"] == with_prediction > 0
    tasks = labelstudio.tasks(ls_project)
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    submitted = {}
    for t in tasks:
        assert t["data"]["multitag"]["project"], "our reference survives the import"
        pred = t["predictions"][0]
        mine = next(b for b in batch if b["data"]["multitag"]["sentence"] == t["data"]["multitag"]["sentence"])
        assert [r["value"] for r in pred["result"]] == [r["value"] for r in mine["predictions"][0]["result"]]
        result = _gold_result(t, by_tokens)
        labelstudio.annotate(t["id"], result, project=ls_project, parent_prediction=pred["id"])
        submitted[t["data"]["multitag"]["sentence"]] = [(r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
                                                       for r in result]
    exported = labelstudio.export(ls_project, "JSON")
    assert len(exported) == len(tasks)
    export_file = tmp_path / f"labelstudio-export-{level}.json"
    export_file.write_text(json.dumps(exported))
    r = CliRunner().invoke(main, ["project", "import", path, str(export_file)])
    assert r.exit_code == 0, r.output
    with Project(path) as p:
        learner, rows = p.learner()
        for sid, spans in submitted.items():
            row = rows[sid - 1]
            want = char_spans_to_tags(row["text"], row["starts"], row["ends"], spans, snap=False, where="test")
            got = learner.pool.tags(sid - 1)
            asked = set(next(b for b in batch if b["data"]["multitag"]["sentence"] == sid)["data"]["multitag"]["asked"])
            if level == "sentence":
                assert got == tuple(want)
            else:  # the asked tokens and the entities over them, as Label Studio returned them
                for k, tag in enumerate(got):
                    if tag is not None:
                        assert tag == want[k]
                assert all(got[k] == want[k] for k in asked)
    return path, ls_project, tasks


def test_label_studio_round_trip_at_sentence_level(tmp_path, labelstudio, text_file, gold, count_backend):
    _round_trip(tmp_path, labelstudio, text_file, gold, count_backend, "sentence")


def test_label_studio_round_trip_at_entity_level(tmp_path, labelstudio, text_file, gold, count_backend):
    _round_trip(tmp_path, labelstudio, text_file, gold, count_backend, "entity")


def test_a_multitag_task_in_the_label_studio_page(tmp_path, labelstudio, chromium_context, text_file, gold):
    """The labeling page draws multitag's pre-annotation (screenshot: docs/labelstudio-task.png when
    MULTITAG_UPDATE_SCREENSHOTS is set)."""
    from support.labelstudio import screenshot_task

    path, batch, config = _project_with_a_round(tmp_path, text_file, gold, "crf", "entity", seed_tokens=1500,
                                                params={"features": "paper"})
    ls_project = labelstudio.create_project("multitag screenshot", config)
    best = max(batch, key=lambda t: len(t["predictions"][0]["result"]) if t.get("predictions") else -1)
    assert best["predictions"][0]["result"], "the model predicts entities in at least one task"
    labelstudio.import_tasks(ls_project, [best])
    (task,) = labelstudio.tasks(ls_project)
    png = tmp_path / "labelstudio-task.png"
    spans = screenshot_task(labelstudio, ls_project, task["id"], png, context=chromium_context)
    assert sorted(spans) == sorted((r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
                                   for r in best["predictions"][0]["result"])
    assert png.stat().st_size > 10_000
    if os.environ.get("MULTITAG_UPDATE_SCREENSHOTS"):
        shutil.copy(png, os.path.join(DOCS, "labelstudio-task.png"))
