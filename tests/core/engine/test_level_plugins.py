"""Annotation levels are plugins: a level defined in this test module (one class, registered in the
entry-point group ``multitag.levels`` through the registry's test hook) runs through the learner,
the simulation (records and resume) and the CLI with no other change; the built-in levels are
entry points of that group and own the behaviour that used to be spread over the code base
(widening, records, replay, task wording)."""
from __future__ import annotations

import json
import random
from importlib import metadata

import pytest
from click.testing import CliRunner

from multitag import registry
from multitag.annotation.budget import parse_initial_size
from multitag.annotation.levels import (
    EntityLevel, SentenceLevel, SubSentenceLevel, TokenLevel, get_level, level_names, widen_to_entities)
from multitag.annotation.oracle import SimulationOracle
from multitag.annotation.teach_level import TeachLevel
from multitag.annotation.pool import Annotation, Pool, Query
from multitag.baseline import CountTagger
from multitag.cli import main
from multitag.data import load_dataset
from multitag.data.sentence import Sentence
from multitag.errors import CompatibilityError, MultitagError
from multitag.experiments.results import ResultsStore
from multitag.loop import ActiveLearner
from multitag.project.formats import Task, TaskRef
from multitag.strategies import get_strategy

from support.experiments import truncated_copy

NY = Sentence(["He", "flew", "to", "New", "York", "today"], ["O", "O", "O", "B-LOC", "I-LOC", "O"], id="s0")


class NeighbourLevel(SubSentenceLevel):
    """A toy level: a query is one token; the answer covers it and the token after it."""

    name = "neighbour"
    asks_for = "each marked word and the word after it"

    def covers(self, asked, tags, scheme="IOB2"):
        return tuple(sorted({t for a in asked for t in (a, a + 1) if t < len(tags)}))


@pytest.fixture
def neighbour():
    with registry.levels.registered("neighbour", NeighbourLevel):
        yield "neighbour"


def test_a_registered_level_is_listed_after_the_built_in_ones_and_found_by_name(neighbour):
    assert level_names() == ["sentence", "entity", "token", "neighbour", "teach"]
    assert isinstance(get_level("neighbour"), NeighbourLevel)
    assert get_level("neighbour") is get_level("neighbour")


def test_unknown_and_wrongly_registered_levels_are_one_line_errors():
    with pytest.raises(MultitagError, match="unknown annotation level 'neighbour'; use one of sentence, entity, token"):
        get_level("neighbour")
    with registry.levels.registered("pair", NeighbourLevel):      # registered under another name than its own
        with pytest.raises(MultitagError, match="not an AnnotationLevel subclass named 'pair'"):
            get_level("pair")
    with registry.levels.registered("neighbour", dict):
        with pytest.raises(MultitagError, match="not an AnnotationLevel subclass"):
            get_level("neighbour")


def test_the_learner_queries_and_accounts_at_a_plugin_level(neighbour, data_dir):
    ds = load_dataset(data_dir)
    gold = list(ds.train)
    pool = Pool(gold)
    oracle = SimulationOracle(gold, scheme=ds.scheme)
    learner = ActiveLearner(pool, CountTagger(labels=ds.labels), get_strategy("tlc-sum"), level=neighbour, seed=1)
    learner.teach(oracle.annotate(learner.initial_queries(parse_initial_size("10%"))), 0)
    learner.fit()
    before = pool.n_revealed_tokens
    batch = learner.query(40, iteration=0, annotate=oracle.answer)
    assert batch.queries and all(q.unit == "neighbour" and len(q.tokens) == 1 for q in batch.queries)
    for q, a in zip(batch.queries, batch.answers):
        t = q.tokens[0]
        assert a.unit == "neighbour" and a.asked == (t,)
        assert a.tokens == ((t, t + 1) if t + 1 < len(gold[q.sentence]) else (t,))
        assert a.tags == tuple(gold[q.sentence].tags[k] for k in a.tokens)
    stats = learner.teach(batch.answers, 1)
    assert stats.tokens == pool.n_revealed_tokens - before
    assert 40 <= stats.tokens <= 41          # the budget counts revealed tokens; an answer reveals at most 2
    assert stats.seconds > 0


def test_a_sentence_level_strategy_is_refused_at_a_plugin_sub_sentence_level(neighbour):
    pool = Pool([NY])
    with pytest.raises(CompatibilityError, match="neighbour-level annotation needs a strategy that scores single tokens"):
        ActiveLearner(pool, CountTagger(labels=["O", "B-LOC", "I-LOC"]), get_strategy("mnlp"), level=neighbour)


def _records(out):
    return [r.to_json() for r in ResultsStore(str(out / "results.jsonl")).load()]


TIMINGS = ("train_seconds", "eval_seconds", "predict_seconds", "select_seconds")


def test_a_simulation_at_a_plugin_level_records_and_resumes_its_selections(neighbour, tmp_path, data_dir,
                                                                           count_backend):
    out = tmp_path / "full"
    args = ["compare", "--data", data_dir, "--backends", count_backend, "--strategies", "tlc-sum", "--level",
            neighbour, "--schedule", "5%x3", "--initial-size", "10%", "--valid", "none", "--no-progress"]
    r = CliRunner().invoke(main, args + ["--out", str(out)])
    assert r.exit_code == 0, r.output
    full = _records(out)
    assert [x["iteration"] for x in full] == [0, 1, 2, 3] and {x["level"] for x in full} == {"neighbour"}
    ds = load_dataset(data_dir)
    lengths = {s.id: len(s) for s in ds.train}
    for rec in full[:-1]:
        # every answer covers its asked token and the one after it (the level's covers), as recorded
        asked = {sid: toks for sid, toks in rec["queried_tokens"]}
        covered = {}
        for sid, toks in rec["selected_tokens"]:
            covered.setdefault(sid, set()).update(toks)
        assert set(asked) == set(covered) == set(rec["selected"])
        for sid, toks in asked.items():
            assert covered[sid] == {k for t in toks for k in (t, t + 1) if k < lengths[sid]}
    # resume after iteration 1: the recorded selections are replayed by the level, the rest is the same
    resumed = truncated_copy(out, tmp_path / "resumed", 2)
    r = CliRunner().invoke(main, args + ["--out", str(resumed)])
    assert r.exit_code == 0, r.output
    strip = lambda recs: [{k: v for k, v in x.items() if k not in TIMINGS} for x in recs]
    again = _records(resumed)
    assert len(again) == 4 and strip(again) == strip(full)


def test_entity_widening_is_the_one_entity_span_function(data_dir):
    """The importer's old walk over IOB2 tags and the oracle's spans widen the same tokens."""

    def old_importer_widening(tags, asked):
        keep, i, n = set(asked), 0, len(tags)
        while i < n:
            if tags[i][:2] == "B-":
                j = i + 1
                while j < n and tags[j] == "I-" + tags[i][2:]:
                    j += 1
                if asked & set(range(i, j)):
                    keep.update(range(i, j))
                i = j
            else:
                i += 1
        return keep

    rng = random.Random(0)
    for _ in range(2000):
        tags = [rng.choice(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]) for _ in range(rng.randint(1, 9))]
        asked = set(rng.sample(range(len(tags)), rng.randint(0, len(tags))))
        assert set(widen_to_entities(sorted(asked), tags)) == old_importer_widening(tags, asked), (tags, asked)
        assert get_level("entity").covers(sorted(asked), tags) == tuple(sorted(old_importer_widening(tags, asked)))
        assert get_level("token").covers(sorted(asked), tags) == tuple(sorted(asked))
    assert widen_to_entities([4], ["O", "O", "O", "S-LOC", "B-LOC", "E-LOC"], "BIOES") == (4, 5)


def test_oracle_answers_cover_what_the_query_level_says():
    oracle = SimulationOracle([NY])
    assert oracle.answer(Query(0, (4,), "entity")).tokens == (3, 4)
    assert oracle.answer(Query(0, (4,), "token")).tokens == (4,)
    assert oracle.answer(Query(0, (4,))).tokens == (4,)            # a sentence-level query covers what it asks
    assert SimulationOracle([NY], widen_to_entities=True).answer(Query(0, (4,), "token")).tokens == (3, 4)


def test_records_fields_replay_to_the_same_answers():
    pool = Pool([NY, Sentence(["Paris", "is", "big"], ["B-LOC", "O", "O"], id="s1")])
    oracle = SimulationOracle([NY, Sentence(["Paris", "is", "big"], ["B-LOC", "O", "O"], id="s1")])
    level = get_level("entity")
    answers = [oracle.answer(level.query(0, (4,))), oracle.answer(level.query(1, (1,))), oracle.answer(level.query(0, (1,)))]
    fields = level.record_fields(pool, answers)
    assert fields == {"selected": ["s0", "s1"], "selected_tokens": [["s0", [3, 4]], ["s1", [1]], ["s0", [1]]],
                      "queried_tokens": [["s0", [1, 4]], ["s1", [1]]]}
    replayed = level.replay(pool, oracle.answer, json.loads(json.dumps(fields)))
    assert [(a.sentence, a.tokens, a.tags, a.unit) for a in replayed] == [(a.sentence, a.tokens, a.tags, a.unit)
                                                                        for a in answers]
    assert [set(a.asked_tokens) for a in replayed] == [{1, 4}, {1}, set()]   # a sentence's asked go with its first
    sentence = get_level("sentence")
    whole = sentence.replay(pool, oracle.answer, {"selected": ["s1"]})
    assert sentence.record_fields(pool, whole) == {"selected": ["s1"]}
    assert whole == [Annotation(1, (0, 1, 2), ("B-LOC", "O", "O"), asked=(0, 1, 2), unit="sentence")]


@pytest.mark.parametrize("unit,asked,text", [
    ("sentence", [4], "Annotate every entity in the sentence."),
    ("entity", [], "Annotate every entity in the sentence."),
    ("entity", [4], "Label each marked word, and the whole entity it belongs to: He flew to New [[York]] today"),
    ("token", [1, 4], "Label each marked word: He [[flew]] to New [[York]] today"),
    ("neighbour", [0], "Label each marked word and the word after it: [[He]] flew to New York today"),
])
def test_a_task_asks_what_its_level_says(neighbour, unit, asked, text):
    ref = TaskRef(project="p", sentence=0, hash="h", asked=asked, unit=unit)
    assert Task(ref, "He flew to New York today", list(NY.tokens), [], []).asked_text() == text


def test_the_built_in_levels_are_entry_points_like_any_plugin():
    found = {ep.name: ep.load() for ep in metadata.entry_points(group=registry.LEVELS_GROUP)}
    assert found == {"sentence": SentenceLevel, "entity": EntityLevel, "token": TokenLevel, "teach": TeachLevel}
    assert [cls.whole_sentence for cls in found.values()].count(True) == 1 and SentenceLevel.whole_sentence
