"""The JSON API of `multitag serve`: next / answer / undo / skip / status, leases, the token and
cross-site protection, background retraining."""
import importlib.util
import os
import time

from starlette.testclient import TestClient

from multitag.project.project import Project
from multitag.serve.app import create_app

_spec = importlib.util.spec_from_file_location("serve_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


def client(path, **kw):
    app = create_app(path, **kw)
    return TestClient(app, base_url="http://127.0.0.1:8000"), app


def test_next_answer_undo_skip_store_and_restore_annotations(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold)
    c, app = client(path, budget=120, allowed_hosts=["127.0.0.1:8000"])
    h = {"X-Annotator": "alice"}
    first = c.get("/api/next", headers=h).json()
    task = first["task"]
    assert first["status"]["round_kind"] == "seed" and task["tags"] is None      # the seed set has no pre-annotation
    assert c.get("/api/next", headers=h).json()["task"]["lease"] == task["lease"], "a reload shows the same task"
    by_tokens = {tuple(s.tokens): list(s.tags) for s in gold}
    tags = by_tokens[tuple(task["tokens"])]
    r = c.post("/api/answer", json={"lease": task["lease"], "tags": tags}, headers=h)
    assert r.status_code == 200, r.text
    assert c.post("/api/answer", json={"lease": task["lease"], "tags": tags}, headers=h).status_code == 409
    with Project(path) as p:
        i = task["sentence"] - 1
        assert p.learner()[0].pool.tags(i) == tuple(tags)
    second = c.get("/api/next", headers=h).json()["task"]
    assert second["sentence"] != task["sentence"]
    # undo: the answer is retracted (kept as history) and the task comes back
    u = c.post("/api/undo", json={}, headers=h).json()
    assert u["undo"]["sentence"] == task["sentence"] and u["task"]["sentence"] == task["sentence"]
    assert u["task"]["draft"] == tags, "the undone answer comes back for editing"
    assert c.get("/api/next", headers=h).json()["task"]["draft"] == tags, "a reload keeps the draft"
    with Project(path) as p:
        assert all(t is None for t in p.learner()[0].pool.tags(task["sentence"] - 1))
        retracted = p.store.query("SELECT COUNT(*) FROM annotations WHERE retracted IS NOT NULL")[0][0]
        assert retracted == len(tags)
    # skip: not shown to alice again in this round, but bob gets it
    s = c.post("/api/skip", json={"lease": u["task"]["lease"]}, headers=h)
    assert s.status_code == 200
    assert c.get("/api/next", headers=h).json()["task"]["sentence"] != task["sentence"]
    seen_by_bob = {c.get("/api/next", headers={"X-Annotator": "bob"}).json()["task"]["sentence"]}
    assert seen_by_bob != {second["sentence"]}, "bob never gets the task alice holds"
    app.state.loop.close()


def test_two_annotators_never_hold_the_same_task_and_leases_expire(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold)
    c, app = client(path, budget=120, lease_seconds=0.5)
    a = c.get("/api/next", headers={"X-Annotator": "alice"}).json()["task"]
    b = c.get("/api/next", headers={"X-Annotator": "bob"}).json()["task"]
    assert a["sentence"] != b["sentence"]
    time.sleep(0.6)
    carol = c.get("/api/next", headers={"X-Annotator": "carol"}).json()["task"]
    assert carol["sentence"] == a["sentence"], "an expired lease frees its task (the best-ranked one)"
    r = c.post("/api/answer", json={"lease": a["lease"], "tags": ["O"] * len(a["tokens"])}, headers={"X-Annotator": "alice"})
    assert r.status_code == 409 and "another annotator holds" in r.json()["error"]
    app.state.loop.close()


def test_the_token_is_required_and_cross_site_posts_are_refused(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold)
    c, app = client(path, token="s3cret", budget=80, allowed_hosts=["127.0.0.1:8000"])
    assert c.get("/api/next").status_code == 401
    assert c.get("/api/status", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.get("/").status_code == 401
    assert c.get("/?token=s3cret").status_code == 200
    assert c.get("/").status_code == 200, "a reload of the page is authenticated by its cookie"
    assert c.get("/api/next").status_code == 401, "the cookie never authenticates the API"
    c.cookies.clear()
    auth = {"Authorization": "Bearer s3cret"}
    task = c.get("/api/next", headers=auth).json()["task"]
    body = {"lease": task["lease"], "tags": ["O"] * len(task["tokens"])}
    assert c.post("/api/answer", data="lease=1", headers={**auth, "Content-Type": "application/x-www-form-urlencoded"}).status_code == 403
    assert c.post("/api/answer", json=body, headers={**auth, "Origin": "http://evil.example"}).status_code == 403
    assert c.post("/api/answer", json=body, headers={**auth, "Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert c.get("/api/status", headers={**auth, "Host": "evil.example:8000"}).status_code == 403   # DNS rebinding
    assert c.post("/api/answer", json=body, headers={**auth, "Origin": "http://127.0.0.1:8000"}).status_code == 200
    app.state.loop.close()


def test_bad_requests_are_clear_errors(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold)
    c, app = client(path, budget=80)
    task = c.get("/api/next").json()["task"]
    r = c.post("/api/answer", json={"lease": task["lease"], "tags": ["B-FOOD"] + ["O"] * (len(task["tokens"]) - 1)})
    assert r.status_code == 400 and "unknown label 'FOOD'" in r.json()["error"]
    r = c.post("/api/answer", json={"lease": task["lease"], "tags": ["O"] * (len(task["tokens"]) + 1)})
    assert r.status_code == 400 and "tags for the" in r.json()["error"]
    assert c.post("/api/answer", json={"lease": 99999, "tags": []}).status_code == 404
    assert c.post("/api/undo", json={}).status_code == 409
    r = c.post("/api/answer", content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "not JSON" in r.json()["error"]
    app.state.loop.close()


def test_after_n_answers_a_background_retrain_reorders_the_queue(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold)
    c, app = client(path, budget=150, retrain_every=4)
    by_tokens = {tuple(s.tokens): list(s.tags) for s in gold}
    h = {"X-Annotator": "alice"}
    for _ in range(int(1e6)):                      # answer the seed round whole
        t = c.get("/api/next", headers=h).json()["task"]
        if t is None or c.get("/api/status").json()["round_kind"] != "seed":
            break
        c.post("/api/answer", json={"lease": t["lease"], "tags": by_tokens[tuple(t["tokens"])]}, headers=h)
    loop = app.state.loop
    loop.wait(timeout=120)
    loop.answers = 0          # count the next answers from here (earlier ones may have started retrains)
    status = c.get("/api/status").json()
    assert status["round_kind"] == "query" and status["model_f1"] is not None
    first_round = status["round"]
    with Project(path) as p:
        old_order = [t.ref.sentence for t in p.round_tasks(first_round)]
    seen = []
    for _ in range(4):                             # four answers: a retrain starts
        t = c.get("/api/next", headers=h).json()["task"]
        seen.append(t["sentence"])
        c.post("/api/answer", json={"lease": t["lease"], "tags": by_tokens[tuple(t["tokens"])]}, headers=h)
    assert seen == old_order[:4], "the queue is served in the round's rank order"
    assert loop.retraining or loop.rounds_started >= 2
    busy = loop.retraining
    t_next = c.get("/api/next", headers=h).json()["task"]   # the page never waits for the training
    assert t_next is not None
    if busy and loop.retraining:
        assert t_next["round"] == first_round, "while the model retrains, the old queue goes on"
    loop.wait(timeout=120)
    status = c.get("/api/status").json()
    assert status["round"] > first_round and status["model_round"] == status["round"]
    with Project(path) as p:
        new_order = [t.ref.sentence for t in p.round_tasks(status["round"])]
        # the new round ranks what is unannotated now, with the model trained on every answer so far
        learner, _ = p.learner()
        assert not set(new_order) & set(seen)
    remaining_old = [s for s in old_order if s not in seen and s != t_next["sentence"]]
    assert new_order[: len(remaining_old)] != remaining_old, "the unanswered queue was re-scored and re-ordered"
    t_after = c.get("/api/next", headers=h).json()["task"]
    assert t_after["sentence"] == t_next["sentence"], "a held task stays with its annotator"
    loop.close()


def _answer_next(c, h, by_tokens) -> dict:
    """Answer the annotator's next task with its gold tags; the task."""
    t = c.get("/api/next", headers=h).json()["task"]
    r = c.post("/api/answer", json={"lease": t["lease"], "tags": by_tokens[tuple(t["tokens"])]}, headers=h)
    assert r.status_code == 200, r.text
    return t


def test_retrain_every_counts_net_answers_an_undone_answer_does_not_count(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold)
    c, app = client(path, budget=150, retrain_every=3)
    loop = app.state.loop
    h = {"X-Annotator": "alice"}
    by_tokens = {tuple(s.tokens): list(s.tags) for s in gold}

    def answer():
        return _answer_next(c, h, by_tokens)

    answer(); answer()
    assert c.post("/api/undo", json={}, headers=h).status_code == 200
    answer()                              # the undone task answered again: two net answers
    assert loop.answers == 2 and loop.rounds_started == 0, "an undone answer does not count"
    answer()
    assert loop.rounds_started == 1, "the third net answer starts the retrain"
    loop.wait(timeout=120)
    loop.close()


def test_a_retrain_re_ranks_the_unanswered_queue_and_drops_none_of_it(tmp_path, gold):
    from multitag.serve import tasks

    path = helpers.make_project(tmp_path, gold)
    c, app = client(path, budget=200, retrain_every=5)
    by_tokens = {tuple(s.tokens): list(s.tags) for s in gold}
    h = {"X-Annotator": "alice"}
    with Project(path) as p:
        seed = p.store.rounds.latest_chosen().id
        seed_sentences = [t["sentence"] for t in tasks.round_tasks(p.store, seed)]
    answered = [_answer_next(c, h, by_tokens)["sentence"] for _ in range(5)]
    loop = app.state.loop
    loop.wait(timeout=120)
    assert loop.last_error is None
    status = c.get("/api/status", headers=h).json()
    assert status["round"] > seed
    unanswered_seed = [s for s in seed_sentences if s not in answered]
    with Project(path) as p:
        queue = [t["sentence"] for t in tasks.open_tasks(p.store)]
        new_round = [t["sentence"] for t in tasks.round_tasks(p.store, status["round"])]
    assert set(unanswered_seed) <= set(queue), "no unanswered task of the old round is dropped"
    assert queue[: len(new_round)] == new_round, "the queue follows the new model's ranking"
    assert queue[len(new_round):] == [s for s in unanswered_seed if s not in new_round], \
        "then the old tasks it ranked lower, in their old order"
    with Project(path) as p:
        asked_new = sum(len(t["asked"]) for t in tasks.round_tasks(p.store, status["round"]))
        asked_old = sum(len(t["asked"]) for t in tasks.round_tasks(p.store, seed) if t["sentence"] in unanswered_seed)
    assert asked_new >= 200 + asked_old - 60, "the new round ranks as many tokens as were open, plus the budget"
    assert status["queue_tasks"] == len(queue)
    t = c.get("/api/next", headers=h).json()["task"]
    assert (t["sentence"], t["round"], t["rank"]) == (new_round[0], status["round"], 1)
    loop.close()


def test_a_history_item_reopened_and_corrected_supersedes_and_keeps_the_old_answer(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold)
    c, app = client(path, budget=120, retrain_every=50)
    by_tokens = {tuple(s.tokens): list(s.tags) for s in gold}
    h = {"X-Annotator": "alice"}
    first = c.get("/api/next", headers=h).json()["task"]
    while not any(t != "O" for t in by_tokens[tuple(first["tokens"])]):     # a sentence with entities
        c.post("/api/skip", json={"lease": first["lease"]}, headers=h)
        first = c.get("/api/next", headers=h).json()["task"]
    right = by_tokens[tuple(first["tokens"])]
    wrong = ["O"] * len(right)
    c.post("/api/answer", json={"lease": first["lease"], "tags": wrong}, headers=h)
    second = c.get("/api/next", headers=h).json()["task"]
    c.post("/api/answer", json={"lease": second["lease"], "tags": by_tokens[tuple(second["tokens"])]}, headers=h)
    held = c.get("/api/next", headers=h).json()["task"]
    hist = c.get("/api/history", headers=h).json()["history"]
    assert [x["sentence"] for x in hist] == [second["sentence"], first["sentence"]]
    assert hist[1]["entities"] == [] and not hist[1]["corrected"]
    assert c.post("/api/reopen", json={"lease": first["lease"]}, headers={"X-Annotator": "bob"}).status_code == 404
    r = c.post("/api/reopen", json={"lease": first["lease"]}, headers=h).json()
    task = r["task"]
    assert task["sentence"] == first["sentence"] and task["draft"] == wrong, "the answer comes back to correct"
    a = c.post("/api/answer", json={"lease": task["lease"], "tags": right}, headers=h).json()
    assert a["answer"]["correction"] and a["status"]["my_answers"] == 2, "a correction is not another answer"
    assert app.state.loop.answers == 2
    assert c.get("/api/next", headers=h).json()["task"]["lease"] == held["lease"], "then the held task again"
    hist = c.get("/api/history", headers=h).json()["history"]
    assert hist[0]["sentence"] == first["sentence"] and hist[0]["corrected"]
    assert [e[2] for e in hist[0]["entities"]] == [typ for typ in (t[2:] for t in right if t.startswith("B-"))]
    with Project(path) as p:
        assert p.learner()[0].pool.tags(first["sentence"] - 1) == tuple(right)
        rows = p.store.query("SELECT tag, superseded_by FROM annotations WHERE sentence_id = ? ORDER BY id",
                             (first["sentence"],))
        changed = sum(1 for t in right if t != "O")
        assert len(rows) == len(right) + changed, "the old answer stays, as history"
        assert sum(1 for r in rows if r["superseded_by"] is not None) == changed
    app.state.loop.close()


def test_a_task_shows_the_sentences_around_it_in_its_document(tmp_path):
    from multitag.project.project import Settings, init_project

    text = tmp_path / "docs.txt"
    text.write_text("Anna met Bob in Paris . They went to Rome . Then Bob left .\n"
                    "Carl lives in Oslo . He likes Bergen .\n")
    path = str(tmp_path / "p")
    init_project(path, str(text), Settings(backend="crf", params={"max_iterations": 5}, strategy="mnlp",
                                           entity_types=helpers.TYPES, tokenizer="spacy"), documents=True)
    c, app = client(path, budget=100)
    with Project(path) as p:
        rows = {r.id: r for r in p.store.text.sentences()}
    seen = 0
    for _ in range(len(rows)):
        t = c.get("/api/next").json()["task"]
        if t is None:
            break
        row = rows[t["sentence"]]
        before, after = rows.get(row.id - 1), rows.get(row.id + 1)
        assert t["context"] == {
            "before": before.text if before and before.document_id == row.document_id else None,
            "after": after.text if after and after.document_id == row.document_id else None}
        seen += t["context"]["before"] is not None and t["context"]["after"] is not None
        c.post("/api/skip", json={"lease": t["lease"]})
    assert len(rows) == 5 and seen == 1, "only the middle sentence of the first document has both neighbours"
    app.state.loop.close()


def test_the_active_seconds_of_an_answer_are_stored_and_summed(tmp_path, gold):
    path = helpers.make_project(tmp_path, gold)
    c, app = client(path, budget=120, retrain_every=50)
    by_tokens = {tuple(s.tokens): list(s.tags) for s in gold}
    h = {"X-Annotator": "alice"}
    for seconds in (12.5, 7.5):
        t = c.get("/api/next", headers=h).json()["task"]
        body = {"lease": t["lease"], "tags": by_tokens[tuple(t["tokens"])], "active_seconds": seconds}
        assert c.post("/api/answer", json={**body, "active_seconds": -1}, headers=h).status_code == 400
        s = c.post("/api/answer", json=body, headers=h).json()["status"]
    assert (s["my_timed_answers"], s["my_active_seconds"], s["active_seconds"]) == (2, 20.0, 20.0)
    c.post("/api/undo", json={}, headers=h)
    s = c.get("/api/status", headers=h).json()
    assert (s["my_timed_answers"], s["my_active_seconds"]) == (1, 12.5), "an undone answer's time is not counted"
    app.state.loop.close()
