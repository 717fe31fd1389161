"""Curves from hand-made records: tokens to 95%/99% of the full-data F1 read off the mean curve."""
import pytest

from multitag.experiments.records import IterationRecord, ReferenceRecord
from multitag.report.summary import curves


def rec(seed, iteration, f1, x):
    return IterationRecord(
        role="acquisition", backend="crf", strategy="mnlp", seed=seed, successors=[], level="sentence",
        training_mode="auto", initial="random", model="crf", iteration=iteration, tokens_annotated=1,
        tokens_fraction=x, sentences_annotated=1, entities_annotated=0, estimated_seconds=0.0, train_sentences=1,
        valid_sentences=0, precision=0.0, recall=0.0, f1=f1, per_type={}, train_seconds=0.0, eval_seconds=0.0)


def reference(f1):
    return ReferenceRecord(model="crf", seed=0, tokens_annotated=10, tokens_fraction=1.0, precision=0, recall=0,
                           f1=f1, train_seconds=0.0)


RUN = [rec(0, 0, 0.5, 0.1), rec(0, 1, 0.7, 0.2), rec(0, 2, 0.78, 0.3),
       rec(1, 0, 0.5, 0.1), rec(1, 1, 0.8, 0.2), rec(1, 2, 0.8, 0.3)]


def test_tokens_to_reach_is_the_first_mean_point_at_the_share_of_the_full_data_f1():
    (c,) = curves(RUN + [reference(0.8)])
    # mean F1 0.5, 0.75, 0.79: 95% of 0.8 (0.76) first at x=0.3; 99% (0.792) never
    assert c.reach == {"95%": pytest.approx(0.3), "99%": None}


def test_a_full_data_f1_of_zero_gives_no_target():
    (c,) = curves(RUN + [reference(0.0)])
    assert c.reference_f1 == 0.0 and c.reach == {}
