"""Readers: CoNLL column files, ATIS-style parallel files, JSONL, and every bad-input case.

Each bad input must raise a MultitagError (DataError) whose message names the file and the line.
"""
from __future__ import annotations

import pytest

from multitag.data import read_conll, read_file, read_jsonl, read_parallel
from multitag.errors import DataError, MultitagError

CONLL_4COL = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER
"""


def _located(exc_info, path: str, line: int | None) -> str:
    """Assert the error names ``path`` (and ``line``) and return its message."""
    err = exc_info.value
    msg = str(err)
    assert isinstance(err, MultitagError)
    assert path in msg, msg
    if line is not None:
        assert f"{path}:{line}" in msg, msg
        assert err.line == line
    return msg


# ---------------------------------------------------------------------- CoNLL


def test_conll_four_columns_pos_and_docstart(write):
    path = write("train.txt", CONLL_4COL)
    sents = read_conll(path)
    assert [s.tokens for s in sents] == [("EU", "rejects", "German", "call", "."), ("Peter", "Blackburn")]
    assert sents[0].tags == ("B-ORG", "O", "B-MISC", "O", "O")
    assert sents[1].tags == ("B-PER", "I-PER")
    # POS is the 2nd column, not the chunk column
    assert sents[0].pos == ("NNP", "VBZ", "JJ", "NN", ".")
    assert sents[1].pos == ("NNP", "NNP")
    assert all("DOCSTART" not in t for s in sents for t in s.tokens)
    assert [s.id for s in sents] == ["train.txt:0", "train.txt:1"]


def test_conll_docstart_without_blank_line_still_separates(write):
    path = write("a.txt", "a O\n-DOCSTART- O\nb B-PER\n")
    sents = read_conll(path)
    assert [s.tokens for s in sents] == [("a",), ("b",)]


def test_conll_two_columns_no_pos_tabs_and_id_prefix(write):
    path = write("x.conll", "John\tB-PER\nlives\tO\n\nin O\nParis B-LOC\n")
    sents = read_conll(path, id_prefix="dev")
    assert [s.tags for s in sents] == [("B-PER", "O"), ("O", "B-LOC")]
    assert all(s.pos is None for s in sents)
    assert [s.id for s in sents] == ["dev:0", "dev:1"]


def test_conll_whitespace_only_lines_separate_sentences(write):
    # spaces / tabs only, several in a row, a CRLF line ending and no final newline
    path = write("ws.txt", "a O\nb B-LOC\n   \n\t\n \t \nc O\r\n \r\nd I-X")
    sents = read_conll(path)
    assert [s.tokens for s in sents] == [("a", "b"), ("c",), ("d",)]
    assert [s.tags for s in sents] == [("O", "B-LOC"), ("O",), ("I-X",)]


def test_conll_one_column_is_unlabeled(write):
    path = write("raw.txt", "Hello\nworld\n\nBye\n")
    sents = read_conll(path)
    assert [s.tokens for s in sents] == [("Hello", "world"), ("Bye",)]
    assert all(s.is_unannotated and s.pos is None for s in sents)
    assert sents[0].tags == (None, None)


def test_conll_underscore_means_not_annotated(write):
    path = write("partial.txt", "a B-PER\nb _\nc O\n")
    (s,) = read_conll(path)
    assert s.tags == ("B-PER", None, "O")
    assert not s.is_fully_annotated and not s.is_unannotated


def test_conll_three_columns_tag_is_last(write):
    path = write("three.txt", "a DT O\nParis NNP B-LOC\n")
    (s,) = read_conll(path)
    assert s.tags == ("O", "B-LOC")
    assert s.pos is None  # only a 4-column file has POS


def test_conll_utf8_bom_is_dropped(write):
    path = write("bom.txt", b"\xef\xbb\xbfCaf\xc3\xa9 O\n")
    (s,) = read_conll(path)
    assert s.tokens == ("Café",)


@pytest.mark.parametrize("content, line", [
    ("a O\nb O\n\nc X O\n", 4),              # more columns than the file's first data line
    ("-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects O\n", 4),  # fewer columns
    ("a\nb\nc O\n", 3),                       # a tag column appears in a 1-column file
])
def test_conll_column_count_mismatch(write, content, line):
    path = write("bad.txt", content)
    with pytest.raises(DataError) as e:
        read_conll(path)
    msg = _located(e, path, line)
    assert "columns" in msg


@pytest.mark.parametrize("content", ["", "\n", "  \n\t\n \n"])
def test_conll_empty_file(write, content):
    path = write("empty.txt", content)
    with pytest.raises(DataError) as e:
        read_conll(path)
    msg = _located(e, path, None)
    assert "empty" in msg


def test_conll_only_docstart_has_no_sentences(write):
    path = write("doc.txt", "-DOCSTART- -X- -X- O\n\n")
    with pytest.raises(DataError) as e:
        read_conll(path)
    assert "no sentences" in _located(e, path, None)


@pytest.mark.parametrize("content, line", [
    (b"a O\nb O\n\xff O\n", 3),
    (b"\xfe\n", 1),
    (b"ok O\n\ncaf\xc3 O\nx O\n", 3),   # a truncated 2-byte sequence
])
def test_conll_undecodable_bytes(write, content, line):
    path = write("bytes.txt", content)
    with pytest.raises(DataError) as e:
        read_conll(path, encoding="utf-8")      # by default a file that is not UTF-8 is read as cp1252 / Latin-1
    assert "UTF-8" in _located(e, path, line)


@pytest.mark.parametrize("tag", ["B_LOC", "PER", "b-LOC", "B-", "o", "X-PER"])
def test_conll_invalid_tag(write, tag):
    path = write("tags.txt", f"a O\n\nb O\nc {tag}\n")
    with pytest.raises(DataError) as e:
        read_conll(path)
    msg = _located(e, path, 4)
    assert repr(tag) in msg


def test_missing_file_and_folder(tmp_path):
    missing = str(tmp_path / "nope.txt")
    with pytest.raises(DataError) as e:
        read_conll(missing)
    assert missing in str(e.value)
    with pytest.raises(DataError) as e:
        read_conll(tmp_path)
    assert str(tmp_path) in str(e.value)


# ---------------------------------------------------------------------- ATIS-style parallel files


def test_parallel_files(write):
    src = write("train.seq.in", "i want to fly from boston\nshow flights to denver\n")
    tgt = write("train.seq.out", "O O O O O B-fromloc.city_name\nO O O B-toloc.city_name\n")
    sents = read_parallel(src, tgt)
    assert [len(s) for s in sents] == [6, 4]
    assert sents[0].tags[-1] == "B-fromloc.city_name"
    assert sents[1].tokens == ("show", "flights", "to", "denver")
    assert sents[1].tags == ("O", "O", "O", "B-toloc.city_name")
    assert sents[0].id == "train.seq.in:0"
    # read_file finds the .seq.out beside the .seq.in (and accepts either name)
    assert read_file(src) == sents
    assert read_file(tgt) == sents


def test_parallel_without_tags_is_unlabeled(write):
    src = write("pool.seq.in", "a b c\nd e\n")
    sents = read_file(src)
    assert [s.tokens for s in sents] == [("a", "b", "c"), ("d", "e")]
    assert all(s.is_unannotated for s in sents)


def test_parallel_token_tag_count_mismatch(write):
    src = write("d.seq.in", "a b\nc d e\nf\n")
    tgt = write("d.seq.out", "O O\nO O\nO\n")
    with pytest.raises(DataError) as e:
        read_parallel(src, tgt)
    msg = _located(e, tgt, 2)
    assert "2 tags for the 3 tokens" in msg


def test_parallel_line_count_mismatch(write):
    src = write("d.seq.in", "a b\nc d\nf\n")
    tgt = write("d.seq.out", "O O\nO O\n")
    with pytest.raises(DataError) as e:
        read_parallel(src, tgt)
    _located(e, tgt, 3)


def test_parallel_invalid_tag(write):
    src = write("d.seq.in", "a b\nc d\n")
    tgt = write("d.seq.out", "O O\nO B_LOC\n")
    with pytest.raises(DataError) as e:
        read_parallel(src, tgt)
    assert "'B_LOC'" in _located(e, tgt, 2)


def test_parallel_empty_line(write):
    src = write("d.seq.in", "a b\n\nc\n")
    tgt = write("d.seq.out", "O O\n\nO\n")
    with pytest.raises(DataError) as e:
        read_parallel(src, tgt)
    _located(e, src, 2)


def test_parallel_undecodable_and_empty(write):
    src = write("d.seq.in", b"a b\nc d\n\xffe\n")
    tgt = write("d.seq.out", "O O\nO O\nO\n")
    with pytest.raises(DataError) as e:
        read_parallel(src, tgt, encoding="utf-8")   # by default a file that is not UTF-8 is read as cp1252 / Latin-1
    _located(e, src, 3)
    empty = write("e.seq.out", "")
    with pytest.raises(DataError) as e:
        read_parallel(write("e.seq.in", "a\n"), empty)
    _located(e, empty, None)


# ---------------------------------------------------------------------- JSONL


def test_jsonl_with_optional_pos_null_tags_and_ids(write):
    path = write("train.jsonl", "\n".join([
        '{"tokens": ["John", "runs"], "tags": ["B-PER", "O"], "pos": ["NNP", "VBZ"]}',
        '{"tokens": ["in", "Rome"], "tags": [null, "B-LOC"], "id": 42}',
        "",
        '{"tokens": ["raw", "text"]}',
    ]) + "\n")
    with pytest.raises(DataError) as e:          # by default every line must have "tags"
        read_jsonl(path)
    assert "no \"tags\" key" in _located(e, path, 4)
    sents = read_jsonl(path, tags="optional")
    assert len(sents) == 3
    assert sents[0].tags == ("B-PER", "O") and sents[0].pos == ("NNP", "VBZ")
    assert sents[1].tags == (None, "B-LOC") and sents[1].pos is None
    assert sents[1].id == "42"
    assert sents[2].is_unannotated
    assert sents[0].id == "train.jsonl:0" and sents[2].id == "train.jsonl:2"
    assert read_file(path, tags="optional") == sents


@pytest.mark.parametrize("line3, what", [
    ('{"tokens": ["a"], "tags": ["O"]', "invalid JSON"),
    ("not json", "invalid JSON"),
    ('["a", "b"]', "JSON object"),
    ('{"tags": ["O"]}', "tokens"),
    ('{"tokens": []}', "tokens"),
    ('{"tokens": ["a b"]}', "tokens"),
    ('{"tokens": ["a", "b"], "tags": ["O"]}', "1 tags for 2 tokens"),
    ('{"tokens": ["a"], "tags": ["PER"]}', "'PER'"),
    ('{"tokens": ["a"], "tags": ["B_LOC"]}', "'B_LOC'"),
    ('{"tokens": ["a"], "tags": [1]}', "tags"),
    ('{"tokens": ["a"], "tags": ["O"], "pos": ["DT", "NN"]}', "pos"),
])
def test_jsonl_bad_line(write, line3, what):
    # a blank line before the bad one: line numbers count every physical line
    path = write("bad.jsonl", '{"tokens": ["x"], "tags": ["O"]}\n\n' + line3 + "\n")
    with pytest.raises(DataError) as e:
        read_jsonl(path)
    assert what in _located(e, path, 3)


def test_jsonl_empty_and_undecodable(write):
    path = write("empty.jsonl", "\n\n")
    with pytest.raises(DataError) as e:
        read_jsonl(path)
    _located(e, path, None)
    path = write("bytes.jsonl", b'{"tokens": ["x"]}\n{"tokens": ["\xff"]}\n')
    with pytest.raises(DataError) as e:
        read_jsonl(path)
    _located(e, path, 2)


def test_read_file_dispatches_on_extension(write):
    # a .jsonl file is read as JSON, anything else as CoNLL
    j = write("s.jsonl", '{"tokens": ["a"], "tags": ["O"]}\n')
    c = write("s.tsv", "a\tO\n")
    assert read_file(j)[0].tags == ("O",)
    assert read_file(c)[0].tags == ("O",)
    with pytest.raises(DataError):
        read_file(write("c.jsonl", "a O\n"))  # CoNLL content in a .jsonl file is not silently mis-read


@pytest.mark.parametrize("line2, words", [
    ('{"tokens": ["a"], "tag": ["O"]}', ['no "tags" key', 'unknown key "tag"']),
    ('{"tokens": ["a"], "labels": ["O"], "ner": ["O"]}', ['no "tags" key', '"labels", "ner"']),
    ('{"tokens": ["a"]}', ['no "tags" key', "null"]),
    ('{"tokens": ["a"], "tags": ["O"], "meta": {}}', ['unknown key "meta"']),
    ('{"tokens": ["a"], "tags": ["_"]}', ["null"]),
])
def test_jsonl_missing_misspelled_or_unknown_keys(write, line2, words):
    path = write("keys.jsonl", '{"tokens": ["x"], "tags": ["O"]}\n' + line2 + "\n")
    with pytest.raises(DataError) as e:
        read_jsonl(path)
    msg = _located(e, path, 2)
    for w in words:
        assert w in msg


def test_jsonl_tags_optional_and_explicit_nulls(write):
    path = write("plain.jsonl", '{"tokens": ["a", "b"]}\n{"tokens": ["c"], "tags": null}\n'
                                '{"tokens": ["d"], "tags": [null]}\n')
    sents = read_jsonl(path, tags="optional")
    assert all(s.is_unannotated for s in sents) and [len(s) for s in sents] == [2, 1, 1]
    with pytest.raises(DataError) as e:
        read_jsonl(path)
    _located(e, path, 1)
    # explicit nulls need no option
    assert read_jsonl(write("nulls.jsonl", '{"tokens": ["c"], "tags": null}\n{"tokens": ["d"], "tags": [null]}\n'))
    # unknown keys are refused in either mode
    with pytest.raises(DataError):
        read_jsonl(write("k.jsonl", '{"tokens": ["a"], "text": "a"}\n'), tags="optional")
    with pytest.raises(MultitagError):
        read_jsonl(path, tags="sometimes")


def test_jsonl_lone_surrogate_and_huge_number(write):
    path = write("s.jsonl", '{"tokens": ["ok"], "tags": ["O"]}\n{"tokens": ["\\ud800"], "tags": ["O"]}\n')
    with pytest.raises(DataError) as e:
        read_jsonl(path)
    assert "surrogate" in _located(e, path, 2)
    path = write("n.jsonl", '{"tokens": ["a"], "tags": ["O"], "id": ' + "9" * 5000 + "}\n")
    with pytest.raises(DataError) as e:
        read_jsonl(path)
    _located(e, path, 1)
