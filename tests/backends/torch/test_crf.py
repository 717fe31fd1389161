"""The CRF layer against brute-force enumeration of every tag sequence."""
from __future__ import annotations

import itertools

import pytest
import torch

from multitag_torch import crf as C


def _random(B=3, T=4, L=3, seed=0, dtype=torch.float64, lengths=(4, 2, 1)):
    g = torch.Generator().manual_seed(seed)
    em = torch.randn(B, T, L, generator=g, dtype=dtype) * 2
    tr = torch.randn(L, L, generator=g, dtype=dtype)
    st = torch.randn(L, generator=g, dtype=dtype)
    en = torch.randn(L, generator=g, dtype=dtype)
    mask = torch.zeros(B, T, dtype=torch.bool)
    for b, n in enumerate(lengths):
        mask[b, :n] = True
    return em, tr, st, en, mask


def _score(em, tr, st, en, path):
    s = st[path[0]] + en[path[-1]]
    for t, y in enumerate(path):
        s = s + em[t, y]
        if t:
            s = s + tr[path[t - 1], y]
    return s


def _brute(em, tr, st, en, n, known=None):
    """(log Z, marginals (n, L), best path, best score, log Z over paths agreeing with ``known``)."""
    L = em.shape[-1]
    paths = list(itertools.product(range(L), repeat=n))
    scores = torch.stack([_score(em[:n], tr, st, en, p) for p in paths])
    log_z = torch.logsumexp(scores, 0)
    probs = torch.exp(scores - log_z)
    marg = torch.zeros(n, L, dtype=em.dtype)
    for p, pr in zip(paths, probs):
        for t, y in enumerate(p):
            marg[t, y] += pr
    best = int(torch.argmax(scores))
    ok = [i for i, p in enumerate(paths) if known is None or all(k < 0 or k == y for k, y in zip(known, p))]
    log_z_known = torch.logsumexp(scores[ok], 0)
    return log_z, marg, list(paths[best]), scores[best], log_z_known


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_log_partition_marginals_viterbi_match_enumeration(seed):
    lengths = (4, 2, 1)
    em, tr, st, en, mask = _random(seed=seed, lengths=lengths)
    # garbage in padded positions must not matter
    em = em.masked_fill(~mask.unsqueeze(2), 50.0)
    log_z = C.log_partition(em, tr, st, en, mask)
    marg = C.marginals(em, tr, st, en, mask)
    paths, best = C.viterbi(em, tr, st, en, mask)
    for b, n in enumerate(lengths):
        bz, bm, bpath, bscore, _ = _brute(em[b], tr, st, en, n)
        assert abs(float(log_z[b] - bz)) < 1e-5
        assert torch.allclose(marg[b, :n], bm, atol=1e-5)
        assert paths[b, :n].tolist() == bpath
        assert paths[b, n:].eq(0).all()
        assert abs(float(best[b] - bscore)) < 1e-5
        # the score function agrees with the enumeration's score of the best path
        ps = C.path_score(em, paths, tr, st, en, mask)
        assert abs(float(ps[b] - bscore)) < 1e-5


def test_float32_batch_matches_single_sentences():
    em, tr, st, en, mask = _random(B=4, T=6, L=5, dtype=torch.float32, lengths=(6, 3, 5, 1))
    m = C.marginals(em, tr, st, en, mask)
    p, s = C.viterbi(em, tr, st, en, mask)
    z = C.log_partition(em, tr, st, en, mask)
    for b, n in enumerate((6, 3, 5, 1)):
        sl = slice(b, b + 1)
        one = torch.ones(1, n, dtype=torch.bool)
        assert torch.allclose(C.marginals(em[sl, :n], tr, st, en, one)[0], m[b, :n], atol=1e-5)
        assert C.viterbi(em[sl, :n], tr, st, en, one)[0][0].tolist() == p[b, :n].tolist()
        assert torch.allclose(C.log_partition(em[sl, :n], tr, st, en, one), z[b:b + 1], atol=1e-5)
    assert torch.allclose(m[mask].sum(-1), torch.ones(int(mask.sum())), atol=1e-5)


def test_partial_nll_full_none_and_partial():
    lengths = (4, 3, 1)
    em, tr, st, en, mask = _random(seed=5, lengths=lengths)
    g = torch.Generator().manual_seed(3)
    gold = torch.randint(0, 3, (3, 4), generator=g)
    full = C.partial_nll(em, gold, tr, st, en, mask)
    assert torch.allclose(full, C.nll(em, gold, tr, st, en, mask), atol=1e-10)
    # against enumeration: -log P(gold)
    for b, n in enumerate(lengths):
        bz = _brute(em[b], tr, st, en, n)[0]
        assert abs(float(full[b] - (bz - _score(em[b, :n], tr, st, en, gold[b, :n].tolist())))) < 1e-5
    none = torch.full_like(gold, -1)
    assert torch.allclose(C.partial_nll(em, none, tr, st, en, mask), torch.zeros(3, dtype=em.dtype), atol=1e-10)
    part = gold.clone()
    part[0, 1] = -1
    part[0, 3] = -1
    part[1, 0] = -1
    pn = C.partial_nll(em, part, tr, st, en, mask)
    for b, n in enumerate(lengths):
        bz, _, _, _, bk = _brute(em[b], tr, st, en, n, known=part[b, :n].tolist())
        assert abs(float(pn[b] - (bz - bk))) < 1e-5
    assert (pn <= full + 1e-9).all() and (pn >= -1e-9).all()
    # padded positions may hold any tag value
    junk = part.masked_fill(~mask, 2)
    assert torch.allclose(C.partial_nll(em, junk, tr, st, en, mask), pn)


def test_gradcheck_double():
    em, tr, st, en, mask = _random(B=2, T=3, L=3, lengths=(3, 2))
    tags = torch.tensor([[0, -1, 2], [1, 2, -1]])
    inputs = tuple(x.clone().requires_grad_(True) for x in (em, tr, st, en))
    assert torch.autograd.gradcheck(lambda e, t, s, n: C.partial_nll(e, tags, t, s, n, mask), inputs)
    assert torch.autograd.gradcheck(lambda e, t, s, n: C.log_partition(e, t, s, n, mask), inputs)
    assert torch.autograd.gradcheck(lambda e, t, s, n: C.marginals(e, t, s, n, mask)[mask], inputs)


def test_gradient_of_log_z_is_the_marginals():
    em, tr, st, en, mask = _random(seed=4)
    em.requires_grad_(True)
    C.log_partition(em, tr, st, en, mask).sum().backward()
    m = C.marginals(em.detach(), tr, st, en, mask)
    assert torch.allclose(em.grad[mask], m[mask], atol=1e-8)


def test_module_decode_and_training_step():
    torch.manual_seed(0)
    crf = C.CRF(4)
    assert {n for n, _ in crf.named_parameters()} == {"transitions", "start", "end"}
    em = torch.randn(2, 5, 4)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=torch.bool)
    paths, logp, marg = crf.decode(em, mask)
    assert torch.equal(paths, crf.viterbi(em, mask)[0])
    assert (logp <= 0).all()
    # P(best path) cannot exceed the marginal of any label on it
    on_path = marg.gather(2, paths.unsqueeze(2)).squeeze(2)
    assert (logp.exp().unsqueeze(1) <= on_path + 1e-6)[mask].all()
    tags = torch.tensor([[0, 1, 2, 3, 0], [3, -1, 1, 0, 0]])
    loss = crf(em, tags, mask).sum()
    loss.backward()
    assert crf.transitions.grad is not None and crf.transitions.grad.abs().sum() > 0


def test_forward_backward_log_z_matches_log_partition():
    em, tr, st, en, mask = _random(seed=7)
    m, z = C.forward_backward(em, tr, st, en, mask)
    assert torch.allclose(z, C.log_partition(em, tr, st, en, mask), atol=1e-10)
    assert torch.allclose(m, C.marginals(em, tr, st, en, mask))
