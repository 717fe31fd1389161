import pytest

from multitag.data.writers import write_conll
from multitag.testing import synthetic_corpus


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    write_conll(synthetic_corpus(80, seed=10, prefix="train"), d / "train.txt")
    write_conll(synthetic_corpus(30, seed=12, prefix="test"), d / "test.txt")
    return str(d)
