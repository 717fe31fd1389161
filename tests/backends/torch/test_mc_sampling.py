"""MC dropout of the torch taggers: the ``last`` mode runs the encoder once, samples are real."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from multitag.testing import SYNTHETIC_LABELS, synthetic_corpus
from multitag_torch.layers import GreedyTagDecoder
from multitag_torch.taggers import BiLSTMTagger, CNNBiLSTMCRFTagger

from support.torch_tiny import FAST
from support.torch_tiny import TINY as _ALL

TINY = {cls: size for cls, size in _ALL.items() if cls is not CNNBiLSTMCRFTagger}


def _encoder_of(net):
    """The last encoder layer: the word CNN of cnn-cnn-lstm, the BiLSTM of the others."""
    return getattr(net, "word_cnn", None) or net.lstm


@pytest.mark.parametrize("cls", list(TINY), ids=lambda c: c.__name__)
def test_last_mode_runs_the_encoder_once_and_all_mode_per_sample(cls):
    t = cls(labels=SYNTHETIC_LABELS, seed=0, predict_batch_size=8, max_epochs=2, **TINY[cls], **FAST)
    t.fit(synthetic_corpus(20))
    sents = [s.unlabeled() for s in synthetic_corpus(30, seed=4)]
    rows = []
    handle = _encoder_of(t.net_).register_forward_hook(lambda m, inp, out: rows.append(out.shape[0]))
    try:
        t.predict(sents)
        assert sum(rows) == len(sents)
        rows.clear()
        last = t.sample(sents, n_samples=6, mode="last")
        assert sum(rows) == len(sents), "sample(last) must run the encoder once per sentence"
        rows.clear()
        t.sample(sents, n_samples=6, mode="all")
        assert sum(rows) == 6 * len(sents)
    finally:
        handle.remove()
    # real MC samples: they differ between passes and their mean is near the deterministic marginals
    preds = t.predict(sents)
    assert all(s.shape == (6, len(x), len(SYNTHETIC_LABELS)) for s, x in zip(last, sents))
    assert sum(not np.allclose(s[0], s[1]) for s in last) > len(sents) // 2
    big = t.sample(sents, n_samples=200, mode="last")
    if cls is BiLSTMTagger:  # a softmax layer: the mean of the samples is close to the prediction
        err = np.mean([np.abs(b.mean(0) - p.marginals).mean() for b, p in zip(big, preds)])
        assert err < 0.05


def test_the_greedy_decoder_step_matches_torchs_lstm():
    """The hand-written decoder step (encoder projection hoisted out of the loop) computes what
    nn.LSTM computes: with every previous tag known, greedy decoding equals teacher forcing."""
    torch.manual_seed(0)
    dec = GreedyTagDecoder(enc_dim=10, n_labels=5, hidden=8, tag_dim=4, dropout=0.3).eval()
    enc = torch.randn(3, 7, 10)
    tags = torch.randint(0, 5, (3, 7))
    with torch.no_grad():
        forced = dec.teacher_forced(enc, tags)
        stepped, _, _ = dec.greedy(enc, tags)
        free, preds, hidden = dec.greedy(enc, want_hidden=True)
        tiled, tiled_preds, _ = dec.greedy(enc, n=4)
    assert torch.allclose(forced, stepped, atol=1e-5)
    assert hidden.shape == (3, 7, 8)
    # n passes: rows k*B .. (k+1)*B-1 are pass k; without dropout every pass is the plain decode
    assert tiled.shape == (12, 7, 5)
    for k in range(4):
        assert torch.allclose(tiled[3 * k:3 * (k + 1)], free, atol=1e-6)
        assert torch.equal(tiled_preds[3 * k:3 * (k + 1)], preds)
