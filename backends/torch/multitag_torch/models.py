"""The four networks behind the torch taggers.

Every network offers the same methods to :class:`multitag_torch.base.TorchTagger`:

``loss(batch) -> (B,)``
    per-sentence training loss; tags ``-1`` (unknown) carry no loss, and with ``batch.allowed``
    (rejections) the loss is over the allowed labels: the CRF sums the probability of the allowed
    paths, the softmax and greedy decoders that of the allowed labels at each position.
``decode(batch, marginals, hidden, logprob) -> Decoded``
    best paths ``(B, T)``, per-token distributions ``(B, T, L)`` (or None), ``log P(path)`` ``(B,)``
    (zeros when neither marginals nor logprob are asked for and computing it costs extra: the CRF)
    and the input of the final linear layer ``(B, T, d)`` (or None).
``sample(batch, n, modules) -> (n, B, T, L)``
    per-token distributions of ``n`` stochastic passes with ``modules`` sampling; the part of the
    network before the first sampled module is computed once (for the ``last`` mode: the whole
    encoder; then only the last layer, or the greedy decoder, runs per sample).
``mc_modules(mode) -> list of modules``
``samples_after_encoder(modules) -> bool``
    whether sampling ``modules`` re-runs only what follows the encoder.

Under mixed precision (autocast), scores are cast to float32 before any softmax, log-softmax,
cross-entropy or CRF computation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .batching import Batch
from .crf import CRF
from .layers import BiLSTM, CharCNN, GreedyTagDecoder, WordCNN, WordRepresentation
from .mc_dropout import DROPOUT_TYPES, Dropout, LockedDropout, WordDropout, find_modules, sample_linear, sampling


@dataclass
class Decoded:
    paths: torch.Tensor            # (B, T) long
    probs: torch.Tensor | None     # (B, T, L)
    logprob: torch.Tensor          # (B,)
    hidden: torch.Tensor | None    # (B, T, d)


def _all_dropouts(net: nn.Module) -> list[nn.Module]:
    return find_modules(net, DROPOUT_TYPES)


def _softmax_decode(scores: torch.Tensor, mask: torch.Tensor, preds: torch.Tensor | None = None,
                    marginals: bool = True) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """Paths, distributions and ``sum_t log p_t(path_t)`` from per-step scores ``(B, T, L)``
    (computed in float32)."""
    logp = torch.log_softmax(scores.float(), dim=2)
    paths = logp.argmax(dim=2) if preds is None else preds
    on_path = logp.gather(2, paths.unsqueeze(2)).squeeze(2)
    logprob = (on_path * mask.to(logp.dtype)).sum(dim=1)
    return paths.masked_fill(~mask, 0), (logp.exp() if marginals else None), logprob


def _masked_ce(scores: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor,
               allowed: torch.Tensor | None = None) -> torch.Tensor:
    """Per-sentence summed cross-entropy over known (``>= 0``) real positions, ``(B,)``.

    With ``allowed`` ``(B, T, L)`` bool: ``-log sum_{j allowed} p_t(j)`` summed over the real
    positions (the cross-entropy where one label is allowed, 0 where every label is).
    """
    if allowed is not None:
        logp = torch.log_softmax(scores.float(), dim=2)
        kept = allowed & ((tags.unsqueeze(2) < 0) | (tags.unsqueeze(2) == torch.arange(logp.shape[2], device=tags.device)))
        nll = -torch.logsumexp(logp.masked_fill(~kept, float("-inf")), dim=2)  # (B, T)
        return nll.masked_fill(~mask, 0.0).sum(dim=1)
    known = (tags >= 0) & mask
    ce = F.cross_entropy(scores.float().transpose(1, 2), tags.clamp(min=0), reduction="none")  # (B, T)
    return (ce * known.to(ce.dtype)).sum(dim=1)


class _Net(nn.Module):
    def mc_modules(self, mode: str) -> list[nn.Module]:
        raise NotImplementedError

    def _last_dropout(self) -> nn.Module | None:
        """The dropout module of the ``last`` MC mode (None when the network has no such mode)."""
        return None

    def samples_after_encoder(self, modules: list[nn.Module]) -> bool:
        last = self._last_dropout()
        return last is not None and {id(m) for m in modules} <= {id(last)}

    def sample_batch_size(self, modules: list[nn.Module], n: int, predict_batch_size: int) -> int:
        """Sentences per batch of :meth:`sample`: what follows the first sampled module runs on
        ``n`` copies of the batch, so batches are smaller than for predict (a single-step LSTM
        decoder over many thousand rows is slower per row on the CPU, too)."""
        return max(8, (4 * predict_batch_size) // max(n, 4))

    def _split(self, batch: Batch, modules: list[nn.Module]):
        """(stage-1 output computed once, function of it giving (B', T, L) distributions)."""
        raise NotImplementedError

    def sample(self, batch: Batch, n: int, modules: list[nn.Module]) -> torch.Tensor:
        B = len(batch.lengths)
        with sampling(modules):
            first, second = self._split(batch, set(map(id, modules)))
            tiled = first.repeat(n, *([1] * (first.dim() - 1)))
            probs = second(tiled, batch.repeat(n))
        return probs.reshape(n, B, *probs.shape[1:])


class CNNBiLSTMCRFNet(_Net):
    """Character CNN + word embedding + capitalisation -> word dropout -> locked dropout -> BiLSTM
    -> locked dropout -> linear -> CRF (Shelmanov et al. 2021, section 3.2 / appendix C)."""

    def __init__(self, *, n_words: int, word_dim: int, pretrained: np.ndarray | None, freeze: bool, n_chars: int,
                 char_dim: int, char_filters: int, n_cases: int, case_dim: int, hidden: int, n_labels: int,
                 word_dropout: float, locked_dropout: float, char_dropout: float) -> None:
        super().__init__()
        cnn = CharCNN(n_chars, char_dim, char_filters, dropout=char_dropout) if char_filters > 0 else None
        self.rep = WordRepresentation(n_words, word_dim, pretrained=pretrained, freeze=freeze, char_cnn=cnn,
                                      n_cases=n_cases, case_dim=case_dim)
        self.word_dropout = WordDropout(word_dropout)
        self.locked_in = LockedDropout(locked_dropout)
        self.lstm = BiLSTM(self.rep.out_dim, hidden)
        self.locked_out = LockedDropout(locked_dropout)
        self.out = nn.Linear(self.lstm.out_dim, n_labels)
        self.crf = CRF(n_labels)
        self.hidden_dim = self.lstm.out_dim

    def mc_modules(self, mode: str) -> list[nn.Module]:
        if mode == "word":
            return [self.word_dropout]
        if mode == "locked":
            return [self.locked_in, self.locked_out]
        return _all_dropouts(self)

    def _features(self, rep: torch.Tensor, batch: Batch) -> torch.Tensor:
        x = self.locked_in(self.word_dropout(rep))
        return self.locked_out(self.lstm(x, batch.lengths))

    def loss(self, batch: Batch) -> torch.Tensor:
        em = self.out(self._features(self.rep(batch), batch))
        return self.crf.partial_nll(em, batch.tags, batch.mask, batch.allowed)  # the CRF computes in float32

    def decode(self, batch: Batch, marginals: bool = True, hidden: bool = False, logprob: bool = True) -> Decoded:
        h = self._features(self.rep(batch), batch)
        em = self.out(h).float()
        if not (marginals or logprob):  # Viterbi alone
            paths, _ = self.crf.viterbi(em, batch.mask)
            return Decoded(paths, None, em.new_zeros(em.shape[0]), h if hidden else None)
        paths, lp, probs = self.crf.decode(em, batch.mask, with_marginals=marginals)
        return Decoded(paths, probs, lp.clamp(max=0.0), h if hidden else None)

    def _split(self, batch: Batch, ids: set):
        inside = any(id(m) in ids for m in self.rep.modules())
        if inside:  # the character CNN samples too: recompute everything per pass
            first = batch.words.new_zeros(len(batch.lengths), 1)

            def second(_, b):
                return self.crf.marginals(self.out(self._features(self.rep(b), b)), b.mask)
            return first, second
        rep = self.rep(batch)
        return rep, lambda r, b: self.crf.marginals(self.out(self._features(r, b)), b.mask)


class _GreedyMixin:
    """Loss and decoding for networks ending in a :class:`GreedyTagDecoder` ``self.decoder`` with an
    encoder ``self.encode(batch) -> (B, T, D)``."""

    def loss(self, batch: Batch) -> torch.Tensor:
        enc = self.encode(batch)
        known_all = bool(((batch.tags >= 0) | ~batch.mask).all())
        if known_all:
            scores = self.decoder.teacher_forced(enc, batch.tags)
        else:
            scores, _, _ = self.decoder.greedy(enc, batch.tags)
        return _masked_ce(scores, batch.tags, batch.mask, batch.allowed)

    def decode(self, batch: Batch, marginals: bool = True, hidden: bool = False, logprob: bool = True) -> Decoded:
        scores, preds, h = self.decoder.greedy(self.encode(batch), want_hidden=hidden)
        paths, probs, logprob = _softmax_decode(scores, batch.mask, preds, marginals)
        return Decoded(paths, probs, logprob, h)

    def sample_batch_size(self, modules: list[nn.Module], n: int, predict_batch_size: int) -> int:
        if self.samples_after_encoder(modules):  # the decoder runs over n x B rows: about 1000 is good
            return max(8, (16 * predict_batch_size) // max(n, 1))
        return super().sample_batch_size(modules, n, predict_batch_size)

    def sample(self, batch: Batch, n: int, modules: list[nn.Module]) -> torch.Tensor:
        """For the ``last`` mode: the encoder once, then ``n`` greedy decoder passes with the
        decoder's dropout sampling (one batched decoder run over ``n`` x B rows)."""
        if not self.samples_after_encoder(modules):
            return super().sample(batch, n, modules)
        enc = self.encode(batch)
        with sampling(modules):
            scores = self.decoder.greedy(enc, n=n)[0]            # (n B, T, L)
        probs = torch.softmax(scores.float(), dim=2)
        return probs.reshape(n, len(batch.lengths), *probs.shape[1:])

    def _split(self, batch: Batch, ids: set):
        if ids <= {id(self.decoder.dropout)}:
            enc = self.encode(batch)
            return enc, lambda e, b: torch.softmax(self.decoder.greedy(e)[0].float(), dim=2)
        first = batch.words.new_zeros(len(batch.lengths), 1)
        return first, lambda _, b: torch.softmax(self.decoder.greedy(self.encode(b))[0].float(), dim=2)


class CNNCNNLSTMNet(_GreedyMixin, _Net):
    """Residual character CNN + word embedding (words -> UNK with probability ``unk_replace`` in
    training) -> word CNN (output concatenated with its input) -> greedy LSTM tag decoder
    (Shen et al. 2017, section 2)."""

    def __init__(self, *, n_words: int, word_dim: int, pretrained: np.ndarray | None, freeze: bool, n_chars: int,
                 char_dim: int, char_filters: int, char_layers: int, cnn_filters: int, cnn_layers: int,
                 decoder_hidden: int, tag_dim: int, n_labels: int, dropout: float, unk_replace: float) -> None:
        super().__init__()
        cnn = CharCNN(n_chars, char_dim, char_filters, layers=char_layers, residual=True, dropout=dropout)
        self.rep = WordRepresentation(n_words, word_dim, pretrained=pretrained, freeze=freeze, char_cnn=cnn)
        self.unk_replace = unk_replace
        self.word_cnn = WordCNN(self.rep.out_dim, cnn_filters, 3, cnn_layers, dropout)
        self.decoder = GreedyTagDecoder(self.word_cnn.out_dim, n_labels, decoder_hidden, tag_dim, dropout)
        self.hidden_dim = decoder_hidden

    def mc_modules(self, mode: str) -> list[nn.Module]:
        return [self.decoder.dropout] if mode == "last" else _all_dropouts(self)

    def _last_dropout(self) -> nn.Module:
        return self.decoder.dropout

    def encode(self, batch: Batch) -> torch.Tensor:
        words = batch.words
        if self.training and self.unk_replace > 0:
            drop = torch.rand(words.shape, device=words.device) < self.unk_replace
            words = words.masked_fill(drop & (words != 0), 1)
        return self.word_cnn(self.rep(batch, words), batch.mask)


class BiLSTMNet(_Net):
    """Word embedding -> dropout -> BiLSTM -> dropout -> linear -> softmax (the BiLSTM tagger of
    Kim et al., W-BADGE paper section 5.2)."""

    def __init__(self, *, n_words: int, word_dim: int, pretrained: np.ndarray | None, freeze: bool, hidden: int,
                 n_labels: int, dropout: float) -> None:
        super().__init__()
        self.rep = WordRepresentation(n_words, word_dim, pretrained=pretrained, freeze=freeze)
        self.in_dropout = Dropout(dropout)
        self.lstm = BiLSTM(word_dim, hidden)
        self.dropout = Dropout(dropout)
        self.out = nn.Linear(self.lstm.out_dim, n_labels)
        self.hidden_dim = self.lstm.out_dim

    def mc_modules(self, mode: str) -> list[nn.Module]:
        return [self.dropout] if mode == "last" else _all_dropouts(self)

    def _last_dropout(self) -> nn.Module:
        return self.dropout

    def encode(self, batch: Batch) -> torch.Tensor:
        return self.lstm(self.in_dropout(self.rep(batch)), batch.lengths)

    def sample_batch_size(self, modules: list[nn.Module], n: int, predict_batch_size: int) -> int:
        if self.samples_after_encoder(modules):  # n masks over the real tokens of a predict-sized batch
            return max(8, (10 * predict_batch_size) // max(n, 10))
        return super().sample_batch_size(modules, n, predict_batch_size)

    def sample(self, batch: Batch, n: int, modules: list[nn.Module]) -> torch.Tensor:
        """For the ``last`` mode: the encoder once, then ``n`` dropout masks on the real tokens'
        states only (no padding, no tiled copy of the encoder output) and the output layer."""
        if not self.samples_after_encoder(modules):
            return super().sample(batch, n, modules)
        h = self.encode(batch)                                      # (B, T, D), encoder in eval mode
        real = h[batch.mask]                                        # (N, D)
        probs = torch.softmax(sample_linear(real, self.dropout.p, n, self.out).float(), dim=-1)  # (n, N, L)
        out = probs.new_zeros(n, *batch.mask.shape, probs.shape[-1])
        out[:, batch.mask] = probs
        return out

    def loss(self, batch: Batch) -> torch.Tensor:
        return _masked_ce(self.out(self.dropout(self.encode(batch))), batch.tags, batch.mask, batch.allowed)

    def decode(self, batch: Batch, marginals: bool = True, hidden: bool = False, logprob: bool = True) -> Decoded:
        h = self.dropout(self.encode(batch))
        paths, probs, logprob = _softmax_decode(self.out(h), batch.mask, None, marginals)
        return Decoded(paths, probs, logprob, h if hidden else None)

    def _split(self, batch: Batch, ids: set):
        if ids <= {id(self.dropout)}:
            return self.encode(batch), lambda e, b: torch.softmax(self.out(self.dropout(e)).float(), dim=2)
        first = batch.words.new_zeros(len(batch.lengths), 1)
        return first, lambda _, b: torch.softmax(self.out(self.dropout(self.encode(b))).float(), dim=2)


class BiLSTMEncDecNet(_GreedyMixin, _Net):
    """Word embedding -> dropout -> BiLSTM encoder -> dropout -> greedy LSTM tag decoder
    (the BiLSTM encoder-decoder of the W-BADGE paper, section 5.2)."""

    def __init__(self, *, n_words: int, word_dim: int, pretrained: np.ndarray | None, freeze: bool, hidden: int,
                 decoder_hidden: int, tag_dim: int, n_labels: int, dropout: float) -> None:
        super().__init__()
        self.rep = WordRepresentation(n_words, word_dim, pretrained=pretrained, freeze=freeze)
        self.in_dropout = Dropout(dropout)
        self.lstm = BiLSTM(word_dim, hidden)
        self.enc_dropout = Dropout(dropout)
        self.decoder = GreedyTagDecoder(self.lstm.out_dim, n_labels, decoder_hidden, tag_dim, dropout)
        self.hidden_dim = decoder_hidden

    def mc_modules(self, mode: str) -> list[nn.Module]:
        return [self.decoder.dropout] if mode == "last" else _all_dropouts(self)

    def _last_dropout(self) -> nn.Module:
        return self.decoder.dropout

    def encode(self, batch: Batch) -> torch.Tensor:
        return self.enc_dropout(self.lstm(self.in_dropout(self.rep(batch)), batch.lengths))
