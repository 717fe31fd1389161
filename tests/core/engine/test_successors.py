"""Successor schedules (--successor-every) and pseudo-labelled successors (PLASM)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from multitag import registry
from multitag.annotation.pool import Annotation, Pool
from multitag.backend import Prediction
from multitag.baseline import CountTagger
from multitag.data.sentence import Sentence
from multitag.experiments.config import ExperimentConfig
from multitag.experiments.results import ResultsStore, iteration_records
from multitag.experiments.runner import run_experiment
from multitag.experiments.successors import most_confident, pseudo_labelled, successors_due

TIMINGS = {"train_seconds", "eval_seconds", "predict_seconds", "select_seconds", "group_size"}


class PseudoCount(CountTagger):
    """A CountTagger that records what each fit trained on (to see the pseudo-labels arrive)."""

    seen: list[int] = []

    def fit(self, train, dev=None):
        PseudoCount.seen.append(len(train))
        return super().fit(train, dev)


@pytest.fixture
def successors():
    with registry.registered("succ-a", CountTagger), registry.registered("succ-b", PseudoCount):
        yield ["succ-a", "succ-b"]


def test_successors_are_due_every_k_iterations_and_at_the_last():
    assert [i for i in range(8) if successors_due(i, last=7, every=3)] == [0, 3, 6, 7]
    assert [i for i in range(5) if successors_due(i, last=4, every=1)] == [0, 1, 2, 3, 4]
    assert [i for i in range(5) if successors_due(i, last=4, every=9)] == [0, 4]


def test_most_confident_takes_the_top_fraction_ties_to_the_earlier_sentence():
    conf = np.array([-0.5, -0.1, -0.9, -0.1, -0.3])
    assert most_confident(conf, 0.4).tolist() == [1, 3]      # ceil(0.4 * 5) = 2
    assert most_confident(conf, 0.5).tolist() == [1, 3, 4]   # ceil(2.5) = 3
    assert most_confident(conf, 0.2).tolist() == [1]         # the tie at -0.1 goes to position 1
    assert most_confident(conf, 1.0).tolist() == [0, 1, 2, 3, 4]


class _Fixed(CountTagger):
    """Predicts fixed log-probabilities per sentence id (and tags "B-X" everywhere)."""

    logprobs: dict[str, float] = {}

    def predict(self, sentences, *, hidden=False):
        out = []
        for s in sentences:
            n = len(s)
            out.append(Prediction(tags=["B-X"] * n, marginals=np.full((n, 3), 1 / 3), logprob=self.logprobs[s.id]))
        return out


def test_pseudo_labels_are_the_most_confident_untouched_sentences_by_length_normalised_probability():
    lengths = {"a": 1, "b": 4, "c": 2, "d": 5, "e": 2, "f": 3}
    sents = [Sentence(["w"] * n, ["O"] * n, id=i) for i, n in lengths.items()]
    # log P / n:  a -2.0   b -0.25   c -0.5   d -0.2   e -0.05 (touched)   f -0.3
    _Fixed.logprobs = {"a": -2.0, "b": -1.0, "c": -1.0, "d": -1.0, "e": -0.1, "f": -0.9}
    pool = Pool(sents)
    pool.reveal([Annotation(4, (0,), ("O",))], 1)     # e is touched: never pseudo-labelled
    model = _Fixed(labels=["O", "B-X", "I-X"])
    got = pseudo_labelled(model, pool, 0.4)          # 5 untouched, ceil(2.0) = 2: d and b
    assert [s.id for s in got.sentences] == ["b", "d"]
    assert got.indices == [1, 3] and got.confidences == [-0.25, -0.2]
    assert all(s.tags == ("B-X",) * len(s) for s in got.sentences)
    assert [s.id for s in pseudo_labelled(model, pool, 0.6).sentences] == ["b", "d", "f"]
    assert pseudo_labelled(model, pool, 0.0).sentences == []


def _config(data_dir, successors, **kw):
    d = dict(data=data_dir, backends=["count"], successors=successors, strategies=["mnlp"], seeds=[0, 1],
             initial_size="10%", schedule="5%x5", valid="none", successor_every=2, successor_pseudo_labels=0.2)
    d.update(kw)
    return ExperimentConfig(**d)


def _records(out):
    recs = iteration_records(ResultsStore(str(out / "results.jsonl")).load())
    return sorted(json.dumps({k: v for k, v in r.to_json().items() if k not in TIMINGS}, sort_keys=True)
                  for r in recs)


def test_a_mismatch_run_records_successors_exactly_where_they_are_due(tmp_path, data_dir, count_backend, successors):
    PseudoCount.seen = []
    run_experiment(_config(data_dir, successors), str(tmp_path / "o"), progress=False)
    recs = iteration_records(ResultsStore(str(tmp_path / "o" / "results.jsonl")).load())
    for seed in (0, 1):
        mine = [r for r in recs if r.seed == seed]
        assert sorted(r.iteration for r in mine if r.role == "acquisition") == [0, 1, 2, 3, 4, 5]
        for name in successors:
            assert sorted(r.iteration for r in mine if r.model == name) == [0, 2, 4, 5]
    # the successors trained on the labeled set plus 20% of the untouched pool (pseudo-labelled)
    acq = {(r.seed, r.iteration): r for r in recs if r.role == "acquisition"}
    pool = 120
    for n, (seed, it) in zip(PseudoCount.seen, [(s, i) for s in (0, 1) for i in (0, 2, 4, 5)]):
        labeled = acq[(seed, it)].train_sentences
        untouched = pool - acq[(seed, it)].sentences_annotated
        assert n == labeled + int(np.ceil(0.2 * untouched - 1e-9))


def test_a_killed_mismatch_run_resumes_to_the_same_records(tmp_path, data_dir, count_backend, successors):
    full, cut = tmp_path / "full", tmp_path / "cut"
    run_experiment(_config(data_dir, successors), str(full), progress=False)
    for stop in (2, 3):   # after an iteration with successors, and after one without
        r = run_experiment(_config(data_dir, successors), str(cut), progress=False, stop_after=stop)
        assert r["stopped"]
    run_experiment(_config(data_dir, successors), str(cut), progress=False)
    assert _records(cut) == _records(full)


def test_without_the_new_options_a_mismatch_run_trains_successors_on_the_labeled_set_every_iteration(
        tmp_path, data_dir, count_backend, successors):
    PseudoCount.seen = []
    run_experiment(_config(data_dir, successors, successor_every=1, successor_pseudo_labels=None, seeds=[0]),
                   str(tmp_path / "o"), progress=False)
    recs = iteration_records(ResultsStore(str(tmp_path / "o" / "results.jsonl")).load())
    acq = sorted((r for r in recs if r.role == "acquisition"), key=lambda r: r.iteration)
    assert PseudoCount.seen == [r.train_sentences for r in acq]
    assert "successor_every" not in (tmp_path / "o" / "config.yaml").read_text()   # the file reads as before


def test_the_report_of_a_mismatch_run_has_the_mismatch_table_and_heatmap(tmp_path, data_dir, count_backend,
                                                                       successors):
    from multitag.report import write_report

    cfg = _config(data_dir, successors, strategies=["random", "mnlp"])
    result = run_experiment(cfg, str(tmp_path / "o"), progress=False)
    paths = write_report(str(tmp_path / "o"), data=result["dataset"])
    md = (tmp_path / "o" / "summary.md").read_text()
    assert "## Acquisition / successor mismatch" in md and "mismatch.png" in md
    assert (tmp_path / "o" / "mismatch.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = (tmp_path / "o" / "mismatch.csv").read_text().splitlines()
    assert rows[0].startswith("successor,chosen_by,strategy")
    # two successors, each chosen by count (mnlp) and at random; no native (they are not acquisition models)
    assert sorted(r.split(",")[:3] for r in rows[1:]) == [["succ-a", "(random)", "mnlp"], ["succ-a", "count", "mnlp"],
                                                         ["succ-b", "(random)", "mnlp"], ["succ-b", "count", "mnlp"]]
    assert "mismatch_png" in paths and "data:image/png;base64" in (tmp_path / "o" / "report.html").read_text()


def test_multitag_mismatch_takes_the_options_on_the_command_line(tmp_path, data_dir, count_backend, successors):
    from click.testing import CliRunner

    from multitag.cli import main

    out = tmp_path / "cli"
    r = CliRunner().invoke(main, ["mismatch", "--acquisition", "count", "--successor", "succ-a,succ-b", "--data", data_dir,
                                  "--strategies", "mnlp,random", "--seeds", "1", "--initial-size", "10%",
                                  "--schedule", "5%x3", "--valid", "none", "--successor-every", "2",
                                  "--successor-pseudo-labels", "20%", "--out", str(out), "--no-progress"])
    assert r.exit_code == 0, r.output
    recs = iteration_records(ResultsStore(str(out / "results.jsonl")).load())
    assert sorted({r.iteration for r in recs if r.role == "successor"}) == [0, 2, 3]
    assert "mismatch.png" in r.output and (out / "mismatch.csv").exists()
    text = (out / "config.yaml").read_text()
    assert "successor_every: 2" in text and "successor_pseudo_labels: 0.2" in text
    bad = CliRunner().invoke(main, ["mismatch", "--acquisition", "count", "--successor", "succ-a", "--data", data_dir,
                                    "--successor-every", "0", "--out", str(tmp_path / "bad")])
    assert bad.exit_code != 0 and "--successor-every: must be at least 1" in bad.output


def test_successor_options_without_successors_are_refused(tmp_path, data_dir, count_backend):
    from click.testing import CliRunner

    from multitag.cli import main

    for option, value in (("--successor-every", "2"), ("--successor-pseudo-labels", "10%")):
        r = CliRunner().invoke(main, ["compare", "--backends", "count", "--data", data_dir, option, value,
                                      "--out", str(tmp_path / "o")])
        assert r.exit_code != 0 and f"{option} applies to successors" in r.output
        assert not (tmp_path / "o").exists()
