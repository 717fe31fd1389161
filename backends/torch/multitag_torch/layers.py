"""Building blocks: word representation (word + character CNN + capitalisation), BiLSTM, word CNN,
greedy LSTM tag decoder."""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .batching import Batch
from .mc_dropout import Dropout


class CharCNN(nn.Module):
    """Character CNN with max-pooling over the characters of each word.

    ``layers=1, residual=False`` is the encoder of Ma and Hovy (2016) (dropout on the character
    embeddings, one convolution); ``residual=True`` with more layers is the encoder of Shen et al.
    (2017): ReLU, dropout and a residual connection around every convolution.

    Input ``chars (B, T, C)``; output ``(B, T, filters)``.
    """

    def __init__(self, n_chars: int, dim: int = 30, filters: int = 30, kernel: int = 3, layers: int = 1,
                 residual: bool = False, dropout: float = 0.5) -> None:
        super().__init__()
        self.embed = nn.Embedding(n_chars, dim, padding_idx=0)
        nn.init.uniform_(self.embed.weight, -math.sqrt(3 / dim), math.sqrt(3 / dim))
        self.input_dropout = Dropout(dropout)
        self.residual = residual
        convs, drops = [], []
        in_dim = filters if residual else dim  # residual: the embeddings are first projected to ``filters``
        for _ in range(layers):
            convs.append(nn.Conv1d(in_dim, filters, kernel, padding=kernel // 2))
            drops.append(Dropout(dropout))
            in_dim = filters
        self.convs = nn.ModuleList(convs)
        self.drops = nn.ModuleList(drops)
        self.out_dim = filters
        if residual and dim != filters:
            self.project = nn.Linear(dim, filters)
        else:
            self.project = None

    # words per convolution call: one call over a large prediction batch (tens of thousands of
    # words) is several times slower per word on the CPU than calls over chunks of this size
    chunk_words = 2048

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        B, T, C = chars.shape
        flat = chars.reshape(B * T, C)
        if flat.shape[0] > self.chunk_words:
            parts = [self._encode(flat[a:a + self.chunk_words]) for a in range(0, flat.shape[0], self.chunk_words)]
            return torch.cat(parts, dim=0).reshape(B, T, -1)
        return self._encode(flat).reshape(B, T, -1)

    def _encode(self, flat: torch.Tensor) -> torch.Tensor:
        """``(W, C)`` character indices of ``W`` words -> ``(W, filters)``."""
        cmask = (flat != 0).unsqueeze(1)  # (BT, 1, C)
        x = self.input_dropout(self.embed(flat)).transpose(1, 2)  # (BT, dim, C)
        if self.residual and self.project is not None:
            x = self.project(x.transpose(1, 2)).transpose(1, 2)
        for i, (conv, drop) in enumerate(zip(self.convs, self.drops)):
            h = conv(x * cmask)
            if self.residual:
                h = drop(torch.relu(h)) + x
            elif i < len(self.convs) - 1:
                h = drop(torch.relu(h))
            x = h
        x = x.masked_fill(~cmask, float("-inf")).max(dim=2).values
        return x.masked_fill(~cmask.any(dim=2), 0.0)  # padded words (no characters)


class WordRepresentation(nn.Module):
    """Concatenation of a word embedding, an optional character CNN and optional capitalisation
    embedding: ``batch -> (B, T, out_dim)``."""

    def __init__(self, n_words: int, word_dim: int, *, pretrained: np.ndarray | None = None, freeze: bool = False,
                 char_cnn: CharCNN | None = None, n_cases: int = 0, case_dim: int = 0) -> None:
        super().__init__()
        self.embed = nn.Embedding(n_words, word_dim, padding_idx=0)
        bound = math.sqrt(3 / word_dim)
        nn.init.uniform_(self.embed.weight, -bound, bound)
        with torch.no_grad():
            self.embed.weight[0].zero_()
            if pretrained is not None:
                rows = torch.from_numpy(np.asarray(pretrained, dtype=np.float32))
                have = ~torch.isnan(rows[:, 0])
                self.embed.weight[have] = rows[have]
        self.embed.weight.requires_grad_(not freeze)
        self.char_cnn = char_cnn
        self.case = nn.Embedding(n_cases, case_dim, padding_idx=0) if case_dim > 0 else None
        self.out_dim = word_dim + (char_cnn.out_dim if char_cnn else 0) + (case_dim if case_dim > 0 else 0)

    def forward(self, batch: Batch, words: torch.Tensor | None = None) -> torch.Tensor:
        parts = [self.embed(batch.words if words is None else words)]
        if self.char_cnn is not None:
            parts.append(self.char_cnn(batch.chars))
        if self.case is not None:
            parts.append(self.case(batch.case))
        return torch.cat(parts, dim=2) if len(parts) > 1 else parts[0]


class BiLSTM(nn.Module):
    """A bidirectional LSTM over padded sequences (packed, so padding never reaches real tokens)."""

    def __init__(self, in_dim: int, hidden: int, layers: int = 1) -> None:
        super().__init__()
        self.lstm = nn.LSTM(in_dim, hidden, num_layers=layers, bidirectional=True, batch_first=True)
        self.out_dim = 2 * hidden

    def forward(self, x: torch.Tensor, lengths: list[int]) -> torch.Tensor:
        # under autocast the input may be bf16/fp16 while an LSTM that autocast does not cover wants
        # its weights' dtype; one that it covers casts again
        x = x.to(self.lstm.weight_ih_l0.dtype)
        packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return out


class WordCNN(nn.Module):
    """Word-level CNN encoder (Shen et al. 2017): ``layers`` convolutions of width ``kernel`` with
    ReLU and dropout; the output is concatenated with the input. ``(B, T, D) -> (B, T, filters + D)``."""

    def __init__(self, in_dim: int, filters: int, kernel: int = 3, layers: int = 1, dropout: float = 0.5) -> None:
        super().__init__()
        convs, drops = [], []
        d = in_dim
        for _ in range(layers):
            convs.append(nn.Conv1d(d, filters, kernel, padding=kernel // 2))
            drops.append(Dropout(dropout))
            d = filters
        self.convs = nn.ModuleList(convs)
        self.drops = nn.ModuleList(drops)
        self.out_dim = filters + in_dim

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.unsqueeze(1).to(x.dtype)
        h = x.transpose(1, 2)
        for conv, drop in zip(self.convs, self.drops):
            h = drop(torch.relu(conv(h * m)))
        return torch.cat([h.transpose(1, 2), x], dim=2)


class GreedyTagDecoder(nn.Module):
    """LSTM tag decoder fed, at step ``t``, the encoder state ``enc[t]`` and an embedding of the
    previous tag (a GO symbol first); a dropout and a linear layer give the tag scores.

    Training uses the gold previous tag, or the decoder's own prediction where it is unknown
    (``-1``); decoding is greedy, left to right.
    """

    def __init__(self, enc_dim: int, n_labels: int, hidden: int = 100, tag_dim: int = 20, dropout: float = 0.5) -> None:
        super().__init__()
        self.n_labels = n_labels
        self.tag_embed = nn.Embedding(n_labels + 1, tag_dim)  # index n_labels = GO
        self.lstm = nn.LSTM(enc_dim + tag_dim, hidden, batch_first=True)
        self.dropout = Dropout(dropout)
        self.out = nn.Linear(hidden, n_labels)
        self.hidden_dim = hidden

    def teacher_forced(self, enc: torch.Tensor, tags: torch.Tensor) -> torch.Tensor:
        """Scores ``(B, T, L)`` with every previous tag known (``tags`` has no -1 at real positions)."""
        B = enc.shape[0]
        go = torch.full((B, 1), self.n_labels, dtype=torch.long, device=enc.device)
        prev = torch.cat([go, tags[:, :-1].clamp(min=0)], dim=1)
        dtype = self.lstm.weight_ih_l0.dtype  # see BiLSTM.forward
        h, _ = self.lstm(torch.cat([enc.to(dtype), self.tag_embed(prev).to(dtype)], dim=2))
        return self.out(self.dropout(h))

    def greedy(self, enc: torch.Tensor, tags: torch.Tensor | None = None, want_hidden: bool = False,
               n: int = 1):
        """Step-by-step decoding.

        The LSTM's input projection splits into an encoder part, computed for every step at once
        (one matrix product before the loop), and a previous-tag part, a lookup in a
        ``(L + 1, 4H)`` table; each step then costs one ``(rows, H) x (H, 4H)`` product. With
        ``n > 1`` the decoder runs ``n`` times over the same encoder states (MC dropout on the
        decoder: the sampled tag feeds the next step), the encoder part computed once.

        Parameters
        ----------
        enc : (B, T, D)
        tags : (B, T) long or None
            Known tags to feed back (-1 = use the prediction); only with ``n == 1``.
        n : int
            Decoding passes; row ``k * B + b`` of the outputs is pass ``k`` of sentence ``b``.

        Returns
        -------
        scores : (n B, T, L); preds : (n B, T) long (the greedy choices); hidden : (n B, T, H) or None
        """
        if tags is not None and n != 1:
            raise ValueError("known tags are fed back only with n == 1")
        B, T, D = enc.shape
        lstm = self.lstm
        w_ih, w_hh = lstm.weight_ih_l0, lstm.weight_hh_l0
        enc = enc.to(w_ih.dtype)  # see BiLSTM.forward
        bias = lstm.bias_ih_l0 + lstm.bias_hh_l0
        pre = torch.nn.functional.linear(enc, w_ih[:, :D], bias)                 # (B, T, 4H)
        tag_part = torch.nn.functional.linear(self.tag_embed.weight, w_ih[:, D:])  # (L + 1, 4H)
        rows = n * B
        H = self.hidden_dim
        prev = torch.full((rows,), self.n_labels, dtype=torch.long, device=enc.device)
        h = enc.new_zeros(rows, H, dtype=torch.float32)
        c = torch.zeros_like(h)
        scores, preds, hiddens = [], [], []
        for t in range(T):
            gates = torch.nn.functional.linear(h, w_hh) + tag_part[prev]
            gates = (gates.view(n, B, 4 * H) + pre[:, t]).view(rows, 4 * H).float()
            i, f, g, o = gates.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            s = self.out(self.dropout(h))
            p = s.argmax(dim=1)
            scores.append(s)
            preds.append(p)
            if want_hidden:
                hiddens.append(h)
            nxt = p.detach()
            if tags is not None:
                known = tags[:, t] >= 0
                nxt = torch.where(known, tags[:, t], nxt)
            prev = nxt
        return (torch.stack(scores, 1), torch.stack(preds, 1),
                torch.stack(hiddens, 1) if want_hidden else None)
