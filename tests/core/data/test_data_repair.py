"""--repair: a stray I-X read as B-X (as conlleval / seqeval's non-strict mode read it), counted per split."""
from __future__ import annotations

import pytest

from multitag.data import load_dataset
from multitag.data.read_options import ReadOptions
from multitag.data.repair import repair_tags
from multitag.data.schemes import spans
from multitag.errors import DataError

# IOB2 with three stray I- tags: after O, at a sentence start, after another type
STRAY = "a B-PER\nb O\nc I-LOC\n\nd I-ORG\ne I-PER\n"


@pytest.mark.parametrize("tags, repaired, n", [
    (["B-PER", "O", "I-LOC"], ["B-PER", "O", "B-LOC"], 1),
    (["I-ORG", "I-PER", "I-PER"], ["B-ORG", "B-PER", "I-PER"], 2),
    (["B-X", "I-X", None, "I-X"], ["B-X", "I-X", None, "I-X"], 0),      # after a token not annotated: left
    (["O", "B-X", "I-X"], ["O", "B-X", "I-X"], 0),
])
def test_repair_tags(tags, repaired, n):
    assert repair_tags(tags) == (repaired, n)


def test_repaired_spans_are_those_conlleval_reads():
    tags = ["I-ORG", "I-PER", "I-PER", "O", "I-LOC", "B-LOC"]
    fixed, _ = repair_tags(tags)
    assert spans(fixed, "IOB2") == [("ORG", 0, 1), ("PER", 1, 3), ("LOC", 4, 5), ("LOC", 5, 6)]


def test_without_repair_the_error_names_file_line_and_offers_repair(write):
    path = write("train.txt", STRAY)
    with pytest.raises(DataError) as e:
        load_dataset(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}:3: 'I-LOC' after O is not valid IOB2") and "--repair" in msg
    with pytest.raises(DataError) as e:
        load_dataset(path, scheme="IOB2")
    assert str(e.value).startswith(f"{path}:3: ") and "--repair" in str(e.value)


def test_repair_counts_per_split_and_says_so(tmp_path):
    (tmp_path / "train.txt").write_text(STRAY, encoding="utf-8")
    (tmp_path / "test.txt").write_text("x B-PER\ny I-PER\n", encoding="utf-8")
    ds = load_dataset(tmp_path, options=ReadOptions(repair=True))
    assert [s.tags for s in ds.train] == [("B-PER", "O", "B-LOC"), ("B-ORG", "B-PER")]
    assert ds.split_info["train"].n_repaired == 3 and ds.split_info["test"].n_repaired == 0
    train, test = ds.describe()
    assert "IOB2, 3 stray I- tags repaired to B-" in train and "repaired" not in test


def test_repair_leaves_a_valid_iob1_file_alone(write):
    ds = load_dataset(write("train.txt", "a I-PER\nb B-PER\n"), options=ReadOptions(repair=True))
    assert ds.split_info["train"].scheme == "IOB1" and ds.split_info["train"].n_repaired == 0
    assert ds.train[0].tags == ("B-PER", "B-PER")


def test_bioes_is_not_repaired_and_not_offered_repair(write):
    path = write("train.txt", "a S-PER\nb I-PER\n")
    for options in (None, ReadOptions(repair=True)):
        with pytest.raises(DataError) as e:
            load_dataset(path, options=options)
        assert "--repair" not in str(e.value)
