"""A small project over CoNLL-2003 sentences with the CRF backend (a real installed backend: the
background retraining runs in a separate process, which sees only installed plugins)."""
import os

import pytest

from multitag.data import load_dataset
from multitag.data.writers import write_conll, write_jsonl

CONLL = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "conll2003")
TYPES = ["LOC", "MISC", "ORG", "PER"]
_CACHE: dict = {}


def conll():
    if "ds" not in _CACHE:
        _CACHE["ds"] = load_dataset(CONLL)
    return _CACHE["ds"]


@pytest.fixture
def gold():
    return list(conll().train[:150])


def make_project(tmp_path, gold, *, level="sentence", strategy="mnlp", name="project", with_eval=True):
    from multitag.project.project import Settings, init_project

    text = tmp_path / f"{name}-text.jsonl"
    write_jsonl([s.unlabeled() for s in gold], text)
    eval_file = None
    if with_eval:
        eval_file = tmp_path / f"{name}-gold.conll"
        write_conll(conll().test[:60], eval_file)
    path = str(tmp_path / name)
    init_project(path, str(text), Settings(backend="crf", params={"features": "paper", "max_iterations": 30},
                                           strategy=strategy, level=level, entity_types=TYPES, training_mode="auto"),
                 eval_file=None if eval_file is None else str(eval_file))
    return path


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """``multitag serve`` started for real in a subprocess on 127.0.0.1 and a free port."""

    def __init__(self, path: str, *args: str):
        import subprocess
        import sys

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "multitag", "serve", path, "--port", str(self.port), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=dict(os.environ, HF_HUB_OFFLINE="1"))

    def wait_ready(self, token: str | None = None, timeout: float = 60.0) -> None:
        import time
        import urllib.error
        import urllib.request

        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"multitag serve exited: {self.proc.stderr.read()}")
            try:
                req = urllib.request.Request(self.base + "/api/status")
                if token:
                    req.add_header("Authorization", f"Bearer {token}")
                urllib.request.urlopen(req, timeout=2).read()
                return
            except urllib.error.HTTPError:
                return          # it answers (e.g. 401 without the token)
            except OSError:
                time.sleep(0.2)
        raise AssertionError("multitag serve did not start")

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=30)
        except Exception:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


def answer_the_seed_set(tmp_path, path, gold, budget=900):
    """Choose the seed set of ``path`` and import gold answers to it (a first round answered, as a
    Label Studio batch would be)."""
    import json

    from multitag.project.project import Project

    by_tokens = {tuple(s.tokens): list(s.tags) for s in gold}
    with Project(path) as p:
        p.query(budget, fmt="jsonl", out=str(tmp_path / "seed.jsonl"))
    with open(tmp_path / "seed.jsonl") as f, open(tmp_path / "answers.jsonl", "w") as g:
        for line in f:
            d = json.loads(line)
            d["tags"] = by_tokens[tuple(d["tokens"])]
            g.write(json.dumps(d) + "\n")
    with Project(path) as p:
        p.import_file(str(tmp_path / "answers.jsonl"))


def screenshot(page, name, tmp_path, min_bytes=5_000):
    """Screenshot ``page`` as ``name``; copied to docs/ when MULTITAG_UPDATE_SCREENSHOTS is set."""
    import shutil

    path = tmp_path / name
    page.screenshot(path=str(path))
    assert path.stat().st_size > min_bytes
    if os.environ.get("MULTITAG_UPDATE_SCREENSHOTS"):
        shutil.copy(path, os.path.join(os.path.dirname(__file__), "..", "..", "docs", name))
