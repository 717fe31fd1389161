"""The data options on the command line: --encoding / --columns / --tag-column / --repair reach the
readers, `train` says when it trains without validation, `evaluate --data FILE` names the file's role."""
from __future__ import annotations

from click.testing import CliRunner

from multitag.cli import main
from multitag.experiments.config import ExperimentConfig, read_options

TAG_FIRST = "B-PER\tJohn\nO\tlives\nO\tin\nB-LOC\tParis\n\nB-PER\tMary\nO\tleft\nB-LOC\tBerlin\n"


def test_train_reads_a_tag_first_latin1_file_and_says_it_trains_without_validation(tmp_path):
    data = tmp_path / "train.bio"
    data.write_bytes(TAG_FIRST.replace("Paris", "Zürich").encode("latin-1"))
    model = str(tmp_path / "m")
    r = CliRunner().invoke(main, ["train", "--backend", "crf", "--data", str(data), "--out", model])
    assert r.exit_code == 0, r.output
    assert f"train: {data} (IOB2; Latin-1; token column 2, tag column 1, tag first): 2 sentences, 7 tokens" in r.stderr
    assert "no dev split: training without validation" in r.stderr
    r = CliRunner().invoke(main, ["evaluate", "--model", model, "--data", str(data)])
    assert r.exit_code == 0, r.output
    assert r.stderr.startswith(f"test: {data} ")          # the evaluated file by its role, not "train:"


def test_columns_and_repair_options_reach_the_reader(tmp_path):
    data = tmp_path / "x.txt"
    # the tag in the third of four columns; stray I- at a sentence start and after O, B- after O (neither IOB1 nor IOB2)
    data.write_text("John NNP I-PER 1\nlives VBZ O 2\n\nMary NNP B-PER 1\nin IN O 2\nRome NNP I-LOC 3\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["train", "--backend", "crf", "--data", str(data), "--columns", "token=1,tag=3",
                                  "--scheme", "IOB2"])
    assert r.exit_code == 2 and f"{data}:1: " in r.stderr and "--repair" in r.stderr
    r = CliRunner().invoke(main, ["train", "--backend", "crf", "--data", str(data), "--columns", "token=1,tag=3",
                                  "--repair"])
    assert r.exit_code == 0, r.output
    assert "2 stray I- tags repaired to B-" in r.stderr and "token column 1, tag column 3, as given" in r.stderr
    r = CliRunner().invoke(main, ["train", "--backend", "crf", "--data", str(data), "--columns", "tag=3"])
    assert r.exit_code == 2 and "--columns: name the token column" in r.stderr


def test_experiment_config_keeps_the_reading_options():
    cfg = ExperimentConfig.from_dict({"data": "d", "columns": "tag=1, token=2", "tag_column": "Outer",
                                      "encoding": "latin-1", "repair": True})
    assert (cfg.columns, cfg.tag_column) == ("token=2,tag=1", "outer")
    opts = read_options(cfg)
    assert opts.columns == {"token": 2, "tag": 1} and opts.repair and opts.encoding == "latin-1"
    assert "columns" not in ExperimentConfig(data="d").to_dict()      # at the defaults config.yaml reads as before
