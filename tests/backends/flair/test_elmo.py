import json
import os

import h5py
import numpy as np
import pytest
import torch

from multitag_flair.elmo import ElmoBiLm
from multitag_flair.elmo_chars import add_sentence_boundaries, batch_to_ids, word_to_ids


def _expected(payload):
    """Hand-built ids: begin-word 259, payload bytes + 1, end-word 260, in-word padding 261."""
    ids = [259] + [b + 1 for b in payload] + [260]
    return ids + [261] * (50 - len(ids))


def test_word_ids_hand_worked():
    assert word_to_ids("a").tolist() == [259, 98, 260] + [261] * 47
    assert word_to_ids("Hi").tolist() == _expected([72, 105])
    # "é" is two UTF-8 bytes, c3 a9
    assert word_to_ids("é").tolist() == [259, 0xC3 + 1, 0xA9 + 1, 260] + [261] * 46


def test_truncation_at_48_bytes_may_split_a_character():
    long = "x" * 60
    ids = word_to_ids(long).tolist()
    assert ids == [259] + [ord("x") + 1] * 48 + [260]
    # 1 + 2*24 = 49 bytes: the 48-byte cut keeps only the first byte of the last "é"
    word = "a" + "é" * 24
    ids = word_to_ids(word).tolist()
    assert ids[:2] == [259, ord("a") + 1]
    assert ids[2:48] == [0xC3 + 1, 0xA9 + 1] * 23
    assert ids[48] == 0xC3 + 1 and ids[49] == 260


def test_token_padding_is_zero_and_boundaries_go_per_row():
    ids = batch_to_ids([["a"], ["a", "bc"]])
    assert ids.shape == (2, 2, 50)
    assert (ids[0, 1] == 0).all(), "a padded token position must be all zeros"
    assert ids[1, 1, 4] == 261, "in-word padding is 261, not 0"
    with_b, mask = add_sentence_boundaries(ids)
    bos = [259, 257, 260] + [261] * 47
    eos = [259, 258, 260] + [261] * 47
    assert with_b[0, 0].tolist() == bos and with_b[1, 0].tolist() == bos
    assert with_b[0, 2].tolist() == eos, "</S> follows the row's own last token"
    assert (with_b[0, 3] == 0).all()
    assert with_b[1, 3].tolist() == eos
    assert mask.tolist() == [[True, True, True, False], [True, True, True, True]]


def _load(fixture, stateful):
    return ElmoBiLm.from_files(os.path.join(fixture, "options.json"), os.path.join(fixture, "lm_weights.hdf5"),
                               stateful=stateful)


def _reference(fixture):
    """Batches as the reference was made (AllenNLP test_elmo): batch i holds sentences[k][i] in
    row k, and lm_embeddings_k.hdf5 holds row k's top layer ([forward | backward])."""
    with open(os.path.join(fixture, "sentences.json")) as f:
        sentences = json.load(f)
    batches, expected = [], []
    for i in range(len(sentences[0])):
        batches.append([sentences[k][i].split() for k in range(len(sentences))])
        row = []
        for k in range(len(sentences)):
            with h5py.File(os.path.join(fixture, f"lm_embeddings_{k}.hdf5"), "r") as h5:
                a = h5[str(i)][...]
            row.append(np.concatenate([a[0], a[1]], axis=-1))
        expected.append(row)
    return batches, expected


def test_state_carrying_mode_reproduces_the_reference(elmo_fixture):
    model = _load(elmo_fixture, stateful=True)
    batches, expected = _reference(elmo_fixture)
    worst = 0.0
    for batch, exp in zip(batches, expected):
        layers, mask = model.embed_sentences(batch)
        assert mask.sum(dim=1).tolist() == [len(s) for s in batch]
        for k, e in enumerate(exp):
            got = layers[k, -1, : len(batch[k])].numpy()
            assert got.shape == e.shape
            worst = max(worst, float(np.abs(got - e).max()))
    assert worst < 1e-5, f"top layer differs from bilm-tf by {worst}"


def test_deterministic_mode_resets_state(elmo_fixture):
    model = _load(elmo_fixture, stateful=False)
    batches, expected = _reference(elmo_fixture)
    first, _ = model.embed_sentences(batches[0])
    for k, e in enumerate(expected[0]):  # the first batch starts from zero state in both modes
        assert np.abs(first[k, -1, : len(batches[0][k])].numpy() - e).max() < 1e-5
    later, _ = model.embed_sentences(batches[3])
    diff = max(np.abs(later[k, -1, : len(batches[3][k])].numpy() - e).max() for k, e in enumerate(expected[3]))
    assert diff > 1e-3, "without carried state, later batches must differ from the state-carrying reference"
    again, _ = model.embed_sentences(batches[3])
    assert torch.equal(later, again), "deterministic mode must not depend on earlier calls"
    alone, _ = model.embed_sentences([batches[3][1]])
    n = len(batches[3][1])
    assert np.abs(alone[0, :, :n].numpy() - later[1, :, :n].numpy()).max() < 1e-5
    assert (later[0, :, len(batches[3][0]):] == 0).all(), "padded positions must be zero"


def test_layer0_is_the_token_encoding_twice(elmo_fixture):
    model = _load(elmo_fixture, stateful=False)
    layers, _ = model.embed_sentences([["The", "cat"]])
    P = model.proj_dim
    assert layers.shape == (1, 3, 2, 2 * P)
    assert torch.equal(layers[0, 0, :, :P], layers[0, 0, :, P:])


def test_embedding_cache_computes_each_sentence_once(elmo_fixture):
    from flair.data import Sentence as FS

    from multitag_flair.elmo_embedding import ElmoTokenEmbeddings, clear_cache

    clear_cache()
    files = os.path.join(elmo_fixture, "options.json"), os.path.join(elmo_fixture, "lm_weights.hdf5")
    emb = ElmoTokenEmbeddings.from_files(*files, mode="all")
    assert emb.embedding_length == 3 * 32
    s1 = FS(["The", "cat", "sat"])
    emb.embed([s1])
    assert emb.calls == 1
    v = s1[1].get_embedding().clone()
    # a second embedding object over the same weights (e.g. the next AL iteration) hits the cache
    emb2 = ElmoTokenEmbeddings.from_files(*files, mode="all")
    s2 = FS(["The", "cat", "sat"])
    emb2.embed([s2, FS(["A", "dog"])])
    assert emb2.calls == 1, "only the new sentence may run through the biLM"
    assert torch.equal(s2[1].get_embedding(), v)
    nocache = ElmoTokenEmbeddings.from_files(*files, mode="top", cache=False)
    s3 = FS(["The", "cat", "sat"])
    nocache.embed([s3])
    nocache.embed([FS(["The", "cat", "sat"])])
    assert nocache.calls == 2
    assert torch.allclose(s3[1].get_embedding(), v[-32:], atol=1e-6), "top = the last layer of all"


def test_bad_files_raise_multitag_error(tmp_path, elmo_fixture):
    from multitag.errors import MultitagError

    with pytest.raises(MultitagError):
        ElmoBiLm.from_files(str(tmp_path / "nope.json"), os.path.join(elmo_fixture, "lm_weights.hdf5"))
    bad = tmp_path / "w.hdf5"
    with h5py.File(bad, "w") as h5:
        h5["x"] = np.zeros(3)
    with pytest.raises(MultitagError, match="hdf5 layout"):
        ElmoBiLm.from_files(os.path.join(elmo_fixture, "options.json"), str(bad))
