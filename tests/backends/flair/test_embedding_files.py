"""flair word:PATH specs never unpickle a word-vector file."""
import os
import pickle

import numpy as np
import pytest

from multitag.errors import MultitagError

pytest.importorskip("flair")
from multitag_flair.embeddings import build_stack, StackOptions  # noqa: E402


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("name", ["vectors.kv", "vectors", "vectors.model"])
def test_word_spec_pickle_refused(tmp_path, name):
    marker = str(tmp_path / "PWNED")
    path = str(tmp_path / name)
    with open(path, "wb") as f:
        pickle.dump(_Evil(marker), f, protocol=4)
    with pytest.raises(MultitagError) as e:
        build_stack([f"word:{path}"], [["a"]], StackOptions())
    assert "\n" not in str(e.value)
    assert not os.path.exists(marker)


def test_word_spec_npy_vocab(tmp_path):
    vecs = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.save(tmp_path / "v.npy", vecs)
    (tmp_path / "v.vocab").write_text("hello\nworld\n", encoding="utf8")
    stack = build_stack([f"word:{tmp_path / 'v.npy'}"], [["hello"]], StackOptions())
    emb = stack.embeddings[0]
    np.testing.assert_allclose(emb.embedding.weight[:2].detach().numpy(), vecs)
