"""flair taggers refuse numeric parameters out of range in check(): `multitag train --param
learning_rate=-1` is one line before any data is read (it was a traceback once training started)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from multitag.cli import main
from multitag.errors import MultitagError

pytest.importorskip("flair")
from multitag_flair.tagger import FlairBiLSTMCRFTagger  # noqa: E402

BAD = ["learning_rate=-1", "learning_rate=0", "dropout=1", "word_dropout=-0.1", "locked_dropout=1.5",
       "batch_size=0", "max_epochs=-1", "patience=-2", "hidden_size=0", "anneal_factor=0", "anneal_factor=2",
       "max_grad_norm=-1", "min_learning_rate=-1", "fasttext_epochs=0", "predict_batch_size=0",
       "incremental_epochs=-1"]


@pytest.mark.parametrize("backend", ["flair-bilstm-crf", "elmo-bilstm-crf"])
@pytest.mark.parametrize("param", BAD)
def test_a_parameter_out_of_range_is_refused_before_reading_data(tmp_path, backend, param):
    missing = tmp_path / "no-such-folder"  # the data is never read: the refusal comes first
    r = CliRunner().invoke(main, ["train", "--backend", backend, "--data", str(missing), "--param", param])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    name = param.split("=")[0]
    assert len(lines) == 1 and lines[0].startswith("error: ") and f"{name} must be" in lines[0], r.output
    assert "no-such-folder" not in lines[0]


def test_the_defaults_and_the_edges_pass():
    FlairBiLSTMCRFTagger(labels=["O"]).check()
    FlairBiLSTMCRFTagger(labels=["O"], dropout=0.0, max_epochs=0, patience=0, anneal_factor=1.0,
                         max_grad_norm=None, min_learning_rate=0.0, incremental_epochs=0).check()
    with pytest.raises(MultitagError, match=r"learning_rate must be a number > 0, not True"):
        FlairBiLSTMCRFTagger(labels=["O"], learning_rate=True).check()
    with pytest.raises(MultitagError, match=r"learning_rate must be a number > 0, not inf"):
        FlairBiLSTMCRFTagger(labels=["O"], learning_rate=float("inf")).check()
