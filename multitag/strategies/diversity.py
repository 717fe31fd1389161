"""Diversity-aware strategies: Core-set, BADGE and W-BADGE (paper 003, sections 3.2, 4.1, 4.2).

* ``coreset`` (:class:`CoreSet`, Sener & Savarese 2018): greedy furthest-first traversal (k-center
  greedy) over sentence encodings (the mean of ``hidden``), starting from the labeled set: each pick
  is the candidate whose distance to the nearest labeled or already-picked sentence is largest.
* ``badge`` (:class:`BADGE`, Ash et al. 2020): k-means++ seeding over gradient embeddings
  (:func:`multitag.strategies.embeddings.gradient_embeddings`): each new pick is drawn with
  probability proportional to ``d(x)^2``, the squared distance to the nearest pick so far.
* ``wbadge`` (:class:`WBADGE`, paper 003 eq. 5): the same with probability proportional to
  ``w(x) d(x)^2``, ``w(x) = l(x)^2 / sum_x l(x)^2``, ``l(x)`` the sentence's annotation cost in
  tokens (``QueryContext.lengths``; the sentence length under sentence-level annotation).

All three pick one sentence at a time until the picks cost at least the token budget (the last one
taken whole). Embeddings are float32, centered (distances are translation invariant; centering keeps
the float32 expansion ``|x|^2 - 2 x.c + |c|^2`` accurate), with precomputed squared norms; no N x N
matrix is ever formed. BADGE updates every candidate's distance against the one new center per pick
(one matrix-vector product, O(N*D)). Core-set gives the same picks as that eager update but applies
new centers lazily: the few candidates with the largest (stale, upper-bound) distances are checked
exactly against the pending centers, and all rows are updated in one blocked GEMM every
:data:`LAZY_SYNC` picks, or at once when the check is inconclusive (many picks of short sentences
otherwise cost one BLAS call each, slow on a busy machine). The start against the labeled set is
computed in row blocks.

First BADGE center: paper 003 does not say how the first of its "k centers" is chosen; by default it
is the candidate with the largest (weighted) gradient norm ``w(x) ||g_x||^2``, as in BADGE's reference
implementation (``first="max_norm"``). ``first="sample"`` draws it with probability proportional to
``w(x) ||g_x||^2`` instead (k-means++ with the origin as a virtual center).

Randomness comes only from ``ctx.rng``: one ``rng.random()`` per k-means++ draw, plus draws to break
exact ties (max-norm start, Core-set maxima). Candidates already picked are masked out, so no
sentence is picked twice, even among duplicates. W-BADGE uses the weights ``(l / max l)^2`` (the
same probabilities as ``l^2 / sum l^2``), which are exactly 1 for equal lengths, so W-BADGE then
makes bit-for-bit the same picks as BADGE from the same seed.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from multitag.errors import MultitagError
from multitag.strategies.base import QueryContext, Strategy
from multitag.strategies.embeddings import gradient_embeddings, require_hidden, sentence_encodings

BLOCK_ELEMENTS = 1 << 22  # float32 elements per temporary block (16 MiB)
LAZY_SYNC = 64            # Core-set: apply pending picks to all rows after this many
LAZY_TOP = 32             # Core-set: rows checked exactly before a full update


# ---------------------------------------------------------------------------- distance helpers
def squared_norms(x: np.ndarray) -> np.ndarray:
    """Row squared norms of ``x`` (N, D) float32 -> (N,) float32, without a (N, D) temporary."""
    return np.einsum("ij,ij->i", x, x)


def squared_distances_to(x: np.ndarray, x_sq: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Squared distances from every row of ``x`` (N, D) to one point ``c`` (D,).

    ``x_sq`` (N,) are the squared norms of the rows. Returns (N,) float64, clipped at 0.
    """
    d = x @ c                      # (N,) float32, one pass over x
    d *= -2.0
    d += x_sq
    d += float(c @ c)
    out = d.astype(np.float64)
    np.maximum(out, 0.0, out=out)
    return out


def min_squared_distances(x: np.ndarray, x_sq: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """For each row of ``x`` (N, D), the squared distance to the nearest row of ``centers`` (M, D).

    Computed in blocks of rows and centers so no temporary exceeds :data:`BLOCK_ELEMENTS`
    elements. Returns (N,) float64 clipped at 0 (``inf`` everywhere when M = 0).
    """
    n, m = x.shape[0], centers.shape[0]
    out = np.full(n, np.inf, dtype=np.float64)
    if m == 0 or n == 0:
        return out
    c_sq = squared_norms(centers)
    cols = max(1, min(m, BLOCK_ELEMENTS // 1024))
    rows = max(1, BLOCK_ELEMENTS // cols)
    for c0 in range(0, m, cols):
        cb, cb_sq = centers[c0:c0 + cols], c_sq[c0:c0 + cols]
        for r0 in range(0, n, rows):
            blk = x[r0:r0 + rows] @ cb.T           # (rows, cols) float32
            blk *= -2.0
            blk += x_sq[r0:r0 + rows, None]
            blk += cb_sq[None, :]
            np.minimum(out[r0:r0 + rows], blk.min(axis=1), out=out[r0:r0 + rows])
    np.maximum(out, 0.0, out=out)
    return out


def centered(x: np.ndarray, overwrite: bool = False, mean: np.ndarray | None = None) -> np.ndarray:
    """``x`` (N, D) minus its column mean (or ``mean``), as C-contiguous float32.

    Distances do not change under translation, but the float32 expansion
    ``|x|^2 - 2 x.c + |c|^2`` loses precision in proportion to ``|x|^2``; centering first keeps the
    error small for data far from the origin (e.g. mean hidden states that share a large common
    component). With ``overwrite`` (and ``x`` already float32, C-contiguous) it works in place,
    otherwise on a copy.
    """
    out = np.ascontiguousarray(x, dtype=np.float32)
    if not overwrite and out is x:
        out = out.copy()
    if mean is None:
        mean = out.mean(axis=0, dtype=np.float64) if len(out) else np.zeros(out.shape[1])
    out -= mean.astype(np.float32)
    return out


def _argmax_random_ties(scores: np.ndarray, rng: np.random.Generator) -> int:
    """Index of the largest score; exact ties broken by ``rng`` (no draw when there is none)."""
    best = np.flatnonzero(scores == scores.max())
    return int(best[0]) if len(best) == 1 else int(best[rng.integers(len(best))])


def _draw(q: np.ndarray, rng: np.random.Generator) -> int:
    """One index drawn with probability proportional to ``q`` (N,) >= 0 with a positive sum,
    using exactly one ``rng.random()``."""
    cdf = np.cumsum(q)
    i = int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
    if i >= len(q) or q[i] <= 0:   # u rounded up to the total: take the last positive entry
        i = int(np.flatnonzero(q > 0)[-1])
    return i


def _checked_lengths(ctx: QueryContext) -> np.ndarray:
    """``ctx.lengths`` as (N,) int64, checked against the predictions."""
    lengths = np.asarray(ctx.lengths, dtype=np.int64)
    if lengths.ndim != 1:
        raise MultitagError(f"QueryContext.lengths must be one count per candidate, got shape {lengths.shape}")
    if ctx.predictions is not None and len(ctx.predictions) != len(lengths):
        raise MultitagError(f"QueryContext has {len(ctx.predictions)} predictions for {len(lengths)} candidates")
    return lengths


# ---------------------------------------------------------------------------- selection algorithms
def k_center_greedy(x: np.ndarray, lengths: np.ndarray, budget: int, rng: np.random.Generator,
                    labeled: np.ndarray | None = None, *, overwrite: bool = False) -> list[int]:
    """Greedy furthest-first traversal until the picks cost ``budget`` tokens.

    Parameters
    ----------
    x : ndarray (N, D) float32
        Candidate representations.
    lengths : ndarray (N,) int
        Cost of each candidate in tokens.
    budget : int
    rng : numpy Generator
        Breaks exact ties; picks the first point when there is no labeled set.
    labeled : ndarray (M, D) float32, optional
        Representations of the labeled set (the initial centers).
    overwrite : bool
        Allow ``x`` to be modified in place (saves one copy of it).

    Returns
    -------
    list of int
        Candidate indices in pick order.

    Notes
    -----
    Each pick is the alive candidate with the largest squared distance to its nearest center (the
    labeled set plus earlier picks); centers are applied lazily (see :func:`_lazy_furthest`) with
    the same result as updating every distance after every pick.
    """
    n = x.shape[0]
    picked: list[int] = []
    if n == 0 or budget <= 0:
        return picked
    centers = np.zeros((0, x.shape[1]), np.float32) if labeled is None else np.asarray(labeled, np.float32)
    if centers.ndim != 2 or centers.shape[1] != x.shape[1]:
        raise MultitagError(f"labeled representations have shape {centers.shape}, candidates {x.shape}")
    mean = np.asarray(x, dtype=np.float32).mean(axis=0, dtype=np.float64)
    x = centered(x, overwrite, mean)
    centers = centered(centers, False, mean)
    x_sq = squared_norms(x)
    dist = min_squared_distances(x, x_sq, centers)        # inf when there is no labeled set
    alive = np.ones(n, dtype=bool)
    pending: list[int] = []                                # picks not yet applied to every row of dist
    spent = 0
    while spent < budget and len(picked) < n:
        if len(picked) == 0 and centers.shape[0] == 0:
            i = int(rng.integers(n))                       # no center yet: a random start
        else:
            i = _lazy_furthest(x, x_sq, dist, alive, pending, rng)
        picked.append(i)
        spent += int(lengths[i])
        alive[i] = False
        pending.append(i)
        if len(pending) >= LAZY_SYNC:
            _apply_pending(x, x_sq, dist, pending)
    return picked


def _apply_pending(x: np.ndarray, x_sq: np.ndarray, dist: np.ndarray, pending: list[int]) -> None:
    """Lower ``dist`` (N,) to the distances to the ``pending`` picks (one blocked GEMM), then clear them."""
    if pending:
        np.minimum(dist, min_squared_distances(x, x_sq, x[pending]), out=dist)
        pending.clear()


def _lazy_furthest(x: np.ndarray, x_sq: np.ndarray, dist: np.ndarray, alive: np.ndarray,
                   pending: list[int], rng: np.random.Generator) -> int:
    """The alive row furthest from all centers, exactly as an eager update would find it.

    ``dist`` (N,) holds each row's squared distance to the centers applied so far, an upper bound
    of its true value while picks are ``pending``. The :data:`LAZY_TOP` rows with the largest bounds
    are brought up to date (a small T x P product); when the best of them beats the next bound, no
    other row can beat it. Otherwise every row is brought up to date (one N x P GEMM) and the
    maximum taken directly. Exact ties are broken by ``rng``.
    """
    scores = np.where(alive, dist, -1.0)
    n_alive = int(alive.sum())
    if pending and n_alive > 0:
        t = min(LAZY_TOP, n_alive)
        if t < n_alive:
            part = np.argpartition(scores, len(scores) - t - 1)[len(scores) - t - 1:]
            part = part[np.argsort(-scores[part], kind="stable")]
            bound, cand = scores[part[t]], part[:t]
        else:
            bound, cand = -np.inf, np.flatnonzero(alive)
        # small T x P product with einsum's own loops: a BLAS call costs milliseconds of thread
        # start-up on a busy machine, whatever its size
        xc, xp = x[cand], x[pending]
        d = np.einsum("td,pd->tp", xc, xp)
        d *= -2.0
        d += x_sq[cand, None]
        d += x_sq[pending][None, :]
        exact = np.minimum(dist[cand], np.maximum(d.min(axis=1), 0.0))
        dist[cand] = exact
        best = exact.max()
        if best > bound:
            winners = np.sort(cand[exact == best])
            return int(winners[0]) if len(winners) == 1 else int(winners[rng.integers(len(winners))])
        _apply_pending(x, x_sq, dist, pending)
        scores = np.where(alive, dist, -1.0)
    return _argmax_random_ties(scores, rng)


def kmeanspp_seeding(x: np.ndarray, lengths: np.ndarray, budget: int, rng: np.random.Generator,
                     weights: np.ndarray | None = None, first: str = "max_norm", *,
                     overwrite: bool = False) -> list[int]:
    """(Weighted) k-means++ seeding until the picks cost ``budget`` tokens.

    Each pick after the first is drawn with probability proportional to ``weights * d^2`` over the
    candidates not yet picked, ``d`` the distance to the nearest pick so far. When that is zero
    everywhere (all remaining points coincide with picks) the draw falls back to ``weights``, then
    to uniform.

    Parameters
    ----------
    x : ndarray (N, D) float32
        Embeddings (gradient embeddings for BADGE).
    lengths : ndarray (N,) int
        Cost of each candidate in tokens.
    budget : int
    rng : numpy Generator
    weights : ndarray (N,) float, optional
        Sampling weights (all ones when omitted).
    first : {"max_norm", "sample"}
        First pick: the largest ``weights * ||x||^2`` (exact ties broken by ``rng``), or a draw
        proportional to it.
    overwrite : bool
        Allow ``x`` to be modified in place (saves one copy of it).

    Returns
    -------
    list of int
        Candidate indices in pick order, without repeats.
    """
    if first not in ("max_norm", "sample"):
        raise MultitagError(f"first must be 'max_norm' or 'sample', got {first!r}")
    n = x.shape[0]
    picked: list[int] = []
    if n == 0 or budget <= 0:
        return picked
    w = np.ones(n, dtype=np.float64) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise MultitagError(f"weights must be {n} finite non-negative numbers")
    alive = np.ones(n, dtype=bool)
    dist = squared_norms(np.asarray(x, dtype=np.float32)).astype(np.float64)   # to the origin, before any pick
    x = centered(x, overwrite)                             # distances between points from here on
    x_sq = squared_norms(x)
    spent = 0
    while spent < budget and len(picked) < n:
        q = w * dist
        q[~alive] = 0.0
        if not picked and first == "max_norm":
            i = _argmax_random_ties(q, rng)
        else:
            for fallback in (q, w * alive, alive.astype(np.float64)):
                if fallback.sum() > 0 and np.isfinite(fallback.sum()):
                    i = _draw(fallback, rng)
                    break
        picked.append(i)
        spent += int(lengths[i])
        alive[i] = False
        new = squared_distances_to(x, x_sq, x[i])
        if len(picked) == 1:
            dist = new
        else:
            np.minimum(dist, new, out=dist)
    return picked


# ---------------------------------------------------------------------------- strategies
class CoreSet(Strategy):
    """Greedy furthest-first traversal over mean hidden states, from the labeled set.

    With no labeled set (``ctx.labeled_hidden`` None or empty) the first pick is uniform at random.
    """

    name = "coreset"
    needs = frozenset({"hidden", "labeled_hidden"})

    def select(self, ctx: QueryContext, budget: int) -> list[int]:
        lengths = _checked_lengths(ctx)
        if len(lengths) == 0 or budget <= 0:
            return []
        hidden = require_hidden(ctx.predictions, self.name)
        x = sentence_encodings(hidden)
        labeled = None
        if ctx.labeled_hidden is not None and len(ctx.labeled_hidden):
            labeled = sentence_encodings(ctx.labeled_hidden)
            if labeled.shape[1] != x.shape[1]:
                raise MultitagError(f"labeled hidden states have width {labeled.shape[1]} but the candidates' "
                                    f"have {x.shape[1]}; both must come from the same model")
        return k_center_greedy(x, lengths, budget, ctx.rng, labeled, overwrite=True)


class BADGE(Strategy):
    """k-means++ seeding over gradient embeddings of the last linear layer (Ash et al. 2020)."""

    name = "badge"
    needs = frozenset({"hidden", "marginals"})
    weighted: ClassVar[bool] = False

    def __init__(self, first: str = "max_norm"):
        if first not in ("max_norm", "sample"):
            raise MultitagError(f"{type(self).__name__}: first must be 'max_norm' or 'sample', got {first!r}")
        self.first = first

    def weights(self, lengths: np.ndarray) -> np.ndarray | None:
        """Sampling weights (N,), or None for uniform."""
        return None

    def select(self, ctx: QueryContext, budget: int) -> list[int]:
        lengths = _checked_lengths(ctx)
        if len(lengths) == 0 or budget <= 0:
            return []
        require_hidden(ctx.predictions, self.name)
        g = gradient_embeddings(ctx.predictions)
        return kmeanspp_seeding(g, lengths, budget, ctx.rng, self.weights(lengths), self.first, overwrite=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()" if self.first == "max_norm" else f"{type(self).__name__}(first={self.first!r})"


class WBADGE(BADGE):
    """BADGE with k-means++ probabilities weighted by squared length, ``w(x) = l(x)^2 / sum l^2``
    (paper 003, eq. 5), ``l`` = ``ctx.lengths``."""

    name = "wbadge"
    weighted = True

    def weights(self, lengths: np.ndarray) -> np.ndarray:
        l = np.asarray(lengths, dtype=np.float64)
        top = l.max() if len(l) else 0.0
        if top <= 0:
            return np.ones(len(l))
        return (l / top) ** 2     # proportional to l^2 / sum l^2; exactly 1 for equal lengths
