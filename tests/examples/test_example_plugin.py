"""The example third-party package (``examples/multitag-logreg``) installs from its folder, registers
a backend and a strategy through real entry points, and ``multitag compare`` runs with both."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLE = os.path.join(REPO, "examples", "multitag-logreg")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The example installed with pip into its own folder (not into the test environment)."""
    target = tmp_path_factory.mktemp("site")
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                        "--no-build-isolation", "--target", str(target), EXAMPLE], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return str(target)


def _run(site, args, **kw):
    env = dict(os.environ, PYTHONPATH=site + os.pathsep + os.environ.get("PYTHONPATH", ""), HF_HUB_OFFLINE="1")
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=300, **kw)


def test_entry_points_register_the_backend_and_the_strategy(installed):
    code = ("from multitag import registry; import json; "
            "print(json.dumps([registry.available(), registry.strategies.names()]))")
    r = _run(installed, [sys.executable, "-c", code])
    assert r.returncode == 0, r.stderr
    backends, strategies = json.loads(r.stdout)
    assert "logreg" in backends and "gini" in strategies
    r = _run(installed, [sys.executable, "-m", "multitag.cli", "strategies"])
    line = next(l for l in r.stdout.splitlines() if l.startswith("gini"))
    assert "marginals" in line and "entity" in line and "-mean" in line


def test_the_example_backend_passes_the_conformance_suite(installed):
    code = ("from multitag import registry; from multitag.testing import check_backend; "
            "check_backend(registry.factory('logreg')); print('conformant')")
    r = _run(installed, [sys.executable, "-c", code])
    assert r.returncode == 0 and "conformant" in r.stdout, r.stderr


def test_compare_runs_the_example_backend_and_strategy_end_to_end(installed, tmp_path, data_dir):
    out = tmp_path / "out"
    r = _run(installed, [sys.executable, "-m", "multitag.cli", "compare", "--data", data_dir, "--backends", "logreg",
                         "--strategies", "gini,random", "--level", "sentence,entity", "--training-mode", "mask",
                         "--schedule", "5%x2", "--initial-size", "10%", "--valid", "none", "--out", str(out),
                         "--no-progress", "--param", "max_iter=50"])
    assert r.returncode == 0, r.stderr
    recs = [json.loads(line) for line in open(out / "results.jsonl")]
    assert {(x["strategy"], x["level"]) for x in recs} == {("gini", "sentence"), ("gini", "entity"),
                                                            ("random", "sentence"), ("random", "entity")}
    assert all(x["backend"] == "logreg" for x in recs) and max(x["iteration"] for x in recs) == 2
    assert all(0.0 <= x["f1"] <= 1.0 for x in recs)


def test_gini_scores_on_a_hand_computed_example(installed):
    sys.path.insert(0, installed)
    try:
        from multitag_logreg.strategy import GiniImpurity
    finally:
        sys.path.remove(installed)
    m = np.array([[1.0, 0.0], [0.5, 0.5], [0.9, 0.1]])
    assert np.allclose(GiniImpurity.flat_token_scores(m), [0.0, 0.5, 1 - 0.81 - 0.01])


def test_a_saved_example_model_records_its_distribution_and_capabilities(installed, tmp_path):
    code = ("import json; from multitag import registry; from multitag.testing import synthetic_corpus, SYNTHETIC_LABELS; "
            "cls = registry.backend_class('logreg'); "
            "t = registry.create('logreg', labels=SYNTHETIC_LABELS, max_iter=20).fit(synthetic_corpus(20)); "
            f"t.save({str(tmp_path / 'm')!r}); "
            f"m = json.load(open({str(tmp_path / 'm' / 'multitag.json')!r})); "
            "print(json.dumps([m['backend_package'], cls.tags().warm_start, cls.tags().partial_training]))")
    r = _run(installed, [sys.executable, "-c", code])
    assert r.returncode == 0, r.stderr
    package, warm, partial = json.loads(r.stdout)
    assert package["name"] == "multitag-logreg" and package["version"]
    assert set(package["requires"]) >= {"multitag", "numpy", "scikit-learn"}
    assert (warm, partial) == (False, True)
