"""Rejections ("not type X at these tokens") in the torch taggers: the constrained CRF against
brute-force enumeration over the allowed paths, the allowed sets built from sentences, and a
tagger trained with a rejection giving that type less probability there."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from multitag.data.allowed import allowed_labels
from multitag.data.sentence import Corpus, Sentence
from multitag.errors import MultitagError
from multitag_torch import crf as C
from multitag_torch.batching import Encoder
from multitag_torch.taggers import BiLSTMTagger, CNNBiLSTMCRFTagger
from multitag_torch.vocab import Vocabulary

from support.torch_tiny import FAST, TINY

IOB2 = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]


def _potentials(L, seed, T=3):
    g = torch.Generator().manual_seed(seed)
    em = torch.randn(1, T, L, generator=g, dtype=torch.float64) * 2
    tr, st, en = (torch.randn(*s, generator=g, dtype=torch.float64) for s in ((L, L), (L,), (L,)))
    return em, tr, st, en


def _score(em, tr, st, en, path):
    s = st[path[0]] + en[path[-1]]
    for t, y in enumerate(path):
        s = s + em[t, y] + (tr[path[t - 1], y] if t else 0)
    return s


def _brute(em, tr, st, en, allowed):
    """(log Z over every path, log Z over the allowed paths, marginals (T, L) of the allowed paths)."""
    T, L = em.shape
    paths = list(itertools.product(range(L), repeat=T))
    scores = torch.stack([_score(em, tr, st, en, p) for p in paths])
    ok = [k for k, p in enumerate(paths) if all(allowed[t, y] for t, y in enumerate(p))]
    log_z_ok = torch.logsumexp(scores[ok], 0)
    marg = torch.zeros(T, L, dtype=em.dtype)
    for k in ok:
        for t, y in enumerate(paths[k]):
            marg[t, y] += torch.exp(scores[k] - log_z_ok)
    return torch.logsumexp(scores, 0), log_z_ok, marg


@pytest.mark.parametrize("L,seed", [(3, 0), (4, 1), (5, 2), (5, 3)])
def test_constrained_partition_and_marginals_match_enumeration(L, seed):
    em, tr, st, en = _potentials(L, seed)
    mask = torch.ones(1, 3, dtype=torch.bool)
    rng = np.random.default_rng(seed)
    allowed = rng.random((3, L)) < 0.6
    allowed[np.arange(3), rng.integers(0, L, 3)] = True    # every position keeps a label
    allowed[1] = True                                       # an unknown token
    allowed[2] = False
    allowed[2, 1] = True                                    # a revealed token
    a = torch.from_numpy(allowed).unsqueeze(0)
    log_z, log_z_ok, marg = _brute(em[0], tr, st, en, allowed)
    assert torch.allclose(C.log_partition(em, tr, st, en, mask, allowed=a)[0], log_z_ok)
    assert torch.allclose(C.marginals(em, tr, st, en, mask, allowed=a)[0], marg, atol=1e-9)
    assert torch.all(C.marginals(em, tr, st, en, mask, allowed=a)[0][~a[0]] == 0)
    tags = torch.full((1, 3), -1, dtype=torch.long)
    tags[0, 2] = 1
    assert torch.allclose(C.partial_nll(em, tags, tr, st, en, mask, allowed=a)[0], log_z - log_z_ok)
    # unconstrained marginals are not the constrained ones (the test above can fail)
    assert not torch.allclose(C.marginals(em, tr, st, en, mask)[0], marg, atol=1e-3)


def test_known_tag_intersects_allowed_and_padding_is_ignored():
    em, tr, st, en = _potentials(3, 7, T=4)
    mask = torch.tensor([[True, True, True, False]])
    allowed = torch.ones(1, 4, 3, dtype=torch.bool)
    allowed[0, 0, 2] = False
    allowed[0, 3] = False                     # padding: whatever it says must not matter
    tags = torch.tensor([[-1, 2, -1, -1]])
    want = torch.ones(3, 3, dtype=torch.bool)
    want[0, 2] = False
    want[1] = torch.tensor([False, False, True])
    log_z, log_z_ok, _ = _brute(em[0, :3], tr, st, en, want.numpy())
    got = C.partial_nll(em, tags, tr, st, en, mask, allowed=allowed)[0]
    assert torch.allclose(got, log_z - log_z_ok)


def test_allowed_labels_iob2_and_bioes():
    s = Sentence(["Paris", "Hilton", "sings", "here"], [None, None, "O", None], rejected=[(0, 2, "LOC")])
    a = allowed_labels(s, IOB2)
    assert a[:2].tolist() == [[True, False, False, True, True]] * 2
    assert a[2].tolist() == [True, False, False, False, False]
    assert a[3].all()
    bioes = ["O", "B-PER", "E-PER", "I-PER", "S-PER", "S-LOC"]
    b = allowed_labels(Sentence(["Ann", "x"], [None, "S-PER"], rejected=[(0, 2, "PER")]), bioes)
    assert b[0].tolist() == [True, False, False, False, False, True]
    assert b[1].tolist() == [False, False, False, False, True, False]   # a revealed tag wins


def test_sentence_keeps_rejections_through_with_tags_only():
    s = Sentence(["a", "b"], rejected=[(0, 1, "LOC")], id="s")
    assert s.with_tags(["O", None]).rejected == ((0, 1, "LOC"),)
    assert s.unlabeled().rejected == ()
    with pytest.raises(MultitagError, match="outside"):
        Sentence(["a"], rejected=[(0, 2, "LOC")])


def test_encoder_builds_allowed_only_when_a_sentence_has_rejections():
    words = Vocabulary(["paris", "sings"])
    chars = Vocabulary(list("Parisng"))
    enc = Encoder(words, chars, IOB2)
    plain = [Sentence(["Paris", "sings"], ["B-LOC", None])]
    assert enc(plain, with_tags=True).allowed is None
    batch = enc(plain + [Sentence(["Paris"], rejected=[(0, 1, "LOC")])], with_tags=True)
    assert batch.allowed.shape == (2, 2, 5)
    assert batch.allowed[1, 0].tolist() == [True, False, False, True, True]
    assert batch.allowed[1, 1].all()                     # padding allows everything


def _corpus():
    """Paris is a city in every training sentence; the model carries that to the probe sentence."""
    return [Sentence([["Ann", "Bob", "Eve"][k % 3], "visited", "Paris", "today"], ["B-PER", "O", "B-LOC", "O"],
                     id=f"t{k}") for k in range(12)]


@pytest.mark.parametrize("cls", [CNNBiLSTMCRFTagger, BiLSTMTagger], ids=lambda c: c.__name__)
def test_a_rejection_lowers_the_rejected_label_there(cls):
    probe = Sentence(["Paris", "Hilton", "sings"], id="probe")
    loc = [j for j, lab in enumerate(IOB2) if lab.endswith("-LOC")]

    def p_loc(rejected):
        extra = Sentence(probe.tokens, rejected=rejected, id="probe")
        tagger = cls(labels=IOB2, seed=0, max_epochs=30, **{**TINY[cls], **FAST})
        tagger.fit(Corpus(_corpus() + [extra]))
        return float(tagger.predict([probe])[0].marginals[0, loc].sum())

    without, with_rejection = p_loc(()), p_loc([(0, 1, "LOC")])
    assert without > 0.5                 # the model learnt Paris = LOC
    assert with_rejection < 0.5 * without, (without, with_rejection)
    assert cls.learns_from_rejections
