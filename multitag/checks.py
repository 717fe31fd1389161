"""Checking a run before any work: the one place that resolves a backend, coerces its parameters
and decides whether a strategy, a level, a training mode and a seed-set selection go together.

``multitag compare``/``mismatch`` (per backend, then per grid point), ``multitag project init``
and ``multitag train`` all call these, so the same combination is accepted or refused with the
same words everywhere.
"""
from __future__ import annotations

from typing import Any, Sequence

from multitag import registry
from multitag.annotation.initial import initial_selection_class
from multitag.annotation.levels import get_level
from multitag.annotation.training_modes import check_mode
from multitag.errors import CompatibilityError, MultitagError
from multitag.loop import check_compatible
from multitag.params import coerce_params
from multitag.settings import LearnerSettings
from multitag.strategies import get_strategy


def resolve_backend(name: str, params: dict[str, Any], *, labels: Sequence[str] = ("O",), seed: int = 0,
                    incremental: bool = False) -> dict[str, Any]:
    """``params`` coerced to backend ``name``'s constructor types and checked by its ``check()``
    (an unknown backend or parameter, a wrong value: one-line errors). ``incremental``: the run
    keeps each model across rounds, so the backend must be able to continue training."""
    cls = registry.resolve(name).cls
    if incremental and not cls.tags().warm_start:
        raise CompatibilityError(
            f"--incremental: backend {name!r} cannot continue training from its current weights "
            f"({cls.__name__} declares no warm_start; a CRF trained by crfsuite always starts again); "
            "drop --incremental or use a neural backend")
    typed = coerce_params(cls, params, backend=name)
    if incremental and typed.get("warm_start") is False:
        raise MultitagError(f"--incremental with --param warm_start=false for {name!r}: choose one")
    registry.create(name, labels=list(labels), seed=seed, **typed).check()
    return typed


def incompatibility(backend: str, strategy: str, settings: LearnerSettings, *, has_pos: bool,
                    successors: Sequence[str] = (), data: str = "data") -> str | None:
    """Why this combination cannot run (``None`` if it can): the strategy at the level, the seed-set
    selection on this data, the strategy's needs against the acquisition backend, the training
    mode against every model of the run. ``data`` names the data in the message."""
    strategy_obj = get_strategy(strategy)
    problem = get_level(settings.level).refusal(strategy_obj)
    if problem:
        return problem
    if initial_selection_class(settings.initial).needs_pos and not has_pos:
        return f"initial selection {settings.initial!r} needs POS tags, and this {data} has none"
    for k, name in enumerate((backend, *successors)):
        cls = registry.resolve(name).cls
        if k == 0:
            problem = check_compatible(cls, strategy_obj, mc_mode=settings.mc_mode, backend_name=name)
            if problem:
                return problem
        problem = check_mode(settings.training_mode, partial_training=cls.partial_training, has_pos=has_pos,
                             backend=name)
        if problem:
            return problem
    return None


def check_run(backend: str, params: dict[str, Any], strategy: str, settings: LearnerSettings, *, has_pos: bool,
              labels: Sequence[str] = ("O",), seed: int = 0, successors: Sequence[str] = (),
              incremental: bool = False, data: str = "data") -> dict[str, Any]:
    """Everything about one run checked before any work: the backend's typed parameters, or a
    one-line error (:class:`CompatibilityError` for a combination that cannot run)."""
    typed = resolve_backend(backend, params, labels=labels, seed=seed, incremental=incremental)
    problem = incompatibility(backend, strategy, settings, has_pos=has_pos, successors=successors, data=data)
    if problem:
        raise CompatibilityError(problem)
    initial_selection_class(settings.initial)(model=settings.initial_lm).check()
    return typed
