"""LearnerSettings: one typed home for how a learner runs, from which the options, the YAML
parsing, the project's stored settings, the run spec and the records are generated."""
from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner

from multitag import settings as learner
from multitag.annotation.cost import CostModel
from multitag.annotation.pool import Pool
from multitag.baseline import CountTagger
from multitag.cli import main
from multitag.data.sentence import Sentence
from multitag.errors import MultitagError
from multitag.experiments.config import ExperimentConfig, config_from_sources
from multitag.experiments.records import IterationRecord, RunSpec
from multitag.loop import ActiveLearner
from multitag.project.settings import Settings
from multitag.settings import LearnerSettings
from multitag.strategies import get_strategy


def _help(*command: str) -> str:
    r = CliRunner().invoke(main, [*command, "--help"])
    assert r.exit_code == 0, r.output
    return r.output


def test_every_setting_is_an_option_of_compare_mismatch_and_where_it_applies_of_project_init():
    compare, mismatch, init = _help("compare"), _help("mismatch"), _help("project", "init")
    for name in learner.field_names():
        flag = learner.info(name).flag(name)
        assert flag in compare and flag in mismatch, flag
        assert (flag in init) == learner.info(name).project, flag


def test_every_setting_is_read_from_yaml_with_its_own_parser():
    c = ExperimentConfig.from_dict({"level": "entity,token", "mc-samples": "4", "cost": {"label": 2},
                                    "pool_subsample": "50%", "query_mode": "batch"})
    assert c.levels == ["entity", "token"] and c.mc_samples == 4 and c.pool_subsample == 0.5
    assert c.cost_model == CostModel(label=2.0) and c.query_mode == "batch"
    with pytest.raises(MultitagError, match="p.yaml: mc_samples: must be at least 2"):
        ExperimentConfig.from_dict({"mc_samples": 1}, source="p.yaml")
    with pytest.raises(MultitagError, match="--query-mode: use interactive or batch"):
        ExperimentConfig.from_dict({"query_mode": "later"}, source="command line")


def test_a_runs_settings_take_the_experiments_values_and_the_runs_grid_point():
    c = ExperimentConfig(levels=["entity", "token"], training_modes=["mask"], mc_samples=3)
    s = c.learner_settings(level="token")
    assert s == LearnerSettings(level="token", training_mode="mask", mc_samples=3)
    assert c.learner_settings().level == "entity"   # an axis not given: its first value


def test_items_settings_merge_onto_the_files_mapping(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("backends: [count]\ncost_model: {sentence: 5}\n")
    c = config_from_sources(yaml_path=str(path), options={}, items={"cost_model": ("label=3",)})
    assert c.cost_model == CostModel(sentence=5.0, label=3.0)


def test_the_grid_axes_are_the_run_specs_and_the_records_fields():
    grid = learner.grid_names()
    assert grid == ["level", "training_mode", "initial"]
    spec_fields = [f.name for f in dataclasses.fields(RunSpec)]
    assert spec_fields == ["backend", "strategy", "seed", "successors", *grid]
    rec_fields = [f.name for f in dataclasses.fields(IterationRecord)]
    assert rec_fields[:8] == ["role", "backend", "strategy", "seed", "successors", *grid]
    spec = RunSpec("crf", "mnlp", 1, (), "entity", "mask", "nnp")
    assert spec.label() == "crf / mnlp / seed 1 / entity / mask / init nnp"
    assert RunSpec("crf", "mnlp", 1, (), training_mode="mask").label() == "crf / mnlp / seed 1 / mask"


def test_a_project_stores_its_settings_flat_in_the_order_it_always_had():
    old = {"backend": "crf", "params": {}, "strategy": "mnlp", "level": "entity", "entity_types": ["PER"],
           "initial": "random", "initial_lm": None, "seed": 3, "training_mode": "auto", "mc_samples": 10,
           "mc_mode": None, "cost_model": None, "tokenizer": "spacy"}
    s = Settings(**old)
    assert s.level == "entity" and s.learner.cost_model == CostModel() and s.seed == 3
    again = s.to_json()
    assert list(again) == list(old)
    assert again == {**old, "cost_model": CostModel().to_dict()}
    assert Settings(**again).to_json() == again
    with pytest.raises(TypeError, match="query_mode"):
        Settings(**{**old, "query_mode": "batch"})   # not a project setting


def test_the_learner_takes_its_settings_whole_with_the_same_picks_as_keywords():
    sents = [Sentence(["a", "b", "c"][: 1 + i % 3], ["O", "B-X", "I-X"][: 1 + i % 3], id=str(i)) for i in range(30)]
    labels = ["O", "B-X", "I-X"]

    def picks(learner_obj):
        learner_obj.teach([_answer(q, sents) for q in learner_obj.initial_queries(_size())], 0)
        learner_obj.fit(train=learner_obj.labeled())
        return [(q.sentence, q.tokens) for q in learner_obj.query(6, iteration=1)]

    settings = LearnerSettings(level="token", pool_subsample=0.5, cost_model=CostModel(label=3.0))
    whole = ActiveLearner(Pool(sents), CountTagger(labels=labels), get_strategy("bt"), settings, seed=2)
    keywords = ActiveLearner(Pool(sents), CountTagger(labels=labels), get_strategy("bt"), level="token",
                             pool_subsample=0.5, cost=CostModel(label=3.0), seed=2)
    assert whole.settings == keywords.settings == settings
    chosen = picks(whole)
    assert chosen and chosen == picks(keywords)
    assert whole.cost.label == 3.0 and whole.pool_subsample == 0.5


def _answer(query, sents):
    from multitag.annotation.pool import Annotation

    return Annotation(query.sentence, query.tokens, tuple(sents[query.sentence].tags[t] for t in query.tokens))


def _size():
    from multitag.annotation.budget import parse_initial_size

    return parse_initial_size("3")
