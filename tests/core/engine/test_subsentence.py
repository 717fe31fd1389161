
import numpy as np
import pytest

from multitag.annotation.initial import initial_order, nnp_count, passes_nnp_filter
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
    order = initial_order("nnp", [one, NY, one, short], np.random.default_rng(0))
    assert set(order[:2].tolist()) == {1, 3} and set(order[2:].tolist()) == {0, 2}


def test_lm_initial_order_takes_the_smallest_margin_first():
    sents = [NY, NY, NY]
    order = initial_order("lm", sents, np.random.default_rng(0), lm_scorer=lambda s: np.array([0.5, 0.1, 0.9]))
    assert order.tolist() == [1, 0, 2]
    with pytest.raises(CompatibilityError):
        initial_order("lm", sents, np.random.default_rng(0))


def _run(tmp_path, data_dir, backend, **kw):
    base = dict(data=data_dir, backends=[backend], strategies=["bt"], seeds=[0], initial_size="10%",
                schedule="5%x3", valid="none")
    base.update(kw)
    out = tmp_path / ("o" + str(abs(hash(str(sorted(kw.items()))))))
    run_experiment(ExperimentConfig(**base), str(out), progress=False, report=False)
    return sorted(ResultsStore(str(out / "results.jsonl")).load(), key=lambda r: (r["level"], r["iteration"]))


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
    with pytest.raises(CompatibilityError, match="token-scoring"):
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
    from multitag.data.dataset import Dataset
    from multitag.experiments.budget import InitialSize
    from multitag.experiments.simulation import Protocol, RunSpec, Simulation

    data = Dataset(train=Corpus([NY]), dev=None, test=Corpus([NY]), scheme="IOB2")
    cost = CostModel(sentence=2.0, token_read=0.0, label=1.0)

    def seconds(level, annotations, queried):
        sim = Simulation(RunSpec("count", "bt", 0, level=level), Protocol(InitialSize(sentences=1), [1], cost=cost),
                         data, make_backend=lambda n, s: CountTagger(labels=["O", "B-LOC", "I-LOC"]),
                         on_iteration=lambda r: None)
        sim._reveal(annotations, 1, queried)
        return sim.seconds

    whole = Annotation(0, tuple(range(6)), NY.tags)
    assert seconds("sentence", [whole], None) == 2.0 + 1.0           # open the sentence, mark one entity
    entity = Annotation(0, (3, 4), ("B-LOC", "I-LOC"))
    assert seconds("entity", [entity], {0: {4}}) == 2.0 + 1.0         # "York" asked, one span decision
    york = Annotation(0, (4,), ("I-LOC",))
    assert seconds("token", [york], {0: {4}}) == 2.0 + 1.0            # the inside token alone is a decision
    o = Annotation(0, (1,), ("O",))
    assert seconds("token", [o], {0: {1}}) == 2.0 + 1.0               # so is an O
