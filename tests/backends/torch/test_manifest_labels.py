"""A torch model's manifest labels must match its output layer: a label added to (or dropped from)
a re-hashed manifest is refused at load instead of shifting or overrunning the columns."""
from __future__ import annotations

import json
import os

import pytest

import multitag
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_torch.taggers import CNNBiLSTMCRFTagger


@pytest.fixture
def saved(tmp_path):
    t = CNNBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, word_dim=8, char_dim=4, char_filters=4, case_dim=2, hidden=8,
                           optimizer="adam", lr=0.01, batch_size=8, threads=1, max_epochs=1, patience=1,
                           embeddings="random")
    t.fit(synthetic_corpus(20))
    target = str(tmp_path / "m")
    t.save(target)
    return t, target


@pytest.mark.parametrize("change", ["add", "drop"])
def test_a_label_count_other_than_the_output_layers_is_refused(saved, rehash, change):
    _, target = saved
    mpath = os.path.join(target, "multitag.json")
    with open(mpath, encoding="utf-8") as fh:
        m = json.load(fh)
    m["labels"] = m["labels"] + ["B-EVIL"] if change == "add" else m["labels"][:-1]
    with open(mpath, "w", encoding="utf-8") as fh:
        json.dump(m, fh)
    rehash(target)
    with pytest.raises(MultitagError, match="output labels, the manifest lists") as e:
        multitag.load(target)
    assert "\n" not in str(e.value)
