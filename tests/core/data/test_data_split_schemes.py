"""The tag scheme is decided per split, recorded, and every scheme error names the file and the
real line of the bad tag in that file (never an internal sentence id)."""
from __future__ import annotations

import pytest

from multitag.data import load_dataset
from multitag.errors import DataError, MultitagError


def _conll(*sentences):
    """CoNLL text from ``[(token, tag), ...]`` sentences."""
    return "\n".join("".join(f"{w} {t}\n" for w, t in s) for s in sentences)


IOB2 = [[("John", "B-PER"), ("Smith", "I-PER"), ("runs", "O")], [("in", "O"), ("Paris", "B-LOC")]]
IOB1 = [[("John", "I-PER"), ("Smith", "I-PER"), ("Mary", "B-PER")], [("in", "O"), ("Paris", "I-LOC")]]
BIOES = [[("John", "B-PER"), ("Smith", "E-PER"), ("runs", "O")], [("in", "O"), ("Paris", "S-LOC")]]


def _big_iob2(n: int, bad_at: int | None = None):
    """``n`` IOB2 sentences of 3 lines + a blank line; sentence ``bad_at`` has ``I-PER`` right after ``O``."""
    sents = []
    for k in range(n):
        if k == bad_at:
            sents.append([("the", "O"), ("Smith", "I-PER"), ("left", "O")])
        else:
            sents.append([("Anna", "B-PER"), ("Berg", "I-PER"), ("left", "O")])
    return _conll(*sents)


def test_each_split_has_its_own_scheme_and_note(write, tmp_path):
    write("train.txt", _conll(*IOB1))
    write("dev.txt", _conll(*IOB2))
    write("test.txt", _conll(*BIOES))
    ds = load_dataset(tmp_path)
    info = ds.split_info
    assert (info["train"].scheme, info["dev"].scheme, info["test"].scheme) == ("IOB1", "IOB2", "BIOES")
    assert (info["train"].converted_to, info["dev"].converted_to, info["test"].converted_to) == ("IOB2", None, "IOB2")
    assert not any(i.scheme_given for i in info.values())
    assert ds.scheme_notes() == ["train.txt: IOB1, converted to IOB2", "dev.txt: IOB2", "test.txt: BIOES, converted to IOB2"]
    # all three now carry the same spans in IOB2
    assert ds.train[0].tags == ("B-PER", "I-PER", "B-PER") and ds.train[1].tags == ("O", "B-LOC")
    assert ds.dev[0].tags == ds.test[0].tags == ("B-PER", "I-PER", "O")
    assert ds.test[1].tags == ("O", "B-LOC")


def test_a_split_without_entities_has_no_scheme_to_tell(write, tmp_path):
    write("train.txt", _conll(*IOB1))
    write("test.txt", _conll([("a", "O"), ("b", "O")]))
    ds = load_dataset(tmp_path)
    assert ds.split_info["test"].scheme is None and ds.split_info["test"].converted_to is None
    assert ds.scheme_notes()[1] == "test.txt: no entity tags"


def test_one_bad_tag_is_named_at_its_line_and_does_not_flip_the_other_splits(write, tmp_path):
    # the bug: one "I-PER" after "O" made the whole corpus IOB1, and the error then named line 1 of dev.txt
    train = write("train.txt", _big_iob2(500, bad_at=332))      # sentence 332 starts at line 332*4+1
    write("dev.txt", _conll(*IOB2))
    write("test.txt", _conll(*IOB2))
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    err = e.value
    assert err.path == train and err.line == 332 * 4 + 2          # the line of "Smith I-PER"
    msg = str(err)
    assert msg.startswith(f"{train}:{332 * 4 + 2}: ") and "'I-PER' after O" in msg
    assert "IOB2" in msg and "train:" not in msg and "dev.txt" not in msg


def test_the_bad_tag_of_a_test_file_is_named_in_the_test_file(write, tmp_path):
    write("train.txt", _conll(*IOB2))
    test = write("test.txt", _big_iob2(20, bad_at=7))
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    assert e.value.path == test and e.value.line == 7 * 4 + 2
    assert "test:" not in str(e.value) and "train" not in str(e.value)


def test_bad_tag_in_parallel_files_is_named_in_the_tags_file(write, tmp_path):
    write("train.seq.in", "from boston to denver\nshow flights to rome\nto dallas\n")
    tags = write("train.seq.out", "O B-from O B-to\nO O O I-to\nO B-to\n")
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    assert e.value.path == tags and e.value.line == 2


def test_bad_tag_in_jsonl_is_named_at_its_line(write, tmp_path):
    path = write("train.jsonl", '{"tokens": ["a", "b"], "tags": ["B-X", "I-X"]}\n\n'
                                '{"tokens": ["c"], "tags": ["B-X"]}\n{"tokens": ["c", "d"], "tags": ["O", "I-X"]}\n'
                                '{"tokens": ["e"], "tags": ["B-X"]}\n')
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    assert e.value.path == path and e.value.line == 4


def test_given_scheme_replaces_detection(write, tmp_path):
    # detected, this test split would be "IOB1" (its only entity starts with I-) and silently converted
    write("train.txt", _conll(*IOB2))
    test = write("test.txt", _conll([("a", "O")], [("the", "O"), ("Smith", "I-PER")]))
    assert load_dataset(tmp_path).split_info["test"].scheme == "IOB1"
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path, scheme="IOB2")
    assert e.value.path == test and e.value.line == 4 and "IOB2" in str(e.value)
    # and the other way round: files said to be IOB1 are read as IOB1
    write("test.txt", _conll(*IOB1))
    write("train.txt", _conll(*IOB1))
    ds = load_dataset(tmp_path, scheme="iob1")
    assert ds.scheme_notes() == ["train.txt: IOB1 (given), converted to IOB2", "test.txt: IOB1 (given), converted to IOB2"]
    assert ds.test[0].tags == ("B-PER", "I-PER", "B-PER")


def test_comma_joined_multi_labels_have_their_own_message(write, tmp_path):
    # as in a WNUT-17 release file: two labels for one token
    path = write("train.txt", "The O\nBeatles B-group\n\nlove O\nMe B-creative-work,B-person\n")
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    assert e.value.path == path and e.value.line == 5
    assert "'B-creative-work,B-person'" in str(e.value) and "one tag per token" in str(e.value)
    src = write("p.seq.in", "love me\n")
    tags = write("p.seq.out", "O B-a,I-b\n")
    with pytest.raises(DataError) as e:
        load_dataset(train=src)
    assert e.value.path == tags and e.value.line == 1 and "one tag per token" in str(e.value)
    j = write("j.jsonl", '{"tokens": ["x"], "tags": ["O,B-PER"]}\n')
    with pytest.raises(DataError) as e:
        load_dataset(train=j)
    assert e.value.path == j and e.value.line == 1 and "one tag per token" in str(e.value)


def test_partially_annotated_sentence_that_cannot_be_converted_names_its_line(write, tmp_path):
    path = write("train.txt", _conll(*IOB1) + "\nRome I-LOC\nis _\nold O\n")
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    assert e.value.path == path and e.value.line == 8 and "partially annotated" in str(e.value)
    # kept in the files' scheme it loads, unannotated token and all
    ds = load_dataset(tmp_path, convert_to=None)
    assert ds.scheme == "IOB1" and ds.train[2].tags == ("I-LOC", None, "O")


def test_partially_annotated_sentence_with_only_o_converts(write, tmp_path):
    write("train.txt", _conll(*IOB1) + "\nRome O\nis _\n")
    ds = load_dataset(tmp_path)
    assert ds.train[2].tags == ("O", None)


def test_tags_that_fit_two_schemes_alike_need_the_scheme_stated(write, tmp_path):
    # every entity is in a partial sentence: "_ I-PER I-PER" fits IOB1 and IOB2, "B-LOC _" IOB2 and BIOES
    path = write("train.txt", "a _\nb I-PER\nc I-PER\n")
    assert load_dataset(tmp_path).split_info["train"].scheme == "IOB2"       # the target fits: nothing to convert
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path, convert_to="BIOES")
    assert e.value.path == path and e.value.line == 2 and "IOB1 and IOB2" in str(e.value)


def test_keeping_schemes_that_differ_between_splits_is_refused(write, tmp_path):
    write("train.txt", _conll(*IOB1))
    write("test.txt", _conll(*IOB2))
    with pytest.raises(MultitagError) as e:
        load_dataset(tmp_path, convert_to=None)
    assert "train.txt: IOB1" in str(e.value) and "test.txt: IOB2" in str(e.value)


def test_error_messages_name_the_file_not_a_sentence_id(write, tmp_path):
    write("train.txt", _conll(*IOB2))
    dev = write("dev.txt", _conll(*BIOES) + "\nNew B-LOC\nYork I-LOC\n")       # BIOES entity never closed
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    assert e.value.path == dev and e.value.line == 9 and "not closed" in str(e.value)
    assert "dev:" not in str(e.value) and "train" not in str(e.value)
