"""crfsuite must never take the process down, and a CRF manifest is checked at load: a file-size
limit during training, a cut training file, a garbled body behind a valid header, a manifest value
outside the allowed ones."""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys

import pytest

import multitag
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_crf import CRFTagger

from .conftest import evaluate_cli
from multitag_crf import tagger as crf_tagger

TEST = synthetic_corpus(10, seed=1)
SCRIPT = "import sys; from multitag.cli import main; sys.exit(main(prog_name='multitag'))"
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


@pytest.fixture
def saved(tmp_path):
    t = CRFTagger(labels=SYNTHETIC_LABELS, features="paper", max_iterations=10).fit(synthetic_corpus(30))
    target = str(tmp_path / "m")
    t.save(target)
    return t, target





def _one_line_exit_2(r: subprocess.CompletedProcess) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])   # -11 / 139 is crfsuite's segfault
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: "), r.stderr[-2000:]


FSIZE_CHILD = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_crf import CRFTagger
corpus = synthetic_corpus(30)
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
try:
    CRFTagger(labels=SYNTHETIC_LABELS, features="paper", max_iterations=5).fit(corpus)
except MultitagError as e:
    print("error: " + str(e), file=sys.stderr)
    sys.exit(2)
sys.exit(0)
"""


@pytest.mark.parametrize("limit", [0, 60, 4000])
def test_a_file_size_limit_during_training_is_one_clean_error(limit):
    r = subprocess.run([sys.executable, "-c", FSIZE_CHILD.format(limit=limit)], capture_output=True, text=True,
                       timeout=180, env=ENV)
    _one_line_exit_2(r)
    assert "disk full or file-size limit" in r.stderr


def test_a_training_file_cut_short_is_refused(monkeypatch):
    real = crf_tagger._train_in_child

    def cut(trainer, path):
        real(trainer, path)
        with open(path, "r+b") as fh:
            fh.truncate(os.path.getsize(path) // 2)

    monkeypatch.setattr(crf_tagger, "_train_in_child", cut)
    with pytest.raises(MultitagError, match="cut short .*disk full or file-size limit") as e:
        CRFTagger(labels=SYNTHETIC_LABELS, features="paper", max_iterations=5).fit(synthetic_corpus(20))
    assert "\n" not in str(e.value)


def _garble(data: bytes, how: str) -> bytes:
    b = bytearray(data)
    (_m, size, _k, _v, _nf, n_labels, n_attrs, off_feat, off_labels, off_attrs, off_lrefs,
     off_arefs) = struct.unpack_from("<4sI4s9I", data)
    if how == "label-refs":   # the per-label feature lists point far outside the file
        for i in range(n_labels):
            struct.pack_into("<I", b, off_lrefs + 12 + 4 * i, 0x7FFFFF00)
    elif how == "attr-refs":
        for i in range(n_attrs):
            struct.pack_into("<I", b, off_arefs + 12 + 4 * i, 0x7FFFFF00 - 4 * i)
    elif how == "features":   # feature endpoints beyond the label and attribute tables
        n = struct.unpack_from("<I", data, off_feat + 8)[0]
        for i in range(n):
            struct.pack_into("<II", b, off_feat + 12 + 20 * i + 4, 0x7FFFFFF0, 0x7FFFFFF0)
    elif how == "labels":     # the label dictionary's backward table
        bwd = struct.unpack_from("<I", data, off_labels + 20)[0]
        for i in range(n_labels):
            struct.pack_into("<I", b, off_labels + bwd + 4 * i, 0x7FFFFFF0)
    else:
        raise AssertionError(how)
    assert len(b) == size
    return bytes(b)


@pytest.mark.parametrize("how", ["label-refs", "attr-refs", "features", "labels"])
def test_a_garbled_body_behind_a_valid_header_is_one_line_error(saved, test_file, rehash, how):
    _, target = saved
    path = os.path.join(target, "model.crfsuite")
    with open(path, "rb") as fh:
        data = fh.read()
    with open(path, "wb") as fh:
        fh.write(_garble(data, how))
    rehash(target)
    with pytest.raises(MultitagError, match="crfsuite model is damaged") as e:
        multitag.load(target)
    assert "\n" not in str(e.value)
    _one_line_exit_2(evaluate_cli(target, test_file))


def test_the_full_check_accepts_a_real_model_and_reads_its_labels(saved):
    t, _ = saved
    assert crf_tagger.crfsuite_model_labels(t.model_bytes_) == list(t.tagger_.labels())


def _edit_manifest(target: str, rehash, **changes) -> None:
    mpath = os.path.join(target, "multitag.json")
    with open(mpath, encoding="utf-8") as fh:
        m = json.load(fh)
    for key, value in changes.items():
        if key == "labels":
            m["labels"] = value
        else:
            m["params"][key] = value
    with open(mpath, "w", encoding="utf-8") as fh:
        json.dump(m, fh)
    rehash(target)


def test_an_unknown_feature_set_in_the_manifest_is_refused(saved, test_file, rehash):
    _, target = saved
    _edit_manifest(target, rehash, features="evilmod")
    with pytest.raises(MultitagError, match=r"features 'evilmod'.*rich.*paper") as e:
        multitag.load(target)
    assert "\n" not in str(e.value)
    _one_line_exit_2(evaluate_cli(target, test_file))


@pytest.mark.parametrize("key,value", [("c1", "lots"), ("max_iterations", [3]), ("cluster_sizes", "big"),
                                       ("all_possible_transitions", "yes")])
def test_a_manifest_value_of_the_wrong_type_is_refused(saved, rehash, key, value):
    _, target = saved
    _edit_manifest(target, rehash, **{key: value})
    with pytest.raises(MultitagError, match=f"parameter '{key}' of CRFTagger expects") as e:
        multitag.load(target)
    assert "\n" not in str(e.value)


def test_a_manifest_label_outside_the_models_labels_is_refused(saved, rehash):
    t, target = saved
    labels = list(t.labels)
    labels[labels.index("B-PER")] = "B-EVIL"
    _edit_manifest(target, rehash, labels=labels)
    with pytest.raises(MultitagError, match="labels outside the label set"):
        multitag.load(target)


def test_a_label_listed_twice_in_the_manifest_is_refused(saved, rehash):
    t, target = saved
    labels = list(t.labels) + [t.labels[0]]
    _edit_manifest(target, rehash, labels=labels)
    with pytest.raises(MultitagError, match="listed twice"):
        multitag.load(target)
