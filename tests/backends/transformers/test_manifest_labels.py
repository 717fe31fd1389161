"""Two labels swapped in a re-hashed manifest would relabel every prediction of a transformer
model: the checkpoint's own id2label (config.json) is compared with the manifest at load."""
from __future__ import annotations

import json
import os

import pytest

import multitag
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_transformers.tagger import TransformerTagger


@pytest.fixture(scope="module")
def fitted(tiny_bert):
    return TransformerTagger(labels=SYNTHETIC_LABELS, model=tiny_bert, max_epochs=1, device="cpu").fit(synthetic_corpus(8))


@pytest.mark.parametrize("change", ["swap", "add"])
def test_manifest_labels_that_disagree_with_the_checkpoint_are_refused(fitted, tmp_path, rehash, change):
    target = str(tmp_path / "m")
    fitted.save(target)
    mpath = os.path.join(target, "multitag.json")
    with open(mpath, encoding="utf-8") as fh:
        m = json.load(fh)
    labels = list(m["labels"])
    if change == "swap":
        labels[0], labels[1] = labels[1], labels[0]
    else:
        labels.append("B-EVIL")
    m["labels"] = labels
    with open(mpath, "w", encoding="utf-8") as fh:
        json.dump(m, fh)
    rehash(target)
    with pytest.raises(MultitagError, match="differ from the manifest") as e:
        multitag.load(target)
    assert "\n" not in str(e.value)


def test_an_untouched_model_still_loads(fitted, tmp_path):
    target = str(tmp_path / "m")
    fitted.save(target)
    assert multitag.load(target).labels == list(SYNTHETIC_LABELS)
