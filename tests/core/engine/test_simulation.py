import json
import os

import pytest

from multitag.errors import CompatibilityError, MultitagError
from multitag.annotation.budget import parse_initial_size, parse_schedule
from multitag.experiments.config import ExperimentConfig
from multitag.experiments.results import ResultsStore
from support.experiments import run_and_report

STABLE = ("strategy", "seed", "role", "model", "iteration", "tokens_annotated", "sentences_annotated",
          "precision", "recall", "f1", "selected", "entities_annotated", "estimated_seconds")


def config(data_dir, backend, **kw):
    base = dict(data=data_dir, backends=[backend], strategies=["random", "mnlp", "bald"], seeds=[0, 1],
                initial_size="10%", schedule="5%x4", valid="none")
    base.update(kw)
    return ExperimentConfig(**base)


def stable(records):
    return sorted((tuple(json.dumps(r.get(k), sort_keys=True) for k in STABLE) for r in records))


def test_resumed_run_ends_with_the_numbers_of_an_uninterrupted_one(tmp_path, data_dir, count_backend):
    full = tmp_path / "full"
    run_and_report(config(data_dir, count_backend), str(full), progress=False)
    resumed = tmp_path / "resumed"
    r = run_and_report(config(data_dir, count_backend), str(resumed), progress=False, stop_after=7)
    assert r["stopped"]
    partial = [r.to_json() for r in ResultsStore(str(resumed / "results.jsonl")).load()]
    assert 0 < len(partial) < len([r.to_json() for r in ResultsStore(str(full / "results.jsonl")).load()])
    # a crash in the middle of a write leaves a cut line; it must be dropped, not break the resume
    with open(resumed / "results.jsonl", "a") as fh:
        fh.write('{"strategy": "mnlp", "iteration": 9')
    run_and_report(config(data_dir, count_backend), str(resumed), progress=False)
    a = [r.to_json() for r in ResultsStore(str(full / "results.jsonl")).load()]
    b = [r.to_json() for r in ResultsStore(str(resumed / "results.jsonl")).load()]
    assert len(a) == len(b) == 3 * 2 * 5
    assert stable(a) == stable(b)


def test_same_seed_same_selections_and_seeds_differ(tmp_path, data_dir, count_backend):
    c = config(data_dir, count_backend, strategies=["random", "bt"])
    run_and_report(c, str(tmp_path / "a"), progress=False)
    run_and_report(c, str(tmp_path / "b"), progress=False)
    a = [r.to_json() for r in ResultsStore(str(tmp_path / "a" / "results.jsonl")).load()]
    b = [r.to_json() for r in ResultsStore(str(tmp_path / "b" / "results.jsonl")).load()]
    assert stable(a) == stable(b)
    sel = {(r["strategy"], r["seed"], r["iteration"]): r["selected"] for r in a if "selected" in r}
    assert sel[("random", 0, 0)] != sel[("random", 1, 0)]


def test_records_have_the_promised_fields_and_budget_accounting(tmp_path, data_dir, count_backend):
    run_and_report(config(data_dir, count_backend, strategies=["mnlp"], seeds=[0]), str(tmp_path / "o"), progress=False)
    recs = [r.to_json() for r in ResultsStore(str(tmp_path / "o" / "results.jsonl")).load()]
    for k in ("backend", "strategy", "seed", "role", "model", "iteration", "tokens_annotated", "tokens_fraction",
              "sentences_annotated", "precision", "recall", "f1", "train_seconds", "predict_seconds", "select_seconds"):
        assert all(k in r for r in recs), k
    recs.sort(key=lambda r: r["iteration"])
    pool_tokens = recs[0]["tokens_annotated"] / recs[0]["tokens_fraction"]
    budget = parse_schedule("5%x4", round(pool_tokens))[0]
    for prev, nxt in zip(recs, recs[1:]):
        gained = nxt["tokens_annotated"] - prev["tokens_annotated"]
        assert gained >= budget, "an iteration must reveal at least its budget"
        # sentences are taken whole: the overshoot is smaller than the longest sentence (8 tokens here)
        assert gained < budget + 12
        assert nxt["sentences_annotated"] - prev["sentences_annotated"] == len(prev["selected"])
    assert recs[0]["tokens_annotated"] >= round(0.10 * pool_tokens)
    for name in ("summary.md", "summary.csv", "curves.png", "config.yaml"):
        assert os.path.getsize(tmp_path / "o" / name) > 0


def test_incompatible_single_run_is_refused_before_training(tmp_path, data_dir):
    from multitag import registry
    from multitag.baseline import CountTagger

    class NoSamples(CountTagger):
        mc_modes = ()

    with registry.registered("nosamples", NoSamples):
        c = config(data_dir, "nosamples", strategies=["bald"], seeds=[0])
        with pytest.raises(CompatibilityError, match="bald.*MC-dropout|MC-dropout.*nosamples"):
            run_and_report(c, str(tmp_path / "x"), progress=False)
        assert not os.path.exists(tmp_path / "x" / "results.jsonl")
        # in a grid, the incompatible pair is listed and the rest runs
        c = config(data_dir, "nosamples", strategies=["bald", "mnlp"], seeds=[0])
        run_and_report(c, str(tmp_path / "y"), progress=False)
        recs = [r.to_json() for r in ResultsStore(str(tmp_path / "y" / "results.jsonl")).load()]
        assert {r["strategy"] for r in recs} == {"mnlp"}


def test_successors_are_trained_on_the_same_labeled_set(tmp_path, data_dir, count_backend):
    c = config(data_dir, count_backend, strategies=["mnlp"], seeds=[0], successors=[count_backend],
               params={count_backend: {"alpha": 0.5}})
    run_and_report(c, str(tmp_path / "m"), progress=False)
    recs = [r.to_json() for r in ResultsStore(str(tmp_path / "m" / "results.jsonl")).load()]
    by = {(r["role"], r["iteration"]): r for r in recs}
    for it in range(5):
        assert by[("successor", it)]["tokens_annotated"] == by[("acquisition", it)]["tokens_annotated"]
        assert by[("successor", it)]["train_sentences"] == by[("acquisition", it)]["train_sentences"]


def test_a_different_config_on_the_same_out_is_refused(tmp_path, data_dir, count_backend):
    run_and_report(config(data_dir, count_backend, strategies=["random"], seeds=[0]), str(tmp_path / "o"), progress=False)
    with pytest.raises(MultitagError, match="different experiment.*schedule"):
        run_and_report(config(data_dir, count_backend, strategies=["random"], seeds=[0], schedule="2%x3"),
                       str(tmp_path / "o"), progress=False)


def test_valid_fraction_of_labeled_set_is_held_out(tmp_path, data_dir, count_backend):
    run_and_report(config(data_dir, count_backend, strategies=["random"], seeds=[0], valid="25%"),
                   str(tmp_path / "v"), progress=False)
    recs = [r.to_json() for r in ResultsStore(str(tmp_path / "v" / "results.jsonl")).load()]
    for r in recs:
        assert r["valid_sentences"] == round(r["sentences_annotated"] * 0.25)
        assert r["train_sentences"] == r["sentences_annotated"] - r["valid_sentences"]


def test_full_reference_gives_tokens_to_reach(tmp_path, data_dir, count_backend):
    run_and_report(config(data_dir, count_backend, strategies=["mnlp"], seeds=[0], full_reference=True),
                   str(tmp_path / "r"), progress=False)
    text = (tmp_path / "r" / "summary.md").read_text()
    assert "full-data F1" in text
    recs = [r.to_json() for r in ResultsStore(str(tmp_path / "r" / "results.jsonl")).load()]
    assert sum(r["role"] == "reference" for r in recs) == 1


@pytest.mark.parametrize("text,expected", [
    ("2%x3", [20, 20, 20]),
    ("1%x2,2.5%x1", [10, 10, 25]),
    ("300w", [300]),
    ("300wx2,5%", [300, 300, 50]),
])
def test_schedules(text, expected):
    assert parse_schedule(text, 1000) == expected


@pytest.mark.parametrize("bad", ["2", "x3", "2%x0", "abc", "2%x", ""])
def test_bad_schedules_are_refused(bad):
    with pytest.raises(MultitagError):
        parse_schedule(bad, 1000)


def test_initial_size():
    assert parse_initial_size("2%").fraction == pytest.approx(0.02)
    assert parse_initial_size("150").sentences == 150
    for bad in ("0", "-1", "2.5", "150%x", "0%"):
        with pytest.raises(MultitagError):
            parse_initial_size(bad)
