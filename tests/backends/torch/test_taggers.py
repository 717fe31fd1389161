"""The four torch taggers: conformance, learning a synthetic task, embeddings, MC dropout."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from multitag.data.sentence import Corpus
from multitag.errors import MultitagError
from multitag.evaluation import evaluate
from multitag.testing import SYNTHETIC_LABELS, check_backend, synthetic_corpus
from multitag_torch.taggers import BiLSTMEncDecTagger, BiLSTMTagger, CNNBiLSTMCRFTagger, CNNCNNLSTMTagger

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from support.torch_tiny import FAST, TINY
ALL = list(TINY)


def tiny(cls, **kw):
    return lambda *, labels, seed: cls(labels=labels, seed=seed, **{**TINY[cls], **FAST, **kw})


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_check_backend(cls):
    check_backend(tiny(cls, max_epochs=4))


def _unambiguous(corpus):
    """Sentences without two adjacent PER tokens: ``Smith Peter`` is one two-token PER or two PERs at
    random in the synthetic task, so no tagger can get them right."""
    keep = []
    for s in corpus:
        bad = any(a.endswith("PER") and b.endswith("PER") for a, b in zip(s.tags, s.tags[1:]))
        if not bad:
            keep.append(s)
    return Corpus(keep)


@pytest.mark.parametrize("cls,extra", [
    (CNNBiLSTMCRFTagger, dict(max_epochs=25, patience=10)),
    (CNNCNNLSTMTagger, dict(max_epochs=40, patience=10, dropout=0.1, unk_replace=0.1)),
    (BiLSTMTagger, dict(max_epochs=25, patience=10, dropout=0.2)),
    (BiLSTMEncDecTagger, dict(max_epochs=40, patience=10, dropout=0.1)),
], ids=lambda x: x.__name__ if isinstance(x, type) else "")
def test_learns_synthetic_task(cls, extra):
    train = synthetic_corpus(80, seed=0)
    test = _unambiguous(synthetic_corpus(40, seed=1))
    assert len(test) >= 25
    tagger = tiny(cls, **extra)(labels=SYNTHETIC_LABELS, seed=0).fit(train)
    pred = tagger.predict([s.unlabeled() for s in test])
    f1 = evaluate([list(s.tags) for s in test], [p.tags for p in pred])["f1"]
    assert f1 == 1.0, f"{cls.__name__} reached F1 {f1}"
    assert tagger.predict_tags(test) == [p.tags for p in pred]


def test_word2vec_text_file_is_loaded(tmp_path):
    rng = np.random.default_rng(0)
    words = ["paris", "london", "the", "0000"]
    vecs = rng.normal(size=(len(words), 6)).astype(np.float32)
    path = tmp_path / "vec.txt"
    with open(path, "w") as f:
        f.write(f"{len(words)} 6\n")
        for w, v in zip(words, vecs):
            f.write(w + " " + " ".join(f"{x:.6f}" for x in v) + "\n")
    glove = tmp_path / "glove.txt"  # GloVe: no header line
    glove.write_text("".join(line for line in open(path).readlines()[1:]))
    from gensim.models import KeyedVectors
    kv = KeyedVectors(6)
    kv.add_vectors(words, vecs)
    binary = tmp_path / "vec.bin"
    kv.save_word2vec_format(str(binary), binary=True)
    for p in (path, glove, binary):
        t = CNNBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, seed=0, freeze_embeddings=True,
                               **{**TINY[CNNBiLSTMCRFTagger], **FAST, "max_epochs": 1, "embeddings": str(p)})
        t.fit(synthetic_corpus(10))
        emb = t.net_.rep.embed.weight.detach().numpy()
        assert emb.shape[1] == 6  # the file's dimension wins over word_dim
        for w, v in zip(words, vecs):
            assert np.allclose(emb[t.words_.index(w)], v, atol=1e-5), w
        # "Paris" normalises to "paris"; a digit string to zeros; words of the training data that the
        # file lacks get their own (random) rows
        assert t.words_.index("Paris".lower()) == t.words_.index("paris")
        assert t.words_.index("monday") not in (0, 1)


def test_missing_embeddings_file_is_a_clear_error(tmp_path):
    t = BiLSTMTagger(labels=SYNTHETIC_LABELS, embeddings=str(tmp_path / "nope.vec"), **TINY[BiLSTMTagger])
    with pytest.raises(MultitagError, match="does not exist"):
        t.fit(synthetic_corpus(5))


@pytest.mark.parametrize("kind", ["fasttext", "word2vec"])
def test_trained_vectors_use_pool_text(kind):
    pool = synthetic_corpus(30, seed=9, prefix="pool")
    t = BiLSTMTagger(labels=SYNTHETIC_LABELS, seed=0, **{**TINY[BiLSTMTagger], **FAST, "embeddings": f"train:{kind}"},
                     max_epochs=1)
    t.observe_unlabeled([s.unlabeled() for s in pool])
    t.fit(synthetic_corpus(5, seed=3))
    t2 = t.clone().observe_unlabeled([s.unlabeled() for s in pool]).fit(synthetic_corpus(5, seed=3))
    w1 = t.net_.rep.embed.weight.detach()
    assert torch.equal(w1, t2.net_.rep.embed.weight.detach())  # seeded
    vocab = set(t.words_.itos)
    assert {normal for s in pool for normal in (tok.lower() for tok in s.tokens)} <= vocab


def test_sample_leaves_eval_mode_after_an_exception(monkeypatch):
    t = tiny(CNNBiLSTMCRFTagger, max_epochs=1)(labels=SYNTHETIC_LABELS, seed=0).fit(synthetic_corpus(10))
    sents = synthetic_corpus(3, seed=4)

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(t.net_.crf, "marginals", boom)
    with pytest.raises(RuntimeError):
        t.sample(sents, n_samples=2, mode="all")
    assert not any(m.training for m in t.net_.modules())


def test_mc_modes_select_the_right_modules():
    t = tiny(CNNBiLSTMCRFTagger, max_epochs=1)(labels=SYNTHETIC_LABELS, seed=0).fit(synthetic_corpus(10))
    from multitag_torch.mc_dropout import Dropout, LockedDropout, WordDropout
    assert {type(m) for m in t.net_.mc_modules("word")} == {WordDropout}
    assert {type(m) for m in t.net_.mc_modules("locked")} == {LockedDropout}
    assert {type(m) for m in t.net_.mc_modules("all")} == {WordDropout, LockedDropout, Dropout}
    sents = synthetic_corpus(6, seed=4)
    # word-mode samples differ from each other; samples in the same seed are reproducible
    a = t.sample(sents, n_samples=4, mode="word")
    b = t.sample(sents, n_samples=4, mode="word")
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_partial_labels_change_the_crf_loss_not_the_full_one():
    """A sentence with no known tag contributes no gradient; a fully tagged one does."""
    t = tiny(CNNBiLSTMCRFTagger, max_epochs=1)(labels=SYNTHETIC_LABELS, seed=0).fit(synthetic_corpus(10))
    s = synthetic_corpus(1, seed=7)[0]
    enc = t._encoder()
    none = enc([s.with_tags([None] * len(s))], with_tags=True)
    full = enc([s], with_tags=True)
    t.net_.eval()
    with torch.no_grad():
        assert float(t.net_.loss(none)) == pytest.approx(0.0, abs=1e-5)
        assert float(t.net_.loss(full)) > 0.0


def test_unfitted_and_bad_mode_errors():
    t = BiLSTMTagger(labels=SYNTHETIC_LABELS)
    with pytest.raises(MultitagError, match="not fitted"):
        t.predict(synthetic_corpus(1))
    with pytest.raises(MultitagError, match="no MC-dropout mode"):
        t.sample(synthetic_corpus(1), n_samples=2, mode="word")


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_empty_sentence_between_others(cls):
    from multitag.data.sentence import Sentence
    t = tiny(cls, max_epochs=1)(labels=SYNTHETIC_LABELS, seed=0).fit(synthetic_corpus(8))
    sents = [Sentence(["John", "visited", "Paris"]), Sentence([]), Sentence(["Google"])]
    preds = t.predict(sents, hidden=True)
    assert [len(p.tags) for p in preds] == [3, 0, 1]
    assert preds[1].marginals.shape == (0, len(SYNTHETIC_LABELS)) and preds[1].logprob == 0.0
    assert preds[1].hidden.shape[1] == preds[0].hidden.shape[1]
    samples = t.sample(sents, n_samples=2, mode=cls.mc_modes[-1])
    assert [s.shape for s in samples] == [(2, 3, 7), (2, 0, 7), (2, 1, 7)]


@pytest.mark.parametrize("bad,match", [
    (dict(embeddings="/no/such/vectors.txt"), "does not exist"),
    (dict(embeddings="train:glove"), "train:fasttext"),
    (dict(optimizer="rmsprop"), "optimizer"),
    (dict(batch_size=0), "batch_size"),
    (dict(dropout=1.0), "dropout"),
])
def test_check_rejects_bad_configurations_without_training(bad, match):
    t = BiLSTMTagger(labels=SYNTHETIC_LABELS, **bad)
    with pytest.raises(MultitagError, match=match):
        t.check()
    BiLSTMTagger(labels=SYNTHETIC_LABELS, embeddings="train:fasttext").check()  # a good one passes


def test_the_default_embeddings_are_fasttext_vectors_trained_on_the_pool():
    from multitag_torch import embeddings as E
    from multitag_torch.vocab import normalize

    assert all(cls(labels=SYNTHETIC_LABELS).embeddings == "train:fasttext" for cls in ALL)
    pool = [s.unlabeled() for s in synthetic_corpus(30, seed=9, prefix="pool")]
    train = synthetic_corpus(5, seed=3)
    kw = {k: v for k, v in FAST.items() if k != "embeddings"}
    t = BiLSTMTagger(labels=SYNTHETIC_LABELS, seed=0, **TINY[BiLSTMTagger], **kw, max_epochs=1)
    t.observe_unlabeled(pool).fit(train)
    seen = {tuple(s.tokens) for s in pool}
    words, vectors = E.train_vectors("fasttext", [tuple(s.tokens) for s in pool] +
                                     [tuple(s.tokens) for s in train if tuple(s.tokens) not in seen],
                                     dim=TINY[BiLSTMTagger]["word_dim"], seed=0)
    pool_only = {normalize(w) for s in pool for w in s.tokens} - {normalize(w) for s in train for w in s.tokens}
    assert pool_only
    emb = t.net_.rep.embed.weight.detach().numpy()
    for w in pool_only:  # never trained on, so still the FastText vector
        assert np.allclose(emb[t.words_.index(w)], vectors[words.index(w)], atol=1e-6), w
