"""Every line-ending convention is read correctly or refused with a message naming file and line;
none turns a file into one sentence (or one sentence per token)."""
from __future__ import annotations

import pytest

from multitag.data import read_conll, read_jsonl, read_parallel
from multitag.errors import DataError

# CoNLL lines: two sentences, a blank line between them; line 5 is the 2nd token of sentence 2.
CONLL_LINES = ["John B-PER", "runs O", "", "in O", "Rome B-LOC"]
CONLL_SENTS = [(("John", "runs"), ("B-PER", "O")), (("in", "Rome"), ("O", "B-LOC"))]

CONVENTIONS = {
    "LF": ["\n"],
    "CRLF": ["\r\n"],
    "CR": ["\r"],
    "LF CR": ["\n\r"],
    "LF and CRLF": ["\n", "\r\n"],
    "CR and LF": ["\r", "\n"],
    "CRLF and CR": ["\r\n", "\r"],
    "all three": ["\r", "\r\n", "\n"],
}


def _join(lines, breaks, *, final=True):
    """``lines`` joined with the line breaks of ``breaks`` in turn (and one after the last line)."""
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        if i < len(lines) - 1 or final:
            out.append(breaks[i % len(breaks)])
    return "".join(out)


@pytest.mark.parametrize("final", [True, False], ids=["final-break", "no-final-break"])
@pytest.mark.parametrize("name", CONVENTIONS)
def test_conll_every_convention(write, name, final):
    path = write("train.txt", _join(CONLL_LINES, CONVENTIONS[name], final=final))
    sents = read_conll(path)
    assert [(s.tokens, s.tags) for s in sents] == CONLL_SENTS
    assert [s.line for s in sents] == [1, 4]


@pytest.mark.parametrize("name", CONVENTIONS)
def test_conll_error_line_counts_lines_of_that_convention(write, name):
    lines = CONLL_LINES[:4] + ["Rome B_LOC"]
    path = write("train.txt", _join(lines, CONVENTIONS[name]))
    with pytest.raises(DataError) as e:
        read_conll(path)
    assert e.value.line == 5 and f"{path}:5" in str(e.value)


@pytest.mark.parametrize("name", CONVENTIONS)
def test_parallel_every_convention(write, name):
    breaks = CONVENTIONS[name]
    src = write("train.seq.in", _join(["from boston", "to denver now", "hi"], breaks))
    tgt = write("train.seq.out", _join(["O B-from", "O B-to O", "O"], breaks[::-1]))
    sents = read_parallel(src, tgt)
    assert [s.tokens for s in sents] == [("from", "boston"), ("to", "denver", "now"), ("hi",)]
    assert [s.tags for s in sents] == [("O", "B-from"), ("O", "B-to", "O"), ("O",)]


@pytest.mark.parametrize("name", CONVENTIONS)
def test_jsonl_every_convention(write, name):
    rows = ['{"tokens": ["a", "b"], "tags": ["O", "B-X"]}', '{"tokens": ["c"], "tags": [null]}',
            '{"tokens": ["d"], "tags": ["O"]}']
    path = write("train.jsonl", _join(rows, CONVENTIONS[name]))
    sents = read_jsonl(path)
    assert [s.tokens for s in sents] == [("a", "b"), ("c",), ("d",)]
    assert [s.line for s in sents] == [1, 2, 3]
    bad = write("bad.jsonl", _join(rows[:2] + ['{"tokens": ["d"]}'], CONVENTIONS[name]))
    with pytest.raises(DataError) as e:
        read_jsonl(bad)
    assert e.value.line == 3


def test_a_cr_only_file_is_not_one_sentence(write):
    # the bug: a classic-Mac file was one line, hence one sentence (or a column-count error at line 1)
    path = write("mac.txt", "a O\rb B-PER\r\rc O\r")
    assert [s.tokens for s in read_conll(path)] == [("a", "b"), ("c",)]


def test_lf_cr_pair_among_other_endings_is_refused(write):
    # "b O\n\rc O": one line break (LF CR), or a line break and a blank line (a sentence break)?
    path = write("mixed.txt", "a O\nb O\n\rc O\n")
    with pytest.raises(DataError) as e:
        read_conll(path)
    assert e.value.path == path and e.value.line == 2 and "LF CR" in str(e.value)


def test_lf_cr_pair_in_a_file_with_lone_cr_endings_is_lf_and_a_blank_line(write):
    path = write("mixed.txt", "a O\rb O\n\rc O\n")
    assert [s.tokens for s in read_conll(path)] == [("a", "b"), ("c",)]


def test_crlf_blank_lines_are_not_mistaken_for_lf_cr(write):
    path = write("win.txt", "a O\r\n\r\nb O\r\n\r\n\r\nc O\r\n")
    assert [s.tokens for s in read_conll(path)] == [("a",), ("b",), ("c",)]


@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1e"])
def test_other_unicode_line_boundaries_in_a_data_line_are_refused(write, char):
    # a file using NEL (U+0085) as its line break would otherwise be one line: one sentence, one token
    path = write("nel.txt", f"a O\nb O{char}c O{char}d O\n")
    with pytest.raises(DataError) as e:
        read_conll(path)
    assert e.value.line == 2 and f"U+{ord(char):04X}" in str(e.value)
    src = write("x.seq.in", f"a b\nc{char}d\n")
    with pytest.raises(DataError) as e:
        read_parallel(src)
    assert e.value.path == src and e.value.line == 2


def test_a_form_feed_alone_is_a_blank_line(write):
    path = write("ff.txt", "a O\n\x0c\nb O\n")
    assert [s.tokens for s in read_conll(path)] == [("a",), ("b",)]


def test_a_byte_order_mark_inside_the_file_is_refused(write):
    # cat train.txt dev.txt leaves the second file's BOM at the start of a line
    path = write("cat.txt", b"\xef\xbb\xbfa O\n\n\xef\xbb\xbfb O\n")
    with pytest.raises(DataError) as e:
        read_conll(path)
    assert e.value.line == 3 and "byte-order mark" in str(e.value)


def test_undecodable_bytes_line_in_a_cr_file(write):
    path = write("bytes.txt", b"a O\rb O\r\rc\xff O\r")
    with pytest.raises(DataError) as e:
        read_conll(path, encoding="utf-8")      # by default a file that is not UTF-8 is read as cp1252 / Latin-1
    assert e.value.line == 4 and "UTF-8" in str(e.value)
