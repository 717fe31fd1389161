"""A saved CRF model: what it holds, and that a cut, tampered or half-written model is a one-line
error (never crfsuite's segmentation fault) while the previous model survives a failed save."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import multitag
from multitag import registry
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_crf import CRFTagger

from .conftest import evaluate_cli
from multitag_crf.tagger import check_crfsuite_model

TEST = synthetic_corpus(10, seed=1)
SCRIPT = "import sys; from multitag.cli import main; sys.exit(main(prog_name='multitag'))"


def _same(a, b) -> bool:
    return all(p.tags == q.tags and np.allclose(p.marginals, q.marginals, atol=1e-12) for p, q in zip(a, b))


@pytest.fixture
def saved(tmp_path, fast_rich):
    t = CRFTagger(labels=SYNTHETIC_LABELS, seed=1, **fast_rich).fit(synthetic_corpus(40))
    target = str(tmp_path / "m")
    t.save(target)
    return t, target





def test_the_folder_and_its_manifest(saved):
    t, target = saved
    assert registry.name_of(CRFTagger) == "crf"
    assert sorted(os.listdir(target)) == ["clusters.json", "model.crfsuite", "multitag.json"]
    with open(os.path.join(target, "multitag.json")) as fh:
        m = json.load(fh)
    assert m["backend"] == "crf" and m["params"]["cluster_sizes"] == [4, 8] and m["params"]["features"] == "rich"
    u = multitag.load(target)
    assert type(u) is CRFTagger and u.cluster_sizes == (4, 8) and _same(u.predict(TEST), t.predict(TEST))


def test_a_cut_crfsuite_file_crashes_crfsuite_itself():
    """Why the checks below matter: crfsuite dies with SIGSEGV on a truncated model."""
    code = ("import pycrfsuite; from multitag_crf import CRFTagger; from multitag.testing import *\n"
            "t = CRFTagger(labels=SYNTHETIC_LABELS, features='paper', max_iterations=5).fit(synthetic_corpus(20))\n"
            "pycrfsuite.Tagger().open_inmemory(t.model_bytes_[:len(t.model_bytes_) // 2])\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, env=env)
    assert r.returncode != 0


def test_truncated_model_is_one_line_error_and_evaluate_exits_2(saved, test_file):
    _, target = saved
    path = os.path.join(target, "model.crfsuite")
    data = open(path, "rb").read()
    with open(path, "wb") as fh:
        fh.write(data[: len(data) // 2])
    with pytest.raises(MultitagError, match="model.crfsuite has .* bytes, the manifest says .*truncated") as e:
        multitag.load(target)
    assert "\n" not in str(e.value)
    r = evaluate_cli(target, test_file)
    assert r.returncode == 2, (r.returncode, r.stderr)   # -11 would be the segmentation fault
    assert r.stdout == "" and r.stderr.count("\n") == 1 and r.stderr.startswith("error: ") and "truncated" in r.stderr


def test_hand_truncated_model_with_a_matching_manifest_is_still_refused(saved, test_file, rehash):
    """Someone cut the file and re-hashed the manifest: crfsuite's header check still refuses it."""
    _, target = saved
    path = os.path.join(target, "model.crfsuite")
    data = open(path, "rb").read()
    for cut in (len(data) - 1, len(data) // 2, 20, 0):
        with open(path, "wb") as fh:
            fh.write(data[:cut])
        rehash(target)
        with pytest.raises(MultitagError, match="crfsuite model") as e:
            multitag.load(target)
        assert "\n" not in str(e.value)
    r = evaluate_cli(target, test_file)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and r.stderr.startswith("error: ")


def test_header_check_on_good_and_damaged_bytes(saved):
    t, _ = saved
    check_crfsuite_model(t.model_bytes_)
    b = bytearray(t.model_bytes_)
    b[0:4] = b"XCRF"
    with pytest.raises(MultitagError, match="bad magic"):
        check_crfsuite_model(bytes(b))
    b = bytearray(t.model_bytes_)
    b[28:32] = (len(b) + 100).to_bytes(4, "little")   # off_features beyond the end
    with pytest.raises(MultitagError, match="offset lies outside"):
        check_crfsuite_model(bytes(b))
    with pytest.raises(MultitagError, match="padded"):
        check_crfsuite_model(t.model_bytes_ + b"\0")


def test_clusters_swapped_in_from_another_model_are_refused(saved, tmp_path, fast_rich):
    t, target = saved
    other = CRFTagger(labels=SYNTHETIC_LABELS, seed=7, **fast_rich).fit(synthetic_corpus(40, seed=3))
    other.save(str(tmp_path / "other"))
    assert other.clusters_.fingerprint != t.clusters_.fingerprint
    with open(tmp_path / "other" / "clusters.json", "rb") as src, open(os.path.join(target, "clusters.json"), "wb") as dst:
        dst.write(src.read())
    with pytest.raises(MultitagError, match="clusters.json .*(sha256|bytes)") as e:
        multitag.load(target)
    assert "\n" not in str(e.value)


def test_a_failed_save_over_a_crf_model_keeps_it(saved, fast_rich, disk_faults, tmp_path):
    old, target = saved
    old_preds = old.predict(TEST)
    new = CRFTagger(labels=SYNTHETIC_LABELS, features="paper", max_iterations=30).fit(synthetic_corpus(40, seed=5))
    k = 0
    while True:
        k += 1
        with disk_faults(k) as faults:
            try:
                new.save(target)
            except MultitagError as e:
                assert faults.fired and "No space left" in str(e) and target in str(e)
        if not faults.fired:
            break
        u = multitag.load(target)
        assert u.features == "rich" and _same(u.predict(TEST), old_preds), f"fault {k} changed the saved model"
        assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []
    assert k >= 5   # model.crfsuite, clusters.json, multitag.json, two renames
    assert _same(multitag.load(target).predict(TEST), new.predict(TEST))
