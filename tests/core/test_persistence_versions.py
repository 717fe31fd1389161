"""The manifest records the software behind a model (the backend's distribution, its version and
the versions of what it requires, as flair's model card does); loading ignores the record, so
manifests written before it existed still load."""
from __future__ import annotations

import json
import os
import uuid
from importlib import metadata

import numpy as np
import pytest

import multitag
from multitag import persistence, registry
from multitag.baseline import CountTagger
from multitag.persistence.provenance import backend_package
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus

TEST = synthetic_corpus(8, seed=1)


@pytest.fixture
def saved_count_model(tmp_path):
    """A CountTagger (a class the installed ``multitag`` distribution provides), registered and saved."""
    name = f"mt-versions-{uuid.uuid4().hex[:8]}"
    with registry.registered(name, CountTagger):
        t = CountTagger(labels=SYNTHETIC_LABELS).fit(synthetic_corpus(30, seed=0))
        target = str(tmp_path / "m")
        t.save(target)
        yield t, target


def test_the_manifest_names_the_distribution_and_the_versions_it_requires(saved_count_model):
    _, target = saved_count_model
    record = persistence.read_manifest(target)["backend_package"]
    assert record["name"] == "multitag" and record["version"] == metadata.version("multitag")
    assert record["requires"]["numpy"] == np.__version__          # a framework's installed version
    assert record["requires"]["seqeval"] == metadata.version("seqeval")
    assert "pytest" not in record["requires"]                      # an extra's requirement is not installed code


def test_a_class_outside_any_distribution_records_none(mf_tagger, tmp_path):
    t = mf_tagger(labels=SYNTHETIC_LABELS).fit(synthetic_corpus(30, seed=0))
    t.save(str(tmp_path / "m"))
    m = persistence.read_manifest(str(tmp_path / "m"))
    assert "backend_package" in m and m["backend_package"] is None
    assert backend_package(mf_tagger) is None


@pytest.mark.parametrize("record", ["drop", "garbage"])
def test_loading_ignores_the_record_and_old_manifests_without_it_load(saved_count_model, record):
    t, target = saved_count_model
    m = persistence.read_manifest(target)
    if record == "drop":
        del m["backend_package"]
    else:
        m["backend_package"] = "written by something else"
    with open(os.path.join(target, persistence.MANIFEST), "w", encoding="utf-8") as fh:
        json.dump(m, fh)
    loaded = multitag.load(target)
    assert [p.tags for p in loaded.predict(TEST)] == [p.tags for p in t.predict(TEST)]
    assert persistence.read_manifest(target)["class"] == "CountTagger"
