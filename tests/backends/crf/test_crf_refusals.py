"""What the CRF cannot do is refused before any training, and bad CRF parameters are one-line
errors that leave no results folder."""
import os

import pytest
from click.testing import CliRunner

from multitag.cli import main
from multitag.errors import CompatibilityError
from multitag.experiments.config import ExperimentConfig
from multitag.experiments.runner import run_experiment
from multitag_crf.tagger import CRFTagger

CONLL = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "data", "conll2003")


def test_crf_with_bald_is_refused_before_any_training(tmp_path, monkeypatch):
    def no_fit(self, *a, **k):
        raise AssertionError("the CRF was trained before the incompatible strategy was refused")

    monkeypatch.setattr(CRFTagger, "fit", no_fit)
    config = ExperimentConfig(data=CONLL, backends=["crf"], strategies=["bald"], train_limit=50, schedule="2%x1")
    with pytest.raises(CompatibilityError, match="bald.*MC-dropout"):
        run_experiment(config, str(tmp_path / "out"), progress=False)
    assert not os.path.exists(tmp_path / "out")
    for level in ("entity", "token"):
        config = ExperimentConfig(data=CONLL, backends=["crf"], strategies=["vr"], levels=[level], train_limit=50)
        with pytest.raises(CompatibilityError):
            run_experiment(config, str(tmp_path / "out"), progress=False)


@pytest.mark.parametrize("param,message", [
    ("c1=abc", "parameter c1 expects a number, got 'abc'"),
    ("max_iterations=-5", "max_iterations must be a positive integer, not -5"),
    ("cluster_size=[4]", "has no parameter 'cluster_size'"),
])
def test_bad_crf_parameters_are_one_line_errors_before_out_exists(tmp_path, param, message):
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["compare", "--data", CONLL, "--backends", "crf", "--train-limit", "50",
                                  "--param", param, "--out", str(out), "--no-progress"])
    assert r.exit_code == 2, r.output
    assert r.output.count("\n") == 1 and message in r.output and "Traceback" not in r.output
    assert not out.exists()
