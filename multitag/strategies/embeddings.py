"""Sentence representations and gradient embeddings, computed from what backends return.

Both are built in the core from :class:`multitag.backend.Prediction` fields (``hidden``,
``marginals``, ``tags``), never inside a backend, so every backend with ``hidden_states`` gets
Core-set and BADGE for free. Everything is float32 and filled sentence by sentence into one
preallocated output array.

* :func:`sentence_encodings`: the mean of a sentence's hidden states, shape (N, d) (Core-set).
* :func:`gradient_embeddings`: the BADGE / W-BADGE embedding of paper 003 (section 4.1, eq. 4): for a
  sentence with hidden states ``h_t`` (d,), label distributions ``p_t`` (L,) and hypothesis labels
  ``y_hat_t``,

  ``g = sum_t (onehot(y_hat_t) - p_t) outer h_t``, shape (L, d), flattened row-major to (L*d,),

  i.e. minus the gradient of the cross-entropy loss ``-sum_t log softmax(W h_t + b)[y_hat_t]``
  with respect to the weight ``W`` (L, d) of the last linear layer, with ``p_t`` the softmax. Entry
  ``j*d + k`` is ``dLoss/dW[j, k]`` with the sign flipped (the layout of ``torch.nn.Linear.weight``).
  The sign does not matter to the distance-based strategies that use it.

For CRF-type backends ``p_t`` are forward-backward marginals rather than a softmax, so the embedding
is then the same formula on those marginals, not an exact gradient.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from multitag.backend import Prediction
from multitag.errors import CompatibilityError, MultitagError


def require_hidden(predictions: Sequence[Prediction] | None, strategy: str) -> list[np.ndarray]:
    """The ``hidden`` arrays of ``predictions``, or a :class:`CompatibilityError` saying what to do.

    Parameters
    ----------
    predictions : list of N Prediction, or None
    strategy : str
        Strategy name, for the message.

    Returns
    -------
    list of N ndarray, each (n_i, d)
    """
    hint = (f"strategy {strategy!r} needs hidden states (the input of the last linear layer); use a backend "
            f"with hidden_states=True (e.g. the torch or transformers backends, not crf) or a strategy that "
            f"needs only marginals (e.g. mnlp, bt)")
    if predictions is None:
        raise CompatibilityError(f"{hint}: the query context holds no predictions")
    hidden = []
    dims = set()
    for i, p in enumerate(predictions):
        if p.hidden is None:
            raise CompatibilityError(f"{hint}: prediction {i} has no hidden states")
        h = np.asarray(p.hidden)
        if h.ndim != 2 or h.shape[0] != len(p.tags):
            raise MultitagError(f"prediction {i}: hidden must have shape (n_tokens={len(p.tags)}, d), "
                                f"got {h.shape}; the backend breaks the Prediction contract")
        dims.add(h.shape[1])
        hidden.append(h)
    if len(dims) > 1:
        raise MultitagError(f"hidden states of different widths {sorted(dims)} in one query; the backend "
                            f"must return the same d for every sentence")
    return hidden


def sentence_encodings(hidden_list: Sequence[np.ndarray], dim: int | None = None) -> np.ndarray:
    """Mean of each sentence's hidden states over its tokens.

    Parameters
    ----------
    hidden_list : list of N ndarray, each (n_i, d)
    dim : int, optional
        ``d``; needed only when ``hidden_list`` is empty (otherwise read from the first array).

    Returns
    -------
    ndarray, shape (N, d), float32
        A sentence with no tokens gets the zero vector.
    """
    if len(hidden_list) == 0:
        return np.zeros((0, dim or 0), dtype=np.float32)
    d = np.asarray(hidden_list[0]).shape[1]
    if dim is not None and dim != d:
        raise MultitagError(f"hidden states have width {d}, expected {dim}")
    out = np.zeros((len(hidden_list), d), dtype=np.float32)
    for i, h in enumerate(hidden_list):
        h = np.asarray(h, dtype=np.float32)
        if h.ndim != 2 or h.shape[1] != d:
            raise MultitagError(f"hidden state {i} has shape {h.shape}, expected (n_tokens, {d})")
        if h.shape[0]:
            out[i] = h.mean(axis=0, dtype=np.float32)
    return out


def _hypothesis(p: Prediction, i: int, n_labels: int, labels: dict[str, int] | None,
                targets: Sequence[np.ndarray] | None, marginals: np.ndarray) -> np.ndarray:
    """Label index per token (n,) int: ``targets[i]``, ``labels[tag]`` or the argmax of the marginals."""
    n = marginals.shape[0]
    if targets is not None:
        y = np.asarray(targets[i], dtype=np.int64)
        if y.shape != (n,) or (n and (y.min() < 0 or y.max() >= n_labels)):
            raise MultitagError(f"targets[{i}] must be {n} label indices in [0, {n_labels}), got {y!r}")
        return y
    if labels is not None:
        try:
            return np.fromiter((labels[t] for t in p.tags), dtype=np.int64, count=n)
        except KeyError as e:
            raise MultitagError(f"prediction {i} has tag {e.args[0]!r}, which is not in the label list") from None
    return marginals.argmax(axis=1) if n else np.zeros(0, dtype=np.int64)


def gradient_embeddings(predictions: Sequence[Prediction], labels_count: int | None = None, *,
                        labels: Sequence[str] | None = None,
                        targets: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """BADGE gradient embeddings ``sum_t (onehot(y_hat_t) - p_t) outer h_t``, flattened.

    Parameters
    ----------
    predictions : list of N Prediction
        Each with ``marginals`` (n_i, L) and ``hidden`` (n_i, d).
    labels_count : int, optional
        ``L``; read from the marginals when omitted (checked against them when given).
    labels : list of L str, optional
        Column names of the marginals. When given, the hypothesis ``y_hat_t`` is the predicted tag
        ``Prediction.tags[t]`` (the backend's best path, e.g. Viterbi).
    targets : list of N int arrays (n_i,), optional
        Explicit hypothesis label indices (instead of ``labels``).

        With neither ``labels`` nor ``targets``, ``y_hat_t = argmax_j p_t[j]``, the hypothesis of
        paper 003 (eq. 4, ``y_hat_t = argmax(z_t)``); this is what the strategies use, since it
        needs no label list. For softmax taggers it equals the predicted tag.

    Returns
    -------
    ndarray, shape (N, L*d), float32
        Row ``i`` is the (L, d) matrix of sentence ``i`` flattened row-major. A sentence with no
        tokens gets zeros.
    """
    if labels is not None and targets is not None:
        raise MultitagError("gradient_embeddings: give either labels or targets, not both")
    hidden = require_hidden(predictions, "badge")
    n_sent = len(predictions)
    if n_sent == 0:
        return np.zeros((0, 0), dtype=np.float32)
    d = hidden[0].shape[1]
    if labels_count is None:
        labels_count = np.asarray(predictions[0].marginals).shape[1]
    if labels is not None and len(labels) != labels_count:
        raise MultitagError(f"{len(labels)} labels given for marginals with {labels_count} columns")
    index = None if labels is None else {lab: j for j, lab in enumerate(labels)}
    out = np.zeros((n_sent, labels_count * d), dtype=np.float32)
    eye = np.eye(labels_count, dtype=np.float32)
    for i, (p, h) in enumerate(zip(predictions, hidden)):
        m = np.asarray(p.marginals, dtype=np.float32)
        if m.ndim != 2 or m.shape != (h.shape[0], labels_count):
            raise MultitagError(f"prediction {i}: marginals have shape {m.shape}, expected "
                                f"({h.shape[0]}, {labels_count})")
        if m.shape[0] == 0:
            continue
        y = _hypothesis(p, i, labels_count, index, targets, m)
        residual = eye[y]                      # (n, L) one-hot
        residual -= m                          # onehot - p
        # (L, n) @ (n, d) -> (L, d), written straight into the output row
        np.matmul(residual.T, np.asarray(h, dtype=np.float32), out=out[i].reshape(labels_count, d))
    return out
