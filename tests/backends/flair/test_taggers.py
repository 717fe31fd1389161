import itertools
import os

import numpy as np
import pytest
import torch

from multitag.data.sentence import Corpus, Sentence
from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, check_backend, synthetic_corpus
from multitag_flair.tagger import ElmoBiLSTMCRFTagger, FlairBiLSTMCRFTagger, to_flair

TINY = dict(hidden_size=16, batch_size=8, max_epochs=3, fasttext_dim=16, fasttext_epochs=2, char_dim=8, char_hidden=8)


def _word_file(path, dim=8, seed=0):
    """A tiny random word2vec text file over the synthetic vocabulary."""
    words = sorted({t for s in synthetic_corpus(60) for t in s.tokens})
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        f.write(f"{len(words)} {dim}\n")
        for w in words:
            f.write(w + " " + " ".join(f"{x:.4f}" for x in rng.normal(size=dim)) + "\n")
    return str(path)


def test_flair_bilstm_crf_conformance():
    check_backend(lambda *, labels, seed: FlairBiLSTMCRFTagger(
        labels=labels, seed=seed, embeddings=["word:train:fasttext", "char"], **TINY))


def test_elmo_bilstm_crf_conformance(elmo_fixture, tmp_path):
    words = _word_file(tmp_path / "vec.txt")
    opts, weights = os.path.join(elmo_fixture, "options.json"), os.path.join(elmo_fixture, "lm_weights.hdf5")
    check_backend(lambda *, labels, seed: ElmoBiLSTMCRFTagger(
        labels=labels, seed=seed, elmo_options=opts, elmo_weights=weights, embeddings=[f"word:{words}"], **TINY))


@pytest.fixture(scope="module")
def fitted():
    tagger = FlairBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, seed=3, embeddings=["word:train:fasttext", "char"], **TINY)
    return tagger.fit(synthetic_corpus(30))


def test_marginals_and_logprob_match_brute_force(fitted):
    sent = Sentence(["John", "visited", "New", "York"])
    pred = fitted.predict([sent])[0]
    with torch.no_grad():
        em, tr, st, en, mask, _ = fitted._scores(fitted.model_, [to_flair(sent)])
    em, tr, st, en = (x.detach().double() for x in (em[0], tr, st, en))
    L = len(SYNTHETIC_LABELS)
    scores = {}
    for path in itertools.product(range(L), repeat=4):
        s = st[path[0]] + en[path[-1]] + sum(em[t, y] for t, y in enumerate(path))
        s = s + sum(tr[a, b] for a, b in zip(path, path[1:]))
        scores[path] = float(s)
    log_z = np.logaddexp.reduce(list(scores.values()))
    margs = np.zeros((4, L))
    for path, s in scores.items():
        for t, y in enumerate(path):
            margs[t, y] += np.exp(s - log_z)
    best = max(scores, key=scores.get)
    assert np.allclose(pred.marginals, margs, atol=1e-5)
    assert pred.tags == [SYNTHETIC_LABELS[y] for y in best]
    assert abs(pred.logprob - (scores[best] - log_z)) < 1e-4


def test_hidden_is_the_input_of_the_final_linear_layer(fitted):
    sent = synthetic_corpus(3, seed=9)[0]
    pred = fitted.predict([sent], hidden=True)[0]
    assert pred.hidden.shape == (len(sent), 2 * fitted.hidden_size)
    lin = fitted.model_.linear
    with torch.no_grad():
        em = lin(torch.from_numpy(pred.hidden))[:, : len(SYNTHETIC_LABELS)]
        em2 = fitted._scores(fitted.model_, [to_flair(sent)])[0][0]
    assert torch.allclose(em, em2, atol=1e-5)


def test_unannotated_tokens_carry_no_loss():
    """Training where only the first token of each sentence is known must not learn the hidden tags."""
    train = synthetic_corpus(40)
    known_first = Corpus([s.with_tags([s.tags[0]] + [None] * (len(s) - 1)) for s in train])
    ones = Corpus([s.with_tags(["O"] + [None] * (len(s) - 1)) for s in train])
    a = FlairBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, seed=0, embeddings=["char"], **TINY).fit(ones)
    b = FlairBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, seed=0, embeddings=["char"], **TINY).fit(known_first)
    assert a.history_.train_loss != b.history_.train_loss
    # the loss of a sentence with no known tag is exactly zero: a corpus of such sentences leaves
    # the model untouched
    none = Corpus([s.unlabeled().with_tags(["O"] + [None] * (len(s) - 1)) if i == 0 else s.unlabeled()
                   for i, s in enumerate(train)])
    c = FlairBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, seed=0, embeddings=["char"], **TINY).fit(none)
    assert all(loss < 10 for loss in c.history_.train_loss), c.history_.train_loss


def test_mc_modes_sample_only_their_dropouts(fitted):
    sents = synthetic_corpus(6, seed=4)
    with pytest.raises(MultitagError):
        fitted.sample(sents, n_samples=2, mode="last")
    no_word = FlairBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, seed=0, embeddings=["char"], word_dropout=0.0, **TINY)
    no_word.fit(synthetic_corpus(10))
    with pytest.raises(MultitagError, match="word_dropout"):
        no_word.sample(sents, n_samples=2, mode="word")
    a = fitted.sample(sents, n_samples=2, mode="locked")
    b = fitted.sample(sents, n_samples=2, mode="locked")
    assert all(np.array_equal(x, y) for x, y in zip(a, b)), "samples are seeded"


def test_bad_embedding_specs():
    tagger = FlairBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, embeddings=["glove"], **TINY)
    with pytest.raises(MultitagError, match="unknown embedding"):
        tagger.fit(synthetic_corpus(5))
    tagger = FlairBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, embeddings=["word:/no/such/file.txt"], **TINY)
    with pytest.raises(MultitagError, match="does not exist"):
        tagger.fit(synthetic_corpus(5))
    with pytest.raises(MultitagError, match="elmo_options"):
        ElmoBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, **TINY).fit(synthetic_corpus(5))


def test_pretrain_lm_command_and_flair_lm_embeddings(tmp_path):
    from click.testing import CliRunner

    from multitag_flair.cli import pretrain_lm

    text = tmp_path / "pool.txt"
    text.write_text("\n".join(" ".join(s.tokens) for s in synthetic_corpus(400, seed=7)) + "\n")
    out = tmp_path / "lm"
    res = CliRunner().invoke(pretrain_lm, ["--text", str(text), "--out", str(out), "--hidden-size", "8",
                                           "--epochs", "1", "--sequence-length", "20", "--batch-size", "8"])
    assert res.exit_code == 0, res.output
    fwd, bwd = out / "forward" / "best-lm.pt", out / "backward" / "best-lm.pt"
    assert fwd.is_file() and bwd.is_file()
    tagger = FlairBiLSTMCRFTagger(labels=SYNTHETIC_LABELS, embeddings=[f"flair-lm:{fwd},{bwd}"], **{**TINY, "max_epochs": 1})
    tagger.fit(synthetic_corpus(10))
    test = synthetic_corpus(3, seed=8)
    preds = tagger.predict(test)
    assert [len(p.tags) for p in preds] == [len(s) for s in test]
    # saved and loaded without the language-model files (their weights are in the saved state)
    import shutil

    import multitag

    tagger.save(str(tmp_path / "tagger"))
    shutil.rmtree(out / "forward")
    shutil.rmtree(out / "backward")
    loaded = multitag.load(str(tmp_path / "tagger"))
    for p, q in zip(loaded.predict(test), preds):
        assert p.tags == q.tags and np.allclose(p.marginals, q.marginals, atol=1e-6)
    bad = CliRunner().invoke(pretrain_lm, ["--text", str(tmp_path / "missing"), "--out", str(out)])
    assert bad.exit_code != 0 and "no such file" in bad.output


def test_presets_build_taggers_and_import_no_torch(monkeypatch, elmo_fixture):
    import subprocess
    import sys

    from multitag import registry
    from multitag_flair.presets import elmo_bilstm_crf, flair_bilstm_crf

    opts = os.path.join(elmo_fixture, "options.json")
    monkeypatch.setenv("MULTITAG_ELMO_OPTIONS", opts)
    monkeypatch.setenv("MULTITAG_ELMO_WEIGHTS", "w.hdf5")
    with registry.registered("test-flair", flair_bilstm_crf), registry.registered("test-elmo", elmo_bilstm_crf):
        t = registry.create("test-flair", labels=["O", "B-X"], seed=1, hidden_size=8)
        assert isinstance(t, FlairBiLSTMCRFTagger) and t.hidden_size == 8 and t.seed == 1
        e = registry.create("test-elmo", labels=["O"], seed=0)
        assert isinstance(e, ElmoBiLSTMCRFTagger) and e.elmo_options == opts and e.elmo_weights == "w.hdf5"
        with pytest.raises(MultitagError):
            registry.create("test-flair", labels=["O"], no_such_param=1)
    code = "import sys, multitag_flair.presets, multitag_flair.cli; assert 'torch' not in sys.modules and 'flair' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ})
