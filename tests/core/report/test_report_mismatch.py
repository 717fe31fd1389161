"""The acquisition/successor mismatch table on hand-made records: AULCs read at the successor's
iterations, native and random sources, the gain kept, tokens to 95% of the full-data F1."""
import pytest

from multitag.experiments.records import IterationRecord, ReferenceRecord
from multitag.report.mismatch import NATIVE, RANDOM, mismatch_cells


def rec(role, backend, model, strategy, seed, iteration, f1, x):
    return IterationRecord(
        role=role, backend=backend, strategy=strategy, seed=seed, successors=[], level="sentence",
        training_mode="auto", initial="random", model=model, iteration=iteration, tokens_annotated=1,
        tokens_fraction=x, sentences_annotated=1, entities_annotated=0, estimated_seconds=0.0, train_sentences=1,
        valid_sentences=0, precision=0.0, recall=0.0, f1=f1, per_type={}, train_seconds=0.0, eval_seconds=0.0)


XS = [0.1, 0.2, 0.3]


def _curve(role, backend, model, strategy, f1s, seed=0, iterations=(0, 1, 2)):
    return [rec(role, backend, model, strategy, seed, it, f1s[k], XS[it]) for k, it in enumerate(iterations)]


@pytest.fixture
def records():
    r = []
    # bert chose for itself (native), at random, and crf chose for bert (bert as crf's successor)
    r += _curve("acquisition", "bert", "bert", "mnlp", [0.5, 0.7, 0.9])
    r += _curve("acquisition", "bert", "bert", "random", [0.5, 0.6, 0.7])
    r += _curve("acquisition", "crf", "crf", "mnlp", [0.4, 0.5, 0.6])
    r += _curve("successor", "crf", "bert", "mnlp", [0.5, 0.65, 0.8])
    # an iteration where the acquisition records exist but successors were not evaluated (every 2)
    r += [rec("acquisition", "crf", "crf", "mnlp", 0, 3, 0.6, 0.4), rec("acquisition", "bert", "bert", "mnlp", 0, 3, 0.95, 0.4),
          rec("acquisition", "bert", "bert", "random", 0, 3, 0.75, 0.4)]
    r.append(ReferenceRecord(model="bert", seed=0, tokens_annotated=10, tokens_fraction=1.0, precision=0, recall=0,
                             f1=0.8, train_seconds=0.0))
    return r


def test_gain_kept_is_the_share_of_the_native_gain_over_random(records):
    cells = {c.source: c for c in mismatch_cells(records)}
    assert set(cells) == {"crf", NATIVE, RANDOM}
    # trapezoid over x in [0.1, 0.3] divided by the range 0.2, at iterations 0..2 only (the successor's)
    native = (0.5 + 2 * 0.7 + 0.9) / 4
    rand = (0.5 + 2 * 0.6 + 0.7) / 4
    crf = (0.5 + 2 * 0.65 + 0.8) / 4
    assert cells[NATIVE].aulc == pytest.approx(native)
    assert cells[RANDOM].aulc == pytest.approx(rand)
    assert cells["crf"].aulc == pytest.approx(crf)
    assert cells["crf"].gain_kept == pytest.approx((crf - rand) / (native - rand))   # 0.5
    assert cells[NATIVE].gain_kept == pytest.approx(1.0) and cells[RANDOM].gain_kept is None
    # 95% of bert's full-data F1 (0.76): native reaches it at x=0.3; chosen by crf at 0.3 (0.8); random never
    assert cells[NATIVE].reach["95%"] == pytest.approx(0.3)
    assert cells["crf"].reach["95%"] == pytest.approx(0.3)
    assert cells[RANDOM].reach["95%"] is None


def test_a_pair_below_random_keeps_a_negative_gain(records):
    worse = [r for r in records if getattr(r, "role", None) != "successor"]
    worse += _curve("successor", "crf", "bert", "mnlp", [0.4, 0.5, 0.6])
    cells = {c.source: c for c in mismatch_cells(worse)}
    assert cells["crf"].gain_kept < 0


def test_no_gain_is_kept_when_the_native_choice_is_not_above_random(records):
    # bert's own choice falls below its random run: a ratio over that negative "gain" would call a
    # pair that is further below random a pair that keeps more than all of it
    below = [r for r in records if not (getattr(r, "role", None) == "acquisition" and r.strategy == "mnlp"
                                        and r.backend == "bert")]
    below += _curve("acquisition", "bert", "bert", "mnlp", [0.5, 0.55, 0.6])
    cells = {c.source: c for c in mismatch_cells(below)}
    assert cells[NATIVE].aulc < cells[RANDOM].aulc
    assert [cells[s].gain_kept for s in ("crf", NATIVE, RANDOM)] == [None, None, None]


def test_no_successors_no_table(records):
    assert mismatch_cells([r for r in records if getattr(r, "role", None) != "successor"]) == []


def test_a_successor_that_learned_nothing_on_the_whole_pool_has_no_target_to_reach(records):
    # full-data F1 0: "95% of 0" would be met at the first point of every curve
    zero = [r for r in records if not isinstance(r, ReferenceRecord)]
    zero.append(ReferenceRecord(model="bert", seed=0, tokens_annotated=10, tokens_fraction=1.0, precision=0,
                                recall=0, f1=0.0, train_seconds=0.0))
    cells = {c.source: c for c in mismatch_cells(zero)}
    assert all(c.reach == {} for c in cells.values())
    assert cells["crf"].gain_kept == pytest.approx(0.5)   # the AULCs do not depend on the reference
