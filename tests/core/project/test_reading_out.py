"""status, export and export-model read a project out; doccano's own examples import as doccano
documents them."""
import importlib.util
import json
import os

from click.testing import CliRunner

from multitag.cli import main
from multitag.data import load_dataset
from multitag.project.formats import doccano
from multitag.project.project import Project, Settings, init_project

_spec = importlib.util.spec_from_file_location("project_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def _two_rounds(tmp_path, text_file, gold, backend, eval_file=None):
    path = str(tmp_path / "p")
    init_project(path, text_file, Settings(backend=backend, params={}, strategy="mnlp", level="sentence",
                                           entity_types=helpers.TYPES), eval_file=eval_file)
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    for k, budget in enumerate((300, 200)):
        with Project(path) as p:
            p.query(budget, fmt="jsonl", out=str(tmp_path / f"b{k}.jsonl"))
        helpers.answer_jsonl(str(tmp_path / f"b{k}.jsonl"), str(tmp_path / f"a{k}.jsonl"), by_tokens)
        with Project(path) as p:
            p.import_file(str(tmp_path / f"a{k}.jsonl"))
    with Project(path) as p:
        p.query(100, fmt="jsonl", out=str(tmp_path / "b2.jsonl"))   # trains the model on both rounds
    return path


def test_status_reports_rounds_time_labels_and_the_gold_curve(tmp_path, text_file, gold, count_backend, data_dir):
    path = _two_rounds(tmp_path, text_file, gold, count_backend, eval_file=os.path.join(data_dir, "test.txt"))
    r = CliRunner().invoke(main, ["project", "status", path, "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.output)
    assert [x["kind"] for x in s["rounds"]] == ["seed", "query", "query"]
    assert s["rounds"][0]["annotated_tokens"] >= 300 and s["rounds"][1]["annotated_tokens"] >= 200
    assert s["annotated_tokens"] == s["rounds"][0]["annotated_tokens"] + s["rounds"][1]["annotated_tokens"]
    assert s["complete_sentences"] == s["touched_sentences"] and s["estimated_hours"] > 0
    assert sum(s["entity_types"].values()) == s["entities"] and set(s["entity_types"]) <= set(helpers.TYPES)
    assert [c["round"] for c in s["curve"]] == [2, 3] and all(0 <= c["f1"] <= 1 for c in s["curve"])
    assert s["curve"][0]["train_tokens"] < s["curve"][1]["train_tokens"]
    assert os.path.getsize(s["png"]) > 1000
    text = CliRunner().invoke(main, ["project", "status", path]).output
    assert "estimated annotation time" in text and "learning curve on the gold set" in text


def test_export_writes_current_annotations_and_the_model_evaluates(tmp_path, text_file, gold, count_backend, data_dir):
    path = _two_rounds(tmp_path, text_file, gold, count_backend)
    out = tmp_path / "export.conll"
    r = CliRunner().invoke(main, ["project", "export", path, "--format", "conll", "--out", str(out), "--only-complete"])
    assert r.exit_code == 0, r.output
    exported = load_dataset(str(out)).train
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    assert len(exported) > 10 and all(by_tokens[tuple(s.tokens)] == s.tags for s in exported)
    for fmt in ("jsonl", "labelstudio", "doccano"):
        f = tmp_path / f"export.{fmt}"
        assert CliRunner().invoke(main, ["project", "export", path, "--format", fmt, "--out", str(f)]).exit_code == 0
        assert f.stat().st_size > 0
    model = tmp_path / "model"
    r = CliRunner().invoke(main, ["project", "export-model", path, "--out", str(model)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["evaluate", "--model", str(model), "--data", os.path.join(data_dir, "test.txt")])
    assert r.exit_code == 0 and "F1=" in r.output, r.output


def test_doccano_documented_examples_read_as_spans(tmp_path):
    # the sequence-labeling examples of doccano's documentation (import and export JSONL)
    f = tmp_path / "doccano.jsonl"
    f.write_text('{"text": "EU rejects German call to boycott British lamb.", "label": [[0, 2, "ORG"], [11, 17, "MISC"], '
                 '[34, 41, "MISC"]]}\n'
                 '{"id": 7, "text": "Peter Blackburn", "label": [[0, 15, "PER"]], "Comments": []}\n'
                 '{"text": "BRUSSELS 1996-08-22", "labels": [[0, 8, "LOC"]], "username": "ann"}\n'
                 '{"text": "Google was founded by Larry Page.", "entities": [{"id": 0, "start_offset": 0, '
                 '"end_offset": 6, "label": "ORG"}, {"id": 1, "start_offset": 22, "end_offset": 32, "label": "PER"}], '
                 '"relations": [{"from_id": 1, "to_id": 0, "type": "founded"}]}\n')
    tasks = doccano.read_answers(str(f))
    assert [t.spans for t in tasks] == [[(0, 2, "ORG"), (11, 17, "MISC"), (34, 41, "MISC")], [(0, 15, "PER")],
                                        [(0, 8, "LOC")], [(0, 6, "ORG"), (22, 32, "PER")]]
    assert tasks[2].annotator == "ann"
    assert all(t.ref is None for t in tasks)


def test_a_doccano_round_trip_annotates_the_project(tmp_path, text_file, gold, count_backend):
    path = str(tmp_path / "p")
    init_project(path, text_file, Settings(backend=count_backend, params={}, strategy="mnlp", level="sentence",
                                           entity_types=helpers.TYPES))
    with Project(path) as p:
        p.query(200, fmt="doccano", out=str(tmp_path / "batch.jsonl"))
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    from multitag.project.spans import tags_to_char_spans

    lines = []
    for line in open(tmp_path / "batch.jsonl"):
        d = json.loads(line)
        toks = d["text"].split(" ")
        starts = [sum(len(t) + 1 for t in toks[:k]) for k in range(len(toks))]
        ends = [s + len(t) for s, t in zip(starts, toks)]
        spans = tags_to_char_spans(by_tokens[tuple(toks)], starts, ends)
        # doccano's export: the spans the annotator kept, our keys nested under "meta" (older doccano)
        lines.append(json.dumps({"id": len(lines) + 1, "text": d["text"], "label": [list(x) for x in spans],
                                 "meta": {"multitag": d["multitag"]}}))
    (tmp_path / "export.jsonl").write_text("\n".join(lines) + "\n")
    r = CliRunner().invoke(main, ["project", "import", path, str(tmp_path / "export.jsonl"), "--format", "doccano"])
    assert r.exit_code == 0, r.output
    with Project(path) as p:
        learner, rows = p.learner()
        for i in learner.pool.touched():
            assert learner.pool.tags(int(i)) == tuple(by_tokens[tuple(rows[int(i)]["tokens"])])
