import json

from click.testing import CliRunner

from multitag.cli import main
from multitag.experiments.results import ResultsStore


def test_compare_writes_results_and_report_and_resumes(tmp_path, data_dir, count_backend):
    out = tmp_path / "out"
    args = ["compare", "--data", data_dir, "--backends", count_backend, "--strategies", "random,bt-mean",
            "--schedule", "5%x2", "--initial-size", "10%", "--valid", "none", "--out", str(out), "--no-progress"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert "report:" in r.output
    n = len([r.to_json() for r in ResultsStore(str(out / "results.jsonl")).load()])
    assert n == 2 * 3
    r = CliRunner().invoke(main, args)  # the same command again: nothing to redo
    assert r.exit_code == 0
    assert len([r.to_json() for r in ResultsStore(str(out / "results.jsonl")).load()]) == n


def test_compare_from_a_config_file_with_overrides(tmp_path, data_dir, count_backend):
    cfg = tmp_path / "p.yaml"
    cfg.write_text(f"strategies: [mnlp]\nschedule: 5%x1\ninitial_size: 10%\nvalid: none\nseeds: 2\nbackends: [{count_backend}]\n")
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["compare", "--config", str(cfg), "--data", data_dir, "--schedule", "5%x2",
                                  "--out", str(out), "--no-progress"])
    assert r.exit_code == 0, r.output
    recs = [r.to_json() for r in ResultsStore(str(out / "results.jsonl")).load()]
    assert {r["seed"] for r in recs} == {0, 1} and max(r["iteration"] for r in recs) == 2  # --schedule overrode


def test_expected_errors_print_one_line_and_exit_2(tmp_path, data_dir, count_backend):
    r = CliRunner().invoke(main, ["compare", "--data", data_dir, "--backends", count_backend, "--schedule", "2%x",
                                  "--out", str(tmp_path / "o"), "--no-progress"])
    assert r.exit_code == 2
    assert r.output.strip().startswith("error:") and len(r.output.strip().splitlines()) == 1
    assert "Traceback" not in r.output
    r = CliRunner().invoke(main, ["compare", "--data", data_dir, "--backends", "no-such-backend", "--out", str(tmp_path / "p")])
    assert r.exit_code == 2 and "unknown backend" in r.output


def test_mismatch_trains_the_successor(tmp_path, data_dir, count_backend):
    out = tmp_path / "mm"
    r = CliRunner().invoke(main, ["mismatch", "--data", data_dir, "--acquisition", count_backend, "--successor", count_backend,
                                  "--strategies", "mnlp", "--schedule", "5%x1", "--valid", "none", "--out", str(out), "--no-progress"])
    assert r.exit_code == 0, r.output
    roles = [json.loads(l)["role"] for l in open(out / "results.jsonl")]
    assert roles.count("successor") == 2 and roles.count("acquisition") == 2


def test_compare_prints_what_was_read_per_split(tmp_path, data_dir, count_backend):
    r = CliRunner().invoke(main, ["compare", "--data", data_dir, "--backends", count_backend, "--strategies", "random",
                                  "--schedule", "5%x1", "--initial-size", "10%", "--valid", "none", "--out",
                                  str(tmp_path / "o"), "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "train: " in r.output and "(IOB2): 120 sentences" in r.output and "test: " in r.output
