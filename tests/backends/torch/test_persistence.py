"""Saved torch taggers: safetensors weights (nothing unpickled), the training summary, registry names."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

import multitag
from multitag import registry
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_torch.taggers import BiLSTMTagger, CNNBiLSTMCRFTagger

TEST = synthetic_corpus(8, seed=1)


@pytest.fixture
def saved(tmp_path):
    t = CNNBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, word_dim=8, char_dim=4, char_filters=4, case_dim=2, hidden=8,
                           optimizer="adam", lr=0.01, batch_size=8, threads=1, max_epochs=4, patience=2,
                           embeddings="random")
    t.fit(synthetic_corpus(30), synthetic_corpus(10, seed=4))
    target = str(tmp_path / "m")
    t.save(target)
    return t, target


def test_manifest_records_the_training_and_typed_params(saved):
    t, target = saved
    with open(os.path.join(target, "multitag.json")) as fh:
        m = json.load(fh)
    assert m["backend"] == "cnn-bilstm-crf" and registry.name_of(BiLSTMTagger) == "bilstm"
    assert set(m["files"]) == {"arch.json", "vocab.json", "model.safetensors"}
    assert m["params"]["max_seconds"] is None and m["params"]["threads"] == 1 and m["params"]["embeddings"] == "random"
    tr = m["training"]
    assert tr["epochs_run"] == len(t.history_.epochs) and 1 <= tr["best_epoch"] <= tr["epochs_run"] <= 4
    assert tr["best_epoch"] == t.history_.best_epoch and isinstance(tr["seconds"], float)
    u = multitag.load(target)
    assert type(u) is CNNBiLSTMCRFTagger and u.max_seconds is None
    for p, q in zip(u.predict(TEST), t.predict(TEST)):
        assert p.tags == q.tags and np.allclose(p.marginals, q.marginals, atol=1e-6)


def test_a_pickle_in_place_of_the_weights_runs_nothing(saved, tmp_path, evil_pickle, rehash):
    _, target = saved
    marker = str(tmp_path / "UNPICKLED")
    with open(os.path.join(target, "model.safetensors"), "wb") as fh:
        fh.write(evil_pickle(marker, torch_format=True))
    rehash(target)
    with pytest.raises(MultitagError, match="model.safetensors: not a safetensors file") as e:
        multitag.load(target)
    assert "\n" not in str(e.value) and not os.path.exists(marker)


def test_an_old_pickled_torch_folder_is_refused_unread(tmp_path, evil_pickle):
    old = tmp_path / "old"
    old.mkdir()
    marker = str(tmp_path / "UNPICKLED")
    (old / "model.pt").write_bytes(evil_pickle(marker, torch_format=True))
    (old / "params.json").write_text(json.dumps({"format": "multitag-torch/1", "class": "BiLSTMTagger", "params": {}}))
    with pytest.raises(MultitagError, match="written by an older multitag or not a model; retrain"):
        BiLSTMTagger.load(str(old))
    assert not os.path.exists(marker)
