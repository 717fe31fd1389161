"""The sequential executor (the default): a failing run is reported with its spec and traceback and
the other runs finish; the driver's own errors end the grid; execution options are checked before
anything is written; Dask missing is a one-line error; one progress bar for the whole grid."""
import os
import sys

import pytest
from click.testing import CliRunner

from multitag import registry
from multitag.baseline import CountTagger
from multitag.cli import main
from multitag.errors import MultitagError
from multitag.experiments.cluster import Execution
from multitag.experiments.config import ExperimentConfig
from multitag.experiments.results import ResultsStore, iteration_records
from multitag.experiments.runner import run_experiment, run_id


class _FailsOnSeed1(CountTagger):
    broken = True

    def fit(self, train, dev=None):
        if self.broken and self.seed == 1 and len(train) > 14:  # the seed set trains; the first enlarged set raises
            raise ValueError("broken on purpose")
        return super().fit(train, dev)


@pytest.fixture
def failing_backend():
    with registry.registered("count-fails", _FailsOnSeed1):
        yield "count-fails"


def _args(data_dir, backend, out, *extra):
    return ["compare", "--data", data_dir, "--backends", backend, "--strategies", "random,bt", "--seeds", "2",
            "--schedule", "5%x3", "--initial-size", "10%", "--valid", "none", "--out", str(out), "--no-progress", *extra]


def test_a_failing_run_is_reported_and_the_others_finish(tmp_path, data_dir, failing_backend):
    out = tmp_path / "out"
    r = CliRunner().invoke(main, _args(data_dir, failing_backend, out))
    assert r.exit_code == 2
    assert r.output.strip().splitlines()[-1] == (f"error: 2 of 4 runs failed (the others finished); tracebacks in "
                                                 f"{out / 'failed'}/; the same command again retries them")
    assert sorted(os.listdir(out / "failed")) == ["count-fails_bt_seed1_sentence_auto_init-random.txt",
                                                  "count-fails_random_seed1_sentence_auto_init-random.txt"]
    text = (out / "failed" / "count-fails_bt_seed1_sentence_auto_init-random.txt").read_text()
    assert text.startswith("run: count-fails / bt / seed 1\n")
    assert "iterations recorded before it failed: 1" in text       # the seed-set iteration was recorded
    assert "Traceback (most recent call last)" in text and "ValueError: broken on purpose" in text
    recs = iteration_records(ResultsStore(str(out / "results.jsonl")).load())
    done = {(x.strategy, x.seed): max(y.iteration for y in recs if (y.strategy, y.seed) == (x.strategy, x.seed))
            for x in recs}
    assert done == {("random", 0): 3, ("bt", 0): 3, ("random", 1): 0, ("bt", 1): 0}
    assert (out / "summary.md").exists()


def test_failed_runs_are_retried_by_the_same_command_and_lose_their_report(tmp_path, data_dir, failing_backend,
                                                                           monkeypatch):
    out = tmp_path / "out"
    CliRunner().invoke(main, _args(data_dir, failing_backend, out))
    assert len(os.listdir(out / "failed")) == 2
    monkeypatch.setattr(_FailsOnSeed1, "broken", False)      # whatever broke them is fixed
    r = CliRunner().invoke(main, _args(data_dir, failing_backend, out))
    assert r.exit_code == 0, r.output
    assert os.listdir(out / "failed") == []
    recs = iteration_records(ResultsStore(str(out / "results.jsonl")).load())
    assert len(recs) == 4 * 4 and len({r.key() for r in recs}) == 16


def test_the_drivers_own_error_ends_the_grid_and_is_not_a_failed_run(tmp_path, data_dir, count_backend, monkeypatch):
    from multitag.experiments import results

    calls = []

    def broken_append(self, records):
        calls.append(1)
        raise MultitagError(f"{self.path}: cannot write results (No space left on device)")

    monkeypatch.setattr(results.ResultsStore, "append", broken_append)
    config = ExperimentConfig(data=data_dir, backends=[count_backend], strategies=["random", "bt"], seeds=[0],
                              initial_size="10%", schedule="5%x2", valid="none")
    with pytest.raises(MultitagError, match="No space left on device"):
        run_experiment(config, str(tmp_path / "out"), progress=False)
    assert len(calls) == 1                       # the first write failed, and nothing ran after it
    assert not (tmp_path / "out" / "failed").exists()


@pytest.mark.parametrize("options, message", [
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "give one of them"),
    (["--workers", "0"], "--workers must be at least 1"),
    (["--threads-per-worker", "2"], "give --workers too"),
    (["--workers", "1", "--threads-per-worker", "0"], "--threads-per-worker must be at least 1"),
    (["--gpus-per-run", "1"], "give --workers N or --scheduler ADDRESS"),
    (["--gpus-per-run", "-1", "--workers", "1"], "--gpus-per-run must be 0 or more"),
])
def test_execution_options_are_checked_before_anything_is_written(tmp_path, data_dir, count_backend, options, message):
    out = tmp_path / "out"
    r = CliRunner().invoke(main, _args(data_dir, count_backend, out, *options))
    assert r.exit_code == 2 and message in r.output and len(r.output.strip().splitlines()) == 1
    assert not out.exists()


def test_dask_missing_is_a_one_line_error_naming_the_extra(tmp_path, data_dir, count_backend, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)   # import distributed -> ImportError
    r = CliRunner().invoke(main, _args(data_dir, count_backend, tmp_path / "out", "--workers", "2"))
    assert r.exit_code == 2
    assert r.output.strip() == ("error: --workers runs the grid on Dask, which is not installed: pip install "
                                "'multitag[dask]' (dask[distributed] and bokeh for the dashboard)")


def test_default_threads_per_worker_fill_the_cores(monkeypatch):
    from multitag.experiments import cluster

    monkeypatch.setattr(cluster, "cores", lambda: 16)
    assert Execution(workers=4).threads() == 4
    assert Execution(workers=3).threads() == 5
    assert Execution(workers=32).threads() == 1
    assert Execution(workers=4, threads_per_worker=2).threads() == 2


def test_one_progress_bar_counts_every_iteration_of_the_grid(tmp_path, data_dir, count_backend, capsys):
    config = ExperimentConfig(data=data_dir, backends=[count_backend], strategies=["random", "bt"], seeds=[0, 1],
                              initial_size="10%", schedule="5%x2", valid="none")
    run_experiment(config, str(tmp_path / "out"), progress=True)
    err = capsys.readouterr().err
    assert "12/12" in err and "/13" not in err     # 4 runs x 3 iterations, one bar
    assert "runs 0/4 done" in err and "runs 4/4 done" in err
    run_experiment(config, str(tmp_path / "out"), progress=True)   # resumed: starts full
    err = capsys.readouterr().err
    assert "runs 4/4 done" in err and "12/12" in err


def test_run_ids_are_file_names_and_distinct():
    from multitag.experiments.records import RunSpec

    a = RunSpec("bert", "bt-max", 0, ("crf",), "entity", "mask", "lm")
    b = RunSpec("bert", "bt-max", 0, ("crf",), "entity", "mask", "random")
    assert run_id(a) == "bert_bt-max_seed0_crf_entity_mask_init-lm"
    assert run_id(a) != run_id(b)
    assert "/" not in run_id(RunSpec("a/b", "c d", 1))
