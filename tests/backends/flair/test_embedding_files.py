"""flair word:PATH specs never unpickle a word-vector file."""
import os

import numpy as np
import pytest

from multitag.errors import MultitagError
from support.pickles import make_pickle

pytest.importorskip("flair")
from multitag_flair.embeddings import build_stack, StackOptions  # noqa: E402




@pytest.mark.parametrize("name", ["vectors.kv", "vectors", "vectors.model"])
def test_word_spec_pickle_refused(tmp_path, name):
    path, marker = make_pickle(str(tmp_path), name)
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
