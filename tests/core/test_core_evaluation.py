"""Span-level evaluation against figures computed by hand."""
from __future__ import annotations

import json

import pytest

from multitag.errors import MultitagError
from multitag.evaluation import evaluate

# gold spans: PER(0,2) LOC(3,4) | ORG(0,1) PER(2,3)             -> 4 gold spans
# predicted:  PER(0,2)          | ORG(0,2) PER(2,3)             -> 3 predicted spans
# ORG has the wrong right boundary: strict evaluation counts it as a miss AND a false positive.
GOLD = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O", "B-PER"]]
PRED = [["B-PER", "I-PER", "O", "O"], ["B-ORG", "I-ORG", "B-PER"]]


def test_hand_computed_micro_and_per_type():
    r = evaluate(GOLD, PRED, scheme="IOB2")
    # TP = 2 (both PER), predicted = 3, gold = 4
    assert r["precision"] == pytest.approx(2 / 3)
    assert r["recall"] == pytest.approx(2 / 4)
    assert r["f1"] == pytest.approx(2 * (2 / 3) * (1 / 2) / (2 / 3 + 1 / 2))   # 4/7
    assert r["support"] == 4
    assert set(r["per_type"]) == {"PER", "LOC", "ORG"}
    assert r["per_type"]["PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    assert r["per_type"]["ORG"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    # LOC was never predicted: precision is 0 (zero_division=0), not NaN
    assert r["per_type"]["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_result_is_json_serialisable():
    r = evaluate(GOLD, PRED)
    again = json.loads(json.dumps(r, allow_nan=False))
    assert again == r
    assert all(type(r[k]) is float for k in ("precision", "recall", "f1"))
    assert type(r["support"]) is int
    for v in r["per_type"].values():
        assert {type(x) for x in v.values()} <= {float, int}


def test_perfect_and_empty_predictions():
    assert evaluate(GOLD, GOLD)["f1"] == 1.0
    none = evaluate(GOLD, [["O"] * len(g) for g in GOLD])
    assert (none["precision"], none["recall"], none["f1"]) == (0.0, 0.0, 0.0)
    assert none["support"] == 4


def test_wrong_type_and_wrong_left_boundary_are_misses():
    gold = [["O", "B-PER", "I-PER", "I-PER"]]
    # left boundary one token late, and the same span with the wrong type
    r1 = evaluate(gold, [["O", "O", "B-PER", "I-PER"]])
    r2 = evaluate(gold, [["O", "B-LOC", "I-LOC", "I-LOC"]])
    assert r1["f1"] == 0.0 and r2["f1"] == 0.0
    assert r2["per_type"]["LOC"]["precision"] == 0.0 and r2["per_type"]["LOC"]["support"] == 0


def test_adjacent_entities_are_counted_separately():
    gold = [["B-PER", "B-PER", "I-PER"]]           # PER(0,1) PER(1,3)
    merged = [["B-PER", "I-PER", "I-PER"]]         # PER(0,3): one wrong span
    r = evaluate(gold, merged)
    assert r["precision"] == 0.0 and r["recall"] == 0.0 and r["support"] == 2


def test_matches_seqeval_strict_mode_including_invalid_predicted_spans():
    # strict mode: an I- that does not continue an entity is not a span (seqeval's own behaviour)
    from seqeval.metrics import f1_score, precision_score, recall_score
    from seqeval.scheme import IOB2

    gold = [["O", "B-PER", "I-PER"], ["B-LOC", "O", "B-ORG"]]
    pred = [["O", "I-PER", "I-PER"], ["B-LOC", "I-LOC", "I-ORG"]]
    r = evaluate(gold, pred)
    kw = dict(mode="strict", scheme=IOB2)
    assert r["f1"] == f1_score(gold, pred, **kw)
    assert r["precision"] == precision_score(gold, pred, **kw) and r["recall"] == recall_score(gold, pred, **kw)
    assert r["precision"] == 0.0  # LOC(0,2) is wrong, the orphan I- spans are not spans
    assert r["recall"] == 0.0


def test_bioes_scheme():
    gold = [["B-PER", "E-PER", "S-LOC"]]
    assert evaluate(gold, gold, scheme="BIOES")["f1"] == 1.0
    r = evaluate(gold, [["S-PER", "S-PER", "S-LOC"]], scheme="BIOES")
    # predicted PER(0,1) PER(1,2) LOC(2,3) vs gold PER(0,2) LOC(2,3): TP = 1
    assert r["precision"] == pytest.approx(1 / 3)
    assert r["recall"] == pytest.approx(1 / 2)
    assert r["per_type"]["PER"]["precision"] == 0.0 and r["per_type"]["LOC"]["f1"] == 1.0


def test_iob1_scheme_counts_entities_as_iob1_defines_them():
    gold = [["I-PER", "I-PER", "B-PER", "O", "I-LOC"]]     # PER(0,2) PER(2,3) LOC(4,5)
    r = evaluate(gold, gold, scheme="IOB1")
    assert r["f1"] == 1.0 and r["support"] == 3
    r = evaluate(gold, [["I-PER", "I-PER", "I-PER", "O", "I-LOC"]], scheme="IOB1")  # PER(0,3)
    assert r["per_type"]["PER"]["recall"] == 0.0 and r["per_type"]["LOC"]["recall"] == 1.0
    assert r["recall"] == pytest.approx(1 / 3) and r["precision"] == pytest.approx(1 / 2)


@pytest.mark.parametrize("gold, pred, what", [
    ([["O"]], [["O"], ["O"]], "1 gold sentences but 2 predicted"),
    ([["O", "O"]], [["O"]], "sentence 0 has 2 gold tags but 1 predicted"),
    ([["O", None]], [["O", "O"]], "unannotated"),
])
def test_misaligned_input_is_an_error(gold, pred, what):
    with pytest.raises(MultitagError, match=what):
        evaluate(gold, pred)


def test_unknown_scheme():
    with pytest.raises(MultitagError, match="unknown tag scheme"):
        evaluate(GOLD, PRED, scheme="IO")


def test_tuples_are_accepted():
    # Sentence.tags are tuples
    r = evaluate([tuple(g) for g in GOLD], [tuple(p) for p in PRED])
    assert r["f1"] == pytest.approx(4 / 7)


def test_evaluator_equals_seqeval_strict_on_noisy_predictions():
    import random

    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    from multitag.evaluation import Evaluator
    from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus

    gold = [list(s.tags) for s in synthetic_corpus(300, seed=5)]
    rng = random.Random(0)
    ev = Evaluator(gold)
    for noise in (0.0, 0.05, 0.3, 0.9):
        pred = [[t if rng.random() > noise else rng.choice(SYNTHETIC_LABELS) for t in s] for s in gold]
        ours = ev.score(pred)
        ref = classification_report(gold, pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
        assert abs(ours["f1"] - ref["micro avg"]["f1-score"]) < 1e-12
        assert abs(ours["precision"] - ref["micro avg"]["precision"]) < 1e-12
        for typ, v in ours["per_type"].items():
            assert abs(v["f1"] - ref[typ]["f1-score"]) < 1e-12 and v["support"] == ref[typ]["support"]


def test_strict_iob2_spans_equal_seqeval_tokens_on_random_sequences():
    import random

    from seqeval.scheme import IOB2, Tokens

    from multitag.data.entity_spans import strict_iob2_spans as _strict_iob2_spans

    rng = random.Random(1)
    tags = ["O", "B-A", "I-A", "B-B", "I-B"]
    for _ in range(3000):
        seq = [rng.choice(tags) for _ in range(rng.randint(1, 9))]
        ref = {(e.tag, e.start, e.end) for e in Tokens(seq, scheme=IOB2).entities}
        assert _strict_iob2_spans(seq) == ref, seq


def test_strict_bioes_spans_equal_seqeval_tokens_on_random_sequences():
    import random

    from seqeval.scheme import IOBES, Tokens

    from multitag.data.entity_spans import strict_bioes_spans

    rng = random.Random(2)
    tags = ["O", "B-A", "I-A", "E-A", "S-A", "B-B", "I-B", "E-B", "S-B"]
    for _ in range(3000):
        seq = [rng.choice(tags) for _ in range(rng.randint(1, 9))]
        ref = {(e.tag, e.start, e.end) for e in Tokens(seq, scheme=IOBES).entities}
        assert strict_bioes_spans(seq) == ref, seq


def test_entity_spans_read_unannotated_tokens_as_outside():
    from multitag.data.entity_spans import entity_spans

    # a stray inside tag (a token annotated alone) is no entity; None is O
    assert entity_spans([None, "I-LOC", None]) == []
    assert entity_spans([None, "B-LOC", "I-LOC", None, "B-PER"]) == [("LOC", 1, 3), ("PER", 4, 5)]
    assert entity_spans(["B-LOC", None, "E-LOC", "S-PER"], "BIOES") == [("PER", 3, 4)]
    assert entity_spans(["I-PER", "I-PER", "B-PER"], "IOB1") == [("PER", 0, 2), ("PER", 2, 3)]
