"""The property of the layout detection: take a valid file, permute its columns, add an index
column, add comment lines, re-encode it; the reader reads exactly the original tokens and tags,
or refuses (a DataError naming the file); it never reads other tokens or tags without an error."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multitag.data import read_conll
from multitag.errors import DataError

PROPERTY = settings(max_examples=int(os.environ.get("MULTITAG_FUZZ_EXAMPLES", "150")), deadline=2000, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# letters at or above U+00C0 only: Latin-1 bytes of such text are never valid UTF-8 (no 0x80-0xBF
# continuation byte), so a re-encoded file cannot silently decode as other UTF-8 text
WORD = st.text(alphabet=st.sampled_from(list("abzAZ09.,'-") + list("éüñßäöÀ")), min_size=1, max_size=6)
# now and then a token that is itself a tag, a "#", or a number: the cases that could be misread
TOKEN = st.one_of(WORD, WORD, WORD, st.sampled_from(["O", "B-PER", "#", "1", "2", "3", "_"]))
TAG = st.sampled_from(["O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-LOCderiv"])
CHUNK = st.sampled_from(["B-NP", "I-NP", "B-VP", "O"])
COMMENTS = ["# sent_id = {k}", "#\thttp://de.wikipedia.org/wiki/X_{k} [2009-10-17]", "# text = a {k} b"]
ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16"]


@st.composite
def shipped_files(draw):
    """``(bytes, original sentences as (tokens, tags))`` of one valid token/tag (/chunk) file made over."""
    sentences = draw(st.lists(st.lists(st.tuples(TOKEN, TAG, CHUNK), min_size=1, max_size=5), min_size=1, max_size=4))
    original = [(tuple(t for t, _, _ in s), tuple(g for _, g, _ in s)) for s in sentences]
    columns = ["token", "tag"] + (["chunk"] if draw(st.sampled_from([False, False, False, True])) else [])
    order = draw(st.permutations(columns))
    index = draw(st.booleans())
    comment = draw(st.sampled_from([None] + COMMENTS))
    sep = draw(st.sampled_from(["\t", " "]))
    lines = []
    for k, sentence in enumerate(sentences):
        if comment is not None:
            lines.append(comment.format(k=k))
        for i, (token, tag, chunk) in enumerate(sentence, start=1):
            cells = {"token": token, "tag": tag, "chunk": chunk}
            lines.append(sep.join(([str(i)] if index else []) + [cells[c] for c in order]))
        lines.append("")
    return "\n".join(lines).encode(draw(st.sampled_from(ENCODINGS))), original


@PROPERTY
@given(shipped_files())
def test_a_file_made_over_is_read_exactly_or_refused(tmp_path, case):
    data, original = case
    path = tmp_path / "made-over.txt"
    path.write_bytes(data)
    try:
        sentences = read_conll(path)
    except DataError as e:
        assert e.path == str(path) and str(e).startswith(str(path))
        return
    assert [(s.tokens, s.tags) for s in sentences] == original


def test_the_property_inputs_are_mostly_read(tmp_path):
    """The made-over files are mostly read (else the property above would say little)."""
    outcomes = []

    @settings(max_examples=60, deadline=None, database=None, derandomize=True)
    @given(shipped_files())
    def sample(case):
        path = tmp_path / "s.txt"
        path.write_bytes(case[0])
        try:
            outcomes.append([(s.tokens, s.tags) for s in read_conll(path)] == case[1])
        except DataError:
            outcomes.append(None)

    sample()
    assert outcomes.count(True) > len(outcomes) // 2 and None in outcomes and False not in outcomes
