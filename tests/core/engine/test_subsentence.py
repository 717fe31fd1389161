
import numpy as np
import pytest

from multitag.annotation.initial import NNPInitial, nnp_count, order_by_score, passes_nnp_filter
from multitag.annotation.oracle import SimulationOracle
from multitag.annotation.pool import Pool, Query
from multitag.annotation.training_modes import apply_mode, check_mode
from multitag.data.sentence import Corpus, Sentence
from multitag.errors import CompatibilityError
from multitag.experiments.config import ExperimentConfig
from multitag.experiments.results import ResultsStore
from multitag.experiments.runner import run_experiment

NY = Sentence(["He", "flew", "to", "New", "York", "today"], ["O", "O", "O", "B-LOC", "I-LOC", "O"],
              ["PRP", "VBD", "TO", "NNP", "NNP", "NN"], id="s0")


def test_entity_level_reveals_the_whole_entity():
    pool = Pool([NY])
    oracle = SimulationOracle([NY], widen_to_entities=True)
    ann = oracle.annotate([Query(0, (4,))])  # "York"
    assert ann[0].tokens == (3, 4) and ann[0].tags == ("B-LOC", "I-LOC")
    stats = pool.reveal(ann, iteration=1)
    assert stats.tokens == 2 and pool.tags(0) == (None, None, None, "B-LOC", "I-LOC", None)
    # a token outside any entity reveals that token alone
    assert oracle.annotate([Query(0, (1,))])[0].tokens == (1,)


def test_token_level_reveals_only_the_token():
    oracle = SimulationOracle([NY], widen_to_entities=False)
    ann = oracle.annotate([Query(0, (4,))])
    assert ann[0].tokens == (4,) and ann[0].tags == ("I-LOC",)


def test_pool_records_the_iteration_of_each_reveal():
    pool = Pool([NY])
    oracle = SimulationOracle([NY], widen_to_entities=True)
    pool.reveal(oracle.annotate([Query(0, (3,))]), iteration=2)
    pool.reveal(oracle.annotate([Query(0, (0, 3))]), iteration=5)  # token 3 was revealed before
    assert pool.revealed_at[0].tolist() == [5, -1, -1, 2, 2, -1]
    assert pool.n_revealed_tokens == 3


def test_mask_keeps_none_and_drop_removes_exactly_the_unannotated_tokens():
    partial = NY.with_tags([None, "O", None, "B-LOC", "I-LOC", None])
    masked = apply_mode(Corpus([partial]), "mask")[0]
    assert masked.tags == partial.tags and masked.tokens == NY.tokens
    dropped = apply_mode(Corpus([partial]), "drop")[0]
    assert dropped.tokens == ("flew", "New", "York") and dropped.tags == ("O", "B-LOC", "I-LOC")
    assert dropped.pos == ("VBD", "NNP", "NNP")
    # a sentence with nothing revealed disappears under drop
    assert len(apply_mode(Corpus([NY.unlabeled()]), "drop")) == 0


def test_entity_like_filling_uses_pos():
    s = Sentence(["Alice", "met", "Bob", "in", "Paris"], [None, None, None, "O", None],
                 ["NNP", "VBD", "NNP", "IN", "NNP"])
    filled = apply_mode(Corpus([s]), "mask-entity-like")[0]
    assert filled.tags == (None, "O", None, "O", None)
    dropped = apply_mode(Corpus([s]), "drop-entity-like")[0]
    assert dropped.tokens == ("met", "in") and dropped.tags == ("O", "O")


def test_mode_refusals():
    assert "partial labels" in check_mode("mask", partial_training=False, has_pos=True, backend="crf")
    assert "POS" in check_mode("drop-entity-like", partial_training=False, has_pos=False, backend="crf")
    assert check_mode("auto", partial_training=False, has_pos=False, backend="crf") is None
    assert check_mode("mask-entity-like", partial_training=True, has_pos=True, backend="x") is None


def test_nnp_threshold_on_hand_computed_sentences():
    # len 6 -> log 6 = 1.79: needs 2 NNPs; NY has 2 -> passes
    assert nnp_count(NY) == 2 and passes_nnp_filter(NY)
    one = Sentence(["Paris", "is", "big", "and", "old", "."], pos=["NNP", "VBZ", "JJ", "CC", "JJ", "."])
    assert not passes_nnp_filter(one)  # 1 < 1.79
    short = Sentence(["Paris", "!"], pos=["NNP", "."])
    assert passes_nnp_filter(short)    # 1 >= log 2 = 0.69
    single = Sentence(["yes"], pos=["UH"])
    assert passes_nnp_filter(single)   # 0 >= log 1 = 0
    order = NNPInitial().order([one, NY, one, short], np.random.default_rng(0))
    assert set(order[:2].tolist()) == {1, 3} and set(order[2:].tolist()) == {0, 2}
    with pytest.raises(CompatibilityError, match="POS"):
        NNPInitial().order([Sentence(["a"])], np.random.default_rng(0))


def test_score_order_takes_the_smallest_score_first_and_breaks_ties_with_the_rng():
    assert order_by_score(np.array([0.5, 0.1, 0.9]), np.random.default_rng(0)).tolist() == [1, 0, 2]
    ties = {tuple(order_by_score(np.zeros(4), np.random.default_rng(s)).tolist()) for s in range(20)}
    assert len(ties) > 1


def test_lm_initial_selection_needs_its_model_and_the_core_imports_no_backend():
    import subprocess
    import sys

    from multitag.annotation.initial import get_initial_selection

    with pytest.raises(CompatibilityError, match="--initial-lm"):
        get_initial_selection("lm").check()
    code = ("import sys, multitag, multitag.annotation.initial, multitag.loop, multitag.experiments.runner, multitag.cli; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers', 'flair', 'multitag_transformers', "
            "'multitag_torch', 'multitag_crf', 'multitag_flair', 'pycrfsuite', 'gensim')]; print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def _run(tmp_path, data_dir, backend, **kw):
    base = dict(data=data_dir, backends=[backend], strategies=["bt"], seeds=[0], initial_size="10%",
                schedule="5%x3", valid="none")
    base.update(kw)
    out = tmp_path / ("o" + str(abs(hash(str(sorted(kw.items()))))))
    run_experiment(ExperimentConfig(**base), str(out), progress=False)
    return sorted((r.to_json() for r in ResultsStore(str(out / "results.jsonl")).load()),
                  key=lambda r: (r["level"], r["iteration"]))


@pytest.mark.parametrize("level", ["entity", "token"])
def test_budget_accounting_at_sub_sentence_levels(tmp_path, data_dir, count_backend, level):
    recs = _run(tmp_path, data_dir, count_backend, levels=[level], training_modes=["mask"])
    for prev, nxt in zip(recs, recs[1:]):
        gained = nxt["tokens_annotated"] - prev["tokens_annotated"]
        assert gained >= prev["budget"]
        if level == "token":
            assert gained == prev["budget"], "token level reveals exactly the budget"
        else:
            assert gained < prev["budget"] + 3, "entity level overshoots by less than one entity"
        queried = sum(len(t) for _, t in prev["queried_tokens"])
        revealed = sum(len(t) for _, t in prev["selected_tokens"])
        assert revealed == gained and queried <= revealed
    assert recs[-1]["estimated_seconds"] > recs[0]["estimated_seconds"]


def test_masked_tokens_reach_a_partial_training_backend_as_none(tmp_path, data_dir):
    from multitag import registry
    from multitag.baseline import CountTagger

    seen = []

    class Spy(CountTagger):
        def fit(self, train, dev=None):
            seen.append([s.tags for s in train])
            return super().fit(train, dev)

    with registry.registered("spy", Spy):
        _run(tmp_path, data_dir, "spy", levels=["token"], training_modes=["mask"])
    last = seen[-1]
    assert any(t is None for tags in last for t in tags), "unannotated tokens must reach the backend as None"
    assert all(any(t is not None for t in tags) for tags in last), "only touched sentences are trained on"


def test_sub_sentence_levels_refuse_sentence_scoring_strategies(tmp_path, data_dir, count_backend):
    with pytest.raises(CompatibilityError, match="scores single tokens .*tlc.*not 'mnlp'"):
        _run(tmp_path, data_dir, count_backend, levels=["entity"], strategies=["mnlp"])


def test_mask_is_refused_for_a_backend_without_partial_training(tmp_path, data_dir):
    from multitag import registry
    from multitag.baseline import CountTagger

    class Full(CountTagger):
        partial_training = False

    with registry.registered("full", Full):
        with pytest.raises(CompatibilityError, match="partial labels"):
            _run(tmp_path, data_dir, "full", levels=["token"], training_modes=["mask"])
        recs = _run(tmp_path, data_dir, "full", levels=["token"], training_modes=["drop"])
        assert len(recs) == 4


def test_cost_model_counts_decisions_per_level():
    from multitag.annotation.cost import CostModel
    from multitag.annotation.pool import Annotation
    from multitag.baseline import CountTagger
    from multitag.loop import ActiveLearner
    from multitag.strategies import get_strategy

    cost = CostModel(sentence=2.0, token_read=0.0, label=1.0)

    def seconds(level, annotations):
        learner = ActiveLearner(Pool([NY]), CountTagger(labels=["O", "B-LOC", "I-LOC"]), get_strategy("bt"),
                                level=level, cost=cost)
        return learner.teach(annotations, 1).seconds

    whole = Annotation(0, tuple(range(6)), NY.tags)
    assert seconds("sentence", [whole]) == 2.0 + 1.0                            # open the sentence, mark one entity
    entity = Annotation(0, (3, 4), ("B-LOC", "I-LOC"), asked=(4,), unit="entity")
    assert seconds("entity", [entity]) == 2.0 + 1.0                              # "York" asked, one span decision
    york = Annotation(0, (4,), ("I-LOC",), asked=(4,), unit="token")
    assert seconds("token", [york]) == 2.0 + 1.0                                 # the inside token alone is a decision
    o = Annotation(0, (1,), ("O",), asked=(1,), unit="token")
    assert seconds("token", [o]) == 2.0 + 1.0                                    # so is an O
    # an O asked at entity level is a decision; tokens read are the +-2 window around what was revealed
    reading = ActiveLearner(Pool([NY]), CountTagger(labels=["O", "B-LOC", "I-LOC"]), get_strategy("bt"),
                            level="entity", cost=CostModel(sentence=0.0, token_read=1.0, label=0.0))
    assert reading.teach([Annotation(0, (0,), ("O",), asked=(0,), unit="entity")], 1).seconds == 3.0  # tokens 0-2


def test_entities_are_counted_with_the_one_span_function():
    from multitag.annotation.pool import Annotation
    from multitag.baseline import CountTagger
    from multitag.loop import ActiveLearner
    from multitag.strategies import get_strategy

    learner = ActiveLearner(Pool([NY]), CountTagger(labels=["O", "B-LOC", "I-LOC"]), get_strategy("bt"), level="token")
    # "York" alone is an inside tag without its entity: no entity span is annotated
    assert learner.teach([Annotation(0, (4,), ("I-LOC",), asked=(4,), unit="token")], 1).entities == 0
    assert learner.teach([Annotation(0, (3,), ("B-LOC",), asked=(3,), unit="token")], 2).entities == 1
    assert learner.totals.entities == 1 and learner.totals.tokens == 2
