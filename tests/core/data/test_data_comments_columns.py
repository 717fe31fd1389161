"""Comment lines (GermEval ``#``, CoNLL-U ``# key = value``) and column layouts: tag first, an index
column, nested tag columns, --columns / --tag-column; ambiguous layouts refused with both readings."""
from __future__ import annotations

import pytest

from multitag.data import load_dataset, read_conll
from multitag.data.conll import read_conll_file
from multitag.data.read_options import ReadOptions, parse_columns, parse_tag_column
from multitag.errors import DataError, MultitagError


def test_germeval_comment_lines_are_not_tokens_but_a_hash_token_is(write):
    path = write("g.tsv", "#\thttp://de.wikipedia.org/wiki/X [2009-10-17]\nDer\tO\n#\tO\nTag\tB-LOC\n\n"
                          "# sent_id = 2\n# text = Ja .\nJa\tO\n")
    r = read_conll_file(path)
    assert [s.tokens for s in r.sentences] == [("Der", "#", "Tag"), ("Ja",)]
    assert [s.tags for s in r.sentences] == [("O", "O", "B-LOC"), ("O",)]
    assert r.n_comments == 3 and [s.line for s in r.sentences] == [2, 8]


def test_a_sentence_may_start_with_a_hash_token(write):
    # "# O" at a sentence start has the file's two columns and a tag: a token, not a comment
    sents = read_conll(write("h.txt", "# O\nx B-PER\n\n#hashtag O\n"))
    assert [s.tokens for s in sents] == [("#", "x"), ("#hashtag",)]


def test_conllu_key_value_comments_are_skipped_even_with_the_data_width(write):
    # four cells like the data lines, one a tag: only the "# key = value" shape says it is a comment
    sents = read_conll(write("u.txt", "# sent_id = O\nEU NNP B-NP B-ORG\n"))
    assert [s.tokens for s in sents] == [("EU",)]


def test_tag_first_file_is_detected_and_said(write):
    path = write("engtrain.bio", "B-Actor\tsteve\nI-Actor\tmcqueen\nO\tprovided\n\nO\twhat\nB-GENRE\tthriller\n")
    r = read_conll_file(path)
    assert [s.tokens for s in r.sentences] == [("steve", "mcqueen", "provided"), ("what", "thriller")]
    assert r.sentences[0].tags == ("B-Actor", "I-Actor", "O")
    assert r.layout.tag_first and r.layout.columns == {"token": 2, "tag": 1}
    assert "tag first" in r.layout.describe()


def test_a_nested_germeval_file_without_comments_is_refused_naming_both_readings(write):
    # the index column and the inner tags must never be read as tokens and tags
    path = write("NER-de-dev.tsv", "1\tSchartau\tB-PER\tO\n2\tBerliner\tB-ORGpart\tB-LOCderiv\n")
    with pytest.raises(DataError) as e:
        read_conll(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}:1: two tag columns, 3 and 4")
    assert "--tag-column outer" in msg and "--tag-column inner" in msg
    outer = read_conll(path, options=ReadOptions(tag_column="outer"))
    inner = read_conll(path, options=ReadOptions(tag_column="inner"))
    assert outer[0].tokens == inner[0].tokens == ("Schartau", "Berliner")
    assert outer[0].tags == ("B-PER", "B-ORGpart") and inner[0].tags == ("O", "B-LOCderiv")
    assert read_conll(path, options=ReadOptions(tag_column=4))[0].tags == inner[0].tags


def test_an_index_column_is_detected(write):
    sents = read_conll(write("i.txt", "1 EU B-ORG\n2 rejects O\n\n1 Peter B-PER\n"))
    assert [s.tokens for s in sents] == [("EU", "rejects"), ("Peter",)]


def test_conll2003_chunk_column_is_not_a_nested_tag_column(write):
    sents = read_conll(write("eng.train", "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n"))
    assert sents[0].tags == ("B-ORG", "O") and sents[0].pos == ("NNP", "VBZ")


@pytest.mark.parametrize("content, readings", [
    ("O B-PER\nB-LOC O\n", ("--columns token=1,tag=2", "--columns token=2,tag=1")),   # both columns hold tags only
    ("1 1 O\n2 2 O\n", ("--columns token=2,tag=3", "--columns token=1,tag=3")),        # two counting columns
])
def test_a_layout_that_reads_two_ways_is_refused_with_both_readings(write, content, readings):
    path = write("amb.txt", content)
    with pytest.raises(DataError) as e:
        read_conll(path)
    assert str(e.value).startswith(f"{path}:1: ") and all(r in str(e.value) for r in readings)


def test_columns_option_states_the_layout(write):
    path = write("x.txt", "O\tNNP\tsteve\nB-PER\tNN\tmcqueen\n")
    (s,) = read_conll(path, options=ReadOptions(columns={"token": 3, "tag": 1, "pos": 2}))
    assert (s.tokens, s.tags, s.pos) == (("steve", "mcqueen"), ("O", "B-PER"), ("NNP", "NN"))
    with pytest.raises(DataError) as e:
        read_conll(path, options=ReadOptions(columns={"token": 4}))
    assert "the file has 3 columns" in str(e.value)


def test_a_tag_column_whose_values_are_not_tags_is_refused_naming_column_and_line(write):
    path = write("bad.txt", "B-Actor steve\nI-Actor mcqueen\nsteve O\n")    # tag first, but one line is not
    with pytest.raises(DataError) as e:
        read_conll(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}:1: invalid tag 'steve' in column 2")
    assert "--columns token=2,tag=1" in msg                  # the reading the mostly-tags column suggests


def test_columns_and_tag_column_options_parse_or_say_what_is_wrong():
    assert parse_columns("token=2, tag=1") == {"token": 2, "tag": 1}
    assert parse_tag_column("Outer") == "outer" and parse_tag_column("3") == 3
    for bad in ("tag=1", "token=0", "token=1,token=2", "word=1", "token=1,tag=1"):
        with pytest.raises(MultitagError):
            parse_columns(bad)
    with pytest.raises(MultitagError):
        parse_tag_column("middle")


def test_layout_options_are_refused_for_jsonl(write):
    path = write("train.jsonl", '{"tokens": ["a"], "tags": ["O"]}\n')
    with pytest.raises(DataError) as e:
        load_dataset(path, options=ReadOptions(columns={"token": 1, "tag": 2}))
    assert "apply to column (CoNLL) files" in str(e.value)
