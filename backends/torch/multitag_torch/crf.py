"""A linear-chain CRF: log partition, Viterbi, forward-backward marginals, partial-label loss.

Shapes: ``B`` sentences (batch), ``T`` time steps (the longest sentence), ``L`` labels.
All functions are batched and masked: ``mask`` is a bool tensor ``(B, T)``, sequences are
left-aligned (``mask[b, :n_b]`` is True, the rest False) and every sentence has ``n_b >= 1``.

Potentials
----------
emissions : (B, T, L)
    ``emissions[b, t, j]`` scores label ``j`` at position ``t``.
transitions : (L, L)
    ``transitions[i, j]`` scores moving from label ``i`` to label ``j``.
start, end : (L,)
    Scores of the first and of the last label of a sentence.

The score of a path ``y`` of a sentence of length ``n`` is
``start[y_0] + sum_t emissions[t, y_t] + sum_{t>=1} transitions[y_{t-1}, y_t] + end[y_{n-1}]`` and
``P(y) = exp(score(y) - log Z)``.

Partially annotated sentences give ``tags`` entries of ``-1`` (unknown); :func:`partial_nll` is
``-log`` of the summed probability of all paths that agree with the known tags: the usual negative
log-likelihood when every tag is known and exactly 0 when none is. An ``allowed`` tensor
``(B, T, L)`` bool narrows that set further (rejections: "not type X at these tokens", see
:func:`multitag.data.allowed.allowed_labels`): the loss is then ``-log`` of the probability of the
paths whose every label is allowed and agrees with the known tags, and :func:`marginals` with
``allowed`` are the marginals of the CRF restricted to those paths.
"""
from __future__ import annotations

import functools

import torch
from torch import nn

__all__ = [
    "log_partition", "viterbi", "marginals", "forward_backward", "path_score", "partial_nll", "nll",
    "allowed_from_tags", "CRF",
]

_NEG_INF = float("-inf")


def _check(emissions: torch.Tensor, mask: torch.Tensor) -> None:
    if emissions.dim() != 3:
        raise ValueError(f"emissions must be (B, T, L), got shape {tuple(emissions.shape)}")
    if mask.shape != emissions.shape[:2]:
        raise ValueError(f"mask must be (B, T) = {tuple(emissions.shape[:2])}, got {tuple(mask.shape)}")
    if emissions.shape[1] == 0:
        raise ValueError("sequences must have at least one position (T >= 1)")


def _forward_alphas(emissions: torch.Tensor, transitions: torch.Tensor, start: torch.Tensor,
                    mask: torch.Tensor, keep_all: bool = False):
    """Forward algorithm in log space.

    Returns the last real alpha per sentence ``(B, L)`` (padded steps carry it forward) and, when
    ``keep_all``, the stacked alphas ``(B, T, L)``.
    """
    B, T, L = emissions.shape
    alpha = start.unsqueeze(0) + emissions[:, 0]
    alphas = [alpha] if keep_all else None
    trans = transitions.unsqueeze(0)  # (1, L, L)
    for t in range(1, T):
        nxt = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[:, t]
        alpha = torch.where(mask[:, t].unsqueeze(1), nxt, alpha)
        if keep_all:
            alphas.append(alpha)
    return alpha, (torch.stack(alphas, dim=1) if keep_all else None)


def _constrain(emissions: torch.Tensor, allowed: torch.Tensor | None) -> torch.Tensor:
    if allowed is None:
        return emissions
    return emissions.masked_fill(~allowed, _NEG_INF)


def log_partition(emissions: torch.Tensor, transitions: torch.Tensor, start: torch.Tensor,
                  end: torch.Tensor, mask: torch.Tensor, allowed: torch.Tensor | None = None) -> torch.Tensor:
    """``log Z`` per sentence.

    Parameters
    ----------
    emissions : (B, T, L); transitions : (L, L); start, end : (L,); mask : (B, T) bool
    allowed : (B, T, L) bool, optional
        Restrict the sum to paths whose label at each position is allowed (used by
        :func:`partial_nll`). Each real position must allow at least one label.

    Returns
    -------
    (B,) tensor
    """
    _check(emissions, mask)
    alpha, _ = _forward_alphas(_constrain(emissions, allowed), transitions, start, mask)
    return torch.logsumexp(alpha + end.unsqueeze(0), dim=1)


def viterbi(emissions: torch.Tensor, transitions: torch.Tensor, start: torch.Tensor,
            end: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Best paths.

    Returns
    -------
    paths : (B, T) LongTensor
        The best label sequence per sentence, 0 at padded positions.
    best_scores : (B,) tensor
        The (unnormalised) score of each best path; ``best_scores - log_partition(...)`` is
        ``log P(best path)``.
    """
    _check(emissions, mask)
    B, T, L = emissions.shape
    score = start.unsqueeze(0) + emissions[:, 0]
    trans = transitions.unsqueeze(0)
    identity = torch.arange(L, device=emissions.device).unsqueeze(0).expand(B, L)
    backpointers = []
    for t in range(1, T):
        best, idx = (score.unsqueeze(2) + trans).max(dim=1)  # (B, L): best previous label for each j
        m = mask[:, t].unsqueeze(1)
        score = torch.where(m, best + emissions[:, t], score)
        backpointers.append(torch.where(m, idx, identity))  # padded steps point to themselves
    final = score + end.unsqueeze(0)
    best_scores, cur = final.max(dim=1)
    paths = torch.empty(B, T, dtype=torch.long, device=emissions.device)
    paths[:, T - 1] = cur
    for t in range(T - 1, 0, -1):
        cur = backpointers[t - 1].gather(1, cur.unsqueeze(1)).squeeze(1)
        paths[:, t - 1] = cur
    return paths.masked_fill(~mask, 0), best_scores


def marginals(emissions: torch.Tensor, transitions: torch.Tensor, start: torch.Tensor,
              end: torch.Tensor, mask: torch.Tensor, allowed: torch.Tensor | None = None) -> torch.Tensor:
    """Exact per-position label marginals ``P(y_t = j | x)`` by forward-backward.

    With ``allowed`` ``(B, T, L)`` bool: ``P(y_t = j | x, every label of y allowed)`` (0 where
    ``j`` is not allowed).

    Returns
    -------
    (B, T, L) tensor
        Rows of real positions sum to 1; rows of padded positions are unspecified (finite).
    """
    return forward_backward(emissions, transitions, start, end, mask, allowed)[0]


def forward_backward(emissions: torch.Tensor, transitions: torch.Tensor, start: torch.Tensor,
                     end: torch.Tensor, mask: torch.Tensor,
                     allowed: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Marginals ``(B, T, L)`` (as :func:`marginals`) and ``log Z`` ``(B,)`` (over the allowed
    paths, with ``allowed``) from one forward and one backward pass."""
    _check(emissions, mask)
    emissions = _constrain(emissions, allowed)
    B, T, L = emissions.shape
    last, alphas = _forward_alphas(emissions, transitions, start, mask, keep_all=True)
    end_b = end.unsqueeze(0).expand(B, L)
    beta = end_b
    betas = [beta]
    trans = transitions.unsqueeze(0)
    for t in range(T - 2, -1, -1):
        nxt = torch.logsumexp(trans + (emissions[:, t + 1] + beta).unsqueeze(1), dim=2)
        beta = torch.where(mask[:, t + 1].unsqueeze(1), nxt, end_b)
        betas.append(beta)
    betas = torch.stack(betas[::-1], dim=1)
    # alpha_t + beta_t = log sum of the scores of all paths through (t, j); normalising per row
    # divides by Z (the same for every t) and keeps rows summing to 1 in floating point.
    log_z = torch.logsumexp(last + end.unsqueeze(0), dim=1)
    return torch.softmax(alphas + betas, dim=2), log_z


def path_score(emissions: torch.Tensor, tags: torch.Tensor, transitions: torch.Tensor,
               start: torch.Tensor, end: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Unnormalised score of the given label sequences.

    Parameters
    ----------
    tags : (B, T) LongTensor
        Labels; values at padded positions are ignored.

    Returns
    -------
    (B,) tensor
    """
    _check(emissions, mask)
    B, T, L = emissions.shape
    tags = tags.clamp(0, L - 1).masked_fill(~mask, 0)
    maskf = mask.to(emissions.dtype)
    emit = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, T)
    score = start[tags[:, 0]] + (emit * maskf).sum(dim=1)
    if T > 1:
        trans = transitions[tags[:, :-1], tags[:, 1:]]  # (B, T-1)
        score = score + (trans * maskf[:, 1:]).sum(dim=1)
    lengths = mask.long().sum(dim=1)
    last = tags.gather(1, (lengths - 1).clamp(min=0).unsqueeze(1)).squeeze(1)
    return score + end[last]


def nll(emissions: torch.Tensor, tags: torch.Tensor, transitions: torch.Tensor, start: torch.Tensor,
        end: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Negative log-likelihood ``log Z - score(tags)`` of fully known tags, shape (B,)."""
    return (log_partition(emissions, transitions, start, end, mask)
            - path_score(emissions, tags, transitions, start, end, mask))


def allowed_from_tags(tags: torch.Tensor, num_labels: int, mask: torch.Tensor | None = None) -> torch.Tensor:
    """``(B, T, L)`` bool: label ``j`` is allowed at ``(b, t)`` when ``tags[b, t]`` is ``-1``
    (unknown) or equals ``j``; every label is allowed at padded positions."""
    labels = torch.arange(num_labels, device=tags.device)
    allowed = (tags.unsqueeze(2) < 0) | (tags.unsqueeze(2) == labels)
    if mask is not None:
        allowed = allowed | ~mask.unsqueeze(2)
    return allowed


def partial_nll(emissions: torch.Tensor, tags: torch.Tensor, transitions: torch.Tensor,
                start: torch.Tensor, end: torch.Tensor, mask: torch.Tensor,
                allowed: torch.Tensor | None = None) -> torch.Tensor:
    """``-log`` of the summed probability of all paths consistent with the known tags (and, with
    ``allowed``, whose every label is allowed).

    Parameters
    ----------
    tags : (B, T) LongTensor
        Label indices, ``-1`` where the tag is unknown; padded positions are ignored.
    allowed : (B, T, L) bool, optional
        Labels allowed per position (rejections exclude labels); each real position must keep at
        least one label that agrees with its known tag. Padded positions are ignored.

    Returns
    -------
    (B,) tensor, >= 0 up to rounding
        Equals :func:`nll` when every tag is known and 0 when none is and nothing is excluded.
    """
    _check(emissions, mask)
    if allowed is None and bool(((tags >= 0) | ~mask).all()):  # every tag known: the score of one path, no second forward pass
        return nll(emissions, tags, transitions, start, end, mask)
    narrowed = allowed_from_tags(tags, emissions.shape[2], mask)
    allowed = narrowed if allowed is None else narrowed & (allowed | ~mask.unsqueeze(2))
    log_z = log_partition(emissions, transitions, start, end, mask)
    log_z_known = log_partition(emissions, transitions, start, end, mask, allowed=allowed)
    return log_z - log_z_known


def _float32(method):
    """Run a :class:`CRF` method on float32 emissions with autocast off (mixed-precision callers
    pass bf16/fp16 scores; forward-backward, Viterbi and the loss are always computed in float32)."""

    @functools.wraps(method)
    def wrapper(self, emissions: torch.Tensor, *args, **kwargs):
        with torch.autocast(device_type=emissions.device.type, enabled=False):
            return method(self, emissions.float(), *args, **kwargs)

    return wrapper


class CRF(nn.Module):
    """Linear-chain CRF parameters (``transitions (L, L)`` from i to j, ``start (L,)``,
    ``end (L,)``) with methods wrapping the functions of this module. The methods compute in
    float32 whatever the dtype of the emissions (and with autocast switched off).

    Parameters
    ----------
    num_labels : int
    init_scale : float
        Parameters start uniform in ``[-init_scale, init_scale]`` (0 gives zeros).
    """

    def __init__(self, num_labels: int, init_scale: float = 0.1) -> None:
        super().__init__()
        self.num_labels = num_labels
        self.transitions = nn.Parameter(torch.empty(num_labels, num_labels))
        self.start = nn.Parameter(torch.empty(num_labels))
        self.end = nn.Parameter(torch.empty(num_labels))
        self.init_scale = init_scale
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for p in (self.transitions, self.start, self.end):
            if self.init_scale > 0:
                nn.init.uniform_(p, -self.init_scale, self.init_scale)
            else:
                nn.init.zeros_(p)

    def _p(self):
        return self.transitions, self.start, self.end

    @_float32
    def forward(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The partial-label loss per sentence, shape (B,) (``-1`` in ``tags`` = unknown)."""
        return self.partial_nll(emissions, tags, mask)

    @_float32
    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return log_partition(emissions, *self._p(), mask)

    @_float32
    def viterbi(self, emissions: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return viterbi(emissions, *self._p(), mask)

    @_float32
    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor, allowed: torch.Tensor | None = None) -> torch.Tensor:
        return marginals(emissions, *self._p(), mask, allowed)

    @_float32
    def path_score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return path_score(emissions, tags, *self._p(), mask)

    @_float32
    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return nll(emissions, tags, *self._p(), mask)

    @_float32
    def partial_nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor,
                    allowed: torch.Tensor | None = None) -> torch.Tensor:
        return partial_nll(emissions, tags, *self._p(), mask, allowed)

    @_float32
    def decode(self, emissions: torch.Tensor, mask: torch.Tensor, *, with_marginals: bool = True):
        """Viterbi paths, ``log P(best path)`` and (optionally) marginals in one call.

        Returns
        -------
        paths : (B, T) LongTensor; logprob : (B,) tensor; marginals : (B, T, L) tensor or None
        """
        paths, best = self.viterbi(emissions, mask)
        if with_marginals:
            margs, log_z = forward_backward(emissions, *self._p(), mask)
        else:
            margs, log_z = None, self.log_partition(emissions, mask)
        return paths, best - log_z, margs
