"""A results folder's report finds its data again from another working directory (through the
fingerprint's absolute split paths, confirmed by the fingerprint), reads it with the run's reading
options, names every split file, and says when --train-limit was above the pool size."""
import os
import re

from click.testing import CliRunner

from multitag.cli import main


def _rows(markdown):
    return dict(re.findall(r"^\| ([^|]+?) \| (.+?) \|$", markdown.split("## Per strategy")[0], flags=re.M))


def _compare(data, backend, out, *extra):
    return CliRunner().invoke(main, ["compare", "--data", data, "--backends", backend, "--strategies", "random",
                                     "--seeds", "1", "--schedule", "20%x1", "--initial-size", "1", "--valid", "none",
                                     "--out", str(out), "--no-progress", *extra])


def test_report_run_elsewhere_finds_relative_data_through_the_fingerprint(tmp_path, docs_data, count_backend,
                                                                          monkeypatch):
    monkeypatch.chdir(os.path.dirname(docs_data))
    out = tmp_path / "out"
    r = _compare(os.path.basename(docs_data), count_backend, out, "--train-limit", "500")
    assert r.exit_code == 0, r.output
    assert "--train-limit 500 is above the pool's" in r.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)                       # "docs-data" means nothing here
    r = CliRunner().invoke(main, ["report", str(out)])
    assert r.exit_code == 0, r.output
    md = (out / "summary.md").read_text()
    assert "is not there" not in md and (out / "profile.png").exists()
    rows = _rows(md)
    assert rows["data files"] == (f"train: {os.path.join(docs_data, 'train.txt')}, "
                                  f"test: {os.path.join(docs_data, 'test.txt')}")
    assert re.fullmatch(r"500 sentences \(the pool has only \d+: all of it was used\)", rows["train limit"])


def test_the_report_reads_the_data_with_the_runs_reading_options(tmp_path, count_backend):
    data = tmp_path / "d"
    data.mkdir()
    text = "B-PER\tJohn\nO\tlives\nO\tin\nB-LOC\tParis\n\nB-PER\tMary\nO\tleft\n\n" * 3
    (data / "train.bio").write_text(text, encoding="utf-8")
    (data / "test.bio").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    r = _compare(str(data), count_backend, out, "--columns", "token=2,tag=1")
    assert r.exit_code == 0, r.output
    assert "columns: token=2,tag=1" in (out / "config.yaml").read_text()
    assert CliRunner().invoke(main, ["report", str(out)]).exit_code == 0
    assert "cannot be read now" not in (out / "summary.md").read_text() and (out / "profile.png").exists()


def test_a_results_folder_moved_with_its_data_finds_it_relative_to_out(tmp_path, docs_data, count_backend):
    import shutil

    out = tmp_path / "out"
    assert _compare(docs_data, count_backend, out).exit_code == 0
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.move(str(out), moved / "out")
    shutil.move(docs_data, moved / "docs-data")          # the old absolute paths are gone
    r = CliRunner().invoke(main, ["report", str(moved / "out")])
    assert r.exit_code == 0, r.output
    md = (moved / "out" / "summary.md").read_text()
    assert "is not there" not in md and (moved / "out" / "profile.png").exists()


def test_a_report_rewritten_where_the_data_is_gone_keeps_the_old_profile_and_says_so(tmp_path, docs_data,
                                                                                    count_backend):
    import shutil

    from click.testing import CliRunner

    from multitag.cli import main

    data = tmp_path / "data"
    shutil.copytree(docs_data, data)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["compare", "--backends", count_backend, "--data", str(data), "--strategies", "random",
                                  "--schedule", "10%x2", "--initial-size", "20%", "--valid", "none", "--out", str(out),
                                  "--no-progress"])
    assert r.exit_code == 0, r.output
    before = (out / "profile.png").read_bytes()
    shutil.rmtree(data)
    r = CliRunner().invoke(main, ["report", str(out)])
    assert r.exit_code == 0, r.output
    assert "selection profile was not redrawn" in r.output
    assert (out / "profile.png").read_bytes() == before
    md = (out / "summary.md").read_text()
    assert "Not recomputed now" in md and "profile.png" in md
