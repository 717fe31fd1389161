"""Fuzzing the CoNLL, parallel and JSONL readers (hypothesis).

Two properties:

* exact: a file generated from known sentences, with any line-ending convention, column count,
  separators, blank lines and BOM, reads back as exactly those sentences;
* total: any input (random lines, random bytes, any line endings and column counts) is either read
  and then survives a round trip through the writers unchanged, or refused with a ``DataError``
  naming the file and, unless the problem is the whole file, the line; never any other exception.
"""
from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multitag.data import load_dataset, read_conll, read_jsonl, read_parallel, write_conll, write_jsonl
from multitag.errors import DataError

# MULTITAG_FUZZ_EXAMPLES=5000 for a deeper run; the default keeps the whole file well under a minute
FUZZ = settings(max_examples=int(os.environ.get("MULTITAG_FUZZ_EXAMPLES", "100")), deadline=2000, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
WHOLE_FILE_REASONS = {"the file is empty", "no sentences in the file"}

# ---------------------------------------------------------------------- building blocks

TAGS = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "B-fromloc.city_name", "I-x-y"]
SAFE_CHARS = list("aZé_-,.{}[]\":0\\/'") + ["€", "\U0001F600", "\x00", "\x07"]
ODD_CHARS = ["\u00a0", "\ufeff", "\x85", "\u2028", "\x1f", "\x0c", "\x0b", "\t", " ", "\r", "\n", "\ud800"]
SEPARATORS = st.sampled_from([" ", "\t", "  ", " \t ", "\t\t"])
BREAKS = ["\n", "\r\n", "\r", "\n\r"]

safe_token = st.text(alphabet=st.sampled_from(SAFE_CHARS), min_size=1, max_size=5).filter(lambda t: t != "-DOCSTART-")
safe_tag = st.one_of(st.sampled_from(TAGS), st.none())
blank = st.text(alphabet=st.sampled_from([" ", "\t"]), max_size=3)


@st.composite
def line_breaks(draw):
    """A list of line breaks to use in turn: one convention, or LF and CRLF mixed (unambiguous)."""
    kind = draw(st.sampled_from(["LF", "CRLF", "CR", "LF CR", "LF+CRLF"]))
    if kind == "LF+CRLF":
        return draw(st.lists(st.sampled_from(["\n", "\r\n"]), min_size=1, max_size=4))
    return [{"LF": "\n", "CRLF": "\r\n", "CR": "\r", "LF CR": "\n\r"}[kind]]


def _join(lines, breaks, final):
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        if i < len(lines) - 1 or final:
            out.append(breaks[i % len(breaks)])
    return "".join(out)


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


def _as_tuples(sentences, *, ids=False):
    return [(s.tokens, s.tags, s.pos) + ((s.id,) if ids else ()) for s in sentences]


def _refused_properly(err: DataError, paths) -> None:
    """A refusal names one of the input files and, unless the whole file is the problem, a line."""
    assert isinstance(err, DataError)
    assert err.path in paths, err
    assert str(err).startswith(err.path), err
    if err.line is None:
        assert err.reason in WHOLE_FILE_REASONS, err
    else:
        assert str(err).startswith(f"{err.path}:{err.line}: "), err
        assert err.line >= 1


# ---------------------------------------------------------------------- exact reads


@st.composite
def conll_files(draw):
    """``(bytes, expected sentences as (tokens, tags, pos), first lines)`` of a well-formed CoNLL file."""
    n_cols = draw(st.integers(1, 5))
    sentences = draw(st.lists(st.lists(st.tuples(safe_token, safe_tag, safe_token), min_size=1, max_size=4),
                              min_size=1, max_size=4))
    lines, expected, starts = [], [], []
    if draw(st.booleans()):
        lines += ["-DOCSTART- -X- -X- O", ""]
    for k, sent in enumerate(sentences):
        if k:
            lines += draw(st.lists(blank, min_size=1, max_size=2))
            if draw(st.booleans()):
                lines.append("-DOCSTART- -X- O O")          # with or without a blank line after it
        starts.append(len(lines) + 1)
        for tok, tag, pos in sent:
            cols = [tok] + [pos, "I-NP", "x"][: n_cols - 2] + [tag or "_"] if n_cols > 1 else [tok]
            lines.append(draw(blank) + draw(SEPARATORS).join(cols) + draw(blank))
        expected.append((tuple(t for t, _, _ in sent),
                         tuple(tag for _, tag, _ in sent) if n_cols > 1 else (None,) * len(sent),
                         tuple(p for _, _, p in sent) if n_cols == 4 else None))
    if draw(st.booleans()):
        lines += draw(st.lists(blank, max_size=2))
    text = _join(lines, draw(line_breaks()), draw(st.booleans()))
    data = (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode("utf-8")
    return data, expected, starts


@FUZZ
@given(conll_files())
def test_conll_reads_generated_files_exactly(tmp_path, case):
    data, expected, starts = case
    path = _write(tmp_path, "gen.txt", data)
    sents = read_conll(path)
    assert _as_tuples(sents) == expected
    assert [s.line for s in sents] == starts


@st.composite
def parallel_files(draw):
    sentences = draw(st.lists(st.lists(st.tuples(safe_token, safe_tag), min_size=1, max_size=4), min_size=1, max_size=4))
    tok_lines = [draw(blank) + draw(SEPARATORS).join(t for t, _ in s) + draw(blank) for s in sentences]
    tag_lines = [draw(blank) + draw(SEPARATORS).join(g or "_" for _, g in s) + draw(blank) for s in sentences]
    toks = _join(tok_lines, draw(line_breaks()), draw(st.booleans())).encode("utf-8")
    tags = _join(tag_lines, draw(line_breaks()), draw(st.booleans())).encode("utf-8")
    expected = [(tuple(t for t, _ in s), tuple(g for _, g in s), None) for s in sentences]
    return toks, tags, expected


@FUZZ
@given(parallel_files())
def test_parallel_reads_generated_files_exactly(tmp_path, case):
    toks, tags, expected = case
    assert _as_tuples(read_parallel(_write(tmp_path, "g.seq.in", toks), _write(tmp_path, "g.seq.out", tags))) == expected


json_token = st.text(min_size=1, max_size=5).filter(lambda t: not any(c.isspace() for c in t))


@st.composite
def jsonl_files(draw):
    rows = draw(st.lists(st.integers(1, 4).flatmap(lambda n: st.fixed_dictionaries(
        {"tokens": st.lists(json_token, min_size=n, max_size=n), "tags": st.lists(safe_tag, min_size=n, max_size=n)},
        optional={"pos": st.lists(safe_token, min_size=n, max_size=n),
                  "id": st.one_of(st.integers(), st.text(max_size=4), st.none())})), min_size=1, max_size=4))
    ascii_only = draw(st.booleans())
    lines = []
    for row in rows:
        if draw(st.booleans()):
            lines.append(draw(blank))
        lines.append(json.dumps(row, ensure_ascii=ascii_only, separators=draw(st.sampled_from([(",", ":"), (", ", ": ")]))))
    text = _join(lines, draw(line_breaks()), draw(st.booleans()))
    expected = [(tuple(r["tokens"]), tuple(r["tags"]), tuple(r["pos"]) if "pos" in r else None) for r in rows]
    ids = [None if r.get("id") is None else str(r["id"]) for r in rows]
    return text.encode("utf-8"), expected, ids


@FUZZ
@given(jsonl_files())
def test_jsonl_reads_generated_files_exactly(tmp_path, case):
    data, expected, ids = case
    sents = read_jsonl(_write(tmp_path, "g.jsonl", data))
    assert _as_tuples(sents) == expected
    assert [i if i is not None else s.id for i, s in zip(ids, sents)] == [s.id for s in sents]
    assert all(s.id == f"g.jsonl:{k}" for k, (i, s) in enumerate(zip(ids, sents)) if i is None)


# ---------------------------------------------------------------------- any input

odd_text = st.text(alphabet=st.sampled_from(SAFE_CHARS + ODD_CHARS), min_size=1, max_size=5)
def mostly(common, *rare, weight: int = 8):
    """``common`` ``weight`` times as often as each of ``rare`` (st.one_of does not weigh its branches)."""
    return st.sampled_from([common] * weight + list(rare)).flatmap(lambda strategy: strategy)


def one_in(draw, k: int) -> bool:
    """True about once in ``k`` draws (last in the list: hypothesis favours a list's first value)."""
    return draw(st.sampled_from([False] * (k - 1) + [True]))


token_cell = mostly(safe_token, odd_text, st.sampled_from(["-DOCSTART-", "_"]), weight=16)
tag_cell = mostly(st.sampled_from(TAGS + ["_"]), st.sampled_from(["B-a,B-b", "PER", "B-", "b-x", "O,O", "B_X"]), odd_text,
                  weight=16)


@st.composite
def column_lines(draw):
    """Lines of a column file: mostly ``n_cols`` cells (token ... tag), some blank, DOCSTART or other widths."""
    n_cols = draw(st.integers(1, 5))
    lines = []
    for _ in range(draw(st.integers(1, 10))):
        kind = draw(st.sampled_from(["data"] * 6 + ["blank", "docstart", "other width"]))
        if kind == "blank":
            lines.append(draw(blank))
            continue
        width = draw(st.integers(0, 6)) if kind == "other width" else n_cols
        cols = [draw(token_cell)] + [draw(token_cell) for _ in range(width - 2)] + [draw(tag_cell)] if width > 1 else (
            [draw(token_cell)] if width == 1 else [])
        if kind == "docstart":
            cols = ["-DOCSTART-"] + cols[1:]
        lines.append(draw(blank) + draw(SEPARATORS).join(cols) + draw(blank))
    return lines


@st.composite
def any_file(draw, lines=column_lines()):
    """``lines`` with any mixture of line breaks, maybe a BOM, and now and then some random bytes."""
    breaks = draw(mostly(line_breaks(), st.lists(st.sampled_from(BREAKS), min_size=1, max_size=3), weight=2))
    text = _join(draw(lines), breaks, draw(st.booleans()))
    data = text.encode("utf-8", "surrogatepass")      # a lone surrogate becomes bytes that are not UTF-8
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if one_in(draw, 6):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return data


any_bytes = mostly(any_file(), st.binary(max_size=60), weight=5)


@FUZZ
@given(any_bytes)
def test_conll_any_input_is_read_exactly_or_refused_with_file_and_line(tmp_path, data):
    path = _write(tmp_path, "any.txt", data)
    try:
        sents = read_conll(path)
    except DataError as e:
        _refused_properly(e, {path})
        return
    out = str(tmp_path / "back.txt")
    write_conll(sents, out)
    assert _as_tuples(read_conll(out)) == _as_tuples(sents)
    write_jsonl(sents, out + ".jsonl")
    assert _as_tuples(read_jsonl(out + ".jsonl"), ids=True) == _as_tuples(sents, ids=True)
    # and as a data set: loaded (tags in one scheme) or refused at a line of this file
    try:
        ds = load_dataset(path)
    except DataError as e:
        _refused_properly(e, {path})
        return
    assert [s.tokens for s in ds.train] == [s.tokens for s in sents]


@st.composite
def parallel_lines(draw):
    """Token lines and tag lines, mostly as many of each and as many tags as tokens."""
    tok_lines, tag_lines = [], []
    for _ in range(draw(st.integers(1, 6))):
        n = 0 if one_in(draw, 8) else draw(st.integers(1, 4))
        m = draw(st.integers(0, 5)) if one_in(draw, 6) else n
        tok_lines.append(draw(blank) + draw(SEPARATORS).join(draw(token_cell) for _ in range(n)) + draw(blank))
        tag_lines.append(draw(blank) + draw(SEPARATORS).join(draw(tag_cell) for _ in range(m)) + draw(blank))
    if one_in(draw, 6):
        tag_lines = tag_lines[:-1]
    return tok_lines, tag_lines


@FUZZ
@given(parallel_lines().flatmap(lambda pair: st.tuples(any_file(st.just(pair[0])), any_file(st.just(pair[1])))))
def test_parallel_any_input_is_read_exactly_or_refused_with_file_and_line(tmp_path, files):
    toks, tags = files
    src, tgt = _write(tmp_path, "a.seq.in", toks), _write(tmp_path, "a.seq.out", tags)
    try:
        sents = read_parallel(src, tgt)
    except DataError as e:
        _refused_properly(e, {src, tgt})
        return
    out = str(tmp_path / "back.jsonl")
    write_jsonl(sents, out)
    assert _as_tuples(read_jsonl(out), ids=True) == _as_tuples(sents, ids=True)
    if not any(t == "-DOCSTART-" for s in sents for t in s.tokens):     # the one token CoNLL cannot hold
        write_conll(sents, out + ".txt")
        assert _as_tuples(read_conll(out + ".txt")) == _as_tuples(sents)


json_value = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                                    st.text(max_size=4), st.sampled_from(TAGS + ["_", "B-a,B-b"])),
                          lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
                          max_leaves=8)


@st.composite
def json_rows(draw):
    """A row that is mostly valid: then maybe a key dropped or misspelled, an extra key, a bad value."""
    n = draw(st.integers(1, 4))
    row = {"tokens": [draw(mostly(json_token, odd_text, st.just("a\ud800"))) for _ in range(n)],
           "tags": [draw(mostly(safe_tag, tag_cell)) for _ in range(n)]}
    if draw(st.booleans()):
        row["pos"] = [draw(safe_token) for _ in range(n)]
    if draw(st.booleans()):
        row["id"] = draw(json_value)
    change = draw(st.sampled_from(["none"] * 8 + ["drop", "rename", "extra", "value"]))
    key = draw(st.sampled_from(sorted(row)))
    if change == "drop":
        del row[key]
    elif change == "rename":
        row[draw(st.sampled_from(["tag", "Tags", "token", "labels"]))] = row.pop(key)
    elif change == "extra":
        row[draw(st.text(max_size=4))] = draw(json_value)
    elif change == "value":
        row[key] = draw(json_value)
    return row


@st.composite
def json_lines(draw):
    lines = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["row"] * 5 + ["blank", "text", "any json"]))
        if kind == "row":
            lines.append(json.dumps(draw(json_rows()), ensure_ascii=draw(st.booleans())))
        elif kind == "any json":
            lines.append(json.dumps(draw(json_value), ensure_ascii=draw(st.booleans())))
        else:
            lines.append(draw(blank) if kind == "blank" else draw(odd_text))
    return lines


@FUZZ
@given(mostly(any_file(json_lines()), st.binary(max_size=60), weight=5),
       st.sampled_from(["required", "optional"]))
def test_jsonl_any_input_is_read_exactly_or_refused_with_file_and_line(tmp_path, data, tags):
    path = _write(tmp_path, "any.jsonl", data)
    try:
        sents = read_jsonl(path, tags=tags)
    except DataError as e:
        _refused_properly(e, {path})
        return
    out = str(tmp_path / "back.jsonl")
    write_jsonl(sents, out)
    assert _as_tuples(read_jsonl(out), ids=True) == _as_tuples(sents, ids=True)


def test_the_fuzz_inputs_reach_both_outcomes(tmp_path):
    """The generators are neither all refused nor all read (else the properties above say little)."""
    outcomes: dict[str, set] = {"conll": set(), "parallel": set(), "jsonl": set()}

    def attempt(kind, read, *paths):
        try:
            read(*paths)
            outcomes[kind].add("read")
        except DataError:
            outcomes[kind].add("refused")

    @settings(max_examples=40, deadline=None, database=None, derandomize=True)
    @given(any_bytes, parallel_lines().flatmap(lambda p: st.tuples(any_file(st.just(p[0])), any_file(st.just(p[1])))),
           any_file(json_lines()))
    def sample(conll, parallel, jsonl):
        attempt("conll", read_conll, _write(tmp_path, "p.txt", conll))
        attempt("parallel", read_parallel, _write(tmp_path, "p.seq.in", parallel[0]), _write(tmp_path, "p.seq.out", parallel[1]))
        attempt("jsonl", read_jsonl, _write(tmp_path, "p.jsonl", jsonl))

    sample()
    assert outcomes == {k: {"read", "refused"} for k in outcomes}
