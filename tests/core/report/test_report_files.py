"""summary.md and report.html begin with what was run, say what ± is, hold the selection profile;
report.html is one self-contained file; without the data (or with other data) the report is still
written, with less context, and says why."""
import base64
import os
import re
import shutil

from click.testing import CliRunner

from multitag.cli import main


def _compare(data, backend, out, *extra):
    return CliRunner().invoke(main, ["compare", "--data", data, "--backends", backend, "--strategies", "random,mnlp",
                                     "--seeds", "2", "--schedule", "20%x2", "--initial-size", "1", "--valid", "none",
                                     "--train-limit", "5", "--param", "alpha=0.7", "--cost", "label=2",
                                     "--full-reference", "--out", str(out), "--no-progress", *extra])


def _rows(markdown):
    return dict(re.findall(r"^\| ([^|]+?) \| (.+?) \|$", markdown.split("## Per strategy")[0], flags=re.M))


def test_summary_md_begins_with_what_was_run(tmp_path, docs_data, count_backend):
    out = tmp_path / "out"
    r = _compare(docs_data, count_backend, out)
    assert r.exit_code == 0, r.output
    md = (out / "summary.md").read_text()
    assert md.startswith("# Summary\n\n## What was run\n")
    rows = _rows(md)
    assert rows["data"] == docs_data
    assert rows["train split"] == "5 sentences, 16 tokens (after the train limit)"   # as saved in config.yaml
    assert rows["test split"] == "2 sentences, 5 tokens"
    assert rows["pool"] == "the train split, its first 5 sentences; 16 tokens to annotate"
    assert rows["train limit"] == "5 sentences"
    assert rows["evaluation split"] == "test" and rows["validation (early stopping)"] == "none"
    assert rows["initial size (seed set)"] == "1" and rows["schedule"].startswith("20%x2 (2 iterations")
    assert rows["count parameters"].startswith("alpha=0.7")
    assert rows["cost model"] == "2.0 s per sentence opened + 0.3 s per token read + 2.0 s per label"
    assert rows["seeds"] == "2 (0, 1)"
    assert rows["strategies"] == "random, mnlp"
    assert rows["full-data reference"].startswith("count F1 ")
    assert "population standard deviation over seeds (numpy std, ddof=0)" in md and "over 2 seeds" in md
    # the selection profile: pool = the 5 sentences used (two documents), every strategy a row
    prof = md.split("## Selection profile")[1].split("## Learning curves (mean")[0]
    assert "| pool | - | 5 | 16 | 3.2 | 2 / 3 / 4 | 37.5 | 3 |" in prof   # by hand: lengths 3,4,4,3,2; 6 entities
    assert "| count / random | 2 |" in prof and "| count / mnlp | 2 |" in prof
    assert "| selection | LOC | ORG | PER |" in prof
    assert "![sentence lengths chosen against the pool](profile.png)" in prof and (out / "profile.png").exists()


def test_report_html_is_self_contained_with_the_same_content(tmp_path, docs_data, count_backend):
    out = tmp_path / "out"
    assert _compare(docs_data, count_backend, out).exit_code == 0
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert page.index("What was run") < page.index("Per strategy") < page.index("Selection profile")
    assert "<td>train limit</td><td>5 sentences</td>" in page
    assert "ddof=0" in page
    # nothing loaded from elsewhere: no src/href but inline PNGs
    assert not re.search(r"""(src|href)=["'](?!data:)""", page)
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2
    assert base64.b64decode(images[0]) == (out / "curves.png").read_bytes()
    assert base64.b64decode(images[1]) == (out / "profile.png").read_bytes()


def test_without_the_data_the_report_says_so_and_keeps_the_context(tmp_path, docs_data, count_backend):
    out = tmp_path / "out"
    assert _compare(docs_data, count_backend, out).exit_code == 0
    shutil.rmtree(docs_data)
    r = CliRunner().invoke(main, ["report", str(out)])
    assert r.exit_code == 0, r.output
    md = (out / "summary.md").read_text()
    assert _rows(md)["train split"] == "5 sentences, 16 tokens (after the train limit)"   # from config.yaml
    # issue 21: the earlier profile.png is kept and the section says why it was not redrawn
    assert f"Not recomputed now: it needs the data, and {docs_data} is not there" in md
    assert (out / "profile.png").exists() and "profile.png" in md
    assert "Not recomputed now" in (out / "report.html").read_text()


def test_other_data_under_the_same_path_is_not_profiled(tmp_path, docs_data, count_backend):
    """The fingerprint saved in config.yaml tells the data apart (a change past --train-limit is no change)."""
    out = tmp_path / "out"
    assert _compare(docs_data, count_backend, out).exit_code == 0
    path = os.path.join(docs_data, "train.txt")
    with open(path) as fh:
        text = fh.read()
    with open(path, "w") as fh:
        fh.write(text.replace("Paris", "Lyon"))   # inside the 5 sentences used
    r = CliRunner().invoke(main, ["report", str(out)])
    assert r.exit_code == 0, r.output
    assert f"the data at {docs_data} is not the data of this run (the train split differs)" in (out / "summary.md").read_text()


def test_a_folder_without_config_still_reports(tmp_path, docs_data, count_backend):
    out = tmp_path / "out"
    assert _compare(docs_data, count_backend, out).exit_code == 0
    os.remove(out / "config.yaml")
    r = CliRunner().invoke(main, ["report", str(out)])
    assert r.exit_code == 0, r.output
    md = (out / "summary.md").read_text()
    assert "config.yaml is missing or unreadable" in md and "## Per strategy" in md
