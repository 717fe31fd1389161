"""Real rounds through :class:`ActiveLearner` alone: a scripted annotator gets the selections and
the accounting of the simulation with the same seed, at entity level."""
import pytest

from multitag.annotation.budget import parse_initial_size
from multitag.annotation.pool import Annotation, Pool, Query
from multitag.baseline import CountTagger
from multitag.data import load_dataset
from multitag.evaluation import evaluate
from multitag.experiments.config import ExperimentConfig
from multitag.experiments.results import ResultsStore
from multitag.experiments.runner import run_experiment
from multitag.loop import ActiveLearner
from multitag.report import write_report
from multitag.strategies import get_strategy


class ScriptedAnnotator:
    """Answers from gold tags the way a person shown one token would: the token, and at entity level
    the whole entity it lies in (found here by walking the IOB2 tags, not by multitag's span code)."""

    def __init__(self, gold):
        self.gold = gold

    def __call__(self, q: Query) -> Annotation:
        tags = self.gold[q.sentence].tags
        positions = set(q.tokens)
        if q.unit == "entity":
            for t in q.tokens:
                if tags[t] != "O":
                    a = t
                    while a > 0 and tags[a][:2] == "I-" and tags[a - 1][2:] == tags[t][2:] and tags[a - 1] != "O":
                        a -= 1
                    b = t + 1
                    while b < len(tags) and tags[b] == "I-" + tags[t][2:]:
                        b += 1
                    positions.update(range(a, b))
        toks = tuple(sorted(positions))
        return Annotation(q.sentence, toks, tuple(tags[k] for k in toks), asked=q.tokens, unit=q.unit)


@pytest.mark.parametrize("level,strategy", [("entity", "bt"), ("entity", "random"), ("token", "tlc-sum"),
                                            ("sentence", "mnlp")])
def test_rounds_through_the_learner_alone_equal_the_simulation(tmp_path, data_dir, count_backend, level, strategy):
    seed, budget_pct, rounds = 3, 4, 3
    config = ExperimentConfig(data=data_dir, backends=[count_backend], strategies=[strategy], seeds=[seed],
                              levels=[level], training_modes=["mask"], initial_size="10%",
                              schedule=f"{budget_pct}%x{rounds}", valid="none")
    run_experiment(config, str(tmp_path / "sim"), progress=False)
    sim = sorted(ResultsStore(str(tmp_path / "sim" / "results.jsonl")).load(), key=lambda r: r.iteration)

    ds = load_dataset(data_dir)
    gold = list(ds.train)
    pool = Pool(gold)
    learner = ActiveLearner(pool, CountTagger(labels=ds.labels), get_strategy(strategy), level=level, seed=seed,
                            training_mode="mask")
    annotator = ScriptedAnnotator(gold)
    seed_set = [annotator(q) for q in learner.initial_queries(parse_initial_size("10%"))]
    learner.teach(seed_set, 0)
    budget = round(pool.n_tokens * budget_pct / 100)
    test_text = [s.unlabeled() for s in ds.test]
    for it in range(rounds + 1):
        model = learner.fit(unlabeled=pool.sentences)
        f1 = evaluate([s.tags for s in ds.test], [p.tags for p in model.predict(test_text)])["f1"]
        rec = sim[it]
        assert (pool.n_revealed_tokens, pool.n_touched_sentences) == (rec.tokens_annotated, rec.sentences_annotated)
        assert learner.totals.entities == rec.entities_annotated
        assert round(learner.totals.seconds, 3) == rec.estimated_seconds
        assert f1 == pytest.approx(rec.f1, abs=1e-12)
        if it == rounds:
            break
        batch = learner.query(budget, iteration=it, annotate=annotator)
        assert batch.sentence_ids(pool) == rec.selected
        if level != "sentence":
            assert [[pool.sentences[a.sentence].id, list(a.tokens)] for a in batch.answers] == rec.selected_tokens
        learner.teach(batch.answers, it + 1)


def test_a_batch_for_people_counts_the_tokens_asked_and_scores_each_query(data_dir):
    ds = load_dataset(data_dir)
    pool = Pool(ds.train)
    learner = ActiveLearner(pool, CountTagger(labels=ds.labels), get_strategy("bt"), level="entity", seed=0)
    learner.teach([ScriptedAnnotator(list(ds.train))(q) for q in learner.initial_queries(parse_initial_size("10"))], 0)
    learner.fit()
    before = pool.n_revealed_tokens
    batch = learner.query(25, iteration=0)      # no annotator in the loop: a batch written out for people
    assert len(batch) == 25 and batch.answers == []
    assert all(len(q.tokens) == 1 and q.unit == "entity" for q in batch)
    scores = [q.score for q in batch]
    assert scores == sorted(scores, reverse=True) and all(s is not None for s in scores)
    assert all(pool.revealed_at[q.sentence][q.tokens[0]] < 0 for q in batch), "only unrevealed tokens are asked"
    assert pool.n_revealed_tokens == before, "querying reveals nothing; teach does"
    again = learner.query(25, iteration=0)
    assert [(q.sentence, q.tokens) for q in again] == [(q.sentence, q.tokens) for q in batch], "same iteration, same batch"


def test_same_seed_same_seed_set_and_other_seeds_differ(data_dir):
    ds = load_dataset(data_dir)

    def seed_ids(seed):
        learner = ActiveLearner(Pool(ds.train), CountTagger(labels=ds.labels), get_strategy("random"), seed=seed)
        return [q.sentence for q in learner.initial_queries(parse_initial_size("10%"))]

    assert seed_ids(1) == seed_ids(1) and seed_ids(1) != seed_ids(2)


def test_an_exhausted_pool_stops_the_run_with_a_note(tmp_path, data_dir, count_backend):
    config = ExperimentConfig(data=data_dir, backends=[count_backend], strategies=["random"], seeds=[0],
                              initial_size="10%", schedule="40%x99999", valid="none")
    result = run_experiment(config, str(tmp_path / "o"), progress=False)
    write_report(str(tmp_path / "o"), data=result["dataset"])
    recs = sorted(ResultsStore(str(tmp_path / "o" / "results.jsonl")).load(), key=lambda r: r.iteration)
    assert len(recs) <= 5, "the run stops when nothing is left, not after 99,999 fits"
    assert recs[-1].tokens_fraction == 1.0 and recs[-1].note and "exhausted" in recs[-1].note
    # running it again finds the run finished
    run_experiment(config, str(tmp_path / "o"), progress=False)
    assert len(ResultsStore(str(tmp_path / "o" / "results.jsonl")).load()) == len(recs)
