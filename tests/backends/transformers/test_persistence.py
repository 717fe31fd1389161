"""Saved transformer taggers: safetensors weights only, local files only, no code from the folder."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

import multitag
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_transformers.tagger import TransformerTagger

TEST = synthetic_corpus(6, seed=1)


@pytest.fixture(scope="module")
def fitted(tiny_bert):
    return TransformerTagger(labels=SYNTHETIC_LABELS, model=tiny_bert, early_stopping=True, max_epochs=2, patience=1,
                             device="cpu").fit(synthetic_corpus(16), synthetic_corpus(6, seed=2))


@pytest.fixture
def saved(fitted, tmp_path):
    target = str(tmp_path / "m")
    fitted.save(target)
    return fitted, target


def _same(a, b) -> bool:
    return all(p.tags == q.tags and np.allclose(p.marginals, q.marginals, atol=1e-6) for p, q in zip(a, b))


def test_folder_manifest_and_round_trip(saved):
    t, target = saved
    with open(os.path.join(target, "multitag.json")) as fh:
        m = json.load(fh)
    assert m["backend"] == "transformer"
    assert {"config.json", "model.safetensors", "tokenizer.json", "history.json"} <= set(m["files"])
    assert not any(f.endswith((".bin", ".pt", ".pkl")) for f in m["files"])
    assert m["params"]["max_steps"] is None and m["params"]["early_stopping"] is True
    tr = m["training"]
    f1s = [h["dev_f1"] for h in t.history_]
    assert tr["epochs_run"] == len(t.history_) and tr["best_epoch"] == f1s.index(max(f1s)) + 1
    assert tr["best_dev_f1"] == max(f1s)
    u = multitag.load(target)
    assert type(u) is TransformerTagger and u.history_ == t.history_ and _same(u.predict(TEST), t.predict(TEST))


def test_pickled_weights_are_never_loaded(saved, tmp_path, evil_pickle, rehash):
    t, target = saved
    marker = str(tmp_path / "UNPICKLED")
    payload = evil_pickle(marker, torch_format=True)
    # a listed pytorch_model.bin beside the safetensors weights is ignored
    with open(os.path.join(target, "pytorch_model.bin"), "wb") as fh:
        fh.write(payload)
    rehash(target)
    assert _same(multitag.load(target).predict(TEST), t.predict(TEST)) and not os.path.exists(marker)
    # ... and alone it is refused
    os.remove(os.path.join(target, "model.safetensors"))
    rehash(target)
    with pytest.raises(MultitagError, match="no model.safetensors"):
        multitag.load(target)
    # a pickle named model.safetensors is refused by the safetensors reader
    with open(os.path.join(target, "model.safetensors"), "wb") as fh:
        fh.write(payload)
    rehash(target)
    with pytest.raises(MultitagError) as e:
        multitag.load(target)
    assert "\n" not in str(e.value) and not os.path.exists(marker)


def test_code_shipped_in_the_folder_is_not_run(saved, tmp_path, rehash):
    t, target = saved
    marker = str(tmp_path / "RAN")
    with open(os.path.join(target, "evil_model.py"), "w") as fh:
        fh.write(f"open({marker!r}, 'w').write('pwned')\n")
    cfg_path = os.path.join(target, "config.json")
    with open(cfg_path) as fh:
        cfg = json.load(fh)
    cfg["auto_map"] = {"AutoConfig": "evil_model.EvilConfig",
                       "AutoModelForTokenClassification": "evil_model.EvilModel"}
    with open(cfg_path, "w") as fh:
        json.dump(cfg, fh)
    rehash(target)
    try:
        u = multitag.load(target)
    except MultitagError as e:
        assert "\n" not in str(e)
    else:
        assert _same(u.predict(TEST), t.predict(TEST))
    assert not os.path.exists(marker)


def test_a_full_disk_during_save_pretrained_keeps_the_previous_model(saved, tmp_path, full_disk, disk_faults):
    """safetensors reports a full disk with its own error type, not OSError: still one line, and
    the previous model stays loadable."""
    t, target = saved
    size = sum(os.path.getsize(os.path.join(target, f)) for f in os.listdir(target))
    disk = tmp_path / "disk"
    pages = (size * 3 // 2) // 4096 + 4
    with full_disk(disk, f"{pages * 4}k") as mounted:
        model = str(disk / "m")
        t.save(model)                       # fits once, not twice
        before = t.predict(TEST)
        if mounted:
            with pytest.raises(MultitagError, match="No space left on device") as e:
                t.save(model)
        else:
            with disk_faults(1), pytest.raises(MultitagError, match="No space left on device") as e:
                t.save(model)
        assert model in str(e.value) and "\n" not in str(e.value)
        assert _same(multitag.load(model).predict(TEST), before)
        assert sorted(os.listdir(disk)) == ["m"]
