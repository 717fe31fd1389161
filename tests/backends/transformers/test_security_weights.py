"""model=FOLDER never unpickles code: a pytorch_model.bin is read only with torch.load(weights_only=True),
and a folder with safetensors weights is read from those only."""
import os
import shutil

import numpy as np
import pytest

from multitag.errors import MultitagError
from multitag.testing import synthetic_corpus
from support.pickles import make_pickle

pytest.importorskip("transformers")
from multitag_transformers.loading import load_pretrained, weight_files  # noqa: E402
from multitag_transformers.tagger import TransformerTagger  # noqa: E402

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
TEST = synthetic_corpus(4, seed=11)


def _copy(tiny_bert, tmp_path, name="bert"):
    folder = str(tmp_path / name)
    shutil.copytree(tiny_bert, folder)
    return folder


def _fit_predict(folder):
    t = TransformerTagger(labels=LABELS, model=folder, seed=3, epochs=1, predict_batch_size=4, device="cpu")
    return t.fit(synthetic_corpus(12)).predict(TEST)


def _one_line(e):
    msg = str(e.value)
    assert "\n" not in msg
    return msg


@pytest.mark.parametrize("torch_format", [False, True])
def test_a_crafted_pytorch_model_bin_is_refused_and_runs_nothing(tiny_bert, tmp_path, evil_pickle, torch_format):
    folder = _copy(tiny_bert, tmp_path)
    os.remove(os.path.join(folder, "model.safetensors"))
    marker = str(tmp_path / "PWNED")
    if torch_format:
        with open(os.path.join(folder, "pytorch_model.bin"), "wb") as fh:
            fh.write(evil_pickle(marker, torch_format=True))
    else:
        _, marker = make_pickle(folder, "pytorch_model.bin")
    assert weight_files(folder) == (False, "pytorch_model.bin")
    with pytest.raises(MultitagError) as e:
        _fit_predict(folder)
    msg = _one_line(e)
    assert "pytorch_model.bin" in msg and "save_pretrained(DIR, safe_serialization=True)" in msg
    assert not os.path.exists(marker)


def test_a_pickle_beside_safetensors_weights_is_never_opened(tiny_bert, tmp_path):
    clean = _fit_predict(_copy(tiny_bert, tmp_path, "clean"))
    folder = _copy(tiny_bert, tmp_path)
    _, marker = make_pickle(folder, "pytorch_model.bin")
    assert weight_files(folder) == (True, None)
    for p, q in zip(_fit_predict(folder), clean):
        assert p.tags == q.tags and np.array_equal(p.marginals, q.marginals)
    assert not os.path.exists(marker)


def test_a_plain_pytorch_model_bin_still_loads_the_same_weights(tiny_bert, tmp_path):
    from transformers import AutoModel

    folder = _copy(tiny_bert, tmp_path)
    AutoModel.from_pretrained(tiny_bert).save_pretrained(folder, safe_serialization=False)
    os.remove(os.path.join(folder, "model.safetensors"))
    assert weight_files(folder) == (False, "pytorch_model.bin")
    clean = _fit_predict(_copy(tiny_bert, tmp_path, "clean"))
    for p, q in zip(_fit_predict(folder), clean):
        assert p.tags == q.tags and np.array_equal(p.marginals, q.marginals)


def test_weights_only_false_is_never_passed_on(tiny_bert):
    with pytest.raises(MultitagError, match="weights_only=False"):
        load_pretrained(tiny_bert, LABELS, weights_only=False)
