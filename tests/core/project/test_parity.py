"""Simulation parity: a project driven by a scripted annotator that answers from gold tags makes,
round for round, the selections of `multitag compare` with the same seed, strategy and level."""
import importlib.util
import os

import pytest

from multitag.experiments.config import ExperimentConfig
from multitag.experiments.results import ResultsStore
from multitag.experiments.runner import run_experiment
from multitag.project.project import Project, Settings, init_project

_spec = importlib.util.spec_from_file_location("project_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

ROUNDS, SEED_PCT, ROUND_PCT = 3, 10, 4


@pytest.mark.parametrize("level,strategy", [("sentence", "mnlp"), ("sentence", "random"), ("entity", "bt"),
                                            ("token", "tlc")])
def test_a_scripted_project_makes_the_selections_of_compare(tmp_path, count_backend, gold, text_file, data_dir,
                                                           level, strategy):
    seed = 2
    config = ExperimentConfig(data=data_dir, backends=[count_backend], strategies=[strategy], seeds=[seed],
                              levels=[level], training_modes=["mask"], initial_size=f"{SEED_PCT}%",
                              schedule=f"{ROUND_PCT}%x{ROUNDS}", valid="none", query_mode="batch")
    run_experiment(config, str(tmp_path / "sim"), progress=False)
    sim = sorted(ResultsStore(str(tmp_path / "sim" / "results.jsonl")).load(), key=lambda r: r.iteration)
    pool_tokens = sum(len(s) for s in gold)

    project = str(tmp_path / "project")
    init_project(project, text_file, Settings(backend=count_backend, params={}, strategy=strategy, level=level,
                                              entity_types=helpers.TYPES, seed=seed, training_mode="mask"))
    by_tokens = {tuple(s.tokens): s.tags for s in gold}
    ids = {i + 1: s.id for i, s in enumerate(gold)}    # project sentence id -> simulation id
    budgets = [round(pool_tokens * SEED_PCT / 100)] + [round(pool_tokens * ROUND_PCT / 100)] * ROUNDS
    for k, budget in enumerate(budgets):
        batch, answers = str(tmp_path / f"batch{k}.jsonl"), str(tmp_path / f"answers{k}.jsonl")
        with Project(project) as p:
            p.query(budget, fmt="jsonl", out=batch)
            tasks = p.round_tasks(p.store.query("SELECT MAX(id) FROM rounds")[0][0])
        chosen = [ids[t.ref.sentence] for t in tasks]
        if k == 0:
            assert chosen == sim[0].initial_selected
        else:
            rec = sim[k - 1]
            assert chosen == rec.selected, f"round {k}"
            if level != "sentence":
                asked = {ids[t.ref.sentence]: t.ref.asked for t in tasks}
                assert asked == {sid: toks for sid, toks in rec.queried_tokens}, f"round {k}: asked tokens"
        helpers.answer_jsonl(batch, answers, by_tokens)
        with Project(project) as p:
            p.import_file(answers)
            learner, _ = p.learner()
            rec = sim[k]
            assert learner.pool.n_revealed_tokens == rec.tokens_annotated, f"after round {k}: tokens"
            assert learner.totals.entities == rec.entities_annotated
            assert round(learner.totals.seconds, 3) == rec.estimated_seconds
