"""The files people have: release file names, JointBERT sub-folders, explicit split files, and what
a loaded data set records about them (counts, describe, fingerprint, first unannotated token)."""
from __future__ import annotations

import os

import pytest

from multitag.data import find_split_files, load_dataset, split_of
from multitag.errors import DataError, MultitagError

# CoNLL-2003 as released: IOB1, 4 columns, "-DOCSTART- -X- O O" without a blank line after it in places
ENG_TRAIN = ("-DOCSTART- -X- O O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\nGerman JJ I-NP I-MISC\n\n"
             "Peter NNP I-NP I-PER\nBlackburn NNP I-NP I-PER\n-DOCSTART- -X- O O\nBRUSSELS NNP I-NP I-LOC\n")
ENG_TESTA = "-DOCSTART- -X- O O\n\nCRICKET NNP I-NP O\nLEICESTERSHIRE NNP I-NP I-ORG\n"
ENG_TESTB = "-DOCSTART- -X- -X- O\n\nSOCCER NN I-NP O\nJAPAN NNP I-NP I-LOC\nCHINA NNP I-NP B-LOC\n"


def test_conll2003_release_names(write, tmp_path):
    write("eng.train", ENG_TRAIN)
    write("eng.testa", ENG_TESTA)
    write("eng.testb", ENG_TESTB)
    write("eng.raw", "not a split\n")
    ds = load_dataset(tmp_path)
    assert [s.tokens for s in ds.train] == [("EU", "rejects", "German"), ("Peter", "Blackburn"), ("BRUSSELS",)]
    assert ds.train[0].tags == ("B-ORG", "O", "B-MISC") and ds.train[0].pos == ("NNP", "VBZ", "JJ")
    assert ds.dev[0].tags == ("O", "B-ORG")
    assert ds.test[0].tags == ("O", "B-LOC", "B-LOC")            # two adjacent LOC entities
    assert ds.scheme_notes() == ["eng.train: IOB1, converted to IOB2", "eng.testa: IOB1, converted to IOB2",
                                 "eng.testb: IOB1, converted to IOB2"]
    assert ds.describe()[0] == f"train: {tmp_path / 'eng.train'} (IOB1, converted to IOB2): 3 sentences, 6 tokens"


def test_wnut17_release_names(write, tmp_path):
    write("wnut17train.conll", "@paul\tO\nlove\tO\nNYC\tB-location\n\nok\tO\n")
    write("emerging.dev.conll", "Beatles\tB-group\n")
    write("emerging.test.annotated", "Me\tO\nToo\tB-creative-work\n")
    write("emerging.test", "Me\nToo\n")                 # the unannotated test text beside it is not a split
    files = find_split_files(tmp_path)
    assert {k: os.path.basename(v) for k, v in files.items()} == {
        "train": "wnut17train.conll", "dev": "emerging.dev.conll", "test": "emerging.test.annotated"}
    ds = load_dataset(tmp_path)
    assert (len(ds.train), len(ds.dev), len(ds.test)) == (2, 1, 1)
    assert ds.test[0].tags == ("O", "B-creative-work")


def test_jointbert_subfolders(write, tmp_path):
    for split, toks, tags in [("train", "from boston\nto denver\n", "O B-from\nO B-to\n"),
                              ("valid", "to dallas\n", "O B-to\n"), ("test", "cheap fare\n", "B-cost O\n")]:
        write(f"{split}/seq.in", toks)
        write(f"{split}/seq.out", tags)
        write(f"{split}/label", "atis_flight\n" * toks.count("\n"))
    ds = load_dataset(tmp_path)
    assert [s.tokens for s in ds.train] == [("from", "boston"), ("to", "denver")]
    assert ds.dev[0].tags == ("O", "B-to") and ds.test[0].tags == ("B-cost", "O")
    assert ds.split_info["dev"].source.tags_path == str(tmp_path / "valid" / "seq.out")
    assert ds.describe()[1] == f"dev: {tmp_path / 'valid' / 'seq.in'} + seq.out (IOB2): 1 sentence, 2 tokens"
    # a split folder can be named on its own, too
    assert load_dataset(train=tmp_path / "train").train.n_tokens == 4
    assert len(load_dataset(tmp_path / "test").train) == 1


def test_flat_seq_in_layout_still_works(write, tmp_path):
    write("train.seq.in", "a b\n")
    write("train.seq.out", "O B-X\n")
    write("test.seq.in", "c\n")
    write("test.seq.out", "B-Y\n")
    ds = load_dataset(tmp_path)
    assert ds.labels == ["O", "B-X", "B-Y"] and ds.split_info["test"].source.format == "parallel"


@pytest.mark.parametrize("name, split", [
    ("train.txt", "train"), ("train.conll", "train"), ("train.iob", "train"), ("train.bio", "train"),
    ("train.tsv", "train"), ("train.jsonl", "train"), ("train.seq.in", "train"), ("Training.TXT", "train"),
    ("dev.txt", "dev"), ("valid.iob", "dev"), ("validation.conll", "dev"), ("val.tsv", "dev"),
    ("development.txt", "dev"), ("testa.bio", "dev"), ("emerging.dev.conll", "dev"), ("test.conll", "test"),
    ("testb.txt", "test"), ("en_test.iob", "test"), ("conll2003-train.txt", "train"), ("eng.train", "train"),
    ("deu.testa", "dev"), ("esp.testb", "test"), ("wnut17train.conll", "train"),
    ("emerging.test.annotated", "test"),
    ("README.md", None), ("train.txt.bak", None), ("train.label", None), ("train.seq.out", None),
    ("test_predictions.txt", None), ("emerging.test", None), ("notes.txt", None), (".txt", None),
    ("eng.test", None), ("retrain.txt", None),
])
def test_split_of_names(name, split):
    assert split_of(name) == split


@pytest.mark.parametrize("a, b", [
    ("train.txt", "train.jsonl"),
    ("train.seq.in", "train/seq.in"),
    ("eng.train", "train.conll"),
    ("test.txt", "emerging.test.annotated"),
])
def test_two_files_for_one_split_are_refused_naming_both(write, tmp_path, a, b):
    for name in (a, b):
        if name.endswith(".jsonl"):
            write(name, '{"tokens": ["a"], "tags": ["O"]}\n')
        elif name.endswith("seq.in"):
            write(name, "a\n")
            write(name[:-3] + ".out" if name.endswith(".seq.in") else name[:-2] + "out", "O\n")
        else:
            write(name, "a O\n")
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    assert str(tmp_path / a) in str(e.value) and str(tmp_path / b) in str(e.value)


def test_seq_out_without_seq_in_is_an_error(write, tmp_path):
    path = write("train.seq.out", "O\n")
    write("test.txt", "a O\n")
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    assert e.value.path == path and "train.seq.in" in str(e.value)


def test_explicit_split_files_of_any_name(write, tmp_path):
    tr = write("a/my-corpus.data", "John B-PER\nruns O\n\nin O\n")
    te = write("b/held_out.jsonl", '{"tokens": ["Bob"], "tags": ["B-PER"]}\n')
    ds = load_dataset(train=tr, test=te)
    assert ds.path is None and ds.dev is None and (len(ds.train), len(ds.test)) == (2, 1)
    assert ds.split_info["train"].source.path == tr and ds.split_info["test"].source.format == "jsonl"
    only_dev = load_dataset(dev=tr)
    assert len(only_dev.train) == 0 and len(only_dev.dev) == 2 and only_dev.test is None
    assert [line.split(":")[0] for line in only_dev.describe()] == ["dev"]
    with pytest.raises(MultitagError):
        load_dataset()
    with pytest.raises(DataError) as e:
        load_dataset(train=tmp_path / "absent.txt")
    assert str(tmp_path / "absent.txt") in str(e.value)


def test_folder_and_explicit_files_combine_explicit_wins(write, tmp_path):
    write("data/train.txt", "a O\n")
    write("data/test.txt", "b O\n")
    other = write("other_test.txt", "c B-X\n\nd O\n")
    ds = load_dataset(tmp_path / "data", test=other)
    assert ds.train[0].tokens == ("a",) and [s.tokens for s in ds.test] == [("c",), ("d",)]
    assert ds.split_info["test"].source.path == other
    # a single file is the train split; another train file besides it is a conflict
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path / "data" / "train.txt", train=other)
    assert "train.txt" in str(e.value) and "other_test.txt" in str(e.value)


def test_counts_are_recorded_per_split(write, tmp_path):
    write("train.txt", "a O\nb B-X\n\nc _\n")
    write("test.txt", "d O\n")
    info = load_dataset(tmp_path).split_info
    assert (info["train"].n_sentences, info["train"].n_tokens, info["train"].n_unannotated) == (2, 3, 1)
    assert (info["test"].n_sentences, info["test"].n_tokens, info["test"].n_unannotated) == (1, 1, 0)


def test_describe(write, tmp_path):
    write("train.txt", "a O\nb B-X\n\nc _\n")
    ds = load_dataset(tmp_path)
    assert ds.describe() == [f"train: {tmp_path / 'train.txt'} (IOB2): 2 sentences, 3 tokens (1 not annotated)"]


def test_fingerprint_binds_to_tokens_and_tags(write, tmp_path):
    write("c/train.txt", "John B-PER\nruns O\n\nin O\n")
    write("c/test.txt", "Bob B-PER\n")
    write("j/train.jsonl", '{"tokens": ["John", "runs"], "tags": ["B-PER", "O"]}\n{"tokens": ["in"], "tags": ["O"]}\n')
    a = load_dataset(tmp_path / "c").fingerprint()
    assert set(a) == {"train", "test"}
    assert a["train"]["sentences"] == 2 and a["train"]["tokens"] == 3
    assert a["train"]["path"] == str(tmp_path / "c" / "train.txt") and os.path.isabs(a["train"]["path"])
    assert len(a["train"]["sha256"]) == 64 and a["train"]["sha256"] != a["test"]["sha256"]
    # the same sentences in another format give the same hash
    assert load_dataset(tmp_path / "j").fingerprint()["train"]["sha256"] == a["train"]["sha256"]
    # one changed tag, or one changed token, changes it
    write("c/train.txt", "John B-PER\nruns O\n\nin B-LOC\n")
    assert load_dataset(tmp_path / "c").fingerprint()["train"]["sha256"] != a["train"]["sha256"]
    write("c/train.txt", "John B-PER\nran O\n\nin O\n")
    assert load_dataset(tmp_path / "c").fingerprint()["train"]["sha256"] != a["train"]["sha256"]
    # a sentence break moved: same tokens and tags, other sentences
    write("c/train.txt", "John B-PER\n\nruns O\nin O\n")
    assert load_dataset(tmp_path / "c").fingerprint()["train"]["sha256"] != a["train"]["sha256"]


def test_first_unannotated_token_names_file_and_line(write, tmp_path):
    write("c/train.txt", "a O\nb B-X\n\nc O\nd _\n")
    assert load_dataset(tmp_path / "c").first_unannotated() == (str(tmp_path / "c" / "train.txt"), 5)
    write("p/train.seq.in", "a b\nc d\n")
    write("p/train.seq.out", "O O\nO _\n")
    assert load_dataset(tmp_path / "p").first_unannotated("train") == (str(tmp_path / "p" / "train.seq.out"), 2)
    write("j/train.jsonl", '{"tokens": ["a"], "tags": ["O"]}\n\n{"tokens": ["b"], "tags": [null]}\n')
    ds = load_dataset(tmp_path / "j")
    assert ds.first_unannotated() == (str(tmp_path / "j" / "train.jsonl"), 3)
    write("full/train.txt", "a O\n")
    write("full/test.txt", "a _\n")
    ds = load_dataset(tmp_path / "full")
    assert ds.first_unannotated() is None and ds.first_unannotated("test") == (str(tmp_path / "full" / "test.txt"), 1)
    with pytest.raises(MultitagError):
        ds.first_unannotated("dev")
