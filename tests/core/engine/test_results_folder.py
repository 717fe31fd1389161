"""A results folder belongs to one experiment, on one data set, with one writer; a full disk or a
cut write leaves every file complete or absent, and a rerun resumes without duplicates."""
import importlib.util
import json
import os
import shutil

import pytest
from click.testing import CliRunner

from multitag.cli import main
from multitag.data.readers import read_conll
from multitag.data.writers import write_conll
from multitag.errors import MultitagError
from multitag.experiments.config import ExperimentConfig
from multitag.experiments.outdir import OutLock
from multitag.experiments.results import ResultsStore
from multitag.experiments.runner import run_experiment
from multitag.report import write_report
from support.cli_output import the_one_error

_spec = importlib.util.spec_from_file_location("small_disk", os.path.join(os.path.dirname(__file__), "small_disk.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
small_disk = _mod.small_disk

ARGS = ["--schedule", "5%x4", "--initial-size", "10%", "--valid", "none", "--no-progress"]


def _compare(data, backend, out, *extra):
    return CliRunner().invoke(main, ["compare", "--data", data, "--backends", backend, "--strategies", "random,mnlp",
                                     "--out", str(out), *ARGS, *extra])


def _stable(path):
    keep = ("strategy", "seed", "role", "model", "iteration", "tokens_annotated", "f1", "selected")
    return sorted(json.dumps({k: r.to_json().get(k) for k in keep}, sort_keys=True) for r in ResultsStore(path).load())


def _no_temporary_files(folder):
    return [f for f in os.listdir(folder) if f.startswith(".tmp-")] == []


@pytest.fixture(params=["tmpfs-if-root", "injected"])
def disk_kind(request, monkeypatch):
    """Both ways of filling a disk: a real tmpfs (where the test may mount one) and injected ENOSPC."""
    if request.param == "injected":
        monkeypatch.setenv("MULTITAG_TEST_NO_TMPFS", "1")
    return request.param


def test_a_full_disk_during_compare_is_one_line_and_the_run_resumes_elsewhere(tmp_path, data_dir, count_backend,
                                                                              disk_kind):
    long = ("--seeds", "3", "--schedule", "5%x8")
    full = tmp_path / "full"
    assert _compare(data_dir, count_backend, full, *long).exit_code == 0
    assert os.path.getsize(full / "results.jsonl") > 24 * 1024
    disk = tmp_path / "disk"
    with small_disk(str(disk), 16 * 1024):
        out = disk / "out"
        r = _compare(data_dir, count_backend, out, *long)
        assert r.exit_code == 2, r.output
        assert str(out) in the_one_error(r.output)
        saved = tmp_path / "saved"
        shutil.copytree(out, saved, ignore=shutil.ignore_patterns(".lock"))
    assert _no_temporary_files(saved)
    partial = ResultsStore(str(saved / "results.jsonl")).load()   # complete groups only, or nothing
    assert len(partial) < len(ResultsStore(str(full / "results.jsonl")).load())
    assert "results.jsonl" in r.output
    r = _compare(data_dir, count_backend, saved, *long)            # the same command where there is space
    assert r.exit_code == 0, r.output
    assert _stable(str(saved / "results.jsonl")) == _stable(str(full / "results.jsonl"))


def test_a_full_disk_during_the_report_is_one_line_and_leaves_no_half_png(tmp_path, data_dir, count_backend, disk_kind):
    done = tmp_path / "done"
    assert _compare(data_dir, count_backend, done, "--seeds", "2").exit_code == 0
    disk = tmp_path / "disk"
    size = sum(os.path.getsize(done / n) for n in ("results.jsonl", "config.yaml", "summary.md")) + 16 * 1024
    with small_disk(str(disk), size):
        out = disk / "out"
        os.makedirs(out)
        for name in ("results.jsonl", "config.yaml"):   # a report is made from both
            shutil.copy(done / name, out / name)
        r = CliRunner().invoke(main, ["report", str(out)])
        assert r.exit_code == 2, r.output
        lines = r.output.strip().splitlines()
        assert len(lines) == 1 and "cannot write" in lines[0] and "Traceback" not in r.output
        assert not (out / "curves.png").exists() and _no_temporary_files(out)
        for name in ("summary.md", "summary.csv"):
            if (out / name).exists():   # what was written is complete
                assert (out / name).read_bytes() == (done / name).read_bytes()


def test_replaced_data_under_the_same_path_is_refused_naming_the_split(tmp_path, data_dir, count_backend):
    out = tmp_path / "out"
    assert _compare(data_dir, count_backend, out).exit_code == 0
    train = os.path.join(data_dir, "train.txt")
    sentences = read_conll(train)
    write_conll(sentences[:-1], train)
    r = _compare(data_dir, count_backend, out)
    assert r.exit_code == 2 and "other data: the train split differs" in r.output, r.output
    assert "120 sentences" in r.output and "119 sentences" in r.output


def test_the_same_folder_written_another_way_is_the_same_experiment(tmp_path, data_dir, count_backend, monkeypatch):
    out = tmp_path / "out"
    assert _compare(data_dir, count_backend, out).exit_code == 0
    n = len(ResultsStore(str(out / "results.jsonl")).load())
    monkeypatch.chdir(os.path.dirname(data_dir))
    for spelling in ("data", "./data/", os.path.abspath(data_dir) + "/"):
        r = _compare(spelling, count_backend, out)
        assert r.exit_code == 0, r.output
    assert len(ResultsStore(str(out / "results.jsonl")).load()) == n


def test_a_folder_written_before_an_option_existed_resumes_unless_the_option_is_set(tmp_path, data_dir,
                                                                                   count_backend):
    import yaml

    old = tmp_path / "old"
    assert _compare(data_dir, count_backend, old, "--schedule", "5%x2").exit_code == 0
    saved = yaml.safe_load((old / "config.yaml").read_text())
    for key in ("incremental", "query_mode"):       # options added after this folder was written
        del saved[key]
    (old / "config.yaml").write_text(yaml.safe_dump(saved, sort_keys=False))
    assert _compare(data_dir, count_backend, old, "--schedule", "5%x2").exit_code == 0  # nothing changed: it resumes
    r = _compare(data_dir, count_backend, old, "--schedule", "5%x2", "--query-mode", "batch")
    assert r.exit_code == 2 and "differs in: query_mode" in the_one_error(r.output)


def test_a_second_writer_gets_one_line_and_the_results_stay_correct(tmp_path, data_dir, count_backend):
    out = tmp_path / "out"
    os.makedirs(out)
    with OutLock(str(out)):
        r = _compare(data_dir, count_backend, out)
        assert r.exit_code == 2, r.output
        assert f"is in use by process {os.getpid()}" in the_one_error(r.output)
    assert not (out / "results.jsonl").exists()
    assert _compare(data_dir, count_backend, out).exit_code == 0
    full = tmp_path / "full"
    assert _compare(data_dir, count_backend, full).exit_code == 0
    assert _stable(str(out / "results.jsonl")) == _stable(str(full / "results.jsonl"))


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path, data_dir, count_backend):
    out = tmp_path / "out"
    os.makedirs(out)
    (out / ".lock").write_text(json.dumps({"pid": 999999, "host": "elsewhere", "started": "yesterday"}))
    assert _compare(data_dir, count_backend, out).exit_code == 0


def test_an_iteration_cut_mid_write_resumes_without_duplicates(tmp_path, data_dir, count_backend):
    def config():
        return ExperimentConfig(data=data_dir, backends=[count_backend], strategies=["mnlp"], successors=[count_backend],
                                seeds=[0], initial_size="10%", schedule="5%x4", valid="none")

    full = tmp_path / "full"
    run_experiment(config(), str(full), progress=False)
    cut = tmp_path / "cut"
    run_experiment(config(), str(cut), progress=False, stop_after=3)
    path = cut / "results.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) == 6   # 3 iterations x (acquisition + successor)
    # the last group was cut: its acquisition record is complete, its successor record half-written
    path.write_bytes(b"".join(lines[:5]) + lines[5][: len(lines[5]) // 2])
    assert len(ResultsStore(str(path)).load()) == 4, "the incomplete group is dropped"
    result = run_experiment(config(), str(cut), progress=False)
    write_report(str(cut), data=result["dataset"])
    recs = ResultsStore(str(path)).load()
    assert len(recs) == len({r.key() for r in recs}) == 10
    assert _stable(str(path)) == _stable(str(full / "results.jsonl"))
    assert "| 1 |" in (cut / "summary.md").read_text()   # one seed, not two


def test_duplicate_records_are_refused_not_counted(tmp_path, data_dir, count_backend):
    out = tmp_path / "out"
    assert _compare(data_dir, count_backend, out).exit_code == 0
    path = out / "results.jsonl"
    with open(path, "a") as fh:
        fh.write(path.read_text().splitlines()[0] + "\n")
    with pytest.raises(MultitagError, match="the same record as line 1"):
        ResultsStore(str(path)).load()
    r = CliRunner().invoke(main, ["report", str(out)])
    assert r.exit_code == 2 and "the same record as line 1" in r.output
