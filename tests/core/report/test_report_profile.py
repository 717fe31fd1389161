"""Selection profiles on a hand-made pool with three documents: lengths, entity-type mix and
documents touched, computed by hand; the seed set left out; sub-sentence levels count only what
was revealed."""
import pytest

from multitag.data.dataset import load_dataset
from multitag.experiments.records import IterationRecord
from multitag.report.profile import document_index, pool_profile, selection_profiles


def rec(strategy, seed, iteration, *, level="sentence", selected=None, selected_tokens=None, initial=None, role="acquisition"):
    return IterationRecord(
        role=role, backend="count", strategy=strategy, seed=seed, successors=[], level=level, training_mode="auto",
        initial="random", model="count", iteration=iteration, tokens_annotated=1, tokens_fraction=0.1,
        sentences_annotated=1, entities_annotated=0, estimated_seconds=0.0, train_sentences=1, valid_sentences=0,
        precision=0.0, recall=0.0, f1=0.0, per_type={}, train_seconds=0.0, eval_seconds=0.0, selected=selected,
        selected_tokens=selected_tokens, initial_selected=initial)


@pytest.fixture
def pool(docs_data):
    ds = load_dataset(docs_data)
    return list(ds.train), ds.scheme, docs_data + "/train.txt"


def test_documents_come_from_the_docstart_lines_of_the_file(pool):
    sentences, _, path = pool
    assert [s.id for s in sentences] == [f"train:{i}" for i in range(6)]
    assert document_index(path, sentences) == {"train:0": 1, "train:1": 1, "train:2": 2,
                                               "train:3": 2, "train:4": 3, "train:5": 3}


def test_no_docstart_no_documents(tmp_path, pool):
    sentences, _, _ = pool
    f = tmp_path / "plain.txt"
    f.write_text("a O\n\nb O\n")
    assert document_index(str(f), sentences) is None
    assert document_index(str(tmp_path / "missing.txt"), sentences) is None


def test_the_pool_profile(pool):
    sentences, scheme, path = pool
    p = pool_profile(sentences, scheme, document_index(path, sentences))
    assert (p.n_sentences, p.n_tokens, p.n_documents) == (6, 17, 3)
    assert list(p.lengths) == [3, 4, 4, 3, 2, 1]
    assert p.entity_mix == pytest.approx({"LOC": 3 / 7, "ORG": 2 / 7, "PER": 2 / 7})
    assert p.entities_per_100_tokens == pytest.approx(700 / 17)
    assert p.length.mean == pytest.approx(17 / 6) and p.length.p50 == 3


def test_a_sentence_level_profile_over_seeds_without_the_seed_set(pool):
    sentences, scheme, path = pool
    s = [x.id for x in sentences]
    records = [
        rec("a", 0, 0, selected=[s[2]], initial=[s[4]]), rec("a", 0, 1, selected=[s[3]]), rec("a", 0, 2),
        rec("a", 1, 0, selected=[s[0], s[5]], initial=[s[1]]), rec("a", 1, 1),
        rec("a", 1, 0, selected=[s[1]], role="successor"),       # a successor's record chooses nothing
    ]
    (p,) = selection_profiles(records, sentences, scheme, document_index(path, sentences))
    assert p.name == "count / a" and p.seeds == 2
    assert p.sentences == 2 and p.tokens == pytest.approx(5.5)
    assert sorted(p.lengths) == [1, 3, 3, 4]
    assert p.entity_mix == pytest.approx({"LOC": 1 / 3, "ORG": 1 / 3, "PER": 1 / 3})
    assert p.entities_per_100_tokens == pytest.approx(600 / 11)
    assert p.per_seed_documents == [1, 2] and p.documents == 1.5 and p.documents_std == 0.5


def test_below_sentence_level_only_revealed_entities_count(pool):
    sentences, scheme, _ = pool
    s = [x.id for x in sentences]
    records = [rec("bt", 0, 0, level="entity", selected=[s[3], s[2]],
                   selected_tokens=[[s[3], [2]], [s[2], [0]]])]          # Rome, and the first ORG of s2
    (p,) = selection_profiles(records, sentences, scheme, None)
    assert p.name == "count / bt / entity"
    assert p.entity_mix == pytest.approx({"LOC": 0.5, "ORG": 0.5})        # not John's PER, not Acme's ORG
    assert p.tokens == 2 and p.sentences == 2 and sorted(p.lengths) == [3, 4]
    assert p.entities_per_100_tokens == pytest.approx(100.0)
    assert p.documents is None


def test_many_entity_types_show_the_pools_most_frequent_and_sum_the_rest():
    import numpy as np

    from multitag.report import MIX_TYPES_SHOWN, _profile_blocks
    from multitag.report.document import Table
    from multitag.report.profile import LengthStats, PoolProfile, SelectionProfile

    n = MIX_TYPES_SHOWN + 3
    shares = {f"t{i:02d}": (n - i) / sum(range(1, n + 1)) for i in range(n)}     # t00 most frequent
    chosen = {t: 1 / n for t in shares}
    stats = LengthStats.of([3, 4])
    pool = PoolProfile(2, 7, np.array([3, 4]), stats, shares, 10.0, None)
    sel = SelectionProfile({"backend": "m", "strategy": "s"}, 1, 2, 7, np.array([3, 4]), stats, chosen, 10.0)
    mix = [b for b in _profile_blocks(pool, [sel], False) if isinstance(b, Table)][1]
    assert mix.header == ["selection"] + [f"t{i:02d}" for i in range(MIX_TYPES_SHOWN)] + ["3 other types"]
    rest_pool = sum(shares[f"t{i:02d}"] for i in range(MIX_TYPES_SHOWN, n))
    assert mix.rows[0][-1] == f"{rest_pool * 100:.1f}%" and mix.rows[1][-1] == f"{3 / n * 100:.1f}%"
