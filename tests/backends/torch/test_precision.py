"""Mixed precision of the torch taggers (bf16 / fp16 autocast on the CPU) and the float32 parts."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from multitag.errors import MultitagError
from multitag.testing import SYNTHETIC_LABELS, check_predictions, synthetic_corpus
from multitag_torch import precision as P
from multitag_torch.crf import CRF
from multitag_torch.taggers import BiLSTMTagger, CNNBiLSTMCRFTagger, CNNCNNLSTMTagger

from support.torch_tiny import FAST, TINY
ALL = list(TINY)
#: why this machine's torch cannot run a bf16 LSTM on the CPU (oneDNN needs CPU support), or None;
#: where it cannot, every tagger (each has an LSTM) must refuse bf16 in one line instead
NO_BF16_LSTM = P._probe("cpu", "bf16", True)
REFUSED = "precision 'bf16' is not supported on cpu for LSTM networks by torch .*use 'fp16' or 'fp32'"


def _fit(cls, **kw):
    return cls(labels=SYNTHETIC_LABELS, seed=0, **{**TINY[cls], **FAST, "max_epochs": 5, **kw}).fit(synthetic_corpus(60))


def _not_bf16(m: np.ndarray) -> float:
    """Share of the values of ``m`` that bfloat16 cannot hold (about 0 for a bf16 computation)."""
    t = torch.from_numpy(np.ascontiguousarray(m, dtype=np.float32))
    return float((t.bfloat16().float() != t).float().mean())


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_bf16_inference_gives_the_fp32_labels_with_float32_marginals(cls):
    tagger = _fit(cls)
    test = [s.unlabeled() for s in synthetic_corpus(200, seed=1)]
    fp32 = tagger.predict(test)
    tagger.set_params(precision="bf16")
    if NO_BF16_LSTM is not None:
        with pytest.raises(MultitagError, match=REFUSED):
            tagger.predict(test)
        return
    bf16 = tagger.predict(test)
    check_predictions(tagger, test, bf16)
    words = [(a == b) for x, y in zip(fp32, bf16) for a, b in zip(x.tags, y.tags)]
    assert len(words) > 1000 and np.mean(words) >= 0.995
    m16 = np.concatenate([p.marginals for p in bf16])
    m32 = np.concatenate([p.marginals for p in fp32])
    assert m16.dtype == np.float32
    assert not np.array_equal(m16, m32), "bf16 changed nothing: autocast did not run"
    assert np.abs(m16 - m32).max() < 0.05
    assert _not_bf16(m16) > 0.5, "the marginals were computed in bf16, not in float32"
    samples = tagger.sample(test[:20], n_samples=3, mode=cls.mc_modes[-1])
    assert all(s.dtype == np.float32 and np.allclose(s.sum(-1), 1, atol=1e-5) for s in samples)


@pytest.mark.parametrize("cls", [CNNBiLSTMCRFTagger, CNNCNNLSTMTagger], ids=lambda c: c.__name__)
def test_bf16_training_runs_on_the_cpu(cls, monkeypatch):
    scalers = []
    real = P.grad_scaler

    def spy(p, device):
        scalers.append(real(p, device))
        return scalers[-1]

    monkeypatch.setattr(P, "grad_scaler", spy)
    if NO_BF16_LSTM is not None:
        with pytest.raises(MultitagError, match=REFUSED):
            _fit(cls, precision="bf16")
        return
    tagger = _fit(cls, precision="bf16")
    assert all(np.isfinite(e["loss"]) for e in tagger.history_.epochs)
    assert tagger.history_.epochs[-1]["loss"] < tagger.history_.epochs[0]["loss"]
    test = [s.unlabeled() for s in synthetic_corpus(10, seed=1)]
    check_predictions(tagger, test, tagger.predict(test))
    assert [s.is_enabled() for s in scalers] == [False]  # bf16 needs no loss scaling
    assert all(p.dtype == torch.float32 for p in tagger.net_.parameters())


def test_fp16_on_the_cpu_is_refused_clearly_for_the_lstm_taggers():
    """torch 2.13 autocasts fp16 on the CPU, but oneDNN has no fp16 LSTM: a clear error before any
    training, not a oneDNN failure in the middle of a fit."""
    err = P._probe("cpu", "fp16", True)
    if err is None:  # a CPU whose oneDNN has fp16 LSTMs: then fp16 training must simply work
        tagger = _fit(BiLSTMTagger, precision="fp16")
        assert np.isfinite(tagger.history_.epochs[-1]["loss"])
        return
    t = BiLSTMTagger(labels=SYNTHETIC_LABELS, precision="fp16", **TINY[BiLSTMTagger], **FAST)
    with pytest.raises(MultitagError, match="'fp16' is not supported on cpu for LSTM networks.*use 'bf16' or 'fp32'"):
        t.check()
    with pytest.raises(MultitagError, match="fp16"):
        t.fit(synthetic_corpus(5))


def test_precision_values():
    assert P.resolve("auto", "cpu") == "fp32"
    assert P.resolve("bf16", "cpu") == "bf16"
    assert P.resolve("fp16", "cpu") == "fp16"  # torch 2.13 autocasts linear layers in fp16 on the CPU
    with pytest.raises(MultitagError, match="precision must be one of"):
        BiLSTMTagger(labels=SYNTHETIC_LABELS, precision="fp8").check()
    BiLSTMTagger(labels=SYNTHETIC_LABELS, precision="auto").check()


def test_a_precision_torch_refuses_is_a_clear_error(monkeypatch):
    P._probe.cache_clear()
    monkeypatch.setattr(P, "_probe", lambda device_type, name, lstm=False: "no kernel for BFloat16" if name == "bf16" else None)
    with pytest.raises(MultitagError, match="'bf16' is not supported on cpu.*use 'fp16' or 'fp32'"):
        BiLSTMTagger(labels=SYNTHETIC_LABELS, precision="bf16").check()


def test_the_crf_computes_in_float32_under_autocast():
    torch.manual_seed(0)
    crf = CRF(5)
    em = torch.randn(3, 6, 5).bfloat16()
    mask = torch.ones(3, 6, dtype=torch.bool)
    mask[1, 4:] = False
    with torch.autocast("cpu", dtype=torch.bfloat16):
        margs = crf.marginals(em, mask)
        paths, lp, m2 = crf.decode(em, mask)
        loss = crf.partial_nll(em, torch.zeros(3, 6, dtype=torch.long), mask)
    assert margs.dtype == m2.dtype == lp.dtype == loss.dtype == torch.float32
    ref = crf.marginals(em.float(), mask)
    assert torch.allclose(margs, ref, atol=1e-6)
