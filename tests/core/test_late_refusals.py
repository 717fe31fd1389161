"""`multitag train --out` pointing at a file or at a folder that is not a model is refused before
any data is read or any model trained (it used to be refused only after training finished)."""
from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from multitag.cli import main
from multitag.testing import synthetic_corpus


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    text = "\n\n".join("\n".join(f"{w} {t}" for w, t in zip(s.tokens, s.tags)) for s in synthetic_corpus(20)) + "\n"
    (d / "train.txt").write_text(text)
    return d


@pytest.fixture
def no_fit(monkeypatch):
    """Training raises: a refusal that comes after training starts shows as this error."""

    calls = []

    def fail(*a, **k):
        calls.append(1)
        raise AssertionError("fit was called before --out was checked")

    from multitag import registry

    cls = registry.resolve("crf").cls
    monkeypatch.setattr(cls, "fit", fail)
    monkeypatch.setattr(cls, "observe_unlabeled", fail)
    return calls


@pytest.mark.parametrize("kind", ["file", "foreign folder"])
def test_train_out_that_cannot_be_written_is_refused_before_training(tmp_path, data_dir, no_fit, kind):
    target = tmp_path / "target"
    if kind == "file":
        target.write_text("my notes\n")
    else:
        target.mkdir()
        (target / "notes.txt").write_text("mine\n")
    r = CliRunner().invoke(main, ["train", "--backend", "crf", "--data", str(data_dir), "--out", str(target)])
    assert r.exit_code == 2, r.output
    assert not no_fit
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert lines[-1].startswith("error: ") and str(target) in lines[-1] and "refusing to overwrite" in lines[-1]
    assert "Traceback" not in r.output
    # nothing was touched
    if kind == "file":
        assert target.read_text() == "my notes\n"
    else:
        assert sorted(os.listdir(target)) == ["notes.txt"]


def test_an_empty_folder_or_a_new_path_passes_the_check(tmp_path):
    from multitag.persistence import check_save_target

    assert check_save_target(tmp_path / "new") is False
    (tmp_path / "empty").mkdir()
    assert check_save_target(tmp_path / "empty") is True


@pytest.mark.parametrize("param", ["lr=-1", "lr=0", "patience=-2", "clip=-1"])
def test_a_torch_parameter_out_of_range_is_refused_before_reading_data(tmp_path, param):
    """`--param lr=-1` on bilstm gave torch's ValueError traceback after training had started."""
    pytest.importorskip("multitag_torch")
    missing = tmp_path / "no-such-folder"  # the data is never read: the refusal comes first
    r = CliRunner().invoke(main, ["train", "--backend", "bilstm", "--data", str(missing), "--param", param,
                                  "--param", "embeddings=random"])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and param.split("=")[0] in lines[0], r.output
    assert "no-such-folder" not in lines[0]
