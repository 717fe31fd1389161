"""The data fingerprint covers the feature (POS) columns; old results folders still resume."""
import pytest
import yaml

from multitag.data.dataset import load_dataset
from multitag.errors import MultitagError
from multitag.experiments.outdir import data_fingerprint, save_or_check

TRAIN = "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\nruns VBZ B-VP O\n"


def _write(tmp_path, text):
    d = tmp_path / "data"
    d.mkdir(exist_ok=True)
    (d / "train.txt").write_text(text, encoding="utf-8")
    return d


def _fp(tmp_path, text):
    return data_fingerprint(load_dataset(_write(tmp_path, text)))


def test_changed_pos_column_changes_fingerprint(tmp_path):
    a = _fp(tmp_path, TRAIN)
    b = _fp(tmp_path, TRAIN.replace("VBZ", "NN"))
    assert a["train"]["sha256"] == b["train"]["sha256"]          # tokens and tags are the same
    assert a["train"]["features_sha256"] != b["train"]["features_sha256"]


def test_changed_pos_column_refuses_resume(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    save_or_check(str(out), {"x": 1}, _fp(tmp_path, TRAIN))
    save_or_check(str(out), {"x": 1}, _fp(tmp_path, TRAIN))       # same data: resumes
    with pytest.raises(MultitagError, match="the train split") as e:
        save_or_check(str(out), {"x": 1}, _fp(tmp_path, TRAIN.replace("VBZ", "NN")))
    assert "POS" in str(e.value)


def test_old_folder_without_features_key_resumes(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    fp = _fp(tmp_path, TRAIN)
    old = {s: {k: v for k, v in v.items() if k != "features_sha256"} for s, v in fp.items()}
    (out / "config.yaml").write_text(yaml.safe_dump({"x": 1, "data_fingerprint": old}), encoding="utf-8")
    save_or_check(str(out), {"x": 1}, fp)                          # not recorded: not compared
    with pytest.raises(MultitagError, match="the train split differs"):
        save_or_check(str(out), {"x": 1}, _fp(tmp_path, TRAIN.replace("rejects", "accepts")))
