"""Files shaped like the public NER releases (written here, never copies): each read with exact
counts, or refused with one line naming file, line and the option that reads it."""
from __future__ import annotations

import pytest

from multitag.data import load_dataset, split_of
from multitag.data.read_options import ReadOptions
from multitag.errors import DataError

# CoNLL-2002 Dutch: Latin-1, token POS tag, -DOCSTART-, and a stray I- as in the official files
NED = ("-DOCSTART- -DOCSTART- O\nDe Art O\ntekst N O\nvan Prep O\nhet Art O\narrest N O\nis V O\nnog Adv O\n"
       "niet Adv O\nbeschikbaar Adj O\n. Punc O\n\nBrüssel N B-LOC\nen Conj O\nBelgië N I-LOC\n\n")
GERMEVAL = ("#\thttp://de.wikipedia.org/wiki/Manfred_Korfmann [2009-10-17]\n1\tSchartau\tB-PER\tO\n2\tsagte\tO\tO\n"
            "3\tdem\tO\tO\n4\t\"\tO\tO\n5\tTagesspiegel\tB-ORG\tO\n\n"
            "#\thttp://www.berlin.de [2009-11-09]\n1\tBerliner\tB-ORGpart\tB-LOCderiv\n2\tSenat\tI-ORGpart\tO\n\n")


def _write_all(folder, files: dict[str, bytes | str]):
    for name, content in files.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


def test_conll2002_dutch_latin1_docstart_and_a_stray_i(tmp_path):
    _write_all(tmp_path, {n: NED.encode("latin-1") for n in ("ned.train", "ned.testa", "ned.testb")})
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    assert str(e.value).startswith(f"{tmp_path / 'ned.train'}:15: 'I-LOC' after O") and "--repair" in str(e.value)
    ds = load_dataset(tmp_path, options=ReadOptions(repair=True))
    assert [(len(c), c.n_tokens) for c in (ds.train, ds.dev, ds.test)] == [(2, 13)] * 3
    assert ds.train[1].tokens == ("Brüssel", "en", "België") and ds.train[1].tags == ("B-LOC", "O", "B-LOC")
    assert ds.train[0].pos is None          # three columns: POS is read from four-column files only
    line = ds.describe()[0]
    assert "1 stray I- tag repaired to B-" in line and "Latin-1" in line


def test_conll2003_release_names_with_iob1(tmp_path):
    text = "-DOCSTART- -X- -X- O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\nGerman JJ I-NP I-MISC\n\n"
    _write_all(tmp_path, {"eng.train": text, "eng.testa": text, "eng.testb": text})
    ds = load_dataset(tmp_path)
    assert ds.split_info["train"].scheme == "IOB1" and ds.train[0].tags == ("B-ORG", "O", "B-MISC")
    assert ds.train[0].pos == ("NNP", "VBZ", "JJ") and len(ds.dev) == len(ds.test) == 1


def test_mit_movie_bio_files_are_tag_first(tmp_path):
    train = "B-ACTOR\tsteve\nI-ACTOR\tmcqueen\nO\tprovided\n\nO\twhat\nB-GENRE\tthriller\n\n"
    _write_all(tmp_path, {"engtrain.bio": train, "engtest.bio": "O\tshow\nB-TITLE\tjaws\n"})
    ds = load_dataset(tmp_path)
    assert set(ds.split_info) == {"train", "test"}
    assert [s.tokens for s in ds.train] == [("steve", "mcqueen", "provided"), ("what", "thriller")]
    assert (ds.train.n_tokens, ds.test.n_tokens) == (5, 2)
    assert "token column 2, tag column 1, tag first" in ds.describe()[0]


@pytest.mark.parametrize("comments", [True, False])
def test_germeval_2014_with_and_without_its_comment_lines(tmp_path, comments):
    text = GERMEVAL if comments else "".join(l + "\n" for l in GERMEVAL.splitlines() if not l.startswith("#"))
    _write_all(tmp_path, {"NER-de-train.tsv": text, "NER-de-dev.tsv": text, "NER-de-test.tsv": text})
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    assert str(e.value).startswith(f"{tmp_path / 'NER-de-train.tsv'}:{2 if comments else 1}: two tag columns, 3 and 4")
    assert "--tag-column outer" in str(e.value)
    ds = load_dataset(tmp_path, options=ReadOptions(tag_column="outer"))
    assert [s.tokens for s in ds.train] == [("Schartau", "sagte", "dem", '"', "Tagesspiegel"), ("Berliner", "Senat")]
    assert ds.train[1].tags == ("B-ORGpart", "I-ORGpart") and len(ds.dev) == len(ds.test) == 2
    assert ds.split_info["train"].n_comments == (2 if comments else 0)
    inner = load_dataset(tmp_path, options=ReadOptions(tag_column="inner"))
    assert inner.train[1].tags == ("B-LOCderiv", "O") and inner.train[0].tokens == ds.train[0].tokens


def test_bionlp_devel_tsv_is_the_dev_split(tmp_path):
    _write_all(tmp_path, {"train.tsv": "IL-2\tB-protein\ngene\tO\n", "devel.tsv": "NF-kappa\tB-protein\n",
                          "test.tsv": "cells\tO\n"})
    ds = load_dataset(tmp_path)
    assert ds.dev is not None and ds.dev[0].tokens == ("NF-kappa",)
    assert ds.split_info["dev"].source.path == str(tmp_path / "devel.tsv")


@pytest.mark.parametrize("name, split", [
    ("devel.tsv", "dev"), ("esp.testa", "dev"), ("deu.testb", "test"), ("NER-de-dev.tsv", "dev"),
    ("engtrain.bio", "train"), ("engtest.bio", "test"), ("trivia10k13train.bio", "train"), ("train.iob2", "train"),
    ("valid.bioes", "dev"), ("validation.txt", "dev"), ("contest.txt", None), ("notes.txt", None),
])
def test_split_names_of_the_releases(name, split):
    assert split_of(name) == split


def test_files_not_recognised_as_splits_are_named(tmp_path):
    _write_all(tmp_path, {"train.txt": "a O\n", "sample.tsv": "b O\n", "README.md": "x", "LICENSE": "y"})
    ds = load_dataset(tmp_path)
    (note,) = ds.warnings()
    assert "sample.tsv" in note and "README" not in note and "LICENSE" not in note and "--train/--dev/--test" in note
    only = tmp_path / "other"
    only.mkdir()
    _write_all(only, {"a.conll": "a O\n", "b.conll": "b O\n"})
    with pytest.raises(DataError) as e:
        load_dataset(only)
    assert "found a.conll, b.conll: name them with --train/--dev/--test FILE" in str(e.value)


def test_a_single_file_can_be_read_as_the_test_split(write):
    ds = load_dataset(write("gold.txt", "a B-PER\n"), single_file_as="test")
    assert ds.test is not None and len(ds.train) == 0
    assert ds.describe()[0].startswith("test: ")
