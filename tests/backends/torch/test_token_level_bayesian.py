"""Seed 001's Bayesian scores at seed 000's sub-sentence levels: ``bald`` and ``vr`` ask for the
tokens whose MC-dropout samples disagree most, on a real torch tagger."""
from __future__ import annotations

import numpy as np
import pytest

from multitag.annotation.budget import parse_initial_size
from multitag.annotation.oracle import SimulationOracle
from multitag.annotation.pool import Pool
from multitag.experiments.config import ExperimentConfig
from multitag.experiments.results import ResultsStore
from multitag.experiments.runner import run_experiment
from multitag.strategies.bayesian import bald_tokens, variation_ratio_tokens
from multitag.data.writers import write_conll
from multitag.loop import ActiveLearner
from multitag.strategies import get_strategy
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_torch.taggers import BiLSTMTagger

PARAMS = dict(word_dim=16, hidden=16, optimizer="adam", lr=0.01, batch_size=8, max_epochs=3, threads=1,
              embeddings="random")


@pytest.mark.parametrize("name,score", [("bald", bald_tokens), ("vr", variation_ratio_tokens)])
def test_token_level_queries_are_the_tokens_with_the_highest_sample_disagreement(name, score):
    gold = list(synthetic_corpus(60, seed=3, prefix="train"))
    pool = Pool(gold)
    learner = ActiveLearner(pool, BiLSTMTagger(labels=SYNTHETIC_LABELS, seed=0, **PARAMS), get_strategy(name),
                            level="token", mc_samples=6, mc_mode="last", training_mode="mask")
    oracle = SimulationOracle(gold)
    learner.teach(oracle.annotate(learner.initial_queries(parse_initial_size("10"))), 0)
    model = learner.fit()
    batch = learner.query(12, iteration=0)
    assert len(batch) == 12 and all(q.unit == "token" and len(q.tokens) == 1 for q in batch)
    # recompute the scores from the model's own samples of every candidate sentence
    cand = pool.incomplete()
    samples = model.sample([pool.sentences[i] for i in cand], n_samples=6, mode="last")
    flat = np.concatenate([np.swapaxes(s, 0, 1) for s in samples])
    scores = score(flat)
    offsets = np.concatenate([[0], np.cumsum([len(pool.sentences[i]) for i in cand])])
    revealed = np.concatenate([pool.revealed_at[i] >= 0 for i in cand])
    scores[revealed] = -np.inf
    position = {int(i): k for k, i in enumerate(cand)}
    asked = [scores[offsets[position[q.sentence]] + q.tokens[0]] for q in batch]
    assert np.allclose(asked, [q.score for q in batch])
    threshold = np.sort(scores)[::-1][11]
    assert min(asked) >= threshold - 1e-12, "every asked token is among the 12 most uncertain"
    assert max(asked) == pytest.approx(scores.max())


def test_bald_and_vr_run_at_entity_and_token_level_in_compare(tmp_path):
    d = tmp_path / "data"
    write_conll(synthetic_corpus(60, seed=1, prefix="train"), d / "train.txt")
    write_conll(synthetic_corpus(20, seed=2, prefix="test"), d / "test.txt")
    config = ExperimentConfig(data=str(d), backends=["bilstm"], strategies=["bald", "vr"], levels=["entity", "token"],
                              training_modes=["mask"], initial_size="10%", schedule="5%x2", valid="none",
                              mc_samples=4, params={"bilstm": PARAMS})
    run_experiment(config, str(tmp_path / "out"), progress=False)
    recs = ResultsStore(str(tmp_path / "out" / "results.jsonl")).load()
    assert {(r.strategy, r.level) for r in recs} == {(s, lv) for s in ("bald", "vr") for lv in ("entity", "token")}
    for r in recs:
        if r.iteration < 2:
            assert r.queried_tokens and all(len(t) >= 1 for _, t in r.queried_tokens)
