"""`project import` refuses what it does not understand, as one line naming the file and the task or
line, and stores nothing: malformed Label Studio results, tags that are not IOB2, fields of the wrong
JSON type; and two imports of one file started together import it once, without a traceback."""
import importlib.util
import json
import os
import threading

import pytest

from multitag.errors import MultitagError
from multitag.project.project import Project

_here = os.path.dirname(__file__)


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(_here, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


helpers = _load("project_conftest_r", "conftest.py")
ti = _load("project_test_import_r", "test_import.py")


@pytest.fixture
def setup(tmp_path, text_file, gold, count_backend):
    path = ti._project(tmp_path, text_file, count_backend)
    tasks = ti._seed_and_round(tmp_path, path, gold, budget=60)
    return path, tasks


def _ann(task, result, **extra):
    return {"id": 100, "data": task["data"], "annotations": [{"id": 500, "completed_by": 7, "result": result,
                                                               "was_cancelled": False, **extra}]}


def _res(start, end, label="PER", type_="labels", text=""):
    return {"id": "r", "from_name": "label", "to_name": "text", "type": type_,
            "value": {"start": start, "end": end, "text": text, "labels": [label]}}


def _first_len(task):
    return len(task["data"]["text"].split(" ")[0])


def _labelstudio(tasks, case):
    t = tasks[0]
    n = _first_len(t)
    if case == "result is a string":
        return [_ann(t, "PER")], "\"result\" must be a list"
    if case == "type Labels":
        return [_ann(t, [_res(0, n, type_="Labels")])], "'Labels' is not understood"
    if case == "value is a list":
        r = _res(0, n)
        r["value"] = [0, n, "PER"]
        return [_ann(t, [r])], "\"value\" must be an object"
    if case == "mixed span starts":
        second = n + 1 + len(t["data"]["text"].split(" ")[1])
        return [_ann(t, [_res("0", n), _res(n + 1, second)])], "must be integers"
    if case == "float span start":
        return [_ann(t, [_res(0.0, n)])], "must be integers"
    if case == "queries is a string":
        bad = json.loads(json.dumps(t))
        bad["data"]["multitag"]["queries"] = "12"
        return [_ann(bad, [])], "\"queries\" must be a list of integers"
    if case == "one object":
        return _ann(t, []), "a JSON list of tasks; this file holds one object"
    raise AssertionError(case)


def _refused(path, file, message, where):
    before = helpers.dump(path)
    r = ti._import(path, file)
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert message in lines[0] and where in lines[0], lines
    assert helpers.dump(path) == before, "a refused import must store nothing"


@pytest.mark.parametrize("case", ["result is a string", "type Labels", "value is a list", "mixed span starts",
                                  "float span start", "queries is a string", "one object"])
def test_a_malformed_label_studio_export_is_refused(tmp_path, setup, case):
    path, tasks = setup
    data, message = _labelstudio(tasks, case)
    export = tmp_path / "export.json"
    export.write_text(json.dumps(data))
    _refused(path, export, message, str(export))


def test_an_empty_result_is_an_answer_with_no_entities(tmp_path, setup):
    path, tasks = setup
    export = tmp_path / "export.json"
    export.write_text(json.dumps([_ann(tasks[0], [])]))
    r = ti._import(path, export)
    assert r.exit_code == 0, r.output
    sid = tasks[0]["data"]["multitag"]["sentence"]
    with Project(path) as p:
        tags = {row[0] for row in p.store.query("SELECT tag FROM annotations WHERE sentence_id = ? AND superseded_by "
                                                "IS NULL", (sid,))}
    assert tags == {"O"}


def test_annotation_ids_of_mixed_types_pick_the_latest_without_a_traceback(tmp_path, setup):
    path, tasks = setup
    t = tasks[0]
    n = _first_len(t)
    d = _ann(t, [])
    d["annotations"].append({"id": "x7", "completed_by": 8, "result": [_res(0, n)], "was_cancelled": False})
    export = tmp_path / "export.json"
    export.write_text(json.dumps([d]))
    r = ti._import(path, export)
    assert r.exit_code == 0, r.output


def _seed_line(tmp_path):
    with open(tmp_path / "seed.jsonl") as fh:
        return next(d for d in map(json.loads, fh) if len(d["tokens"]) >= 3)


def test_jsonl_tags_that_are_not_iob2_are_refused(tmp_path, setup):
    path, _ = setup
    d = _seed_line(tmp_path)
    d["tags"] = ["I-PER"] + ["I-LOC"] + ["O"] * (len(d["tokens"]) - 2)
    f = tmp_path / "answers.jsonl"
    f.write_text(json.dumps(d) + "\n")
    _refused(path, f, "not valid IOB2", f"{f}:")


def test_conll_tags_that_are_not_iob2_are_refused_at_their_line(tmp_path, setup, gold):
    path, _ = setup
    s = gold[3]
    tags = ["O"] * len(s.tokens)
    tags[1] = "I-PER"
    f = tmp_path / "hand.conll"
    f.write_text("-DOCSTART- -X- O O\n\n" + "".join(f"{tok}\t{tag}\n" for tok, tag in zip(s.tokens, tags)) + "\n")
    _refused(path, f, "'I-PER' after O is not valid IOB2", f"{f}:4")


def test_a_jsonl_reference_with_a_string_for_queries_is_refused(tmp_path, setup):
    path, _ = setup
    d = _seed_line(tmp_path)
    d["multitag"]["queries"] = "12"
    f = tmp_path / "answers.jsonl"
    f.write_text(json.dumps(d) + "\n")
    _refused(path, f, "\"queries\" must be a list of integers", f"{f}:1")


@pytest.mark.parametrize("label,message", [(["0", 3, "PER"], "must be integers"), ([0.0, 3, "PER"], "must be integers"),
                                           ([0, 3, 7], "TYPE must be a string")])
def test_doccano_spans_of_the_wrong_type_are_refused(tmp_path, setup, label, message):
    path, tasks = setup
    t = tasks[0]
    n = _first_len(t)
    label = [label[0], n, label[2]]
    f = tmp_path / "doccano.jsonl"
    f.write_text(json.dumps({"text": t["data"]["text"], "label": [label, [n + 1, n + 2, "LOC"]],
                             "multitag": t["data"]["multitag"]}) + "\n")
    _refused(path, f, message, f"{f}:1")


def test_two_imports_of_one_file_started_together_import_it_once(tmp_path, setup, gold):
    path, tasks = setup
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    for trial in range(4):
        export = tmp_path / f"export{trial}.json"
        export.write_text(json.dumps(ti._ls_export(tasks, ti._gold_spans(by_tokens))) + "\n" * (trial + 1))
        barrier = threading.Barrier(2, timeout=30)
        results, errors = [], []

        def run():
            try:
                with Project(path) as p:
                    barrier.wait()
                    results.append(p.import_file(str(export)))
            except Exception as e:      # noqa: BLE001 - the test reports it
                errors.append(e)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert not errors, errors
        assert sum(1 for r in results if not r.get("already")) == 1, results
        with Project(path) as p:
            assert len(p.store.query("SELECT id FROM imports WHERE path = ?", (os.path.abspath(export),))) == 1


def test_a_single_pretty_printed_label_studio_task_is_named_as_such(tmp_path, setup):
    path, tasks = setup
    export = tmp_path / "export.json"
    export.write_text(json.dumps(_ann(tasks[0], []), indent=1))
    _refused(path, export, "a JSON list of tasks; this file holds one object", str(export))


def test_check_answer_tags_is_the_readers_iob2_rule():
    from multitag.project.spans import check_answer_tags

    check_answer_tags(["B-PER", "I-PER", "O", None, "I-LOC"], "f:1")      # after a gap anything may follow
    with pytest.raises(MultitagError, match=r"^f:1: token 2: 'I-LOC' after B-PER is not valid IOB2$"):
        check_answer_tags(["B-PER", "I-LOC"], "f:1")
    with pytest.raises(MultitagError, match=r"^f:7: 'E-PER' is not allowed in IOB2|^f:7: tag 'E-PER'"):
        check_answer_tags(["O", "E-PER"], lambda i: f"f:{6 + i}")
