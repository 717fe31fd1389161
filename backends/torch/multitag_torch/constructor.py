"""Constructor parameters declared once and shared by several tagger classes.

:func:`stores_parameters` writes a class's ``__init__`` from a list of :class:`Param`, the way
:mod:`dataclasses` writes one: a real function with an explicit keyword-only signature (names,
string annotations, defaults) whose body only stores each parameter under its own name (the
scikit-learn idiom). ``inspect.signature``, ``typing.get_type_hints``, ``get_params``, ``clone``
and ``multitag backends NAME`` read it exactly as a hand-written ``__init__`` (no ``**kwargs``).
Annotations are resolved in the module of the decorated class, as under
``from __future__ import annotations``; a name that does not resolve there fails at import.

Example::

    COMMON = (Param("labels", "Sequence[str]"), Param("seed", "int", 0))

    @stores_parameters(*COMMON, Param("hidden", "int", 128))
    class MyTagger(Tagger):
        ...
"""
from __future__ import annotations

import __future__
import ast
import inspect
import keyword
import sys
import typing
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable

REQUIRED = inspect.Parameter.empty


@dataclass(frozen=True)
class Param:
    """One constructor parameter: its name, its annotation (source text) and its default
    (:data:`REQUIRED` when it has none)."""

    name: str
    annotation: str
    default: Any = REQUIRED


def with_defaults(params: Iterable[Param], **defaults: Any) -> tuple[Param, ...]:
    """``params`` with the defaults of some of them changed (a class's own choice of, e.g., ``lr``)."""
    params = tuple(params)
    unknown = set(defaults) - {p.name for p in params}
    if unknown:
        raise TypeError(f"with_defaults: no parameter {', '.join(sorted(unknown))} among {[p.name for p in params]}")
    return tuple(replace(p, default=defaults[p.name]) if p.name in defaults else p for p in params)


def stores_parameters(*params: Param) -> Callable[[type], type]:
    """A class decorator that gives the class an ``__init__(self, *, <params>) -> None`` storing
    each parameter as an attribute of the same name, in the order given."""
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise TypeError(f"stores_parameters: a parameter is declared twice in {names}")
    for p in params:
        if not p.name.isidentifier() or keyword.iskeyword(p.name) or p.name == "self":
            raise TypeError(f"stores_parameters: {p.name!r} is not a parameter name")
        try:
            ast.parse(p.annotation, mode="eval")
        except SyntaxError:
            raise TypeError(f"stores_parameters: the annotation of {p.name!r} is not an expression: {p.annotation!r}") from None

    def decorate(cls: type) -> type:
        if "__init__" in cls.__dict__:
            raise TypeError(f"{cls.__name__} defines __init__ and is decorated with stores_parameters")
        signature = ", ".join(f"{p.name}: {p.annotation}" for p in params)
        body = "".join(f"    self.{p.name} = {p.name}\n" for p in params) or "    pass\n"
        source = f"def __init__(self, *, {signature}) -> None:\n{body}" if params else \
            f"def __init__(self) -> None:\n{body}"
        # compiled with postponed annotations: each annotation is kept as its source text
        code = compile(source, f"<stores_parameters {cls.__qualname__}>", "exec",
                       flags=__future__.annotations.compiler_flag, dont_inherit=True)
        namespace: dict[str, Any] = {}
        exec(code, vars(sys.modules[cls.__module__]), namespace)  # noqa: S102 - as dataclasses writes __init__
        init = namespace["__init__"]
        init.__kwdefaults__ = {p.name: p.default for p in params if p.default is not REQUIRED} or None
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        init.__module__ = cls.__module__
        typing.get_type_hints(init)  # an annotation that does not resolve in the class's module fails here
        cls.__init__ = init
        return cls

    return decorate


__all__ = ["Param", "REQUIRED", "stores_parameters", "with_defaults"]
