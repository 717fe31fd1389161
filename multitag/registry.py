"""Plugin lookup through entry points: backends (``multitag.backends``), query strategies
(``multitag.strategies``), seed-set selections (``multitag.initial``) and CLI commands
(``multitag.commands``). The first-party plugins are registered exactly the same way, in the
``setup.cfg`` of their distribution.

An entry point names either a :class:`~multitag.backend.Tagger` subclass or a :class:`Preset` (a
backend class with default parameters, e.g. ``bert`` = ``transformer`` with
``model="bert-base-cased"``). Nothing is imported until a backend is asked for, so listing names and
``multitag --help`` import no backend library.

The registry recognises a backend class by the members the contract declares
(:func:`is_tagger_class`), not by importing :mod:`multitag.backend`: the contract saves and loads
through :mod:`multitag.persistence`, which finds classes here, so the dependency runs one way
(backend -> persistence -> registry).

Tests (and notebooks) can register a backend without packaging it::

    with registry.registered("dummy", DummyTagger):
        ...
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable, Iterator

from multitag.errors import MultitagError

GROUP = "multitag.backends"
COMMANDS_GROUP = "multitag.commands"
STRATEGIES_GROUP = "multitag.strategies"
INITIAL_GROUP = "multitag.initial"

_extra: dict[str, Any] = {}

# The members every backend class has (:class:`multitag.backend.Tagger` defines or declares them).
TAGGER_MEMBERS = ("fit", "predict", "sample", "get_params", "clone", "tags", "_param_names", "_save_state",
                  "_load_state")


def is_tagger_class(obj: Any) -> bool:
    """Whether ``obj`` is a backend class: a class with every member of :data:`TAGGER_MEMBERS`
    (a subclass of :class:`multitag.backend.Tagger` always is)."""
    return isinstance(obj, type) and all(callable(getattr(obj, m, None)) for m in TAGGER_MEMBERS)


class PluginGroup:
    """Named plugins of one entry-point group, imported only when one is asked for.

    ``what`` names the kind of plugin in messages ("strategy", "initial selection").
    """

    def __init__(self, group: str, what: str):
        self.group = group
        self.what = what
        self._extra: dict[str, Any] = {}

    def _entry_points(self) -> dict[str, metadata.EntryPoint]:
        found: dict[str, metadata.EntryPoint] = {}
        for ep in metadata.entry_points(group=self.group):
            if ep.name in found and found[ep.name].value != ep.value:
                raise MultitagError(f"{self.what} name {ep.name!r} is registered twice ({found[ep.name].value} "
                                    f"and {ep.value}); uninstall one of the packages")
            found[ep.name] = ep
        return found

    def names(self) -> list[str]:
        """Installed names, sorted (imports nothing)."""
        return sorted(set(self._entry_points()) | set(self._extra))

    def load(self, name: str) -> Any:
        """The object registered as ``name``; an unknown name is an error listing the installed ones."""
        if name in self._extra:
            return self._extra[name]
        eps = self._entry_points()
        if name not in eps:
            raise MultitagError(f"unknown {self.what} {name!r}; installed: {', '.join(self.names()) or 'none'}")
        try:
            return eps[name].load()
        except (ImportError, AttributeError) as e:
            raise MultitagError(f"{self.what} {name!r} is installed but cannot be imported: {e}") from None

    @contextlib.contextmanager
    def registered(self, name: str, obj: Any) -> Iterator[None]:
        """Test hook: make ``obj`` available as ``name`` inside the block."""
        if name in self._extra or name in self._entry_points():
            raise MultitagError(f"{self.what} name {name!r} is registered twice")
        self._extra[name] = obj
        try:
            yield
        finally:
            self._extra.pop(name, None)


class CachedPluginGroup(PluginGroup):
    """A plugin group whose entry points are read once per process: its plugins are looked up in
    inner loops (annotation levels: once per query and answer)."""

    def __init__(self, group: str, what: str):
        super().__init__(group, what)
        self._found: dict[str, metadata.EntryPoint] | None = None

    def _entry_points(self) -> dict[str, metadata.EntryPoint]:
        if self._found is None:
            self._found = super()._entry_points()
        return self._found


LEVELS_GROUP = "multitag.levels"

strategies = PluginGroup(STRATEGIES_GROUP, "strategy")
initial_selections = PluginGroup(INITIAL_GROUP, "initial selection")
levels = CachedPluginGroup(LEVELS_GROUP, "annotation level")


@dataclass(frozen=True)
class Preset:
    """A named configuration of a backend class: ``make(labels=..., seed=...)`` builds it.

    ``defaults`` may hold callables, called with no argument when the preset is built (so a model
    path can be looked up lazily, e.g. from an environment variable).
    """

    backend: Any  # a Tagger subclass, or a zero-argument callable returning one (lazy import)
    defaults: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def cls(self):
        b = self.backend
        if is_tagger_class(b):
            return b
        return b()

    def resolved_defaults(self) -> dict[str, Any]:
        return {k: (v() if callable(v) else v) for k, v in self.defaults.items()}


def _entry_points() -> dict[str, metadata.EntryPoint]:
    found: dict[str, metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=GROUP):
        if ep.name in found and found[ep.name].value != ep.value:
            raise MultitagError(
                f"backend name {ep.name!r} is registered twice ({found[ep.name].value} and {ep.value}); "
                "uninstall one of the packages"
            )
        found[ep.name] = ep
    return found


def available() -> list[str]:
    """Names of the installed backends and presets, sorted (imports nothing)."""
    names = set(_entry_points())
    dup = names & set(_extra)
    if dup:
        raise MultitagError(f"backend name {sorted(dup)[0]!r} is registered twice")
    return sorted(names | set(_extra))


def resolve(name: str) -> Preset:
    """The backend registered as ``name``, as a :class:`Preset` (plain classes get no defaults)."""
    if name in _extra:
        obj = _extra[name]
    else:
        eps = _entry_points()
        if name not in eps:
            have = ", ".join(available()) or "none (install a backend, e.g. pip install ./backends/crf)"
            raise MultitagError(f"unknown backend {name!r}; installed: {have}")
        try:
            obj = eps[name].load()
        except ImportError as e:
            raise MultitagError(f"backend {name!r} is installed but cannot be imported: {e}") from None
    if isinstance(obj, Preset):
        return obj
    if is_tagger_class(obj):
        return Preset(obj)
    raise MultitagError(f"backend {name!r} points to {obj!r}, which is neither a Tagger subclass nor a Preset")


def backend_class(name: str):
    return resolve(name).cls


def name_of(cls: type) -> str | None:
    """The registered name of the backend class ``cls`` (a reverse lookup), or None.

    In order: a :func:`registered` name bound to ``cls`` itself; the entry point whose value is
    ``cls``'s ``module:qualname`` (imports nothing); else a :class:`Preset` entry point of ``cls``'s
    own top-level package whose class is ``cls`` (presets without defaults first), which imports
    only that package's registry module. Several matches of one kind: the first name in sort order.
    """
    extra = sorted(n for n, obj in _extra.items()
                   if obj is cls or (isinstance(obj, Preset) and obj.backend is cls))
    if extra:
        return extra[0]
    eps = _entry_points()
    target = f"{cls.__module__}:{cls.__qualname__}"
    exact = sorted(n for n, ep in eps.items() if ep.value.split("[")[0].replace(" ", "") == target)
    if exact:
        return exact[0]
    package = cls.__module__.split(".")[0]
    presets = []
    for n, ep in sorted(eps.items()):
        if ep.value.split(":")[0].strip().split(".")[0] != package:
            continue
        try:
            obj = ep.load()
            if isinstance(obj, Preset) and obj.cls is cls:
                presets.append((bool(obj.defaults), n))
        except Exception:  # a broken entry point of the same package is not this class's name
            continue
    return min(presets)[1] if presets else None


def create(name: str, *, labels, seed: int = 0, **params: Any):
    """Build the backend ``name`` with its preset defaults, overridden by ``params``."""
    preset = resolve(name)
    cls = preset.cls
    merged = {**preset.resolved_defaults(), **params}
    valid = set(cls._param_names())
    unknown = sorted(set(merged) - valid)
    if unknown:
        raise MultitagError(
            f"backend {name!r} has no parameter {', '.join(map(repr, unknown))}; its parameters: "
            f"{', '.join(sorted(valid - {'labels', 'seed'}))}"
        )
    return cls(labels=list(labels), seed=seed, **merged)


def factory(name: str, **params: Any) -> Callable[..., Any]:
    """``factory(labels=..., seed=...)`` for :func:`multitag.testing.check_backend` and the engine."""
    return lambda *, labels, seed=0: create(name, labels=labels, seed=seed, **params)


@contextlib.contextmanager
def registered(name: str, backend: Any) -> Iterator[None]:
    """Test hook: make ``backend`` (a Tagger subclass or Preset) available as ``name`` in the block."""
    if name in _extra or name in _entry_points():
        raise MultitagError(f"backend name {name!r} is registered twice")
    _extra[name] = backend
    try:
        yield
    finally:
        _extra.pop(name, None)


def commands() -> list[metadata.EntryPoint]:
    """CLI commands contributed by plugins (group ``multitag.commands``), not yet imported."""
    return sorted(metadata.entry_points(group=COMMANDS_GROUP), key=lambda ep: ep.name)
