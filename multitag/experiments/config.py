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

from multitag import settings as learner
from multitag import values
from multitag.annotation.budget import InitialSize, Schedule, parse_initial_size, parse_schedule_spec
from multitag.annotation.cost import CostModel
from multitag.data.read_options import ReadOptions, format_columns, parse_columns, parse_tag_column
from multitag.errors import MultitagError
from multitag.experiments.validation import Validation, parse_validation
from multitag.settings import LearnerSettings

#: configuration keys that may also be written in the singular or with dashes in YAML (the learner
#: settings' grid axes and option names are added from their metadata below)
ALIASES = {"strategy": "strategies", "backend": "backends", "successor": "successors", "param": "params",
           "train": "train_file", "dev": "dev_file", "test": "test_file"}


#: the command-line option of each field, for messages
OPTION_NAMES = {"train_file": "--train", "dev_file": "--dev", "test_file": "--test", "params": "--param"}


# ---------------------------------------------------------------------------- value parsers
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


def _read_option(parse: Callable[[Any], Any], value: Any, key: str) -> Any:
    try:
        return parse(value)
    except MultitagError as e:
        raise MultitagError(f"{key}: {str(e).split(': ', 1)[-1]}") from None


def read_options(config) -> ReadOptions:
    """How to read the experiment's data files (encoding, columns, repairs)."""
    return ReadOptions.parse(config.encoding, config.columns, config.tag_column, config.repair)


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


def _eval(value: Any, key: str) -> str:
    if value not in ("test", "dev"):
        raise MultitagError(f"{key}: use test or dev, not {value!r}")
    return value


def _strategy_names(value: Any, key: str) -> list[str]:
    from multitag.strategies import strategy_class

    names = values.names(value, key)
    for n in names:
        strategy_class(n)  # an unknown name is an error listing the installed strategies
    return names


def _grid_parser(name: str) -> Callable[[Any, str], list]:
    """A grid axis: a list (or comma-separated string) of values of learner setting ``name``."""
    parse = learner.info(name).parse

    def parse_axis(value: Any, key: str) -> list:
        return [parse(v, key) for v in values.names(value, key)]
    return parse_axis


PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "data": values.optional_str,
    "train_file": values.optional_str,
    "dev_file": values.optional_str,
    "test_file": values.optional_str,
    "scheme": _scheme,
    "encoding": values.optional_str,
    "columns": lambda v, k: None if v is None else format_columns(_read_option(parse_columns, v, k)),
    "tag_column": lambda v, k: None if v is None else str(_read_option(parse_tag_column, v, k)),
    "repair": values.boolean,
    "backends": values.names,
    "strategies": _strategy_names,
    "successors": values.names,
    "seeds": _seeds,
    "initial_size": lambda v, k: v if isinstance(v, InitialSize) else parse_initial_size(v, k),
    "schedule": lambda v, k: v if isinstance(v, Schedule) else parse_schedule_spec(v, k),
    "valid": lambda v, k: v if isinstance(v, Validation) else parse_validation(v, k),
    "eval": _eval,
    "train_limit": lambda v, k: values.integer(v, k, minimum=1, optional=True),
    "full_reference": values.boolean,
    "params": _params,
}

#: the experiment's keys of the learner settings: a grid axis under its plural name, the others as they are
LEARNER_KEYS: dict[str, str] = {learner.info(n).grid or n: n for n in learner.field_names()}
GRID_KEYS = tuple(k for k, n in LEARNER_KEYS.items() if learner.info(n).grid)
for _key, _name in LEARNER_KEYS.items():
    _info = learner.info(_name)
    PARSERS[_key] = _grid_parser(_name) if _info.grid else _info.parse
    OPTION_NAMES[_key] = _info.flag(_name)
    if _info.grid:
        ALIASES[_name] = _key
    if _info.option:
        ALIASES[_info.option.lstrip("-").replace("-", "_")] = _key

#: the order of ``config.yaml`` (stable, so a folder's file reads the same across versions;
#: settings added later come at the end)
YAML_ORDER = ("data", "train_file", "dev_file", "test_file", "scheme", "backends", "strategies", "successors", "seeds",
              "initial_size", "schedule", "valid", "eval", "query_mode", "mc_samples", "mc_mode", "pool_subsample",
              "train_limit", "full_reference", "incremental", "params", "levels", "training_modes", "initials",
              "initial_lm", "cost_model")


@dataclass
class _ExperimentBase:
    """A validated experiment. Build it with :meth:`from_dict` (every value parsed and checked) or
    with typed values directly.

    Besides the fields below, it has one field per learner setting (:mod:`multitag.settings`): a
    grid axis as a list under its plural name (``levels``, ``training_modes``, ``initials``), the
    others as single values (``mc_samples``, ``cost_model``, ...)."""

    data: str | None = None
    train_file: str | None = None
    dev_file: str | None = None
    test_file: str | None = None
    scheme: str | None = None                 # the files' scheme; None = detected per split
    encoding: str | None = None               # the files' encoding; None = UTF-8, else cp1252 / Latin-1
    columns: str | None = None                # "token=2,tag=1"; None = detected
    tag_column: str | None = None             # "outer" / "inner" / a column number, for nested tag columns
    repair: bool = False                      # read a stray I-X as B-X
    backends: list[str] = field(default_factory=list)
    strategies: list[str] = field(default_factory=lambda: ["random", "mnlp"])
    successors: list[str] = field(default_factory=list)
    seeds: list[int] = field(default_factory=lambda: [0])
    initial_size: InitialSize = field(default_factory=lambda: parse_initial_size("2%"))
    schedule: Schedule = field(default_factory=lambda: parse_schedule_spec("2%x24"))
    valid: Validation = field(default_factory=lambda: Validation("dev"))
    eval: str = "test"
    train_limit: int | None = None
    full_reference: bool = False
    params: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # typed values may be given as text too (ExperimentConfig(schedule="2%x8")): parse them once
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name in ("initial_size", "schedule", "valid", "cost_model", "seeds") or (
                    f.name in ("backends", "successors", *GRID_KEYS) and isinstance(v, str)):
                setattr(self, f.name, PARSERS[f.name](v, f.name))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, d: dict, *, source: str = "configuration") -> "ExperimentConfig":
        """Parse and check every value of ``d`` (keys as in YAML: field names, dashes or the
        singular forms of :data:`ALIASES` accepted); ``{"seeds": 3}`` alone is a valid dict."""
        if not isinstance(d, dict):
            raise MultitagError(f"{source}: expected a mapping of settings, got {type(d).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        parsed: dict[str, Any] = {}
        for raw_key, v in d.items():
            if not isinstance(raw_key, str):
                raise MultitagError(f"{source}: setting names must be strings, got {raw_key!r}")
            key = raw_key.replace("-", "_")
            key = ALIASES.get(key, key)
            if key not in names:
                raise MultitagError(f"{source}: unknown setting {raw_key!r}; known: {', '.join(sorted(names))}")
            shown = OPTION_NAMES.get(key, "--" + key.replace("_", "-")) if source == "command line" else f"{source}: {raw_key}"
            parsed[key] = PARSERS[key](v, shown)
        return cls(**parsed)

    def to_dict(self) -> dict:
        """Plain values for ``config.yaml`` (the canonical text of every typed value)."""
        out = {}
        names = [f.name for f in dataclasses.fields(self)]
        for name in [n for n in YAML_ORDER if n in names] + [n for n in names if n not in YAML_ORDER]:
            v = getattr(self, name)
            if name not in YAML_ORDER and v == _DEFAULTS[name]():
                continue   # a setting added later, at its default: the file reads as before it existed
            if isinstance(v, (InitialSize, Schedule, Validation)):
                v = str(v)
            elif isinstance(v, CostModel):
                v = v.to_dict()
            out[name] = v
        return out

    def learner_settings(self, **grid: Any) -> LearnerSettings:
        """The learner settings of one run: this experiment's single values, and the run's value of
        each grid axis (``level="entity"``; an axis not given takes its first value)."""
        given = {}
        for key, name in LEARNER_KEYS.items():
            v = getattr(self, key)
            given[name] = grid.get(name, v[0] if v else learner.default(name)) if learner.info(name).grid else v
        return LearnerSettings(**given)

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
        if not self.successors and (self.successor_every != 1 or self.successor_pseudo_labels):
            given = "--successor-every" if self.successor_every != 1 else "--successor-pseudo-labels"
            raise MultitagError(f"{given} applies to successors, and this experiment has none "
                                "(`multitag mismatch --successor NAME`)")
        unknown = set(self.params) - set(self.backends) - set(self.successors)
        if unknown:
            raise MultitagError(f"params for {', '.join(sorted(unknown))}, which is not a backend of this experiment "
                                f"({', '.join(self.backends + self.successors)})")

    def resolve_backends(self) -> None:
        """Coerce every backend's parameters to its constructor's types and run the backend's
        ``check()`` on them (an unknown backend, a wrong value: one-line errors)."""
        from multitag.checks import resolve_backend

        for name in dict.fromkeys(self.backends + self.successors):
            self.params[name] = resolve_backend(name, self.params.get(name, {}), incremental=self.incremental)
        if not self.params:
            return
        self.params = {k: v for k, v in self.params.items() if v}


def _learner_field(key: str, name: str) -> tuple[str, Any, Any]:
    f = learner.LearnerSettings.__dataclass_fields__[name]
    if learner.info(name).grid:
        return key, list[f.type], field(default_factory=lambda: [learner.default(name)])
    return key, f.type, field(default_factory=lambda: learner.default(name))


ExperimentConfig = dataclasses.make_dataclass(
    "ExperimentConfig", [_learner_field(k, n) for k, n in LEARNER_KEYS.items()], bases=(_ExperimentBase,),
    namespace={"__doc__": _ExperimentBase.__doc__, "__module__": __name__})
_DEFAULTS = {f.name: (f.default_factory if f.default is dataclasses.MISSING else (lambda d=f.default: d))
             for f in dataclasses.fields(ExperimentConfig)}


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
                        items: dict[str, tuple[str, ...]] | None = None, cost: tuple[str, ...] = ()) -> ExperimentConfig:
    """The experiment from a YAML file (or none) and the command-line ``options`` given explicitly
    (field names as keys; they override the file), plus ``--param`` items and the KEY=VALUE items
    of the learner settings given that way (``items``: config key -> items; ``cost``: those of
    ``--cost``), merged onto the file's mapping."""
    values_: dict[str, Any] = {}
    if yaml_path:
        raw = load_yaml(yaml_path)
        from_file = ExperimentConfig.from_dict(raw, source=yaml_path)
        values_.update({_canonical(k): getattr(from_file, _canonical(k)) for k in raw})
    from_cli = ExperimentConfig.from_dict(options, source="command line")
    values_.update({_canonical(k): getattr(from_cli, _canonical(k)) for k in options})
    config = ExperimentConfig(**values_)
    names = list(dict.fromkeys(config.backends + config.successors))
    merged = {k: dict(v) for k, v in config.params.items()}
    for name, p in backend_param_items(params, names).items():
        merged.setdefault(name, {}).update(p)
    config.params = merged
    given = dict(items or {})
    if cost:
        given["cost_model"] = tuple(given.get("cost_model", ())) + tuple(cost)
    for key, pairs in given.items():
        if pairs:
            base = learner.info(LEARNER_KEYS[key]).plain(getattr(config, key))
            base.update(parse_param_items(pairs, OPTION_NAMES[key]))
            setattr(config, key, PARSERS[key](base, OPTION_NAMES[key]))
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
