"""A rejection given in teach mode reaches training: the project's replay puts it on its sentence
in the labeled set (so a backend that learns from rejections does), and it changes the labeled
fingerprint (so a model is not reused as if nothing had changed)."""
import importlib.util
import os

from starlette.testclient import TestClient

from multitag.project.project import Project
from multitag.project.replay import labeled_hash, replay
from multitag.serve.app import create_app

_spec = importlib.util.spec_from_file_location("serve_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def test_a_stored_rejection_is_in_the_training_set_of_the_next_retrain(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold, level="entity", strategy="bt")
    helpers.answer_the_seed_set(tmp_path, path, gold)
    with Project(path) as p:
        p.choose_round(60)
        before = labeled_hash(p.store)
    app = create_app(path, budget=60, retrain_every=100)
    c = TestClient(app, base_url="http://127.0.0.1:8000")
    t = c.get("/api/next", headers={"X-Annotator": "tess"}).json()["task"]
    s = t["suggestion"]
    r = c.post("/api/decide", json={"lease": t["lease"], "decision": "reject", "start": s["start"], "end": s["end"],
                                    "label": s["label"]}, headers={"X-Annotator": "tess"})
    assert r.status_code == 200, r.text
    app.state.loop.close()
    with Project(path) as p:
        assert labeled_hash(p.store) != before
        learner, rows = replay(p)
        labeled = {s.id: s for s in learner.pool.labeled()}   # before the training mode (crf: drop)
        assert labeled[str(t["sentence"])].rejected == ((s["start"], s["end"], s["label"]),)
        assert sum(len(x.rejected) for x in labeled.values()) == 1
