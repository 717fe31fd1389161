"""The teach level: suggested entities from the model's predictions, the gold oracle accepting or
rejecting them, the budget, rejections stored in the pool and carried to training, the records and
a resumed run."""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from multitag import registry
from multitag.annotation.levels import get_level
from multitag.annotation.oracle import SimulationOracle
from multitag.annotation.pool import Pool, Rejection
from multitag.annotation.teach_level import Suggestion, TeachLevel, predicted_spans
from multitag.backend import Prediction
from multitag.baseline import CountTagger
from multitag.cli import main
from multitag.data.sentence import Sentence
from multitag.data.writers import write_conll
from multitag.errors import CompatibilityError
from multitag.experiments.results import ResultsStore
from multitag.loop import ActiveLearner
from multitag.strategies import get_strategy
from multitag.strategies.base import QueryContext
from multitag.testing import synthetic_corpus

from support.experiments import truncated_copy

LABELS = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
GOLD = [
    Sentence(["Ann", "flew", "to", "New", "York"], ["B-PER", "O", "O", "B-LOC", "I-LOC"], id="a"),
    Sentence(["Paris", "Hilton", "sings"], ["B-PER", "I-PER", "O"], id="b"),
]
# the model's best paths: Ann=PER (right), York alone=LOC (wrong boundary), Paris=LOC (wrong type)
PREDICTED = [["B-PER", "O", "O", "O", "B-LOC"], ["B-LOC", "O", "O"]]


def _prediction(tags, confidence):
    marg = np.full((len(tags), len(LABELS)), 0.0)
    for t, (tag, c) in enumerate(zip(tags, confidence)):
        marg[t] = (1 - c) / (len(LABELS) - 1)
        marg[t, LABELS.index(tag)] = c
    return Prediction(tags=list(tags), marginals=marg, logprob=0.0)


def _context(pool, cand, seed=0):
    conf = [[0.9, 0.99, 0.99, 0.99, 0.6], [0.7, 0.99, 0.99]]   # least confident: York, then Paris, then Ann
    return QueryContext(lengths=pool.lengths[cand], sizes=pool.lengths[cand], rng=np.random.default_rng(seed),
                        predictions=[_prediction(PREDICTED[i], conf[i]) for i in cand])


def _plan(pool, budget, cand=(0, 1)):
    cand = np.array(cand)
    oracle = SimulationOracle(GOLD)
    return get_level("teach").plan(get_strategy("tlc"), _context(pool, cand), cand, pool, budget, oracle.answer)


def test_teach_is_an_installed_level():
    assert isinstance(get_level("teach"), TeachLevel) and get_level("teach").token_level


def test_predicted_spans_read_any_scheme():
    assert predicted_spans(["B-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-LOC"]) == [("PER", 0, 2), ("LOC", 3, 5), ("LOC", 5, 6)]
    assert predicted_spans(["S-PER", "B-LOC", "E-LOC", "I-LOC", None]) == [("PER", 0, 1), ("LOC", 1, 3), ("LOC", 3, 4)]
    assert predicted_spans(["B-PER", "I-LOC"]) == [("PER", 0, 1), ("LOC", 1, 2)]


def test_suggestions_are_ranked_judged_against_gold_and_cost_their_tokens():
    pool = Pool(GOLD)
    queries, answers = _plan(pool, budget=100)
    assert [(q.sentence, q.tokens, q.entity_type) for q in queries] == [(0, (4,), "LOC"), (1, (0,), "LOC"), (0, (0,), "PER")]
    assert all(isinstance(q, Suggestion) and q.unit == "teach" for q in queries)
    assert [q.score for q in queries] == sorted([q.score for q in queries], reverse=True)
    york, paris, ann = answers
    assert isinstance(york, Rejection) and york.span == (4, 5) and york.entity_type == "LOC" and york.tokens == ()
    assert isinstance(paris, Rejection) and paris.span == (0, 1)
    assert not isinstance(ann, Rejection) and ann.tokens == (0,) and ann.tags == ("B-PER",)
    # the budget counts suggested tokens, accepted or not: two one-token suggestions cover a budget of 2
    assert len(_plan(Pool(GOLD), budget=2)[0]) == 2


def test_rejections_are_stored_carried_to_training_and_not_suggested_again():
    pool = Pool(GOLD)
    learner_level = get_level("teach")
    _, answers = _plan(pool, budget=100)
    stats = pool.reveal(answers, 1)
    assert stats.tokens == 1 and stats.sentences == 1           # only Ann was revealed
    assert pool.rejections(0) == ((4, 5, "LOC"),) and pool.rejections(1) == ((0, 1, "LOC"),)
    labeled = {s.id: s for s in pool.labeled()}
    assert set(labeled) == {"a", "b"}                           # b has a rejection and no tag: still trained on
    assert labeled["a"].tags == ("B-PER", None, None, None, None) and labeled["a"].rejected == ((4, 5, "LOC"),)
    assert labeled["b"].rejected == ((0, 1, "LOC"),) and labeled["b"].is_unannotated
    again, _ = _plan(pool, budget=100)
    assert again == []                                          # everything predicted was answered
    effort = learner_level.effort(pool, answers, "IOB2")
    assert effort.labels == 3 and effort.entities == 1
    assert effort.tokens_read == 5 + 3                          # spans plus the context window, within each sentence


def test_records_replay_the_round():
    pool = Pool(GOLD)
    _, answers = _plan(pool, budget=100)
    fields = get_level("teach").record_fields(pool, answers)
    assert fields["selected"] == ["a", "b"]
    assert fields["selected_tokens"] == [["a", [0]]]
    assert fields["rejected"] == [["a", 4, 5, "LOC"], ["b", 0, 1, "LOC"]]
    replayed = Pool(GOLD)
    replayed.reveal(get_level("teach").replay(replayed, SimulationOracle(GOLD).answer, fields), 1)
    pool.reveal(answers, 1)
    assert list(replayed.labeled()) == list(pool.labeled())
    assert [s.rejected for s in replayed.labeled()] == [s.rejected for s in pool.labeled()]


def test_a_strategy_without_predictions_is_refused():
    with pytest.raises(CompatibilityError, match="teach-level annotation"):
        ActiveLearner(Pool(GOLD), CountTagger(labels=LABELS), get_strategy("random"), level="teach")
    with pytest.raises(CompatibilityError, match="scores single tokens"):
        ActiveLearner(Pool(GOLD), CountTagger(labels=LABELS), get_strategy("mnlp"), level="teach")


def _records(out):
    return [r.to_json() for r in ResultsStore(str(out / "results.jsonl")).load()]


def test_a_teach_simulation_records_rejections_and_resumes_identically(tmp_path):
    d = tmp_path / "data"
    write_conll(synthetic_corpus(120, seed=10, prefix="train"), d / "train.txt")
    write_conll(synthetic_corpus(40, seed=12, prefix="test"), d / "test.txt")
    args = ["compare", "--data", str(d), "--backends", "count", "--strategies", "entropy", "--level", "teach",
            "--schedule", "5%x3", "--initial-size", "5%", "--valid", "none", "--no-progress"]
    out = tmp_path / "full"
    with registry.registered("count", CountTagger):
        r = CliRunner().invoke(main, args + ["--out", str(out)])
        assert r.exit_code == 0, r.output
        full = _records(out)
        assert [x["iteration"] for x in full] == [0, 1, 2, 3]
        assert sum(len(x.get("rejected") or []) for x in full) > 0        # the oracle rejected some suggestions
        assert sum(len(x.get("selected_tokens") or []) for x in full) > 0  # and accepted others
        resumed = truncated_copy(out, tmp_path / "resumed", 2)   # killed after iteration 1
        r = CliRunner().invoke(main, args + ["--out", str(resumed)])
        assert r.exit_code == 0, r.output
    strip = lambda recs: [{k: v for k, v in x.items() if not k.endswith("_seconds") or k == "estimated_seconds"}
                          for x in recs]
    assert strip(_records(resumed)) == strip(full)
