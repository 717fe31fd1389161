"""Importing answers: everything is validated before anything is written; each bad input is a
one-line error naming the file and the task or line, and leaves the project's rows unchanged."""
import importlib.util
import json
import os

import pytest
from click.testing import CliRunner

from multitag.cli import main
from multitag.project.project import Project, Settings, init_project

_spec = importlib.util.spec_from_file_location("project_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def _project(tmp_path, text_file, backend, level="sentence", strategy="bt"):
    path = str(tmp_path / f"p-{level}")
    init_project(path, text_file, Settings(backend=backend, params={}, strategy=strategy, level=level,
                                           entity_types=helpers.TYPES, training_mode="mask"))
    return path


def _seed_and_round(tmp_path, path, gold, budget=200):
    """Query the seed set, answer it from gold, and query the next round (JSON Label Studio batch)."""
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    with Project(path) as p:
        p.query(300, fmt="jsonl", out=str(tmp_path / "seed.jsonl"))
    helpers.answer_jsonl(str(tmp_path / "seed.jsonl"), str(tmp_path / "seed-answers.jsonl"), by_tokens)
    with Project(path) as p:
        p.import_file(str(tmp_path / "seed-answers.jsonl"))
        p.query(budget, fmt="labelstudio", out=str(tmp_path / "round.json"))
    return json.loads((tmp_path / "round.json").read_text())


def _ls_export(tasks, spans_of):
    """A Label Studio export of ``tasks``: one annotation per task with the spans ``spans_of(task)``."""
    out = []
    for k, t in enumerate(tasks):
        result = [{"id": f"r{j}", "from_name": "label", "to_name": "text", "type": "labels",
                   "value": {"start": s, "end": e, "text": t["data"]["text"][s:e], "labels": [lab]}}
                  for j, (s, e, lab) in enumerate(spans_of(t))]
        out.append({"id": 100 + k, "data": t["data"], "annotations": [{"id": 500 + k, "completed_by": 7, "result": result,
                                                                        "was_cancelled": False}]})
    return out


def _gold_spans(gold_by_tokens):
    from multitag.project.spans import tags_to_char_spans

    def spans(task):
        d = task["data"]
        toks = d["text"].split(" ")
        starts, pos = [], 0
        for tok in toks:
            starts.append(pos)
            pos += len(tok) + 1
        ends = [s + len(t) for s, t in zip(starts, toks)]
        return tags_to_char_spans(gold_by_tokens[tuple(toks)], starts, ends)

    return spans


def _import(path, file, *extra):
    return CliRunner().invoke(main, ["project", "import", path, str(file), *extra])


def test_a_label_studio_export_annotates_exactly_the_asked_sentences(tmp_path, text_file, gold, count_backend):
    path = _project(tmp_path, text_file, count_backend)
    tasks = _seed_and_round(tmp_path, path, gold)
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    export = tmp_path / "export.json"
    export.write_text(json.dumps(_ls_export(tasks, _gold_spans(by_tokens))))
    r = _import(path, export)
    assert r.exit_code == 0, r.output
    with Project(path) as p:
        learner, rows = p.learner()
        for t in tasks:
            i = t["data"]["multitag"]["sentence"] - 1
            assert learner.pool.tags(i) == tuple(by_tokens[tuple(rows[i]["tokens"])])
        ann = p.store.query("SELECT DISTINCT annotator FROM annotations WHERE import_id IS NOT NULL")
        assert {a[0] for a in ann} == {"scripted", "7"}
    before = helpers.dump(path)
    r = _import(path, export)                      # the same file again: nothing happens
    assert r.exit_code == 0 and "nothing to do" in r.output
    assert helpers.dump(path) == before


def _bad_case(name, tasks):
    t0 = tasks[0]
    text = t0["data"]["text"]
    first = text.split(" ")[0]
    if name == "unknown label":
        return _ls_export(tasks[:1], lambda t: [(0, len(first), "FOOD")]), "unknown label 'FOOD'"
    if name == "off boundary":
        return _ls_export(tasks[:1], lambda t: [(1, len(first), "PER")]), "does not fall on token boundaries"
    if name == "overlap":
        two = len(text.split(" ")[0]) + 1 + len(text.split(" ")[1])
        return _ls_export(tasks[:1], lambda t: [(0, two, "PER"), (0, len(first), "LOC")]), "overlap"
    if name == "other project":
        bad = json.loads(json.dumps(tasks[:1]))
        bad[0]["data"]["multitag"]["project"] = "0" * 32
        return _ls_export(bad, lambda t: []), "belongs to another project"
    if name == "changed text":
        bad = json.loads(json.dumps(tasks[:1]))
        bad[0]["data"]["multitag"]["hash"] = "deadbeefdeadbeef"
        return _ls_export(bad, lambda t: []), "has changed"
    if name == "outside the text":
        return _ls_export(tasks[:1], lambda t: [(0, 10_000, "PER")]), "outside the text"
    raise AssertionError(name)


@pytest.mark.parametrize("case", ["unknown label", "off boundary", "overlap", "other project", "changed text",
                                  "outside the text"])
def test_each_bad_input_is_one_line_and_changes_nothing(tmp_path, text_file, gold, count_backend, case):
    path = _project(tmp_path, text_file, count_backend)
    tasks = _seed_and_round(tmp_path, path, gold)
    good = _ls_export(tasks[1:3], lambda t: [])             # valid tasks before the bad one: not written either
    bad, message = _bad_case(case, tasks)
    export = tmp_path / "export.json"
    export.write_text(json.dumps(good + bad))
    before = helpers.dump(path)
    r = _import(path, export)
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and str(export) in lines[0] and "task 3" in lines[0], lines
    assert helpers.dump(path) == before, "a refused import must leave every row as it was"


def test_snap_widens_spans_to_whole_tokens(tmp_path, text_file, gold, count_backend):
    path = _project(tmp_path, text_file, count_backend)
    tasks = _seed_and_round(tmp_path, path, gold)
    first = tasks[0]["data"]["text"].split(" ")[0]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(_ls_export(tasks[:1], lambda t: [(1, len(first) - 1 or 1, "PER")])))
    assert _import(path, export).exit_code == 2
    r = _import(path, export, "--snap")
    assert r.exit_code == 0, r.output
    with Project(path) as p:
        i = tasks[0]["data"]["multitag"]["sentence"] - 1
        assert p.learner()[0].pool.tags(i)[0] == "B-PER"


def test_a_correction_supersedes_and_history_is_kept(tmp_path, text_file, gold, count_backend):
    path = _project(tmp_path, text_file, count_backend)
    tasks = _seed_and_round(tmp_path, path, gold)
    first = tasks[0]["data"]["text"].split(" ")[0]
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_ls_export(tasks[:1], lambda t: [(0, len(first), "PER")])))
    b.write_text(json.dumps(_ls_export(tasks[:1], lambda t: [(0, len(first), "ORG")])))
    assert _import(path, a).exit_code == 0 and _import(path, b).exit_code == 0
    sid = tasks[0]["data"]["multitag"]["sentence"]
    with Project(path) as p:
        rows = p.store.query("SELECT tag, superseded_by FROM annotations WHERE sentence_id = ? AND token = 0 ORDER BY id", (sid,))
        assert [r["tag"] for r in rows] == ["B-PER", "B-ORG"]
        assert rows[0]["superseded_by"] is not None and rows[1]["superseded_by"] is None
        assert p.learner()[0].pool.tags(sid - 1)[0] == "B-ORG"


@pytest.mark.parametrize("level", ["entity", "token"])
def test_sub_sentence_answers_annotate_the_asked_tokens_and_entities_widen(tmp_path, text_file, gold, count_backend, level):
    path = _project(tmp_path, text_file, count_backend, level=level)
    tasks = _seed_and_round(tmp_path, path, gold, budget=60)
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    export = tmp_path / "export.json"
    export.write_text(json.dumps(_ls_export(tasks, _gold_spans(by_tokens))))
    assert _import(path, export).exit_code == 0
    from multitag.data.entity_spans import entity_spans

    with Project(path) as p:
        learner, rows = p.learner()
        for t in tasks:
            ref = t["data"]["multitag"]
            i = ref["sentence"] - 1
            g = by_tokens[tuple(rows[i]["tokens"])]
            got = learner.pool.tags(i)
            expected = set(ref["asked"])
            if level == "entity":
                for _, a, b in entity_spans(g):
                    if expected & set(range(a, b)):
                        expected |= set(range(a, b))
            assert {k for k, tag in enumerate(got) if tag is not None} == expected
            assert all(got[k] == g[k] for k in expected)


def test_a_file_from_another_format_or_damaged_is_refused(tmp_path, text_file, gold, count_backend):
    path = _project(tmp_path, text_file, count_backend)
    _seed_and_round(tmp_path, path, gold)
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": 1, "annotations": []}]')
    r = _import(path, bad)
    assert r.exit_code == 2 and "task 1" in r.output and "no data" in r.output
    bad.write_text("[{")
    r = _import(path, bad)
    assert r.exit_code == 2 and "not a Label Studio JSON export" in r.output


def test_conll_by_hand_is_matched_by_tokens_and_underscore_is_unannotated(tmp_path, text_file, gold, count_backend):
    path = _project(tmp_path, text_file, count_backend)
    s = gold[5]
    lines = [f"{tok} {tag if k % 2 == 0 else '_'}" for k, (tok, tag) in enumerate(zip(s.tokens, s.tags))]
    f = tmp_path / "hand.conll"
    f.write_text("\n".join(lines) + "\n\n")
    assert _import(path, f).exit_code == 0
    with Project(path) as p:
        got = p.learner()[0].pool.tags(5)
    assert got == tuple(t if k % 2 == 0 else None for k, t in enumerate(s.tags))
    f2 = tmp_path / "unknown.conll"
    f2.write_text("Zzz O\nYyy O\n\n")
    r = _import(path, f2)
    assert r.exit_code == 2 and "no sentence of the project has these tokens" in r.output and "unknown.conll:1" in r.output


def test_answers_imported_while_a_round_is_chosen_are_not_asked_again(tmp_path, text_file, gold, count_backend):
    path = _project(tmp_path, text_file, count_backend)
    _seed_and_round(tmp_path, path, gold)
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    with Project(path) as p:
        learner, rows = p.learner()      # rows read from the store: while it is open
        fresh = [i for i in range(len(rows)) if learner.pool.revealed_counts()[i] == 0][:40]
        fresh_rows = {i: rows[i] for i in fresh}
    hand = tmp_path / "hand.conll"
    hand.write_text("".join("".join(f"{t} {g}\n" for t, g in zip(fresh_rows[i]["tokens"],
                                                                  by_tokens[tuple(fresh_rows[i]["tokens"])]))
                            + "\n" for i in fresh))

    def meanwhile(phase):
        if phase == "predicting the pool and selecting":   # another shell imports while this one selects
            with Project(path) as other:
                other.import_file(str(hand))

    with Project(path) as p:
        round_id, reused = p.choose_round(5000, progress=meanwhile, reuse=False)
        asked = {t.ref.sentence for t in p.round_tasks(round_id)}
    assert asked and not asked & {fresh_rows[i]["id"] for i in fresh}
