"""Mixed precision for the torch backends: the ``precision`` parameter.

``"fp32"``
    Everything in float32 (no autocast).
``"bf16"`` / ``"fp16"``
    The network's forward passes run under :func:`torch.autocast` with that dtype, in training and
    in inference; fp16 training scales the loss with a :class:`torch.amp.GradScaler` (bf16 needs
    none). Parameters and optimiser state stay float32.
``"auto"``
    bf16 on a CUDA GPU that supports it (and passes the probe below), fp32 otherwise (on the CPU in
    particular).

Whatever the precision, the outputs multitag reads are computed in float32: the CRF's forward
backward, Viterbi and loss (:class:`multitag_torch.crf.CRF` casts its emissions and switches
autocast off, see also :func:`full_precision`), softmax marginals, log-probabilities and
cross-entropy losses (the callers cast the scores with ``.float()`` first).

:func:`resolve` probes each (device, precision, LSTM or not) once, with a forward and a backward
pass, and turns a refusal into a :class:`~multitag.errors.MultitagError` that names the
alternatives. What torch 2.13 does on this project's CPU (AMD EPYC with AVX-512 BF16, no AVX-512 FP16):
bf16 autocast works for every layer the backends use; fp16 autocast works for linear layers,
convolutions and attention (the transformer backend), but oneDNN has no fp16 LSTM (``could not
create a primitive descriptor for the LSTM forward propagation primitive``), so the LSTM taggers
refuse fp16 there with that message.
"""
from __future__ import annotations

import contextlib
import functools
from typing import ContextManager

import torch

from multitag.errors import MultitagError

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def check(precision: object, owner: str = "precision") -> None:
    """Raise :class:`MultitagError` unless ``precision`` is one of :data:`PRECISIONS`."""
    if precision not in PRECISIONS:
        raise MultitagError(f"{owner}: precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")


@functools.lru_cache(maxsize=None)
def _probe(device_type: str, name: str, lstm: bool = False) -> str | None:
    """None when autocast with ``name`` works on ``device_type`` (a tiny linear layer and, with
    ``lstm``, a bidirectional LSTM over a packed and over a plain batch; forward and backward),
    else the error text."""
    from torch.nn.utils.rnn import pack_padded_sequence

    try:
        with torch.inference_mode(False), torch.enable_grad():  # also when asked from inside inference
            dev = "cuda" if device_type == "cuda" else "cpu"
            lin = torch.nn.Linear(4, 4).to(dev)
            x = torch.ones(2, 3, 4, device=dev)
            with torch.autocast(device_type=device_type, dtype=_DTYPES[name]):
                y = lin(x)
                if lstm:
                    rnn = torch.nn.LSTM(4, 4, batch_first=True, bidirectional=True).to(dev)
                    packed = pack_padded_sequence(x, torch.tensor([3, 2]), batch_first=True, enforce_sorted=False)
                    y = y.sum() + rnn(packed)[0].data.sum() + rnn(x)[0].sum()
            if not lstm and y.dtype != _DTYPES[name]:
                return f"autocast produced {y.dtype}"
            y.float().sum().backward()
    except (RuntimeError, TypeError, ValueError) as e:
        return str(e).splitlines()[0] if str(e) else type(e).__name__
    return None


def resolve(precision: str, device: torch.device | str, *, lstm: bool = False) -> str:
    """The concrete precision (``"fp32"``, ``"bf16"`` or ``"fp16"``) for ``device``; ``lstm``: the
    network has LSTM layers (probed too).

    Raises
    ------
    MultitagError
        For an unknown value, bf16 on a GPU without bf16 support, or a precision that this torch
        cannot autocast on this device.
    """
    check(precision)
    device = torch.device(device)
    if precision == "fp32":
        return "fp32"
    if precision == "auto":  # never an error: bf16 only where it is supported and the probe passes
        if (device.type == "cuda" and torch.cuda.is_available() and torch.cuda.is_bf16_supported()
                and _probe("cuda", "bf16", lstm) is None):
            return "bf16"
        return "fp32"
    if device.type == "cuda" and precision == "bf16" and not torch.cuda.is_bf16_supported():
        raise MultitagError("precision 'bf16' asked for, but this GPU does not support bfloat16; use 'fp16' or 'fp32'")
    if device.type not in ("cpu", "cuda"):
        raise MultitagError(f"precision {precision!r} is supported on 'cpu' and 'cuda' devices, not {device.type!r}; use 'fp32'")
    err = _probe(device.type, precision, lstm)
    if err is not None:
        others = " or ".join(repr(p) for p in ("bf16", "fp16", "fp32") if p != precision)
        what = " for LSTM networks" if lstm else ""
        raise MultitagError(f"precision {precision!r} is not supported on {device.type}{what} by torch "
                            f"{torch.__version__} ({err}); use {others}")
    return precision


def autocast(precision: str, device: torch.device | str) -> ContextManager:
    """``torch.autocast`` for a resolved ``precision`` (a no-op context for fp32)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=_DTYPES[precision])


def full_precision(device: torch.device | str) -> ContextManager:
    """Autocast switched off: what runs inside computes in the dtypes of its inputs (float32)."""
    return torch.autocast(device_type=torch.device(device).type, enabled=False)


def grad_scaler(precision: str, device: torch.device | str) -> torch.amp.GradScaler:
    """A gradient scaler, enabled for fp16 only (a disabled scaler passes calls through)."""
    return torch.amp.GradScaler(torch.device(device).type, enabled=precision == "fp16")
