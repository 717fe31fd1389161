"""`multitag data inspect`: per file what the readers make of it, and --as-command's options read it back."""
from __future__ import annotations

import shlex

from click.testing import CliRunner

from multitag.cli import main
from multitag.data import load_dataset
from multitag.data.inspect import as_command, inspect_paths
from multitag.data.read_options import ReadOptions, parse_columns

LATIN1_TAG_FIRST = "B-PER\tJürgen\nI-PER\tMüller\nO\tsagt\n\nO\tja\nI-LOC\tKöln\n"


def _folder(tmp_path):
    (tmp_path / "engtrain.bio").write_bytes(LATIN1_TAG_FIRST.encode("latin-1"))
    (tmp_path / "engtest.bio").write_bytes("B-LOC\tKöln\n".encode("latin-1"))
    return tmp_path


def test_inspect_reports_layout_encoding_counts_entities_first_sentence_and_repairs(tmp_path):
    train, test = inspect_paths([_folder(tmp_path)])
    assert (train.role, test.role) == ("train", "test")
    text = "\n".join(train.lines())
    assert "format: CoNLL columns; token column 2, tag column 1, tag first" in text
    assert "encoding: Latin-1" in text and "sentences: 2, tokens: 5" in text
    assert "entities: LOC 1, PER 1" in text
    assert "first sentence: Jürgen/B-PER Müller/I-PER sagt/O" in text
    assert "repairs: 1 stray I- tags read as B- (--repair)" in text      # read only with --repair, and said


def test_as_command_options_read_the_files_as_inspect_did(tmp_path):
    reports = inspect_paths([_folder(tmp_path)])
    args = shlex.split(as_command(reports))
    assert args[:4] == ["--train", str(tmp_path / "engtrain.bio"), "--test", str(tmp_path / "engtest.bio")]
    assert "--repair" in args and args[args.index("--encoding") + 1] == "Latin-1"
    opts = ReadOptions(encoding=args[args.index("--encoding") + 1],
                       columns=parse_columns(args[args.index("--columns") + 1]), repair=True)
    ds = load_dataset(train=args[1], test=args[3], options=opts)
    assert ds.train[1].tokens == ("ja", "Köln") and ds.train[1].tags == ("O", "B-LOC")


def test_a_refused_file_is_reported_with_the_option_that_reads_it(write):
    path = write("NER-de-dev.tsv", "1\tSchartau\tB-PER\tO\n")
    (report,) = inspect_paths([path])
    assert report.error is not None and "--tag-column outer" in report.lines()[1]


def test_inspect_command(tmp_path):
    folder = _folder(tmp_path)
    r = CliRunner().invoke(main, ["data", "inspect", str(folder)])
    assert r.exit_code == 0, r.output
    assert f"{folder / 'engtrain.bio'} (train split by its name)" in r.stdout and "encoding: Latin-1" in r.stdout
    r = CliRunner().invoke(main, ["data", "inspect", "--as-command", str(folder / "engtest.bio")])
    assert r.stdout.strip() == f"--test {folder / 'engtest.bio'} --columns token=2,tag=1 --encoding Latin-1"


def test_inspect_names_every_format(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "d.txt").write_text("John left\n", encoding="utf-8")
    (tmp_path / "b" / "d.ann").write_text("T1\tPER 0 4\tJohn\n", encoding="utf-8")
    (report,) = inspect_paths([tmp_path / "b"])
    assert "format: BRAT standoff (.txt + .ann)" in report.lines()[1] and report.entities == {"PER": 1}
