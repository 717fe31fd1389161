"""One rule for an entity that would start with I-: the annotation page (422) and `project import`
(one error line) refuse it with the same reason, judged against what the store holds."""
import importlib.util
import json
import os

from click.testing import CliRunner
from starlette.testclient import TestClient

from multitag.cli import main
from multitag.project.project import Project
from multitag.serve.app import create_app

_spec = importlib.util.spec_from_file_location("serve_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def _hand_file(path, tokens, tags):
    with open(path, "w") as f:      # the file's name in it: two files with the same tags are two imports
        f.write(json.dumps({"tokens": tokens, "tags": tags, "annotator": os.path.basename(path)}) + "\n")
    return str(path)


def _import(project, file):
    return CliRunner().invoke(main, ["project", "import", project, file])


def test_an_i_tag_after_a_stored_o_is_refused_by_the_page_and_by_import_alike(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold, level="token", strategy="bt")
    helpers.answer_the_seed_set(tmp_path, path, gold, budget=400)     # then a token-level round
    with Project(path) as p:
        p.choose_round(200)
    c = TestClient(create_app(path, budget=200), base_url="http://127.0.0.1:8000")
    for _ in range(50):                       # a task with an asked token whose left neighbour is not asked
        task = c.get("/api/next").json()["task"]
        assert task["unit"] == "token"
        free = [a for a in task["asked"] if a > 0 and a - 1 not in task["asked"] and task["annotated"][a - 1] is None]
        if free:
            break
        c.post("/api/skip", json={"lease": task["lease"]})
    a, tokens = free[0], task["tokens"]
    before = [None] * len(tokens)
    before[a - 1] = "O"                        # the left neighbour is O in the store (annotated by hand)
    assert _import(path, _hand_file(tmp_path / "o.jsonl", tokens, before)).exit_code == 0
    reason = f"token {a + 1}: 'I-PER' after O would start an entity with I-; an entity starts with B-PER"

    tags = [None] * len(tokens)
    for t in task["asked"]:
        tags[t] = "O"
    tags[a] = "I-PER"
    r = c.post("/api/answer", json={"lease": task["lease"], "tags": tags})
    assert r.status_code == 422 and r.json()["error"].endswith(reason), r.text

    only = [None] * len(tokens)
    only[a] = "I-PER"
    f = _hand_file(tmp_path / "i.jsonl", tokens, only)
    r = _import(path, f)
    assert r.exit_code != 0 and r.output.strip().endswith(reason) and f in r.output, r.output
    with Project(path) as p:
        sid = task["sentence"]
        assert p.store.annotations.current_tags(sid) == {a - 1: "O"}, "nothing of either answer was stored"

    # a correction that would cut a stored entity, leaving its I- behind, is refused too
    ent = [None] * len(tokens)
    ent[a - 1], ent[a] = "B-LOC", "I-LOC"
    assert _import(path, _hand_file(tmp_path / "ent.jsonl", tokens, ent)).exit_code == 0
    cut = [None] * len(tokens)
    cut[a - 1] = "O"
    r = _import(path, _hand_file(tmp_path / "cut.jsonl", tokens, cut))
    assert r.exit_code != 0 and f"token {a + 1}: 'I-LOC' after O would start an entity with I-" in r.output
    with Project(path) as p:
        assert p.store.annotations.current_tags(sid) == {a - 1: "B-LOC", a: "I-LOC"}
    c.app.state.loop.close()
