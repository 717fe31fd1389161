"""Read a flair character language model file (``best-lm.pt``, what ``LanguageModel.save`` and
``multitag pretrain-lm`` write) without running code from it.

flair's own ``LanguageModel.load_language_model`` calls ``torch.load(weights_only=False)`` with the
full unpickler: a crafted file runs code when read. torch's ``weights_only=True`` reader cannot
read these files (flair writes pickle protocol 4, which it does not parse), so here torch's loader
gets a restricted unpickler instead: the only globals a file may name are the ones a flair LM file
holds (``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2``, torch's storage types, which
torch itself resolves, and ``flair.data.Dictionary``, which is read into a plain stand-in, so no
flair code runs). TorchScript archives, which torch would hand to ``torch.jit.load``, are refused
before torch opens the file. The model is then built exactly as flair builds it. A file that
needs anything else is refused in one line that says how to convert a file you trust.
"""
from __future__ import annotations

import collections
import os
import pickle
import types
import zipfile
from typing import Any

from multitag.errors import MultitagError

_DICTIONARY_FLAGS = ("add_unk", "multi_label", "span_labels")


def _allowed_globals() -> dict[tuple[str, str], Any]:
    import torch._utils

    return {("collections", "OrderedDict"): collections.OrderedDict,
            ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
            ("flair.data", "Dictionary"): _DictionaryState}


class _DictionaryState:
    """What the restricted unpickler makes of a pickled flair ``Dictionary``: its attributes, nothing more."""


def convert_command(path: str) -> str:
    """The one-line command that re-saves an LM file you trust in the format read here."""
    root, ext = os.path.splitext(path)
    return (f"python -c \"from flair.models import LanguageModel; "
            f"LanguageModel.load_language_model({path!r}).save({root + '-plain' + (ext or '.pt')!r})\"")


def _first_line(e: Exception) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    return lines[0].rstrip(".") if lines else type(e).__name__


def _refuse(path: str, why: str) -> MultitagError:
    return MultitagError(
        f"character LM {path}: {why}; multitag reads LM files only as tensors, numbers, strings and a "
        f"flair Dictionary (never with the full unpickler, which can run code). "
        f"A file you trust converts once with: {convert_command(path)}")


class _RestrictedUnpickler(pickle._Unpickler):
    """A pickle reader that resolves only the globals of a flair LM file (see the module's doc) and
    sets attributes (BUILD) only from a plain dict and only on the Dictionary stand-in or an
    OrderedDict (a state dict's ``_metadata``). It is the pure-Python unpickler, so that BUILD can be
    restricted; an LM file's pickle is small (its tensors are separate records)."""

    def find_class(self, module: str, name: str):
        allowed = _allowed_globals()
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"it names the global {module}.{name}")
        return allowed[module, name]

    def _load_build(self) -> None:
        state, inst = self.stack[-1], self.stack[-2]
        if type(inst) not in (_DictionaryState, collections.OrderedDict) or type(state) is not dict:
            raise pickle.UnpicklingError(f"it sets the state of a {type(inst).__name__}")
        pickle._Unpickler.load_build(self)

    dispatch = {**pickle._Unpickler.dispatch, pickle.BUILD[0]: _load_build}


def _restricted_load(file, **kwargs):
    return _RestrictedUnpickler(file, **kwargs).load()


# what torch.load needs of a pickle module: Unpickler and load (its older file layout calls load)
_PICKLE_MODULE = types.ModuleType("multitag_flair_lm_pickle")
_PICKLE_MODULE.Unpickler = _RestrictedUnpickler
_PICKLE_MODULE.load = _restricted_load


def _refuse_torchscript(path: str) -> None:
    """torch.load hands a TorchScript archive to ``torch.jit.load``; refuse it before that."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError) as e:
        raise _refuse(path, f"a damaged zip file ({e})") from None
    if any(n.endswith("/constants.pkl") or "/code/" in n for n in names):
        raise _refuse(path, "a TorchScript archive, not a flair LM file")


def read_state(path: str) -> dict[str, Any]:
    """The dict ``LanguageModel.save`` wrote to ``path``, read with the restricted unpickler; its
    ``"dictionary"`` is a :class:`_DictionaryState`."""
    import flair
    import torch

    _refuse_torchscript(path)
    try:
        state = torch.load(path, map_location=flair.device, pickle_module=_PICKLE_MODULE, weights_only=False)
    except (OSError, MemoryError) as e:
        raise MultitagError(f"cannot read the character LM {path}: {e}") from None
    except Exception as e:  # pickle.UnpicklingError and whatever a damaged file makes torch raise
        raise _refuse(path, f"not a plain flair LM file: {_first_line(e)}") from None
    if not isinstance(state, dict) or not isinstance(state.get("state_dict"), dict):
        raise _refuse(path, "not a flair LM file (no state_dict)")
    return state


def _dictionary(path: str, found: Any):
    """A flair ``Dictionary`` with the attributes of ``found`` (what unpickling it would have made)."""
    from flair.data import Dictionary

    if not isinstance(found, _DictionaryState):
        raise _refuse(path, "its dictionary is not a flair Dictionary")
    attrs = vars(found)
    idx2item, item2idx = attrs.get("idx2item"), attrs.get("item2idx")
    if not (isinstance(idx2item, list) and all(isinstance(b, bytes) for b in idx2item)
            and isinstance(item2idx, dict)
            and all(isinstance(k, bytes) and type(v) is int for k, v in item2idx.items())):
        raise _refuse(path, "its dictionary's items are not byte strings with integer ids")
    if any(k in attrs and not isinstance(attrs[k], bool) for k in _DICTIONARY_FLAGS):
        raise _refuse(path, "its dictionary's flags are not booleans")
    d = Dictionary.__new__(Dictionary)
    d.__dict__.update({k: attrs[k] for k in ("item2idx", "idx2item", *_DICTIONARY_FLAGS) if k in attrs})
    return d


def _typed(path: str, state: dict[str, Any], key: str, types: tuple[type, ...], default: Any = ...) -> Any:
    if key not in state:
        if default is ...:
            raise _refuse(path, f"it lacks {key!r}")
        return default
    value = state[key]
    if type(value) not in types:
        raise _refuse(path, f"its {key!r} is a {type(value).__name__}")
    return value


def load_lm(path: str, *, has_decoder: bool = False):
    """A flair ``LanguageModel`` from ``path``, the same one ``LanguageModel.load_language_model(path,
    has_decoder=has_decoder)`` gives (same construction, so the same random draws before the
    weights are loaded), without unpickling anything but plain data."""
    import flair
    from flair.models import LanguageModel

    if not os.path.isfile(path):
        raise MultitagError(f"character LM {path} is not a file")
    state = read_state(path)
    has_decoder = _typed(path, state, "has_decoder", (bool,), True) and has_decoder
    try:
        model = LanguageModel(
            dictionary=_dictionary(path, state.get("dictionary")),
            is_forward_lm=_typed(path, state, "is_forward_lm", (bool,)),
            hidden_size=_typed(path, state, "hidden_size", (int,)),
            nlayers=_typed(path, state, "nlayers", (int,)),
            embedding_size=_typed(path, state, "embedding_size", (int,)),
            nout=_typed(path, state, "nout", (int, type(None))),
            document_delimiter=_typed(path, state, "document_delimiter", (str,), "\n"),
            dropout=_typed(path, state, "dropout", (float, int)),
            recurrent_type=_typed(path, state, "recurrent_type", (str,), "lstm"),
            has_decoder=has_decoder,
        )
        model.load_state_dict(state["state_dict"], strict=has_decoder)
    except MultitagError:
        raise
    except Exception as e:  # sizes that do not fit the weights, an unknown recurrent type, ...
        raise MultitagError(f"cannot load the character LM {path}: its weights do not fit its sizes "
                            f"({_first_line(e)})") from None
    model.eval()
    model.to(flair.device)
    return model
