"""Saved flair taggers: no pickle anywhere, the stack rebuilt from its description alone (no
training text, no embedding files), FastText n-grams stored compactly but exactly."""
from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

import multitag
from multitag.data.sentence import Sentence
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_flair.stack_state import ngrams_from_arrays, ngrams_to_arrays
from multitag_flair.tagger import ElmoBiLSTMCRFTagger, FlairBiLSTMCRFTagger

TINY = dict(hidden_size=8, batch_size=8, max_epochs=2, fasttext_dim=8, fasttext_epochs=1, char_dim=4, char_hidden=4)
# in-vocabulary words, and words never seen (FastText n-gram vectors, unknown characters)
PROBE = list(synthetic_corpus(6, seed=1)) + [Sentence(["Zanzibar", "qwxz", "Ωmega", "Paris"])]


def _same(a, b) -> bool:
    return all(p.tags == q.tags and np.allclose(p.marginals, q.marginals, atol=1e-6, rtol=0) for p, q in zip(a, b))


@pytest.fixture(scope="module")
def fitted():
    return FlairBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, seed=2, embeddings=["word:train:fasttext", "char"],
                                **TINY).fit(synthetic_corpus(20))


@pytest.fixture
def saved(fitted, tmp_path):
    target = str(tmp_path / "m")
    fitted.save(target)
    return fitted, target


def test_folder_manifest_and_round_trip(saved):
    t, target = saved
    with open(os.path.join(target, "multitag.json")) as fh:
        m = json.load(fh)
    assert m["backend"] == "flair-bilstm-crf" and m["class"] == "FlairBiLSTMCRFTagger"
    assert set(m["files"]) == {"stack.json", "embeddings.safetensors", "model.safetensors"}
    assert m["params"]["embeddings"] == ["word:train:fasttext", "char"] and m["params"]["max_grad_norm"] == 5.0
    tr = m["training"]
    assert tr["epochs_run"] == t.history_.epochs == 2 and tr["best_epoch"] == t.history_.best_epoch
    # the 2M x 8 n-gram matrix (64 MB) is stored as the rows training changed
    assert m["files"]["embeddings.safetensors"]["size"] < 2_000_000
    u = multitag.load(target)
    assert type(u) is FlairBiLSTMCRFTagger and u.embeddings == ("word:train:fasttext", "char")
    assert _same(u.predict(PROBE), t.predict(PROBE))


def test_ngram_rows_round_trip_exactly():
    rng = np.random.default_rng(0)
    from gensim.models.keyedvectors import prep_vectors

    init = prep_vectors((5000, 6), seed=11)
    trained = init.copy()
    rows = rng.choice(5000, 40, replace=False)
    trained[rows] += rng.normal(size=(40, 6)).astype(np.float32)
    index, values = ngrams_to_arrays(trained, 11)
    assert sorted(index.tolist()) == sorted(rows.tolist())
    assert np.array_equal(ngrams_from_arrays(5000, 6, 11, index, values), trained)
    # without the seed every row is kept, still exact
    index, values = ngrams_to_arrays(trained, None)
    assert len(index) == 5000 and np.array_equal(ngrams_from_arrays(5000, 6, None, index, values), trained)


@pytest.mark.parametrize("name", ["stack.json", "embeddings.safetensors", "model.safetensors"])
def test_a_pickle_in_place_of_any_file_runs_nothing(saved, tmp_path, evil_pickle, rehash, name):
    _, target = saved
    marker = str(tmp_path / "UNPICKLED")
    with open(os.path.join(target, name), "wb") as fh:
        fh.write(evil_pickle(marker, torch_format=name != "stack.json"))
    rehash(target)
    with pytest.raises(MultitagError) as e:
        multitag.load(target)
    assert "\n" not in str(e.value) and not os.path.exists(marker)


def test_old_flair_model_files_are_never_unpickled(saved, tmp_path, evil_pickle):
    _, target = saved
    marker = str(tmp_path / "UNPICKLED")
    payload = evil_pickle(marker, torch_format=True)
    # dropped into a good model folder: refused as a file the manifest does not list
    with open(os.path.join(target, "flair-model.pt"), "wb") as fh:
        fh.write(payload)
    with pytest.raises(MultitagError, match="flair-model.pt is not listed"):
        multitag.load(target)
    # a folder in the old format (flair's pickled model + the old multitag.json)
    old = tmp_path / "old"
    old.mkdir()
    (old / "flair-model.pt").write_bytes(payload)
    (old / "multitag.json").write_text(json.dumps({"backend": "FlairBiLSTMCRFTagger", "params": {}, "flair": "0.15.1"}))
    for load in (multitag.load, FlairBiLSTMCRFTagger.load):
        with pytest.raises(MultitagError, match="written by an older multitag or not a model; retrain"):
            load(str(old))
    assert not os.path.exists(marker)


def test_elmo_model_loads_without_the_elmo_files(elmo_fixture, tmp_path):
    files = tmp_path / "elmo"
    shutil.copytree(elmo_fixture, files)
    t = ElmoBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, seed=0, elmo_options=str(files / "options.json"),
                            elmo_weights=str(files / "lm_weights.hdf5"), embeddings=["char"], **TINY)
    t.fit(synthetic_corpus(12))
    t.save(str(tmp_path / "m"))
    shutil.rmtree(files)
    u = multitag.load(str(tmp_path / "m"))
    assert type(u) is ElmoBiLSTMCRFTagger and _same(u.predict(PROBE), t.predict(PROBE))
