"""Writers round-trip through the readers, and their writes are atomic."""
from __future__ import annotations

import json
import os

import pytest

from multitag.data import Sentence, read_conll, read_file, read_jsonl, write_conll, write_jsonl
from multitag.fileio import atomic_write


def _same(a, b):
    """Tokens, tags and POS equal sentence by sentence (Sentence equality ignores ids)."""
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert (x.tokens, x.tags, x.pos) == (y.tokens, y.tags, y.pos)


SENTS_NO_POS = [
    Sentence(["John", "lives", "in", "New", "York"], ["B-PER", "O", "O", "B-LOC", "I-LOC"], id="s:0"),
    Sentence(["Ünïcode", "naïve", "."], [None, "O", None], id="s:1"),      # None written as "_"
    Sentence(["flights", "to", "denver"], ["O", "O", "B-toloc.city_name"], id="s:2"),
]
SENTS_POS = [
    Sentence(["EU", "rejects", "German"], ["B-ORG", "O", "B-MISC"], ["NNP", "VBZ", "JJ"], id="p:0"),
    Sentence(["Peter", "Blackburn"], ["B-PER", None], ["NNP", "NNP"], id="p:1"),
]


def test_conll_round_trip_with_unannotated_tags(tmp_path):
    path = tmp_path / "out" / "train.txt"           # the folder is created
    write_conll(SENTS_NO_POS, path)
    text = path.read_text(encoding="utf-8")
    assert "Ünïcode _\n" in text and "naïve O\n" in text
    assert text.endswith("\n\n")
    back = read_conll(path)
    _same(back, SENTS_NO_POS)
    assert back[1].tags == (None, "O", None)


def test_conll_round_trip_with_pos(tmp_path):
    path = tmp_path / "train.txt"
    write_conll(SENTS_POS, path)
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.split() == ["EU", "NNP", "_", "B-ORG"]
    back = read_conll(path)
    _same(back, SENTS_POS)


def test_unlabeled_sentences_round_trip(tmp_path):
    raw = [Sentence(["a", "b"]), Sentence(["c"])]
    write_conll(raw, tmp_path / "u.txt")
    _same(read_conll(tmp_path / "u.txt"), raw)
    write_jsonl(raw, tmp_path / "u.jsonl")
    _same(read_jsonl(tmp_path / "u.jsonl"), raw)


@pytest.mark.parametrize("sents", [SENTS_NO_POS, SENTS_POS], ids=["no_pos", "pos"])
def test_jsonl_round_trip_keeps_ids_nulls_and_pos(tmp_path, sents):
    path = tmp_path / "x.jsonl"
    write_jsonl(sents, path)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [s.id for s in sents]
    assert all(("pos" in r) == (s.pos is not None) for r, s in zip(rows, sents))
    back = read_file(str(path))
    _same(back, sents)
    assert [s.id for s in back] == [s.id for s in sents]


def test_written_conll_reads_back_through_a_generator(tmp_path):
    # writers accept any iterable, e.g. a generator of sentences
    write_conll((s for s in SENTS_NO_POS), tmp_path / "g.txt")
    _same(read_conll(tmp_path / "g.txt"), SENTS_NO_POS)


class _Boom(RuntimeError):
    pass


def _exploding(sentences, after: int):
    for i, s in enumerate(sentences):
        if i == after:
            raise _Boom("disk on fire")
        yield s


@pytest.mark.parametrize("writer", [write_conll, write_jsonl])
def test_failed_write_leaves_no_file(tmp_path, writer):
    path = tmp_path / "new.out"
    with pytest.raises(_Boom):
        writer(_exploding(SENTS_NO_POS, after=2), path)
    assert not path.exists()
    assert os.listdir(tmp_path) == []   # no temporary file left behind either


@pytest.mark.parametrize("writer", [write_conll, write_jsonl])
def test_failed_overwrite_keeps_the_old_file(tmp_path, writer):
    path = tmp_path / "old.out"
    path.write_text("previous content\n", encoding="utf-8")
    with pytest.raises(_Boom):
        writer(_exploding(SENTS_NO_POS, after=1), path)
    assert path.read_text(encoding="utf-8") == "previous content\n"
    assert os.listdir(tmp_path) == ["old.out"]


def test_successful_overwrite_replaces(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("old\n")
    write_conll(SENTS_NO_POS[:1], path)
    _same(read_conll(path), SENTS_NO_POS[:1])
    assert os.listdir(tmp_path) == ["f.txt"]


def test_atomic_write_binary_and_failure(tmp_path):
    with atomic_write(tmp_path / "b.bin", "wb") as fh:
        fh.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    with pytest.raises(KeyboardInterrupt):     # BaseException too: Ctrl-C mid-write
        with atomic_write(tmp_path / "c.txt") as fh:
            fh.write("half")
            raise KeyboardInterrupt
    assert sorted(os.listdir(tmp_path)) == ["b.bin"]


def test_write_conll_refuses_tokens_it_cannot_represent(tmp_path):
    import pytest

    from multitag.data.sentence import Sentence
    from multitag.data.writers import write_conll
    from multitag.errors import MultitagError

    for bad in (Sentence(["a b"], ["O"]), Sentence(["-DOCSTART-"], ["O"])):
        with pytest.raises(MultitagError, match="cannot be written"):
            write_conll([bad], tmp_path / "x.txt")
    with pytest.raises(MultitagError, match="POS"):
        write_conll([Sentence(["a"], ["O"], ["DT"]), Sentence(["b"], ["O"])], tmp_path / "y.txt")
    assert not (tmp_path / "x.txt").exists() and not (tmp_path / "y.txt").exists()


def test_scheme_errors_on_load_name_the_line(tmp_path):
    import pytest

    from multitag.data.dataset import load_dataset
    from multitag.errors import DataError

    p = tmp_path / "train.txt"
    p.write_text("a O\n\nb B-PER\nc E-PER\n\nd B-LOC\ne O\n")  # BIOES: B-LOC at line 6 is never closed
    with pytest.raises(DataError) as e:
        load_dataset(str(p), scheme="BIOES")
    assert e.value.line == 7 and f"{p}:7" in str(e.value)
