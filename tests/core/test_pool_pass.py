"""The sharded pool pass (multitag.pool_pass): shard plans, the merge of shard scores, and rounds
whose pool is scored in many shards making exactly the selections of one pass, for every strategy at
every level it runs at."""
import numpy as np
import pytest

from multitag import registry
from multitag.annotation.budget import parse_initial_size
from multitag.annotation.levels import get_level
from multitag.annotation.oracle import SimulationOracle
from multitag.annotation.pool import Pool
from multitag.baseline import CountTagger
from multitag.errors import MultitagError
from multitag.loop import ActiveLearner
from multitag.persistence.transfer import files_digest, model_files, model_from_files
from multitag.pool_pass import (Shard, ShardScores, ScoreRequest, SequentialShards, merge, plan_shards,
                                score_shard, sharded_scores)
from multitag.strategies import get_strategy
from multitag.strategies.base import ScoringStrategy
from multitag.testing import synthetic_corpus

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]


# ---------------------------------------------------------------------------- plans and merges
def test_plan_without_groups_cuts_runs_of_consecutive_candidates():
    assert [s.tolist() for s in plan_shards(None, 7, 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [s.tolist() for s in plan_shards(None, 3, 10)] == [[0, 1, 2]]


def test_plan_with_groups_takes_whole_groups_until_a_shard_is_full():
    groups = [np.array([4, 0]), np.array([2]), np.array([1, 3]), np.array([5])]
    assert [s.tolist() for s in plan_shards(groups, 6, 3)] == [[4, 0, 2], [1, 3, 5]]
    assert [s.tolist() for s in plan_shards(groups, 6, 2)] == [[4, 0], [2, 1, 3], [5]]


def test_groups_that_miss_or_repeat_a_sentence_are_refused():
    with pytest.raises(MultitagError, match="exactly once"):
        plan_shards([np.array([0, 1]), np.array([1])], 3, 2)
    with pytest.raises(MultitagError, match="exactly once"):
        plan_shards([np.array([0])], 2, 2)


def test_token_scores_of_shards_in_any_order_land_at_their_candidates_tokens():
    sizes = np.array([2, 3, 1])
    shards = [Shard(np.array([2, 0]), [], sizes[[2, 0]], sizes[[2, 0]]), Shard(np.array([1]), [], sizes[[1]], sizes[[1]])]
    results = [ShardScores(np.array([9.0, 1.0, 2.0]), np.array([0, 1, 3])), ShardScores(np.array([3.0, 4.0, 5.0]), np.array([0, 3]))]
    scores, offsets = merge(shards, results, sizes, token_level=True)
    assert offsets.tolist() == [0, 2, 5, 6]
    assert scores.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 9.0]
    sent, none = merge(shards, [ShardScores(np.array([7.0, 8.0])), ShardScores(np.array([6.0]))], sizes, token_level=False)
    assert none is None and sent.tolist() == [8.0, 6.0, 7.0]


class _RandomScores(ScoringStrategy):
    name = "random-scores"
    needs = frozenset({"marginals"})

    def sentence_scores(self, ctx):
        return ctx.rng.random(ctx.n)


def test_a_strategy_that_draws_random_numbers_in_a_shard_is_told_why_it_cannot():
    model = CountTagger(labels=LABELS).fit(synthetic_corpus(20, seed=1))
    sentences = [s.unlabeled() for s in synthetic_corpus(6, seed=2)]
    sizes = np.array([len(s) for s in sentences])
    request = ScoreRequest(_RandomScores(), False, 2, None)
    with pytest.raises(MultitagError, match="drew random numbers"):
        sharded_scores(model, request, lambda m: [sentences[i] for i in m], sizes, sizes, 2)


# ---------------------------------------------------------------------------- whole rounds
def _rounds(make_model, strategy, level, shard_size, *, runner=None, n=90, rounds=3, budget=40):
    gold = list(synthetic_corpus(n, seed=7, prefix="train"))
    pool = Pool(gold)
    oracle = SimulationOracle(gold)
    learner = ActiveLearner(pool, make_model(), get_strategy(strategy), level=level, seed=5, shard_size=shard_size,
                            mc_samples=3, shards=runner)
    learner.teach([oracle.answer(q) for q in learner.initial_queries(parse_initial_size("10%"))], 0)
    chosen = []
    for it in range(1, rounds + 1):
        learner.fit()
        batch = learner.query(budget, iteration=it, annotate=oracle.answer)
        chosen.append([(q.sentence, q.tokens, q.unit, q.score) for q in batch])
        learner.teach(batch.answers, it)
    return chosen


def _cases():
    for name in registry.strategies.names():
        for level in ("sentence", "entity", "token"):
            if get_level(level).refusal(get_strategy(name)) is None:
                yield name, level


@pytest.mark.parametrize("strategy,level", list(_cases()))
def test_many_shards_select_exactly_what_one_pass_selects(strategy, level):
    count = lambda: CountTagger(labels=LABELS, seed=3)  # noqa: E731
    one = _rounds(count, strategy, level, shard_size=10_000)
    many = _rounds(count, strategy, level, shard_size=7)
    assert many == one
    assert sum(len(r) for r in one) > 0


class _Recording(SequentialShards):
    def __init__(self):
        self.sizes = []

    def run(self, model, request, shards):
        self.sizes.append([len(s.members) for s in shards])
        return super().run(model, request, shards)


def test_a_pass_is_cut_into_shards_of_the_size_asked_and_one_pass_is_not():
    runner = _Recording()
    _rounds(lambda: CountTagger(labels=LABELS), "mnlp", "sentence", shard_size=25, runner=runner, rounds=1)
    (sizes,) = runner.sizes
    assert sizes[:-1] == [25] * (len(sizes) - 1) and 0 < sizes[-1] <= 25 and len(sizes) >= 3
    runner = _Recording()
    _rounds(lambda: CountTagger(labels=LABELS), "mnlp", "sentence", shard_size=10_000, runner=runner, rounds=1)
    assert runner.sizes == []


@pytest.mark.parametrize("strategy,level", [("mnlp", "sentence"), ("bt", "entity"), ("entropy", "token")])
def test_crf_rounds_in_shards_equal_one_pass(strategy, level):
    crf = registry.resolve("crf").cls
    make = lambda: crf(labels=LABELS, seed=0, max_iterations=20)  # noqa: E731
    assert _rounds(make, strategy, level, shard_size=9, rounds=2) == _rounds(make, strategy, level, shard_size=10_000, rounds=2)


def test_diversity_strategies_see_at_most_their_candidate_cap():
    gold = list(synthetic_corpus(60, seed=7))
    pool = Pool(gold)
    learner = ActiveLearner(pool, CountTagger(labels=LABELS), get_strategy("badge"), seed=1, diversity_candidates=11)
    oracle = SimulationOracle(gold)
    learner.teach([oracle.answer(q) for q in learner.initial_queries(parse_initial_size("10%"))], 0)
    rng = learner.rng(1)
    cand = learner.candidates(rng)
    assert len(cand) == 11 and np.all(np.diff(cand) > 0) and set(cand) <= set(pool.untouched())
    # scoring strategies keep every candidate (they are scored in shards instead)
    mnlp = ActiveLearner(pool, CountTagger(labels=LABELS), get_strategy("mnlp"), seed=1, diversity_candidates=11)
    assert len(mnlp.candidates(learner.rng(1))) == len(pool.untouched())


def test_a_model_shipped_as_files_scores_a_shard_as_the_original_does():
    model = CountTagger(labels=LABELS, seed=2).fit(synthetic_corpus(30, seed=1))
    files = model_files(model)
    other = model_files(CountTagger(labels=LABELS, seed=2).fit(synthetic_corpus(30, seed=5)))
    assert "multitag.json" in files and files_digest(files) == files_digest(dict(reversed(list(files.items()))))
    assert files_digest(other) != files_digest(files)
    copy = model_from_files(files, CountTagger)
    sentences = [s.unlabeled() for s in synthetic_corpus(8, seed=4)]
    sizes = np.array([len(s) for s in sentences])
    shard = Shard(np.arange(8), sentences, sizes, sizes)
    for name in ("mnlp", "bald"):
        request = ScoreRequest(get_strategy(name), False, 4, "dirichlet")
        assert np.array_equal(score_shard(copy, request, shard).scores, score_shard(model, request, shard).scores)
