import os

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
    cache.set_limit(2_000_000)
    clear_memo()
    yield
    cache.clear()
    cache.set_limit(2_000_000)
    clear_memo()
