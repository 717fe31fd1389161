"""The ``params`` of a manifest back in the types of the backend's constructor."""
from __future__ import annotations

import inspect
from typing import Any

from multitag.errors import MultitagError
from multitag.params import _coerce, _type_of, param_infos
from multitag.persistence.manifest import MANIFEST


def _wants_tuple(default: Any, annotation: Any) -> bool:
    if isinstance(default, tuple):
        return True
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    return any(part.strip().lower().startswith("tuple") for part in str(text).split("|"))


def params_from_manifest(cls: type, params: dict[str, Any], *, where: str = "") -> dict[str, Any]:
    """The ``params`` of a manifest back in the types of ``cls``'s constructor, each checked
    against its declaration: a list becomes a tuple where the default (or the annotation) is a
    tuple; a name the constructor lacks, or a value that does not fit the declared type, is a
    one-line :class:`MultitagError` naming the parameter (allowed *values*, such as a feature set's
    names, are the backend's to check in its ``_load_state``)."""
    sig = inspect.signature(cls.__init__)
    try:
        infos = {i.name: i for i in param_infos(cls)}
    except Exception:  # pragma: no cover - an unusual constructor: names only
        infos = {}
    out = {}
    for name, value in params.items():
        p = sig.parameters.get(name)
        if p is None or name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            have = ", ".join(n for n in sig.parameters if n not in ("self", "labels"))
            raise MultitagError(f"{where}{cls.__name__} has no parameter {name!r} (it has {have}); "
                                "the model was saved by another version of the backend; retrain")
        info = infos.get(name)
        if info is not None and name != "labels":
            try:
                typed = _coerce(value, _type_of(info))
            except (ValueError, TypeError):
                raise MultitagError(f"{where}{MANIFEST}: parameter {name!r} of {cls.__name__} expects "
                                    f"{info.expected()}, not {value!r:.80}; the manifest was edited or "
                                    "damaged") from None
            if isinstance(typed, (list, tuple)):
                value = typed
        if isinstance(value, list) and _wants_tuple(p.default, p.annotation):
            value = tuple(value)
        out[name] = value
    return out
