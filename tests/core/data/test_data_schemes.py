"""Tag schemes IOB1 / IOB2 / BIOES: spans, detection, validation and lossless conversion."""
from __future__ import annotations

import itertools
import random

import pytest

from multitag.data.schemes import (
    SCHEMES, convert, detect_scheme, entity_types, from_spans, is_valid_tag, normalize_scheme, spans,
    validation_error,
)
from multitag.errors import MultitagError

# One sentence, three schemes: adjacent same-type entities (PER PER), adjacent different types
# (LOC ORG), single-token entities, a multi-token entity at the end, a type with punctuation.
SPANS = [("PER", 0, 2), ("PER", 2, 3), ("LOC", 4, 5), ("ORG", 5, 6), ("fromloc.city_name", 7, 10)]
N = 10
SAME = {
    "IOB1": ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG", "O",
             "I-fromloc.city_name", "I-fromloc.city_name", "I-fromloc.city_name"],
    "IOB2": ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-ORG", "O",
             "B-fromloc.city_name", "I-fromloc.city_name", "I-fromloc.city_name"],
    "BIOES": ["B-PER", "E-PER", "S-PER", "O", "S-LOC", "S-ORG", "O",
              "B-fromloc.city_name", "I-fromloc.city_name", "E-fromloc.city_name"],
}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_spans_of_hand_written_sequences(scheme):
    assert spans(SAME[scheme], scheme) == SPANS
    assert from_spans(N, SPANS, scheme) == SAME[scheme]
    assert validation_error(SAME[scheme], scheme) is None


@pytest.mark.parametrize("source, target", list(itertools.product(SCHEMES, SCHEMES)))
def test_conversion_hand_written(source, target):
    assert convert(SAME[source], source, target) == SAME[target]


def test_round_trip_iob1_iob2_bioes_iob1():
    tags = SAME["IOB1"]
    there = convert(convert(tags, "IOB1", "IOB2"), "IOB2", "BIOES")
    assert there == SAME["BIOES"]
    assert convert(there, "BIOES", "IOB1") == tags


@pytest.mark.parametrize("iob1, iob2", [
    (["I-PER"], ["B-PER"]),
    (["I-PER", "B-PER", "B-PER"], ["B-PER", "B-PER", "B-PER"]),   # three single-token PERs in a row
    (["I-PER", "I-LOC"], ["B-PER", "B-LOC"]),
    (["O", "I-X", "I-X", "O", "I-X"], ["O", "B-X", "I-X", "O", "B-X"]),
    ([], []),
    (["O", "O"], ["O", "O"]),
])
def test_iob1_to_iob2_cases(iob1, iob2):
    assert convert(iob1, "IOB1", "IOB2") == iob2
    assert convert(iob2, "IOB2", "IOB1") == iob1


@pytest.mark.parametrize("iob2, bioes", [
    (["B-PER"], ["S-PER"]),
    (["B-PER", "B-PER"], ["S-PER", "S-PER"]),
    (["B-PER", "I-PER", "B-PER", "I-PER"], ["B-PER", "E-PER", "B-PER", "E-PER"]),
    (["B-A", "I-A", "I-A", "B-B"], ["B-A", "I-A", "E-A", "S-B"]),
])
def test_iob2_to_bioes_cases(iob2, bioes):
    assert convert(iob2, "IOB2", "BIOES") == bioes
    assert convert(bioes, "BIOES", "IOB2") == iob2


def _random_spans(rng: random.Random):
    """A random sentence length and a valid (non-overlapping, possibly adjacent) span set."""
    types = ["PER", "LOC", "B-ish", "x.y_z"]
    n = rng.randint(0, 14)
    out, i = [], 0
    while i < n:
        r = rng.random()
        if r < 0.45:
            length = min(rng.randint(1, 4), n - i)
            out.append((rng.choice(types), i, i + length))
            i += length
        else:
            i += 1
    return n, out


def test_property_round_trip_on_random_span_sets():
    rng = random.Random(1234)
    n_entities = n_adjacent_same = 0
    for _ in range(3000):
        n, sp = _random_spans(rng)
        n_entities += len(sp)
        n_adjacent_same += sum(a[2] == b[1] and a[0] == b[0] for a, b in zip(sp, sp[1:]))
        encoded = {s: from_spans(n, sp, s) for s in SCHEMES}
        for s, tags in encoded.items():
            assert len(tags) == n
            assert all(is_valid_tag(t) for t in tags)
            assert validation_error(tags, s) is None, (s, tags)
            assert spans(tags, s) == sp, (s, tags, sp)
        for a, b in itertools.product(SCHEMES, SCHEMES):
            assert convert(encoded[a], a, b) == encoded[b], (a, b, encoded[a])
        if sp:
            # BIOES is always recognised; IOB2 unless an entity starts with I- (impossible in IOB2)
            assert detect_scheme([encoded["BIOES"]]) == "BIOES"
            assert detect_scheme([encoded["IOB2"]]) == "IOB2"
            assert detect_scheme([encoded["IOB1"]]) == "IOB1"
    # the generator really exercised the interesting cases
    assert n_entities > 3000 and n_adjacent_same > 100


@pytest.mark.parametrize("tags, scheme, position, words", [
    (["O", "I-PER"], "IOB2", 1, "not valid IOB2"),
    (["B-PER", "I-LOC"], "IOB2", 1, "not valid IOB2"),
    (["S-PER"], "IOB2", 0, "not allowed in IOB2"),
    (["O", "E-PER"], "IOB1", 1, "not allowed in IOB1"),
    (["B-PER"], "IOB1", 0, "IOB1"),
    (["I-PER", "B-LOC"], "IOB1", 1, "IOB1"),
    (["B-PER", "O"], "BIOES", 1, "E-"),
    (["O", "B-PER"], "BIOES", 1, "not closed"),
    (["B-PER", "I-PER"], "BIOES", 1, "not closed"),
    (["S-PER", "E-PER"], "BIOES", 1, "not valid BIOES"),
    (["O", "I-PER", "E-PER"], "BIOES", 1, "not valid BIOES"),
    (["B-PER", "S-PER"], "BIOES", 1, "E-"),
    (["B-PER", "E-LOC"], "BIOES", 1, "BIOES"),
    (["O", "B_LOC"], "IOB2", 1, "invalid tag 'B_LOC'"),
    (["PER"], "BIOES", 0, "invalid tag 'PER'"),
])
def test_validation_errors(tags, scheme, position, words):
    err = validation_error(tags, scheme)
    assert err is not None
    assert err[0] == position
    assert words in err[1]


@pytest.mark.parametrize("tag, ok", [
    ("O", True), ("B-PER", True), ("I-fromloc.city_name", True), ("E-X", True), ("S-a-b", True),
    ("B_LOC", False), ("PER", False), ("B-", False), ("o", False), ("b-PER", False), ("B-P ER", False),
    ("", False), ("O-PER", False), ("X-PER", False),
])
def test_is_valid_tag(tag, ok):
    assert is_valid_tag(tag) is ok


def test_detect_scheme():
    assert detect_scheme([SAME["IOB1"]]) == "IOB1"
    assert detect_scheme([SAME["IOB2"]]) == "IOB2"
    assert detect_scheme([SAME["BIOES"]]) == "BIOES"
    assert detect_scheme([["O", "O"], []]) == "IOB2"
    # no scheme fits both: the one the fewest sequences break (a tie goes to IOB2)
    assert detect_scheme([["B-PER", "O"], ["O", "I-LOC"]]) == "IOB2"
    assert detect_scheme([["I-PER", "O"], ["O", "I-LOC"], ["B-PER", "O"]]) == "IOB1"
    assert detect_scheme([["B-PER", "E-PER"], ["S-LOC"], ["B-X", "I-X"]]) == "BIOES"
    # unannotated tokens are skipped, they are no evidence for IOB1
    assert detect_scheme([[None, None], ["B-PER", "I-PER", None]]) == "IOB2"
    # generators work (load_dataset passes one)
    assert detect_scheme(t for t in [SAME["IOB1"]]) == "IOB1"


@pytest.mark.parametrize("alias, canonical", [
    ("iob2", "IOB2"), ("BIO", "IOB2"), ("IOB", "IOB2"), ("iob1", "IOB1"), ("IOBES", "BIOES"),
    ("BILOU", "BIOES"), ("bioes", "BIOES"), ("IOB-2", "IOB2"),
])
def test_normalize_scheme(alias, canonical):
    assert normalize_scheme(alias) == canonical


def test_unknown_scheme_is_an_error():
    with pytest.raises(MultitagError, match="IOB1, IOB2, BIOES"):
        normalize_scheme("IO")
    with pytest.raises(MultitagError):
        convert(["O"], "IOB2", "XYZ")


def test_entity_types():
    assert entity_types(["O", "B-PER", "I-PER", "S-LOC", "B-x.y"]) == ["LOC", "PER", "x.y"]
