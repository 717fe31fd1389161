"""The torch taggers in a sharded pool pass: shards cut at their length-sorted batches (and each
MC-dropout batch seeded by its own tokens) give exactly the scores and selections of one pass."""
from __future__ import annotations

import numpy as np
import pytest

from multitag.annotation.budget import parse_initial_size
from multitag.annotation.oracle import SimulationOracle
from multitag.annotation.pool import Pool
from multitag.loop import ActiveLearner
from multitag.pool_pass import plan_shards
from multitag.strategies import get_strategy
from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_torch.taggers import BiLSTMTagger, CNNBiLSTMCRFTagger

from support.torch_tiny import FAST, TINY


def _tagger(cls):
    return cls(labels=SYNTHETIC_LABELS, seed=0, predict_batch_size=4, max_epochs=2, **TINY[cls], **FAST)


def _rounds(cls, strategy, level, shard_size):
    gold = list(synthetic_corpus(70, seed=3, prefix="train"))
    pool = Pool(gold)
    oracle = SimulationOracle(gold)
    learner = ActiveLearner(pool, _tagger(cls), get_strategy(strategy), level=level, seed=2, shard_size=shard_size,
                            mc_samples=3)
    learner.teach([oracle.answer(q) for q in learner.initial_queries(parse_initial_size("10%"))], 0)
    out = []
    for it in (1, 2):
        learner.fit()
        batch = learner.query(30, iteration=it, annotate=oracle.answer)
        out.append([(q.sentence, q.tokens, q.score) for q in batch])
        learner.teach(batch.answers, it)
    return out


@pytest.mark.parametrize("cls,strategy,level", [(CNNBiLSTMCRFTagger, "mnlp", "sentence"),
                                                (CNNBiLSTMCRFTagger, "bald", "entity"),
                                                (BiLSTMTagger, "vr", "sentence")],
                         ids=lambda v: getattr(v, "__name__", v))
def test_rounds_in_shards_equal_one_pass(cls, strategy, level):
    assert _rounds(cls, strategy, level, shard_size=9) == _rounds(cls, strategy, level, shard_size=10_000)


def test_groups_are_the_length_sorted_batches_and_samples_do_not_depend_on_the_other_batches():
    t = _tagger(CNNBiLSTMCRFTagger).fit(synthetic_corpus(20))
    sents = [s.unlabeled() for s in synthetic_corpus(22, seed=5)]
    lengths = np.array([len(s) for s in sents])
    groups = t.inference_groups(lengths, n_samples=3, mode="locked")
    order = np.concatenate(groups)
    assert sorted(order.tolist()) == list(range(len(sents)))
    assert np.all(np.diff(lengths[order]) >= 0)
    whole = t.sample(sents, n_samples=3, mode="locked")
    for shard in plan_shards(groups, len(sents), 5):
        part = t.sample([sents[i] for i in shard], n_samples=3, mode="locked")
        for i, p in zip(shard, part):
            assert np.array_equal(p, whole[i])
