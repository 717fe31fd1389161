import os
import subprocess
import sys

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from multitag_crf import cache  # noqa: E402
from multitag_crf.clusters import clear_memo  # noqa: E402


@pytest.fixture
def fast_rich():
    """Small, fast settings for the rich features (tiny word vectors, few clusters)."""
    return dict(features="rich", cluster_sizes=(4, 8), vector_size=16, vector_epochs=3)


@pytest.fixture(autouse=True)
def fresh_caches():
    """Every test starts with an empty feature cache and cluster memo and the default bound."""
    cache.clear()
    cache.set_limit(cache.DEFAULT_LIMIT)
    clear_memo()
    yield
    cache.clear()
    cache.set_limit(cache.DEFAULT_LIMIT)
    clear_memo()


CLI = "import sys; from multitag.cli import main; sys.exit(main(prog_name='multitag'))"


@pytest.fixture
def test_file(tmp_path):
    """A CoNLL file of 10 synthetic test sentences (seed 1)."""
    from multitag.testing import synthetic_corpus

    path = tmp_path / "test.txt"
    sents = synthetic_corpus(10, seed=1)
    path.write_text("\n\n".join("\n".join(f"{w} {t}" for w, t in zip(s.tokens, s.tags)) for s in sents) + "\n")
    return str(path)


def evaluate_cli(model: str, data: str) -> subprocess.CompletedProcess:
    """``multitag evaluate --model MODEL --data DATA`` in a fresh interpreter."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    return subprocess.run([sys.executable, "-c", CLI, "evaluate", "--model", model, "--data", data],
                          capture_output=True, text=True, timeout=120, env=env)
