
import pytest

from multitag import registry
from multitag.baseline import CountTagger
from multitag.data.writers import write_conll
from multitag.testing import synthetic_corpus


@pytest.fixture
def count_backend():
    with registry.registered("count", CountTagger):
        yield "count"


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    write_conll(synthetic_corpus(120, seed=10, prefix="train"), d / "train.txt")
    write_conll(synthetic_corpus(30, seed=11, prefix="dev"), d / "dev.txt")
    write_conll(synthetic_corpus(40, seed=12, prefix="test"), d / "test.txt")
    return str(d)
