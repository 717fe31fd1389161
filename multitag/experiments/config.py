"""Experiment configuration: typed, validated values, parsed once.

What `multitag compare` / `mismatch` run comes from a YAML protocol (``--config``), overridden by
the options given on the command line; both are merged here (:func:`config_from_sources`) and
every value is checked by the same parser, so a wrong value is a one-line error before anything is
written under OUT. :meth:`ExperimentConfig.resolve_backends` then coerces backend parameters to the
types of each backend's constructor and runs its ``check()``.

The resolved configuration is saved as ``OUT/config.yaml``; running the same command again on the
same OUT resumes, and a different configuration on an existing OUT is refused.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, Callable

from multitag.annotation.budget import InitialSize, Schedule, parse_fraction, parse_initial_size, parse_schedule_spec
from multitag.annotation.cost import CostModel
from multitag.annotation.levels import LEVELS
from multitag.annotation.training_modes import TRAINING_MODES
from multitag.errors import MultitagError
from multitag.experiments.validation import Validation, parse_validation

#: configuration keys that may also be written in the singular or with dashes in YAML
ALIASES = {"level": "levels", "training_mode": "training_modes", "initial": "initials", "cost": "cost_model",
           "strategy": "strategies", "backend": "backends", "successor": "successors", "param": "params",
           "train": "train_file", "dev": "dev_file", "test": "test_file"}


#: the command-line option of each field, for messages
OPTION_NAMES = {"levels": "--level", "training_modes": "--training-mode", "initials": "--initial", "cost_model": "--cost",
                "train_file": "--train", "dev_file": "--dev", "test_file": "--test", "params": "--param"}


# ---------------------------------------------------------------------------- value parsers
def _names(value: Any, key: str, allowed: Callable[[], list[str]] | None = None) -> list[str]:
    """A list of names from a list or a comma-separated string."""
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",") if v.strip()]
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        items = [v.strip() for v in value if v.strip()]
    else:
        raise MultitagError(f"{key}: expected a list of names (or a comma-separated string), got {value!r}")
    if allowed is not None:
        valid = allowed()
        for v in items:
            if v not in valid:
                raise MultitagError(f"{key}: unknown value {v!r}; use one of {', '.join(valid)}")
    return list(dict.fromkeys(items))


def _seeds(value: Any, key: str) -> list[int]:
    if isinstance(value, bool):
        raise MultitagError(f"{key}: expected a number of seeds (3 = seeds 0, 1, 2) or a list of integers, got {value!r}")
    if isinstance(value, int):
        if value < 1:
            raise MultitagError(f"{key}: the number of seeds must be at least 1, got {value}")
        return list(range(value))
    if isinstance(value, str) and value.strip().isdigit():
        return _seeds(int(value), key)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        if len(set(value)) != len(value):
            raise MultitagError(f"{key}: a seed is listed twice in {list(value)}")
        return list(value)
    raise MultitagError(f"{key}: expected a number of seeds (3 = seeds 0, 1, 2) or a list of non-negative integers, got {value!r}")


def _int(value: Any, key: str, *, minimum: int, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MultitagError(f"{key}: expected an integer, got {value!r}")
    if value < minimum:
        raise MultitagError(f"{key}: must be at least {minimum}, got {value}")
    return value


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
        return value.lower() in ("true", "yes")
    raise MultitagError(f"{key}: expected true or false, got {value!r}")


def _optional_str(value: Any, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise MultitagError(f"{key}: expected a string, got {value!r}")
    return value


def _scheme(value: Any, key: str) -> str | None:
    if value is None:
        return None
    from multitag.data.schemes import normalize_scheme

    if not isinstance(value, str):
        raise MultitagError(f"{key}: expected IOB1, IOB2 or BIOES, got {value!r}")
    return normalize_scheme(value)


def _params(value: Any, key: str) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, dict) for k, v in value.items()):
        raise MultitagError(f"{key}: expected a mapping backend -> {{parameter: value}}, got {value!r}")
    out = {}
    for backend, p in value.items():
        if not all(isinstance(k, str) for k in p):
            raise MultitagError(f"{key}: {backend}: parameter names must be strings")
        out[backend] = {k.replace("-", "_"): v for k, v in p.items()}
    return out


QUERY_MODES = ("interactive", "batch")


def _query_mode(value: Any, key: str) -> str:
    if value not in QUERY_MODES:
        raise MultitagError(f"{key}: use {' or '.join(QUERY_MODES)}, not {value!r}")
    return value


def _eval(value: Any, key: str) -> str:
    if value not in ("test", "dev"):
        raise MultitagError(f"{key}: use test or dev, not {value!r}")
    return value


def _initial_names() -> list[str]:
    from multitag import registry

    return registry.initial_selections.names()


def _strategy_names(value: Any, key: str) -> list[str]:
    from multitag.strategies import strategy_class

    names = _names(value, key)
    for n in names:
        strategy_class(n)  # an unknown name is an error listing the installed strategies
    return names


PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "data": _optional_str,
    "train_file": _optional_str,
    "dev_file": _optional_str,
    "test_file": _optional_str,
    "scheme": _scheme,
    "backends": _names,
    "strategies": _strategy_names,
    "successors": _names,
    "seeds": _seeds,
    "initial_size": lambda v, k: v if isinstance(v, InitialSize) else parse_initial_size(v, k),
    "schedule": lambda v, k: v if isinstance(v, Schedule) else parse_schedule_spec(v, k),
    "valid": lambda v, k: v if isinstance(v, Validation) else parse_validation(v, k),
    "eval": _eval,
    "query_mode": _query_mode,
    "mc_samples": lambda v, k: _int(v, k, minimum=2),
    "mc_mode": _optional_str,
    "pool_subsample": lambda v, k: None if v is None else parse_fraction(v, k),
    "train_limit": lambda v, k: _int(v, k, minimum=1, optional=True),
    "full_reference": _bool,
    "incremental": _bool,
    "params": _params,
    "levels": lambda v, k: _names(v, k, lambda: list(LEVELS)),
    "training_modes": lambda v, k: _names(v, k, lambda: list(TRAINING_MODES)),
    "initials": lambda v, k: _names(v, k, _initial_names),
    "initial_lm": _optional_str,
    "cost_model": lambda v, k: v if isinstance(v, CostModel) else CostModel.from_dict(v, k),
}


@dataclass
class ExperimentConfig:
    """A validated experiment. Build it with :meth:`from_dict` (every value parsed and checked) or
    with typed values directly."""

    data: str | None = None
    train_file: str | None = None
    dev_file: str | None = None
    test_file: str | None = None
    scheme: str | None = None                 # the files' scheme; None = detected per split
    backends: list[str] = field(default_factory=list)
    strategies: list[str] = field(default_factory=lambda: ["random", "mnlp"])
    successors: list[str] = field(default_factory=list)
    seeds: list[int] = field(default_factory=lambda: [0])
    initial_size: InitialSize = field(default_factory=lambda: parse_initial_size("2%"))
    schedule: Schedule = field(default_factory=lambda: parse_schedule_spec("2%x24"))
    valid: Validation = field(default_factory=lambda: Validation("dev"))
    eval: str = "test"
    query_mode: str = "interactive"           # answers one at a time, or a batch chosen before any answer
    mc_samples: int = 10
    mc_mode: str | None = None
    pool_subsample: float | None = None
    train_limit: int | None = None
    full_reference: bool = False
    incremental: bool = False                 # keep each model across rounds and continue training it
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    levels: list[str] = field(default_factory=lambda: ["sentence"])
    training_modes: list[str] = field(default_factory=lambda: ["auto"])
    initials: list[str] = field(default_factory=lambda: ["random"])
    initial_lm: str | None = None
    cost_model: CostModel = field(default_factory=CostModel)

    def __post_init__(self) -> None:
        # typed values may be given as text too (ExperimentConfig(schedule="2%x8")): parse them once
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name in ("initial_size", "schedule", "valid", "cost_model", "seeds") or (
                    f.name in ("levels", "training_modes", "initials", "backends", "successors") and isinstance(v, str)):
                setattr(self, f.name, PARSERS[f.name](v, f.name))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, d: dict, *, source: str = "configuration") -> "ExperimentConfig":
        """Parse and check every value of ``d`` (keys as in YAML: field names, dashes or the
        singular forms of :data:`ALIASES` accepted); ``{"seeds": 3}`` alone is a valid dict."""
        if not isinstance(d, dict):
            raise MultitagError(f"{source}: expected a mapping of settings, got {type(d).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for raw_key, v in d.items():
            if not isinstance(raw_key, str):
                raise MultitagError(f"{source}: setting names must be strings, got {raw_key!r}")
            key = raw_key.replace("-", "_")
            key = ALIASES.get(key, key)
            if key not in names:
                raise MultitagError(f"{source}: unknown setting {raw_key!r}; known: {', '.join(sorted(names))}")
            shown = OPTION_NAMES.get(key, "--" + key.replace("_", "-")) if source == "command line" else f"{source}: {raw_key}"
            values[key] = PARSERS[key](v, shown)
        return cls(**values)

    def to_dict(self) -> dict:
        """Plain values for ``config.yaml`` (the canonical text of every typed value)."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (InitialSize, Schedule, Validation)):
                v = str(v)
            elif isinstance(v, CostModel):
                v = v.to_dict()
            out[f.name] = v
        return out

    # ------------------------------------------------------------------ checks needing the registry
    def check_complete(self) -> None:
        if not (self.data or self.train_file):
            raise MultitagError("no data: pass --data DIR or --train FILE (or data: in the --config file)")
        if not self.backends:
            raise MultitagError("no backend: pass --backends (or backends: in the --config file)")
        if not self.strategies:
            raise MultitagError("no strategy given")
        if "lm" in self.initials and not self.initial_lm:
            raise MultitagError("initial selection 'lm' needs a masked LM folder: --initial-lm PATH")
        unknown = set(self.params) - set(self.backends) - set(self.successors)
        if unknown:
            raise MultitagError(f"params for {', '.join(sorted(unknown))}, which is not a backend of this experiment "
                                f"({', '.join(self.backends + self.successors)})")

    def resolve_backends(self) -> None:
        """Coerce every backend's parameters to its constructor's types and run the backend's
        ``check()`` on them (an unknown backend, a wrong value: one-line errors)."""
        from multitag import registry
        from multitag.params import coerce_params

        for name in dict.fromkeys(self.backends + self.successors):
            cls = registry.resolve(name).cls
            if self.incremental and not getattr(cls, "warm_start", False):
                from multitag.errors import CompatibilityError

                raise CompatibilityError(
                    f"--incremental: backend {name!r} cannot continue training from its current weights "
                    f"({cls.__name__} declares no warm_start; a CRF trained by crfsuite always starts again); "
                    "drop --incremental or use a neural backend")
            self.params[name] = coerce_params(cls, self.params.get(name, {}), backend=name)
            if self.incremental and self.params[name].get("warm_start") is False:
                raise MultitagError(f"--incremental with --param warm_start=false for {name!r}: choose one")
            registry.create(name, labels=["O"], seed=0, **self.params[name]).check()
        if not self.params:
            return
        self.params = {k: v for k, v in self.params.items() if v}


# ---------------------------------------------------------------------------- merging the sources
def load_yaml(path: str) -> dict:
    """The mapping of a YAML protocol file (one-line errors for unreadable or invalid files)."""
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            d = yaml.safe_load(fh) or {}
    except OSError as e:
        raise MultitagError(f"{path}: cannot read ({e.strerror})") from None
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        raise MultitagError(f"{path}{'' if line is None else f':{line + 1}'}: invalid YAML") from None
    if not isinstance(d, dict):
        raise MultitagError(f"{path}: expected a mapping of settings")
    return d


def parse_param_items(items: tuple[str, ...] | list[str], what: str = "--param") -> dict[str, Any]:
    """``KEY=VALUE`` pairs; values are read as YAML scalars/lists (``3``, ``0.1``, ``[a, b]``)."""
    import yaml

    params: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise MultitagError(f"{what} expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        key = key.strip().replace("-", "_")
        if not key:
            raise MultitagError(f"{what} expects KEY=VALUE, got {item!r}")
        try:
            params[key] = yaml.safe_load(value)
        except yaml.YAMLError:
            params[key] = value
    return params


def backend_param_items(items: tuple[str, ...] | list[str], names: list[str]) -> dict[str, dict[str, Any]]:
    """``--param KEY=VALUE`` (every backend of the run) or ``--param BACKEND:KEY=VALUE`` (one)."""
    out: dict[str, dict[str, Any]] = {n: {} for n in names}
    for item in items:
        target = None
        head = item.split("=", 1)[0]
        if ":" in head:
            target, item = item.split(":", 1)
            if target not in out:
                raise MultitagError(f"--param {target}:...: {target!r} is not one of the backends of this run "
                                    f"({', '.join(names)})")
        for name in ([target] if target else names):
            out[name].update(parse_param_items((item,)))
    return {k: v for k, v in out.items() if v}


def _canonical(key: str) -> str:
    key = key.replace("-", "_")
    return ALIASES.get(key, key)


def config_from_sources(*, yaml_path: str | None, options: dict[str, Any], params: tuple[str, ...] = (),
                        cost: tuple[str, ...] = ()) -> ExperimentConfig:
    """The experiment from a YAML file (or none) and the command-line ``options`` given explicitly
    (field names as keys; they override the file), plus ``--param`` and ``--cost`` items."""
    values: dict[str, Any] = {}
    if yaml_path:
        raw = load_yaml(yaml_path)
        from_file = ExperimentConfig.from_dict(raw, source=yaml_path)
        values.update({_canonical(k): getattr(from_file, _canonical(k)) for k in raw})
    from_cli = ExperimentConfig.from_dict(options, source="command line")
    values.update({_canonical(k): getattr(from_cli, _canonical(k)) for k in options})
    config = ExperimentConfig(**values)
    names = list(dict.fromkeys(config.backends + config.successors))
    merged = {k: dict(v) for k, v in config.params.items()}
    for name, p in backend_param_items(params, names).items():
        merged.setdefault(name, {}).update(p)
    config.params = merged
    if cost:
        base = config.cost_model.to_dict()
        base.update(parse_param_items(cost, "--cost"))
        config.cost_model = CostModel.from_dict(base)
    return config


# ---------------------------------------------------------------------------- OUT/config.yaml
def _same_path(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return os.path.realpath(a) == os.path.realpath(b)
    return a == b


PATH_KEYS = ("data", "train_file", "dev_file", "test_file", "initial_lm")


def differences(old: dict, new: dict) -> list[str]:
    """Keys whose values differ (paths compared as the same file, however they are written).

    A key missing from ``old`` (a folder written before that option existed) stands for the option's
    default: such a folder resumes unless the new configuration sets the option otherwise."""
    defaults = ExperimentConfig().to_dict()
    old = {**{k: v for k, v in defaults.items() if k in new and k not in old}, **old}
    return sorted(k for k in set(old) | set(new)
                  if not (_same_path(old.get(k), new.get(k)) if k in PATH_KEYS else old.get(k) == new.get(k)))
