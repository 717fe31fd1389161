"""`--incremental` (paper 002): the acquisition model and each successor are kept across rounds and
continue training; each round's weights are checkpointed, so a killed run resumes with the same
weights and ends with the same records; a backend that cannot warm-start is refused."""
import json
import os

import pytest

from multitag.data.writers import write_conll
from multitag.errors import CompatibilityError
from multitag.experiments.config import ExperimentConfig
from multitag.experiments.results import ResultsStore
from multitag.experiments.runner import run_experiment
from multitag.testing import synthetic_corpus

TINY = dict(word_dim=16, hidden=16, optimizer="adam", lr=0.02, batch_size=8, max_epochs=10, threads=1,
            embeddings="random")


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "data"
    write_conll(synthetic_corpus(300, seed=1, prefix="train"), d / "train.txt")
    write_conll(synthetic_corpus(30, seed=2, prefix="test"), d / "test.txt")
    return str(d)


def _config(data, **params):
    return ExperimentConfig(data=data, backends=["bilstm"], successors=["bilstm-encdec"], strategies=["mnlp"],
                            seeds=[0], initial_size="10%", schedule="5%x3", valid="none", incremental=True,
                            params={"bilstm": {**TINY, **params},
                                    "bilstm-encdec": {**TINY, "decoder_hidden": 16, "tag_dim": 8, **params}})


def _stable(path):
    keep = ("role", "model", "iteration", "tokens_annotated", "selected", "f1", "precision", "recall")
    return sorted(json.dumps({k: r.to_json().get(k) for k in keep}, sort_keys=True) for r in ResultsStore(path).load())


def test_a_killed_incremental_run_resumes_with_the_same_weights(tmp_path, data):
    run_experiment(_config(data), str(tmp_path / "full"), progress=False)
    out = tmp_path / "cut"
    r = run_experiment(_config(data), str(out), progress=False, stop_after=2)
    assert r["stopped"]
    run_experiment(_config(data), str(out), progress=False)
    assert _stable(str(out / "results.jsonl")) == _stable(str(tmp_path / "full" / "results.jsonl"))
    for folder in os.listdir(out / "checkpoints"):
        for model in os.listdir(out / "checkpoints" / folder):
            kept = os.listdir(out / "checkpoints" / folder / model)
            assert 1 <= len(kept) <= 2, kept


def test_incremental_fits_continue_from_the_previous_weights(tmp_path, data):
    # with no incremental epoch allowed, every later fit keeps the first fit's weights exactly
    run_experiment(_config(data, incremental_epochs=0), str(tmp_path / "o"), progress=False)
    recs = [r for r in ResultsStore(str(tmp_path / "o" / "results.jsonl")).load() if r.model == "bilstm"]
    assert recs[0].f1 > 0.3, "the first fit learned something"
    assert len({(r.precision, r.recall, r.f1) for r in recs}) == 1, "the model did not change after its first fit"
    assert len({r.tokens_annotated for r in recs}) == len(recs), "while the labeled set grew"
    # and with epochs, it does learn from the new rounds
    run_experiment(_config(data, incremental_epochs=2), str(tmp_path / "p"), progress=False)
    recs = [r for r in ResultsStore(str(tmp_path / "p" / "results.jsonl")).load() if r.model == "bilstm"]
    assert len({r.f1 for r in recs}) > 1


def test_incremental_is_refused_for_a_backend_that_cannot_warm_start(tmp_path, data):
    config = ExperimentConfig(data=data, backends=["crf"], strategies=["mnlp"], incremental=True, schedule="5%x1")
    with pytest.raises(CompatibilityError, match="cannot continue training from its current weights"):
        run_experiment(config, str(tmp_path / "x"), progress=False)
    assert not (tmp_path / "x").exists()
