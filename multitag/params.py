"""Backend parameters as typed values: coerced once, at the edge, to the types of the backend's
constructor, and documented from the backend's docstring (``multitag backends NAME``).

A value given on the command line (``--param c1=0.5``) or in YAML arrives as a YAML scalar or list;
:func:`coerce_params` turns it into what the constructor declares (its annotation, or the type of
its default): ``int``, ``float``, ``bool``, ``str``, tuples and lists, ``None`` where allowed. A value
that does not fit is a one-line :class:`~multitag.errors.MultitagError` naming the backend, the
parameter and what it expects.
"""
from __future__ import annotations

import inspect
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Sequence

from multitag.errors import MultitagError

_NOT_SET = object()


@dataclass(frozen=True)
class ParamInfo:
    """One constructor parameter: name, default (``inspect.Parameter.empty`` if required),
    annotation (a type or typing construct, or ``None`` if unknown) and a one-line meaning."""

    name: str
    default: Any
    annotation: Any
    doc: str = ""

    def expected(self) -> str:
        return _describe(self.annotation, self.default)


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls.__init__)
    except Exception:  # unresolvable annotations: fall back to the defaults' types
        return {}


def param_infos(cls: type) -> list[ParamInfo]:
    """The constructor parameters of ``cls`` (``labels`` and ``seed`` included), documented."""
    hints = _hints(cls)
    docs = param_docs(cls)
    out = []
    for p in inspect.signature(cls.__init__).parameters.values():
        if p.name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        out.append(ParamInfo(p.name, p.default, hints.get(p.name), docs.get(p.name, "")))
    return out


# ---------------------------------------------------------------------------- coercion
def _union_args(tp: Any) -> tuple | None:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(tp)
    return None


def _describe(tp: Any, default: Any = _NOT_SET) -> str:
    if tp is None or tp is Any:
        if default is _NOT_SET or default is inspect.Parameter.empty or default is None:
            return "any value"
        tp = type(default)
    args = _union_args(tp)
    if args is not None:
        return " or ".join(_describe(a) for a in args)
    if tp is type(None):
        return "null"
    origin = typing.get_origin(tp)
    if origin in (tuple, list, typing.get_origin(Sequence[int])) or tp in (tuple, list):
        return "a list"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(tp, getattr(tp, "__name__", str(tp)))


def _coerce(value: Any, tp: Any) -> Any:
    """``value`` as ``tp``, or raise ValueError."""
    if tp is None or tp is Any:
        return value
    args = _union_args(tp)
    if args is not None:
        if value is None:
            if type(None) in args:
                return None
            raise ValueError
        last: Exception | None = None
        # try the most specific member first, so 3 stays an int in "int | float"
        for a in sorted((a for a in args if a is not type(None)), key=lambda a: {bool: 0, int: 1, float: 2}.get(a, 3)):
            try:
                return _coerce(value, a)
            except (ValueError, TypeError) as e:
                last = e
        raise ValueError from last
    if tp is type(None):
        if value is None:
            return None
        raise ValueError
    origin = typing.get_origin(tp) or tp
    if origin is bool:
        if isinstance(value, bool):
            return value
        raise ValueError
    if origin is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ValueError
        return value
    if origin is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError
        return float(value)
    if origin is str:
        if isinstance(value, str):
            return value
        raise ValueError
    if origin in (tuple, list) or origin is typing.get_origin(Sequence[int]):
        if isinstance(value, str):
            # a Sequence[str] parameter given one string: keep it as that one string's list
            items = [value]
        elif isinstance(value, (list, tuple)):
            items = list(value)
        else:
            raise ValueError
        targs = [a for a in typing.get_args(tp) if a is not Ellipsis]
        inner = targs[0] if targs else None
        items = [_coerce(v, inner) for v in items]
        return tuple(items) if origin is tuple else items
    if isinstance(origin, type) and isinstance(value, origin):
        return value
    raise ValueError


def _type_of(info: ParamInfo) -> Any:
    if info.annotation is not None:
        return info.annotation
    d = info.default
    if d is inspect.Parameter.empty or d is None:
        return None
    return type(d)


def coerce_params(cls: type, params: dict[str, Any], *, backend: str) -> dict[str, Any]:
    """``params`` coerced to the constructor types of ``cls``; unknown names and values that do not
    fit are one-line errors."""
    infos = {i.name: i for i in param_infos(cls)}
    out = {}
    for key, value in params.items():
        info = infos.get(key)
        if info is None or key in ("labels",):
            valid = sorted(set(infos) - {"labels", "seed"})
            raise MultitagError(f"backend {backend!r} has no parameter {key!r}; its parameters: {', '.join(valid)} "
                                f"(`multitag backends {backend}` explains each)")
        try:
            out[key] = _coerce(value, _type_of(info))
        except (ValueError, TypeError):
            raise MultitagError(f"backend {backend!r}: parameter {key} expects {info.expected()}, got {value!r}") from None
    return out


# ---------------------------------------------------------------------------- documentation
_SECTION = re.compile(r"^\s*Parameters\s*\n\s*-{3,}\s*$", re.M)
_NAMES = re.compile(r"^(?P<indent>\s*)(?P<names>[A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)\s*(?::\s*(?P<type>.*))?$")


_ABBREVIATIONS = ("e.g.", "i.e.", "al.", "etc.", "cf.", "vs.")


def _first_sentence(lines: list[str]) -> str:
    """The first sentence of a description (abbreviations such as "e.g." and "et al." do not end it,
    nor does a full stop or semicolon inside parentheses)."""
    text = " ".join(line.strip() for line in lines if line.strip())
    for m in re.finditer(r"[.;](?=\s|$)", text):
        head = text[: m.end()]
        if head.endswith(_ABBREVIATIONS) or re.search(r"\d\.$", head):
            continue
        if head.count("(") > head.count(")") or head.count("``") % 2:
            continue   # inside parentheses or a literal: "``rich`` (default; shapes, ...)" goes on
        rest = text[m.end():].lstrip()
        if not rest or rest[0].isupper() or rest[0] in "`(" or m.group() == ";":
            return head.rstrip(";").strip()
    return text


def parse_parameter_docs(doc: str | None) -> dict[str, str]:
    """``name -> one-line meaning`` from a numpydoc ``Parameters`` section (``name : type`` or
    ``a, b : type`` lines, each followed by an indented description)."""
    if not doc:
        return {}
    doc = inspect.cleandoc(doc)
    m = _SECTION.search(doc)
    if not m:
        return {}
    out: dict[str, str] = {}
    body = doc[m.end():].split("\n")
    names: list[str] = []
    desc: list[str] = []
    base_indent: int | None = None

    def flush() -> None:
        if names:
            line = _first_sentence(desc)
            for n in names:
                out.setdefault(n, line)

    lines = body[1:]
    for k, line in enumerate(lines):
        if not line.strip():
            desc.append("")
            continue
        indent = len(line) - len(line.lstrip())
        if base_indent is None:
            base_indent = indent
        following = next((x for x in lines[k + 1:] if x.strip()), "")
        if indent < base_indent or re.match(r"^\s*-{3,}\s*$", following):
            break  # the section ends (a new section title is underlined)
        nm = _NAMES.match(line)
        if indent == base_indent and nm:
            flush()
            names = [n.strip() for n in nm["names"].split(",")]
            # "a : {x, y}; b : bool" documents several parameters on one line
            names += re.findall(r";\s*([A-Za-z_]\w*)\s*:", nm["type"] or "")
            desc = []
        elif indent == base_indent:
            break
        else:
            desc.append(line)
    flush()
    return out


def param_docs(cls: type) -> dict[str, str]:
    """One-line meanings of the parameters of ``cls``, from its docstring and its bases'."""
    out: dict[str, str] = {}
    for klass in cls.__mro__:
        for name, text in parse_parameter_docs(klass.__dict__.get("__doc__")).items():
            out.setdefault(name, text)
    return out
