"""Word-vector files: pickles are refused without being unpickled; safe formats agree."""
import os

import numpy as np
import pytest

from multitag.errors import MultitagError
from support.pickles import make_pickle

pytest.importorskip("gensim")
from multitag_torch.embeddings import load_vectors  # noqa: E402




@pytest.mark.parametrize("name", ["vectors.kv", "vectors.model", "vectors.pkl", "vectors.txt", "vectors.bin", "vectors"])
def test_pickle_refused_and_not_run(tmp_path, name):
    path, marker = make_pickle(str(tmp_path), name)
    with pytest.raises(MultitagError) as e:
        load_vectors(path)
    assert "\n" not in str(e.value) and "pickle" in str(e.value)
    assert not os.path.exists(marker)


def test_safe_formats_agree(tmp_path):
    from gensim.models import KeyedVectors

    words = ["the", "cat", "Sat"]
    vecs = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    kv = KeyedVectors(4)
    kv.add_vectors(words, vecs)
    kv.save_word2vec_format(str(tmp_path / "v.txt"), binary=False)
    kv.save_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    np.save(tmp_path / "v.npy", vecs)
    (tmp_path / "v.vocab").write_text("\n".join(words) + "\n", encoding="utf8")
    for name in ("v.txt", "v.bin", "v.npy"):
        w, m = load_vectors(str(tmp_path / name))
        assert w == words, name
        np.testing.assert_allclose(m, vecs, rtol=1e-5, err_msg=name)


def test_npy_object_array_refused(tmp_path):
    np.save(tmp_path / "v.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "v.vocab").write_text("a\n")
    with pytest.raises(MultitagError):
        load_vectors(str(tmp_path / "v.npy"))
