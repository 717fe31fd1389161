"""``project init`` streams its text into the store a batch at a time, and a first query chooses the
seed set from the store's ids and lengths: the same store and the same seed set as reading it all
at once, a bad line late in the file still refuses with file and line and leaves nothing."""
from __future__ import annotations

import importlib.util
import io
import os

import pytest
from click.testing import CliRunner

from multitag.annotation.budget import InitialSize
from multitag.annotation.initial import get_initial_selection
from multitag.cli import main
from multitag.data.writers import write_jsonl
from multitag.errors import DataError
from multitag.project import round_choice
from multitag.project.init_progress import init_progress
from multitag.project.project import Project, Settings, init_project
from multitag.project.replay import replay
from multitag.project.stored_pool import StoredPool

_spec = importlib.util.spec_from_file_location("project_conftest", os.path.join(os.path.dirname(__file__), "conftest.py"))
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

UNSTABLE = {"project_uid", "created", "text_file"}   # meta that differs between any two inits


def _settings(backend: str, **kw) -> Settings:
    return Settings(backend=backend, params={}, strategy="random", entity_types=["PER", "LOC", "ORG", "MISC"],
                    tokenizer=kw.pop("tokenizer", "whitespace"), seed=kw.pop("seed", 4), **kw)


def _stable_dump(project: str) -> dict:
    """Every row of the store, less what differs between any two inits (ids, uid, time stamps)."""
    d = helpers.dump(project)
    d["meta"] = [r for r in d["meta"] if r[0] not in UNSTABLE]
    d["rounds"] = [r[:2] + r[3:] for r in d["rounds"]]              # created
    d["annotations"] = [r[:8] + r[9:] for r in d["annotations"]]    # created
    return d


@pytest.fixture
def messy_text(tmp_path, gold):
    """40 CoNLL sentences as plain text with a BOM, blank lines and all three kinds of line break;
    returns (path, the expected (line number, tokens) of each sentence)."""
    lines = [" ".join(s.tokens) for s in gold[:40]]
    body = "\n".join(lines[:15]) + "\n\n   \r\n" + "\r\n".join(lines[15:30]) + "\r" + "\r".join(lines[30:]) + "\n"
    path = tmp_path / "messy.txt"
    path.write_bytes(("\ufeff" + body).encode("utf-8"))
    numbers = list(range(1, 16)) + list(range(18, 33)) + list(range(33, 43))
    return str(path), [(n, line.split()) for n, line in zip(numbers, lines)]


def test_a_file_of_many_batches_gives_the_store_of_one_batch(tmp_path, count_backend, messy_text):
    path, expected = messy_text
    small = str(tmp_path / "small")
    whole = str(tmp_path / "whole")
    r_small = init_project(small, path, _settings(count_backend), batch_size=3)
    r_whole = init_project(whole, path, _settings(count_backend), batch_size=10_000)
    assert r_small == r_whole and r_small["sentences"] == 40
    assert _stable_dump(small) == _stable_dump(whole)
    with Project(small) as p:
        rows = p.sentences()
        assert [r.id for r in rows] == list(range(1, 41)) and [r.document_id for r in rows] == list(range(1, 41))
        assert [(int(r.source.rsplit(":", 1)[1]), r.tokens) for r in rows] == expected
        assert [r.text for r in rows] == [" ".join(t) for _, t in expected]


def test_tags_of_a_late_batch_open_round_zero_and_keep_their_order(tmp_path, count_backend, gold):
    """CoNLL whose only tags are in its last sentences: round 0 is opened by the batch that meets
    them, and the annotations are those of a single batch, row for row."""
    sentences = [s.unlabeled() for s in gold[:12]] + list(gold[12:14])
    path = str(tmp_path / "late.jsonl")
    write_jsonl(sentences, path)
    init_project(str(tmp_path / "a"), path, _settings(count_backend), batch_size=5)
    init_project(str(tmp_path / "b"), path, _settings(count_backend), batch_size=100)
    a, b = _stable_dump(str(tmp_path / "a")), _stable_dump(str(tmp_path / "b"))
    assert a == b
    assert len(a["rounds"]) == 1 and a["rounds"][0][:2] == (0, "text")
    assert {r[1] for r in a["annotations"]} == {13, 14}
    assert len(a["annotations"]) == len(gold[12]) + len(gold[13])


def test_a_bad_line_in_the_third_batch_refuses_with_file_and_line_and_leaves_no_project(tmp_path, count_backend, gold):
    lines = [" ".join(s.tokens).encode() for s in gold[:10]]
    lines[7] = b"caf\xe9 au lait"                   # Latin-1, line 8: in the third batch of 3
    path = tmp_path / "bad.txt"
    path.write_bytes(b"\n".join(lines) + b"\n")
    seen = []
    with pytest.raises(DataError) as e:
        init_project(str(tmp_path / "p"), str(path), _settings(count_backend), batch_size=3,
                     progress=lambda n, done, total: seen.append(n))
    assert str(e.value) == f"{path}:8: bytes that are not valid UTF-8"
    assert seen == [3, 6]                            # two batches were written before the bad line
    assert sorted(os.listdir(tmp_path)) == ["bad.txt"]   # no project, no scratch folder left

    r = CliRunner().invoke(main, ["project", "init", str(tmp_path / "p"), "--text", str(path), "--labels", "PER",
                                  "--backend", count_backend, "--tokenizer", "whitespace"])
    assert r.exit_code != 0 and f"{path}:8: bytes that are not valid UTF-8" in r.output
    assert "Traceback" not in r.output and sorted(os.listdir(tmp_path)) == ["bad.txt"]


def test_the_progress_names_sentences_read_their_rate_and_the_share_of_the_file(tmp_path, count_backend, messy_text):
    path, _ = messy_text
    out = io.StringIO()
    init_project(str(tmp_path / "p"), path, _settings(count_backend), batch_size=16,
                 progress=init_progress(out, every=0.0))
    lines = out.getvalue().splitlines()
    assert [ln.split("] ")[1].split(" sentences")[0] for ln in lines] == ["16", "32", "40"]
    assert all("/s)" in ln for ln in lines) and lines[-1].endswith("100% of the file")

    quiet = io.StringIO()
    say = init_progress(quiet, every=3600.0)         # a line at most every hour, and the last one
    say(3, 10, 100)
    say(6, 20, 100)
    say(9, 100, 100)
    assert quiet.getvalue().count("\n") == 2 and "9 sentences read" in quiet.getvalue().splitlines()[-1]

    r = CliRunner().invoke(main, ["project", "init", str(tmp_path / "q"), "--text", path, "--labels", "PER",
                                  "--backend", count_backend, "--tokenizer", "whitespace"])
    assert r.exit_code == 0, r.output
    assert "40 sentences read" in r.stderr and "100% of the file" in r.stderr
    r = CliRunner().invoke(main, ["project", "init", str(tmp_path / "r"), "--text", path, "--labels", "PER",
                                  "--backend", count_backend, "--tokenizer", "whitespace", "--quiet"])
    assert r.exit_code == 0 and "sentences read" not in r.stderr


@pytest.mark.parametrize("initial", ["random", "nnp"])
def test_the_seed_query_of_a_streamed_project_picks_what_the_replayed_pool_picks(tmp_path, count_backend, gold,
                                                                                   monkeypatch, initial):
    path = str(tmp_path / "pool.jsonl")
    write_jsonl([s.unlabeled() for s in gold], path)     # with POS tags (nnp reads them)
    project = str(tmp_path / "p")
    init_project(project, path, _settings(count_backend, initial=initial, seed=11), batch_size=7)
    with Project(project) as p:
        learner, rows = replay(p)                          # the pool as every later round builds it
        expected = learner.initial_queries(InitialSize(tokens=300), get_initial_selection(initial))
        stored = StoredPool(p.store)
        assert list(stored.sentences) == list(learner.pool.sentences)
        assert [stored.sentences[i] for i in (0, 17, len(rows) - 1)] == [learner.pool.sentences[i] for i in (0, 17, len(rows) - 1)]
        assert stored.n_tokens == learner.pool.n_tokens and list(stored.lengths) == list(learner.pool.lengths)

        def no_replay(*a, **k):
            raise AssertionError("the seed set was chosen from a replayed pool")

        monkeypatch.setattr(round_choice, "replay", no_replay)
        round_id, reused = p.choose_round(300)
        assert not reused
        chosen = p.store.queries.of_round(round_id)
        assert [(q.sentence_id, q.tokens) for q in chosen] == [(rows[q.sentence].id, list(q.tokens)) for q in expected]
        tasks = p.round_tasks(round_id)                                   # read from the store alone
        assert [t.tokens for t in tasks] == [rows[t.ref.sentence - 1].tokens for t in tasks]
        assert [t.ref.hash for t in tasks] == [rows[t.ref.sentence - 1].hash for t in tasks]
        assert p.choose_round(300) == (round_id, True)                    # asked again: the same round


def test_a_replayed_project_streams_the_store_into_the_packed_pool_and_reads_rows_when_asked(
        tmp_path, count_backend, gold, monkeypatch):
    """Later rounds replay the store: its sentences are read in batches into the pool's arrays
    (never the whole pool as a list of rows), annotations land on the right pool sentences, and
    the rows replay returns are read from the store by index."""
    from multitag.project.store.text import TextTables

    path = str(tmp_path / "pool.jsonl")
    write_jsonl([s.unlabeled() for s in gold[:60]], path)
    project = str(tmp_path / "p")
    init_project(project, path, _settings(count_backend), batch_size=7)
    batch, answers = str(tmp_path / "batch.jsonl"), str(tmp_path / "answers.jsonl")
    by_tokens = {tuple(s.tokens): s.tags for s in gold[:60]}
    with Project(project) as p:
        p.query(120, fmt="jsonl", out=batch)
        helpers.answer_jsonl(batch, answers, by_tokens)
        p.import_file(answers)
        everything = p.sentences()
        annotated = sorted({a.sentence_id for a in p.store.annotations.current()})
        assert annotated

        def whole_list(self):
            raise AssertionError("replay read the whole pool as a list of rows")

        monkeypatch.setattr(TextTables, "sentences", whole_list)
        reads = []
        original = TextTables.iter_sentences
        monkeypatch.setattr(TextTables, "iter_sentences", lambda self, batch=10_000: reads.append(batch) or original(self, batch))
        learner, rows = replay(p)
        assert reads == [10_000]
        assert len(rows) == 60 and list(rows.ids) == [r.id for r in everything]
        assert [rows[i] for i in (0, 33, 59)] == [everything[i] for i in (0, 33, 59)]
        assert list(rows) == everything
        assert [s.tokens for s in learner.pool.sentences] == [tuple(r.tokens) for r in everything]
        assert list(learner.pool.touched()) == [sid - 1 for sid in annotated]
        assert all(learner.pool.tags(sid - 1) == tuple(by_tokens[tuple(rows[sid - 1].tokens)]) for sid in annotated)


def test_the_store_reads_the_pool_in_batches_and_sentences_by_id_in_chunks(tmp_path, count_backend):
    path = tmp_path / "many.txt"
    path.write_text("".join(f"line {i} of {'x ' * (i % 5)}many\n" for i in range(1203)))
    init_project(str(tmp_path / "p"), str(path), _settings(count_backend), batch_size=500)
    with Project(str(tmp_path / "p")) as p:
        everything = p.sentences()
        assert list(p.store.text.iter_sentences(batch=100)) == everything == list(p.store.text.iter_sentences(batch=1203))
        wanted = list(range(1203, 0, -2)) + [5, 5]
        got = p.store.text.sentences_with_ids(wanted)
        assert sorted(got) == sorted(set(wanted)) and all(got[i] == everything[i - 1] for i in got)
        ids, lengths = p.store.text.ids_and_lengths()
        assert list(ids) == list(range(1, 1204)) and list(lengths) == [len(r.tokens) for r in everything]


def test_spacy_is_replaced_by_a_fresh_pipeline_when_its_vocabulary_grows_and_tokenises_alike(monkeypatch, gold):
    from multitag.project import tokenize

    lines = [" ".join(f"{t}{k}" for t in s.tokens) + " well-known 2-1" for k, s in enumerate(gold[:60])]
    tok = tokenize.tokenizer("spacy")
    expected = [tok(line, False) for line in lines]
    monkeypatch.delitem(tokenize._SPACY, False)
    fresh = len(tokenize._spacy_pipeline(False).vocab)
    monkeypatch.setattr(tokenize, "MAX_VOCAB", fresh + 50)
    pipelines = set()
    for line, want in zip(lines, expected):
        pipelines.add(id(tokenize._SPACY.get(False)))
        assert tok(line, False) == want
    assert len(pipelines) > 3                       # replaced again and again, the tokens unchanged
    assert len(tokenize._SPACY[False].vocab) <= tokenize.MAX_VOCAB + 60


def test_the_serve_queue_counts_the_pool_tokens_once(tmp_path, count_backend, messy_text, monkeypatch):
    """The page asks for the queue's status after every answer; on a million sentences counting the
    pool's tokens is a scan of the whole store, done once (the text never changes after init)."""
    from multitag.project.store.text import TextTables
    from multitag.serve.queue import AnnotationQueue

    path, expected = messy_text
    project = str(tmp_path / "p")
    init_project(project, path, _settings(count_backend))
    with Project(project) as p:
        p.choose_round(100)
    calls = []
    counted = TextTables.pool_tokens
    monkeypatch.setattr(TextTables, "pool_tokens", lambda self: calls.append(1) or counted(self))
    queue = AnnotationQueue(project)
    statuses = [queue.status("ann") for _ in range(3)]
    assert [s["pool_tokens"] for s in statuses] == [sum(len(t) for _, t in expected)] * 3
    assert len(calls) == 1 and statuses[0]["round_kind"] == "seed" and statuses[0]["queue_tasks"] > 0
