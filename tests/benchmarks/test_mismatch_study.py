"""benchmarks/mismatch_study.py's option parsing: per-model epoch settings reach only the models that have them."""
import importlib.util
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "mismatch_study.py"
spec = importlib.util.spec_from_file_location("mismatch_study", _SCRIPT)
study = importlib.util.module_from_spec(spec)
spec.loader.exec_module(study)


def test_epoch_limits_per_model_or_for_all():
    assert study._epoch_limits("6", ["crf", "minilm"]) == {"crf": 6, "minilm": 6}
    assert study._epoch_limits("minilm=12, cnn-bilstm-crf=30", ["minilm"]) == {"minilm": 12, "cnn-bilstm-crf": 30}
    assert study._epoch_limits("", ["crf"]) == {}
    with pytest.raises(SystemExit, match="not MODEL=EPOCHS"):
        study._epoch_limits("minilm:12", ["minilm"])


def test_params_set_only_what_each_model_has():
    params = study._params(["crf", "cnn-bilstm-crf", "minilm"], {"cnn-bilstm-crf": 30}, {"minilm": 12, "crf": 5})
    assert params["minilm"]["epochs"] == 12 and "max_epochs" not in params["minilm"]
    assert params["cnn-bilstm-crf"]["max_epochs"] == 30 and "epochs" not in params["cnn-bilstm-crf"]
    assert "epochs" not in params.get("crf", {})   # the CRF has no epochs


def test_unknown_arms_are_refused(capsys):
    with pytest.raises(SystemExit):
        study.main(["--arms", "plain,teacher"])
    assert "--arms" in capsys.readouterr().err
