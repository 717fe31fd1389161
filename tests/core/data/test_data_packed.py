"""Packed sentences (token-id arrays) give back exactly the sentences packed, and a pool held packed
behaves as one held as objects."""
import pickle

import numpy as np
import pytest

from multitag.annotation.pool import Annotation, Pool
from multitag.data.packed import PackedSentences, packed, packed_corpus
from multitag.data.sentence import Corpus, Sentence

SENTENCES = [
    Sentence(("John", "lives", "in", "New", "York"), ("B-PER", "O", "O", "B-LOC", "I-LOC"),
             ("NNP", "VBZ", "IN", "NNP", "NNP"), id="train:0", line=1),
    Sentence(("O", "in", "York"), (None, "O", None), id="train:1", line=8, rejected=((2, 3, "PER"),)),
    Sentence(("é", "ß", "日本"), None, ("X", "X", "X"), id=None, line=None),
    Sentence(("lives",), ("O",), id="train:3", line=20),
]


def _fields(s: Sentence):
    return (s.tokens, s.tags, s.pos, s.id, s.line, s.rejected)


def test_made_sentences_equal_the_packed_ones_in_every_field():
    p = PackedSentences(SENTENCES)
    assert len(p) == 4 and p.n_tokens == 12
    assert [_fields(s) for s in p] == [_fields(s) for s in SENTENCES]
    assert _fields(p[-1]) == _fields(SENTENCES[-1])
    # one string table: "York", "in" and "lives" are stored once, tags and POS tags too
    assert len(p.strings) == len(set(t for s in SENTENCES for t in s.tokens + (s.pos or ()) + s.tags if t))
    assert p.token_ids.dtype == np.int32 and p.token_ids.shape == (12,)
    with pytest.raises(IndexError):
        p[4]


def test_subsets_slices_and_the_unlabeled_view():
    p = PackedSentences(SENTENCES)
    sub = p.subset([3, 1, 1])
    assert [_fields(s) for s in sub] == [_fields(SENTENCES[i]) for i in (3, 1, 1)]
    assert [_fields(s) for s in p[1:3]] == [_fields(s) for s in SENTENCES[1:3]]
    text = p.unlabeled()
    assert [_fields(s) for s in text] == [_fields(s.unlabeled()) for s in SENTENCES]
    assert text.token_ids is p.token_ids   # the text is shared, not copied
    assert not text.has_tags and p.has_tags
    assert packed(p, tags=False).token_ids is p.token_ids and packed(p) is p


def test_a_packed_corpus_answers_as_a_tuple_corpus():
    plain, held = Corpus(SENTENCES, name="train"), packed_corpus(SENTENCES, name="train")
    assert isinstance(held.storage, PackedSentences)
    assert held.labels() == plain.labels() and held.n_tokens == plain.n_tokens
    assert held.has_pos == plain.has_pos is False
    assert list(held.subset([2, 0])) == list(plain.subset([2, 0]))
    assert isinstance(held[1:].storage, PackedSentences) and list(held[1:]) == list(plain[1:])
    with_pos = packed_corpus([SENTENCES[0], SENTENCES[2]])
    assert with_pos.has_pos


def test_packed_sentences_pickle_as_arrays():
    p = PackedSentences(SENTENCES)
    q = pickle.loads(pickle.dumps(p))
    assert [_fields(s) for s in q] == [_fields(s) for s in SENTENCES]


def test_a_compacted_subset_holds_only_its_own_strings_and_the_same_sentences():
    p = PackedSentences(SENTENCES)
    for idx in ([3, 1], [2], [0, 2, 3], []):
        sub = p.subset(idx)
        small = sub.compact()
        assert [_fields(s) for s in small] == [_fields(SENTENCES[i]) for i in idx]
        own = {t for i in idx for t in SENTENCES[i].tokens + (SENTENCES[i].pos or ()) + SENTENCES[i].tags if t}
        assert set(small.strings) == own and len(small.strings) == len(own)
        assert [_fields(s) for s in pickle.loads(pickle.dumps(small))] == [_fields(s) for s in small]
    # what a shard ships: its own strings, not the whole pool's table
    pool = PackedSentences([Sentence((f"w{k}", f"v{k}"), None) for k in range(2000)])
    assert len(pickle.dumps(pool.subset([5]).compact())) * 20 < len(pickle.dumps(pool.subset([5])))


def test_a_pool_holds_its_text_packed_and_its_reveals_flat():
    pool = Pool(SENTENCES)
    assert isinstance(pool.sentences, PackedSentences)
    assert [_fields(s) for s in pool.sentences] == [_fields(s.unlabeled()) for s in SENTENCES]
    assert pool.index == {"train:0": 0, "train:1": 1, "train:3": 3}
    pool.reveal([Annotation(0, (3, 4), ("B-LOC", "I-LOC")), Annotation(3, (0,), ("O",))], iteration=2)
    pool.reveal([Annotation(0, (3, 0), ("B-PER", "B-PER"))], iteration=5)   # token 3 keeps its first answer
    assert pool.tags(0) == ("B-PER", None, None, "B-LOC", "I-LOC")
    assert pool.revealed_at[0].tolist() == [5, -1, -1, 2, 2]
    assert pool.revealed_at[1].tolist() == [-1, -1, -1]
    assert pool.revealed_counts().tolist() == [3, 0, 0, 1]
    labeled = pool.labeled()
    assert [s.id for s in labeled] == ["train:0", "train:3"]
    assert labeled[0].tags == ("B-PER", None, None, "B-LOC", "I-LOC") and labeled[1].tags == ("O",)
    # the gold tags and rejections of the input never reach the pool
    pool.reject(1, 0, 1, "LOC")
    assert pool.labeled([1])[0].rejected == ((0, 1, "LOC"),) and pool.labeled([1])[0].tags == (None,) * 3


def test_a_pool_from_a_packed_corpus_shares_its_text():
    corpus = packed_corpus(SENTENCES)
    pool = Pool(corpus.storage)
    assert pool.sentences.token_ids is corpus.storage.token_ids
    assert list(pool.sentences) == [s.unlabeled() for s in SENTENCES]
