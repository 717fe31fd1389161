"""crfsuite's model file during fit: in memory by default, so an unusable temporary folder does not
matter; in MULTITAG_CRF_SCRATCH when set; never left behind."""
from __future__ import annotations

import os
import tempfile

import pytest

from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_crf import CRFTagger
from multitag_crf import tagger as crf_tagger

CORPUS = synthetic_corpus(30)


def _fit():
    return CRFTagger(labels=SYNTHETIC_LABELS, features="paper", max_iterations=10).fit(CORPUS)


@pytest.fixture
def paths(monkeypatch):
    """The file names crfsuite was given to write its model to."""
    seen = []
    real = crf_tagger._train_in_child

    def record(trainer, path):
        seen.append(path)
        real(trainer, path)

    monkeypatch.setattr(crf_tagger, "_train_in_child", record)
    return seen


def test_an_unusable_temporary_folder_does_not_matter(monkeypatch, tmp_path, paths):
    monkeypatch.delenv("MULTITAG_CRF_SCRATCH", raising=False)
    reference = _fit().model_bytes_
    empty = tmp_path / "tmp"
    empty.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-tmp"))  # mkstemp there fails
    assert _fit().model_bytes_ == reference
    monkeypatch.setattr(tempfile, "tempdir", str(empty))
    assert _fit().model_bytes_ == reference
    assert os.listdir(empty) == []                       # nothing written to the temporary folder
    assert all(p.startswith("/proc/self/fd/") for p in paths) and len(paths) == 3


def test_the_scratch_folder_is_used_when_set_and_left_clean(monkeypatch, tmp_path, paths):
    reference = _fit().model_bytes_
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("MULTITAG_CRF_SCRATCH", str(scratch))
    assert _fit().model_bytes_ == reference
    assert os.path.dirname(paths[-1]) == str(scratch) and paths[-1].endswith(".crfsuite")
    assert os.listdir(scratch) == []


def test_a_scratch_folder_that_cannot_be_written_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("MULTITAG_CRF_SCRATCH", str(tmp_path / "missing"))
    with pytest.raises(MultitagError, match="cannot write or read crfsuite's model file") as e:
        _fit()
    assert "\n" not in str(e.value)
