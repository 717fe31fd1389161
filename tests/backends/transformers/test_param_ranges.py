"""The transformer tagger refuses numeric parameters out of range in check(): `multitag train
--param learning_rate=-1` is one line before any data is read or checkpoint loaded."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from multitag.cli import main
from multitag.errors import MultitagError

pytest.importorskip("transformers")
from multitag_transformers.tagger import TransformerTagger  # noqa: E402

BAD = ["learning_rate=-1", "learning_rate=0", "epochs=-1", "max_epochs=-1", "patience=-1", "weight_decay=-0.01",
       "batch_size=0", "min_batch_size=0", "min_steps_per_epoch=-1", "max_steps=0", "max_length=2",
       "window_stride=0", "predict_batch_size=0", "incremental_epochs=-1"]


@pytest.mark.parametrize("param", BAD)
def test_a_parameter_out_of_range_is_refused_before_reading_data(tmp_path, tiny_bert, param):
    missing = tmp_path / "no-such-folder"  # the data is never read: the refusal comes first
    r = CliRunner().invoke(main, ["train", "--backend", "transformer", "--data", str(missing), "--param",
                                  f"model={tiny_bert}", "--param", param, "--param", "device=cpu"])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    name = param.split("=")[0]
    assert len(lines) == 1 and lines[0].startswith("error: ") and f"{name} must be" in lines[0], r.output
    assert "no-such-folder" not in lines[0]


def test_the_defaults_and_the_edges_pass(tiny_bert):
    TransformerTagger(labels=["O"], model=tiny_bert, device="cpu").check()
    TransformerTagger(labels=["O"], model=tiny_bert, device="cpu", epochs=0, patience=0, weight_decay=0.0,
                      min_steps_per_epoch=0, max_steps=None, max_length=None, incremental_epochs=0).check()
    with pytest.raises(MultitagError, match=r"max_steps must be None or an integer >= 1, not 1.5"):
        TransformerTagger(labels=["O"], model=tiny_bert, max_steps=1.5).check()
