"""load_dataset: split files recognised by name, label set over all splits, scheme handling."""
from __future__ import annotations

import os

import pytest

from multitag.data import Corpus, Sentence, find_split_files, load_dataset
from multitag.errors import DataError, MultitagError


def _conll(*sentences):
    """CoNLL text from ``[(token, tag), ...]`` sentences."""
    return "\n".join("".join(f"{w} {t}\n" for w, t in s) for s in sentences)


TRAIN = _conll([("John", "B-PER"), ("Smith", "I-PER"), ("runs", "O")], [("in", "O"), ("Paris", "B-LOC")])
DEV = _conll([("Anna", "B-PER"), ("left", "O")])
TEST = _conll([("Nokia", "B-ORG"), ("rose", "O")])


@pytest.mark.parametrize("names", [
    ("train.txt", "dev.txt", "test.txt"),
    ("train.txt", "valid.txt", "test.txt"),
    ("training.conll", "validation.conll", "test.conll"),
    ("train.tsv", "val.tsv", "test.tsv"),
    ("train.bio", "testa.bio", "testb.bio"),
])
def test_split_files_recognised_by_name(write, tmp_path, names):
    for name, text in zip(names, (TRAIN, DEV, TEST)):
        write(name, text)
    write("README.md", "not data")
    write("train.txt.bak", "a O\n")
    files = find_split_files(str(tmp_path))
    assert files == {split: os.path.join(str(tmp_path), n) for split, n in zip(("train", "dev", "test"), names)}
    ds = load_dataset(tmp_path)
    assert (len(ds.train), len(ds.dev), len(ds.test)) == (2, 1, 1)
    assert ds.dev[0].tokens == ("Anna", "left")
    assert ds.test[0].tokens == ("Nokia", "rose")
    assert ds.scheme == "IOB2"
    assert ds.train.name == "train" and ds.train[1].id == "train:1" and ds.test[0].id == "test:0"


def test_two_files_for_one_split_are_refused_naming_both(write, tmp_path):
    write("train.txt", TRAIN)
    dev = write("dev.txt", DEV)
    valid = write("valid.txt", TEST)
    for call in (lambda: find_split_files(str(tmp_path)), lambda: load_dataset(tmp_path)):
        with pytest.raises(DataError) as e:
            call()
        assert dev in str(e.value) and valid in str(e.value) and "dev split" in str(e.value)
    # an explicit dev file settles it: explicit wins over the folder
    ds = load_dataset(tmp_path, dev=valid)
    assert ds.dev[0].tokens == ("Nokia", "rose") and ds.split_info["dev"].source.path == valid


def test_atis_style_folder(write, tmp_path):
    write("train.seq.in", "from boston to denver\nshow flights\n")
    write("train.seq.out", "O B-fromloc.city_name O B-toloc.city_name\nO O\n")
    write("dev.seq.in", "to dallas\n")
    write("dev.seq.out", "O B-toloc.city_name\n")
    write("test.seq.in", "cheapest fare\n")
    write("test.seq.out", "B-cost_relative O\n")
    write("train.label", "flight\natis_flight\n")      # ATIS intent files are not splits
    ds = load_dataset(tmp_path)
    assert find_split_files(str(tmp_path))["train"].endswith("train.seq.in")
    assert len(ds.train) == 2 and ds.train[0].tags[1] == "B-fromloc.city_name"
    # a tag seen only in test is still a label
    assert "B-cost_relative" in ds.labels
    assert "B-cost_relative" not in ds.train.labels()


def test_jsonl_folder(write, tmp_path):
    write("train.jsonl", '{"tokens": ["a", "Rome"], "tags": ["O", "B-LOC"]}\n')
    write("test.jsonl", '{"tokens": ["Bob"], "tags": ["B-PER"]}\n')
    ds = load_dataset(tmp_path)
    assert ds.dev is None
    assert ds.labels == ["O", "B-LOC", "B-PER"]
    with pytest.raises(MultitagError, match="no dev split"):
        ds.split("dev")
    assert ds.split("test") is ds.test


def test_labels_are_the_union_over_all_splits(write, tmp_path):
    write("train.txt", _conll([("a", "O"), ("b", "B-PER")]))
    write("dev.txt", _conll([("c", "B-LOC"), ("d", "I-LOC")]))
    write("test.txt", _conll([("e", "B-MISC")]))
    ds = load_dataset(tmp_path)
    assert ds.labels == ["O", "B-LOC", "I-LOC", "B-MISC", "B-PER"]
    assert ds.train.labels() == ["O", "B-PER"]


def test_labels_always_contain_o(write, tmp_path):
    write("train.txt", _conll([("Paris", "B-LOC")]))
    assert load_dataset(tmp_path).labels == ["O", "B-LOC"]


def test_iob1_is_detected_and_converted_to_iob2(write, tmp_path):
    # IOB1: entities start with I-, B- only between two adjacent entities of one type
    write("train.txt", _conll([("John", "I-PER"), ("Smith", "I-PER"), ("Mary", "B-PER"), ("in", "O"), ("Rome", "I-LOC")]))
    write("test.txt", _conll([("Nokia", "I-ORG"), ("Siemens", "I-ORG")]))
    ds = load_dataset(tmp_path)
    assert ds.scheme == "IOB2"
    assert ds.train[0].tags == ("B-PER", "I-PER", "B-PER", "O", "B-LOC")
    assert ds.test[0].tags == ("B-ORG", "I-ORG")
    assert ds.labels == ["O", "B-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    # tokens, ids are kept
    assert ds.train[0].tokens == ("John", "Smith", "Mary", "in", "Rome") and ds.train[0].id == "train:0"


def test_iob1_evidence_in_one_split_decides_for_all(write, tmp_path):
    # train has no entity at all; the test split starts an entity with I-, so the data set is IOB1
    write("train.txt", _conll([("a", "O"), ("b", "O")]))
    write("test.txt", _conll([("Rome", "I-LOC"), ("Paris", "B-LOC")]))
    ds = load_dataset(tmp_path)
    assert ds.test[0].tags == ("B-LOC", "B-LOC")


def test_scheme_options(write, tmp_path):
    write("train.txt", _conll([("New", "B-LOC"), ("York", "E-LOC"), ("is", "O"), ("Rome", "S-LOC")]))
    assert load_dataset(tmp_path).train[0].tags == ("B-LOC", "I-LOC", "O", "B-LOC")
    keep = load_dataset(tmp_path, convert_to=None)
    assert keep.scheme == "BIOES" and keep.train[0].tags == ("B-LOC", "E-LOC", "O", "S-LOC")
    assert keep.split_info["train"].converted_to is None
    iob1 = load_dataset(tmp_path, convert_to="iob1")
    assert iob1.scheme == "IOB1" and iob1.train[0].tags == ("I-LOC", "I-LOC", "O", "I-LOC")
    with pytest.raises(MultitagError, match="unknown tag scheme"):
        load_dataset(tmp_path, convert_to="IO")
    with pytest.raises(MultitagError, match="unknown tag scheme"):
        load_dataset(tmp_path, scheme="IO")


def test_explicit_source_scheme(write, tmp_path):
    # without evidence of IOB1 this would be read as IOB2; the user says it is IOB1
    path = write("train.txt", _conll([("John", "B-PER")]))
    with pytest.raises(DataError) as e:
        load_dataset(path, scheme="IOB1")
    assert f"{path}:1" in str(e.value) and "IOB1" in str(e.value)


def test_invalid_sequence_for_the_detected_scheme(write, tmp_path):
    # BIOES (S- and E- used), but the entity of the 3rd sentence is never closed
    path = write("train.txt", _conll([("a", "S-PER")], [("New", "B-LOC"), ("York", "E-LOC")],
                                     [("b", "O"), ("c", "B-LOC"), ("d", "O")]))
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    assert e.value.path == path and e.value.line == 8          # the line of "d O", where E- was due
    assert "BIOES" in str(e.value) and "train:" not in str(e.value)


def test_single_file_is_the_train_split(write):
    path = write("corpus.txt", TRAIN)
    ds = load_dataset(path)
    assert len(ds.train) == 2 and ds.dev is None and ds.test is None
    assert ds.path == path


def test_partially_annotated_sentences_survive_iob2(write, tmp_path):
    write("train.txt", "John B-PER\nSmith _\nruns O\n")
    ds = load_dataset(tmp_path)
    assert ds.train[0].tags == ("B-PER", None, "O")
    assert ds.labels == ["O", "B-PER"]


def test_partially_annotated_iob1_cannot_be_converted(write, tmp_path):
    path = write("train.txt", "John I-PER\nSmith _\n\nRome I-LOC\n")
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    assert path in str(e.value) and "partially annotated" in str(e.value)


def test_folder_without_split_files(write, tmp_path):
    write("notes.txt", "a O\n")
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    assert str(tmp_path) in str(e.value) and "train.txt" in str(e.value)


def test_missing_path(tmp_path):
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path / "absent")
    assert str(tmp_path / "absent") in str(e.value)


def test_bad_split_file_error_names_its_file_and_line(write, tmp_path):
    write("train.txt", TRAIN)
    bad = write("test.txt", "a O\nb B-LOC extra\n")
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    assert f"{bad}:2" in str(e.value)


def test_corpus_basics():
    c = Corpus([Sentence(["a", "b"], ["O", "B-X"]), Sentence(["c"], [None])], name="pool")
    assert len(c) == 2 and c.n_tokens == 3
    assert isinstance(c[:1], Corpus) and c[:1].name == "pool" and len(c[:1]) == 1
    assert [s.tokens for s in c.subset([1, 0])] == [("c",), ("a", "b")]
    assert c.labels() == ["O", "B-X"]
    assert not c.has_pos
    assert c[0].unlabeled().is_unannotated and c[0].unlabeled().tokens == ("a", "b")
    with pytest.raises(MultitagError):
        Sentence(["a", "b"], ["O"])
    with pytest.raises(MultitagError):
        Sentence(["a"], ["O"], ["DT", "NN"])
