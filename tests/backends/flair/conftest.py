"""Offline, single-threaded settings for the flair backend tests (nothing may download)."""
import os
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("FLAIR_CACHE_ROOT", tempfile.mkdtemp(prefix="flair-cache-"))

import pytest  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(__file__), *[".."] * 3, "..", "shared", "elmo", "fixture")
FIXTURE = os.path.normpath(os.environ.get("MULTITAG_ELMO_FIXTURE", FIXTURE))


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    import torch

    # tiny models on a shared CPU: extra intra-op threads only wait on each other
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def elmo_fixture():
    if not os.path.isfile(os.path.join(FIXTURE, "lm_weights.hdf5")):
        pytest.fail(f"the ELMo fixture is missing at {FIXTURE}; set MULTITAG_ELMO_FIXTURE")
    return FIXTURE
