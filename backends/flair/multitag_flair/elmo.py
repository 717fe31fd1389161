"""Our own PyTorch ELMo biLM that loads the official ``options.json`` + ``weights.hdf5``.

Follows ``shared/elmo/SPEC.md`` (AllenNLP ``_ElmoBiLm`` / bilm-tf semantics): character CNN with
max-pooling, highway layers (TF formula, always ReLU), projection, then two independent LSTM stacks
(forward and backward) with cell clipping, a projection after each cell, projection clipping and
residual connections from the second layer on.

Two modes:

* deterministic (``stateful=False``, the default): every call starts from zero LSTM state, so a
  sentence's vectors do not depend on what ran before (what active learning needs);
* state-carrying (``stateful=True``): like AllenNLP and bilm-tf, each call starts from the final
  state that the same batch row reached in the previous call (forward direction: after ``</S>``,
  backward: after ``<S>``); :meth:`ElmoBiLm.reset_states` clears it.
"""
from __future__ import annotations

import json
from typing import Sequence

import numpy as np
import torch
from torch import nn

from multitag.errors import MultitagError
from multitag_flair.elmo_chars import MAX_CHARS, add_sentence_boundaries, batch_to_ids


def _clip(x: torch.Tensor, value: float | None) -> torch.Tensor:
    return x.clamp(-value, value) if value else x


class CharEncoder(nn.Module):
    """Token encoder: (N, 50) character ids -> (N, P)."""

    def __init__(self, options: dict):
        super().__init__()
        cnn = options["char_cnn"]
        self.activation = cnn.get("activation", "relu")
        if self.activation not in ("relu", "tanh"):
            raise MultitagError(f"ELMo options: char_cnn.activation must be relu or tanh, not {self.activation!r}")
        d = cnn["embedding"]["dim"]
        n_chars = 262  # 261 ids in the file plus the token-padding row 0
        self.char_embed = nn.Embedding(n_chars, d, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv1d(d, num, width) for width, num in cnn["filters"])
        n_filters = sum(num for _, num in cnn["filters"])
        # TF highway layout: y = g * relu(x W_t + b_t) + (1 - g) * x, g = sigmoid(x W_c + b_c)
        self.high_transform = nn.ModuleList(nn.Linear(n_filters, n_filters) for _ in range(cnn["n_highway"]))
        self.high_carry = nn.ModuleList(nn.Linear(n_filters, n_filters) for _ in range(cnn["n_highway"]))
        self.proj = nn.Linear(n_filters, options["lstm"]["projection_dim"])

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (N, 50) long -> (N, P) float."""
        x = self.char_embed(ids).transpose(1, 2)  # (N, d, 50)
        act = torch.relu if self.activation == "relu" else torch.tanh
        feats = [act(conv(x).max(dim=2).values) for conv in self.convs]
        h = torch.cat(feats, dim=1)
        for lin_t, lin_c in zip(self.high_transform, self.high_carry):
            g = torch.sigmoid(lin_c(h))
            h = g * torch.relu(lin_t(h)) + (1.0 - g) * h
        return self.proj(h)


class ProjectedLSTMCell(nn.Module):
    """TF ``LSTMCell`` with ``num_proj``: gates in TF column order i, j, f, o; forget bias +1 is
    folded into ``bias`` at load time."""

    def __init__(self, in_dim: int, cell_dim: int, proj_dim: int, cell_clip: float | None, proj_clip: float | None):
        super().__init__()
        self.cell_dim, self.proj_dim = cell_dim, proj_dim
        self.cell_clip, self.proj_clip = cell_clip, proj_clip
        self.w_input = nn.Parameter(torch.zeros(in_dim, 4 * cell_dim))
        self.w_state = nn.Parameter(torch.zeros(proj_dim, 4 * cell_dim))
        self.bias = nn.Parameter(torch.zeros(4 * cell_dim))
        self.w_proj = nn.Parameter(torch.zeros(cell_dim, proj_dim))

    def run(self, x: torch.Tensor, mask: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
        """Run over left-aligned sequences.

        Parameters
        ----------
        x : (B, T, in); mask : (B, T) bool; h : (B, P); c : (B, C) initial state

        Returns
        -------
        out : (B, T, P), zeros at padded positions; h, c : final state of each row (the state
        after its last real position; unchanged for rows with no real position)
        """
        C = self.cell_dim
        xw = x @ self.w_input + self.bias
        outs = []
        for t in range(x.shape[1]):
            z = xw[:, t] + h @ self.w_state
            i, j, f, o = z[:, :C], z[:, C:2 * C], z[:, 2 * C:3 * C], z[:, 3 * C:]
            c_new = _clip(torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(j), self.cell_clip)
            h_new = _clip((torch.sigmoid(o) * torch.tanh(c_new)) @ self.w_proj, self.proj_clip)
            m = mask[:, t].unsqueeze(1)
            c = torch.where(m, c_new, c)
            h = torch.where(m, h_new, h)
            outs.append(h_new * m)
        return torch.stack(outs, dim=1), h, c


def _reverse_index(mask: torch.Tensor) -> torch.Tensor:
    """(B, T) gather index that reverses each row's real part in place (an involution)."""
    B, T = mask.shape
    lengths = mask.long().sum(dim=1, keepdim=True)
    t = torch.arange(T, device=mask.device).unsqueeze(0).expand(B, T)
    return torch.where(t < lengths, lengths - 1 - t, t)


def _gather_time(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    return x.gather(1, index.unsqueeze(2).expand(-1, -1, x.shape[2]))


class ElmoBiLm(nn.Module):
    """The ELMo biLM.

    Parameters
    ----------
    options : dict
        The content of ``options.json``.
    stateful : bool
        Carry LSTM state from call to call per batch row (reference behaviour) instead of starting
        every call from zeros.
    """

    def __init__(self, options: dict, *, stateful: bool = False):
        super().__init__()
        lstm = options["lstm"]
        if not lstm.get("use_skip_connections", False):
            raise MultitagError("ELMo options: lstm.use_skip_connections must be true (as in AllenNLP)")
        if options["char_cnn"].get("max_characters_per_token", MAX_CHARS) != MAX_CHARS:
            raise MultitagError(f"ELMo options: max_characters_per_token must be {MAX_CHARS}")
        self.options = options
        self.n_layers = lstm["n_layers"]
        self.proj_dim = lstm["projection_dim"]
        self.cell_dim = lstm["dim"]
        self.stateful = stateful
        self.token_encoder = CharEncoder(options)
        P = self.proj_dim
        self.cells = nn.ModuleList(
            nn.ModuleList(ProjectedLSTMCell(P, self.cell_dim, P, lstm.get("cell_clip"), lstm.get("proj_clip"))
                          for _ in range(self.n_layers))
            for _direction in range(2))
        self._state: list[list[tuple[torch.Tensor, torch.Tensor]]] | None = None
        for p in self.parameters():
            p.requires_grad_(False)

    @property
    def output_dim(self) -> int:
        """Width of each representation layer (2P)."""
        return 2 * self.proj_dim

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_files(cls, options_file: str, weight_file: str, *, stateful: bool = False) -> "ElmoBiLm":
        """Build from ``options.json`` and the hdf5 weights (layout in SPEC.md section 3)."""
        import h5py

        try:
            with open(options_file, encoding="utf-8") as f:
                options = json.load(f)
        except (OSError, ValueError) as e:
            raise MultitagError(f"cannot read ELMo options file {options_file}: {e}") from None
        model = cls(options, stateful=stateful)
        try:
            with h5py.File(weight_file, "r") as h5:
                model._load_weights(h5)
        except (OSError, KeyError) as e:
            raise MultitagError(f"cannot read ELMo weights {weight_file} (expected the bilm-tf hdf5 layout): {e}") from None
        return model

    def _load_weights(self, h5) -> None:
        def t(name: str) -> torch.Tensor:
            return torch.from_numpy(np.asarray(h5[name][...], dtype=np.float32))

        enc = self.token_encoder
        with torch.no_grad():
            table = t("char_embed")
            if table.shape[0] != 261:
                raise MultitagError(f"ELMo weights: char_embed has {table.shape[0]} rows, expected 261")
            enc.char_embed.weight.zero_()
            enc.char_embed.weight[1:] = table
            for i, conv in enumerate(enc.convs):
                w = t(f"CNN/W_cnn_{i}")[0]  # (width, d, num)
                conv.weight.copy_(w.permute(2, 1, 0))
                conv.bias.copy_(t(f"CNN/b_cnn_{i}"))
            for k, (lin_t, lin_c) in enumerate(zip(enc.high_transform, enc.high_carry)):
                lin_t.weight.copy_(t(f"CNN_high_{k}/W_transform").T)
                lin_t.bias.copy_(t(f"CNN_high_{k}/b_transform"))
                lin_c.weight.copy_(t(f"CNN_high_{k}/W_carry").T)
                lin_c.bias.copy_(t(f"CNN_high_{k}/b_carry"))
            enc.proj.weight.copy_(t("CNN_proj/W_proj").T)
            enc.proj.bias.copy_(t("CNN_proj/b_proj"))
            C, P = self.cell_dim, self.proj_dim
            for direction in range(2):
                for layer, cell in enumerate(self.cells[direction]):
                    prefix = f"RNN_{direction}/RNN/MultiRNNCell/Cell{layer}/LSTMCell"
                    w = t(f"{prefix}/W_0")  # (in + P, 4C), TF order i, j, f, o
                    n_in = w.shape[0] - P
                    cell.w_input.copy_(w[:n_in])
                    cell.w_state.copy_(w[n_in:])
                    b = t(f"{prefix}/B").clone()
                    b[2 * C:3 * C] += 1.0  # TF's forget_bias, applied at run time, not stored
                    cell.bias.copy_(b)
                    cell.w_proj.copy_(t(f"{prefix}/W_P_0"))

    # ------------------------------------------------------------------ state
    def reset_states(self) -> None:
        """Forget the carried LSTM state (state-carrying mode)."""
        self._state = None

    def _initial_state(self, B: int, device) -> list[list[tuple[torch.Tensor, torch.Tensor]]]:
        zeros = [[(torch.zeros(B, self.proj_dim, device=device), torch.zeros(B, self.cell_dim, device=device))
                  for _ in range(self.n_layers)] for _ in range(2)]
        if not self.stateful or self._state is None:
            return zeros
        out = []
        for d in range(2):
            row = []
            for l in range(self.n_layers):
                h, c = self._state[d][l]
                n = min(B, h.shape[0])
                h0, c0 = zeros[d][l]
                h0[:n], c0[:n] = h[:n], c[:n]
                row.append((h0, c0))
            out.append(row)
        return out

    def _store_state(self, final: list[list[tuple[torch.Tensor, torch.Tensor]]]) -> None:
        if not self.stateful:
            return
        if self._state is None:
            self._state = [[(h.detach().clone(), c.detach().clone()) for h, c in row] for row in final]
            return
        for d in range(2):
            for l in range(self.n_layers):
                old_h, old_c = self._state[d][l]
                h, c = final[d][l]
                B = h.shape[0]
                if B >= old_h.shape[0]:
                    self._state[d][l] = (h.detach().clone(), c.detach().clone())
                else:  # a smaller batch updates the first rows and keeps the others
                    new_h, new_c = old_h.clone(), old_c.clone()
                    new_h[:B], new_c[:B] = h.detach(), c.detach()
                    self._state[d][l] = (new_h, new_c)

    # ------------------------------------------------------------------ forward
    def forward(self, char_ids: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
        """biLM activations with sentence boundaries.

        Parameters
        ----------
        char_ids : (B, T + 2, 50) long
            Ids with ``<S>``/``</S>`` already inserted per row (:func:`add_sentence_boundaries`).
        mask : (B, T + 2) bool

        Returns
        -------
        list of ``n_layers + 1`` tensors, each (B, T + 2, 2P)
            Layer 0 = the token encoding twice; layer l = [forward_l, backward_l].
        """
        B, T2, _ = char_ids.shape
        maskf = mask.unsqueeze(2).float()
        tok = self.token_encoder(char_ids.reshape(-1, MAX_CHARS)).reshape(B, T2, -1) * maskf
        state = self._initial_state(B, char_ids.device)
        final: list[list[tuple[torch.Tensor, torch.Tensor]]] = [[], []]
        rev = _reverse_index(mask)
        per_dir = []
        for d in range(2):
            x = tok if d == 0 else _gather_time(tok, rev)
            layers = []
            for l, cell in enumerate(self.cells[d]):
                h0, c0 = state[d][l]
                out, h, c = cell.run(x, mask, h0, c0)
                if l > 0:
                    out = out + x
                final[d].append((h, c))
                layers.append(out if d == 0 else _gather_time(out, rev))
                x = out
            per_dir.append(layers)
        self._store_state(final)
        acts = [torch.cat([tok, tok], dim=2)]
        for l in range(self.n_layers):
            acts.append(torch.cat([per_dir[0][l], per_dir[1][l]], dim=2) * maskf)
        return acts

    def embed_sentences(self, sentences: Sequence[Sequence[str]]) -> tuple[torch.Tensor, torch.Tensor]:
        """All representation layers of a batch of token lists, boundaries removed.

        Returns
        -------
        layers : (B, n_layers + 1, T, 2P) float tensor, zeros at padded positions
        mask : (B, T) bool
        """
        ids = batch_to_ids(sentences)
        with_b, mask = add_sentence_boundaries(ids)
        device = next(self.parameters()).device
        with torch.no_grad():
            acts = self.forward(torch.from_numpy(with_b).to(device), torch.from_numpy(mask).to(device))
        stacked = torch.stack(acts, dim=1)  # (B, K, T + 2, 2P)
        T = ids.shape[1]
        out = torch.zeros(stacked.shape[0], stacked.shape[1], T, stacked.shape[3], device=device)
        lengths = [len(s) for s in sentences]
        for b, n in enumerate(lengths):
            out[b, :, :n] = stacked[b, :, 1:n + 1]
        tmask = torch.zeros(len(sentences), T, dtype=torch.bool, device=device)
        for b, n in enumerate(lengths):
            tmask[b, :n] = True
        return out, tmask
