"""One typed home for how an active learner runs: :class:`LearnerSettings`.

The annotation level, the training mode, the seed-set selection, the query mode, MC-dropout, pool
subsampling, the shards of the pool pass, the candidates of diversity strategies, incremental training, the successors' schedule and pseudo-labels, and the cost model
are fields of one dataclass. Every place that reads or passes
them draws on it: :class:`~multitag.loop.ActiveLearner` takes it whole, the experiment
configuration (``compare``/``mismatch``, YAML protocols), a project's settings, the run spec and
the records embed it, and the command-line options, their help and the YAML parsing are generated
from each field's metadata (:func:`setting`). Adding a setting is adding one field here.

A field's metadata (:class:`SettingInfo`) says how its value is parsed and described, and where
it applies:

* ``grid``: the plural name of an experiment's grid axis (``levels``: every run of the grid has one
  level). A grid setting identifies a run: it is part of :class:`~multitag.experiments.records.RunSpec`
  and of every record's key.
* ``project``: offered by ``multitag project init`` and stored with a project (a project always
  chooses a batch per round, so ``query_mode`` is not).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable

from multitag import values
from multitag.annotation.budget import parse_fraction
from multitag.annotation.cost import CostModel
from multitag.annotation.levels import DEFAULT_LEVEL, LEVELS
from multitag.annotation.training_modes import TRAINING_MODES
from multitag.pool_pass import DEFAULT_SHARD_SIZE

#: Core-set, BADGE and W-BADGE see at most this many candidates a round (LearnerSettings.diversity_candidates)
DIVERSITY_CANDIDATES = 20_000

QUERY_MODES = ("interactive", "batch")


@dataclass(frozen=True)
class SettingInfo:
    """How one setting is read, shown and used (the metadata of a :class:`LearnerSettings` field)."""

    help: str
    parse: Callable[[Any, str], Any]      # raw value, name for messages -> typed value
    option: str | None = None             # the command-line flag, when it is not --<field-name>
    grid: str | None = None               # the experiment's grid axis (plural key), if it is one
    project: bool = True                  # offered by `project init` and stored with a project
    items: bool = False                   # given as repeatable KEY=VALUE items merged onto a mapping
    metavar: str | None = None
    default_text: str | None = None       # the default as shown in help, when str(default) is not it
    label: Callable[[Any], str] | None = None   # how a run's label names a non-default value
    title: str | None = None              # how a report names the grid axis ("annotation levels")
    implies: tuple[str, ...] = ()         # settings a run's label names too when it names this one

    def flag(self, name: str) -> str:
        return self.option or "--" + name.replace("_", "-")

    def plain(self, value: Any) -> Any:
        """The value as YAML/JSON holds it."""
        return value.to_dict() if isinstance(value, CostModel) else value


def setting(default: Any = dataclasses.MISSING, *, factory: Callable[[], Any] | None = None, **info: Any):
    """A :class:`LearnerSettings` field with its :class:`SettingInfo`."""
    meta = {"setting": SettingInfo(**info)}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def _initial_names() -> list[str]:
    from multitag import registry

    return registry.initial_selections.names()


def _level_names() -> list[str]:
    return list(LEVELS)


def _cost(value: Any, key: str) -> CostModel:
    return value if isinstance(value, CostModel) else CostModel.from_dict(value, key)


def _optional_count(value: Any, key: str) -> int | None:
    if isinstance(value, str) and value.strip().lower() == "none":
        value = None
    return values.integer(value, key, minimum=1, optional=True)


def _fraction(value: Any, key: str) -> float | None:
    return None if value is None else parse_fraction(value, key)


@dataclass(frozen=True)
class LearnerSettings:
    """How an active learner runs (already parsed and validated; build it with :meth:`from_dict`
    to parse raw values)."""

    level: str = setting(DEFAULT_LEVEL, grid="levels", parse=lambda v, k: values.one_name(v, k, _level_names),
                         help="Annotation level: sentence, entity, token, or teach (accept or reject one suggested entity at a time).", label=lambda v: v,
                         title="annotation levels")
    training_mode: str = setting(
        "auto", grid="training_modes", parse=lambda v, k: values.one_name(v, k, lambda: list(TRAINING_MODES)),
        help="Partial-label training: auto, mask, drop, mask-entity-like, drop-entity-like.", label=lambda v: v,
        title="training modes", implies=("level",))   # "bt / sentence / mask" reads better than "bt / mask"
    initial: str = setting("random", grid="initials", parse=lambda v, k: values.one_name(v, k, _initial_names),
                           help="Seed-set selection: random, nnp, lm, or a plugin's.", label=lambda v: f"init {v}",
                           title="seed-set selection")
    initial_lm: str | None = setting(None, parse=values.optional_str, metavar="PATH",
                                     help="Local masked-LM folder for --initial lm.")
    query_mode: str = setting(
        "interactive", parse=values.choice(QUERY_MODES), project=False,
        help="interactive: each query is answered before the next is chosen (an annotator in the loop; at entity "
             "level a widened entity counts whole against the budget); batch: a round is chosen before any "
             "answer, as when it goes out to Label Studio (the budget counts asked tokens).")
    mc_samples: int = setting(10, parse=lambda v, k: values.integer(v, k, minimum=2),
                              help="Stochastic passes for vr/bald.")
    mc_mode: str | None = setting(None, parse=values.optional_str, default_text="the backend's first",
                                  help="MC-dropout mode.")
    pool_subsample: float | None = setting(None, parse=_fraction, project=False, default_text="the whole pool",
                                           help="Score only this fraction of the unlabeled pool per iteration, e.g. 50%.")
    shard_size: int = setting(
        DEFAULT_SHARD_SIZE, parse=lambda v, k: values.integer(v, k, minimum=1), project=False, metavar="N",
        help="Sentences per shard of a round's pool pass (prediction and scoring): shard after shard, or on "
             "Dask (--workers/--scheduler) as tasks on the run's cluster; the selection is that of one pass.")
    diversity_candidates: int | None = setting(
        DIVERSITY_CANDIDATES, parse=_optional_count, project=False, metavar="N",
        help="Core-set, BADGE and W-BADGE look at most at N candidates a round: above that, a uniform sample "
             "of N (drawn from the run's seed); 'none' for every candidate.")
    incremental: bool = setting(
        False, parse=values.boolean, project=False,
        help="Keep each model across rounds and continue training it on the augmented labeled set (paper 002); "
             "the backends must declare warm_start (`multitag backends`). Each round's models are checkpointed "
             "under OUT/checkpoints so a killed run resumes with the same weights.")
    successor_every: int = setting(1, parse=lambda v, k: values.integer(v, k, minimum=1), project=False,
                                   help="Train and evaluate the successors every K iterations and at the last one "
                                        "(the acquisition model every iteration).")
    successor_pseudo_labels: float | None = setting(
        None, parse=_fraction, project=False, default_text="none",
        help="Also train each successor on the acquisition model's predictions for the most confident FRACTION "
             "of the unannotated pool (PLASM; e.g. 20%).")
    cost_model: CostModel = setting(factory=CostModel, parse=_cost, items=True, metavar="KEY=SECONDS", option="--cost",
                                    help="Cost model KEY=SECONDS: sentence, token_read, label.")

    # ------------------------------------------------------------------ reading and writing
    @classmethod
    def from_dict(cls, d: dict[str, Any], *, source: str = "settings") -> "LearnerSettings":
        """Every value of ``d`` (field names as keys) parsed; the others keep their defaults."""
        unknown = set(d) - set(field_names())
        if unknown:
            raise ValueError(f"not learner settings: {', '.join(sorted(unknown))}")
        return cls(**{k: info(k).parse(v, f"{source}: {k}") for k, v in d.items()})

    def to_dict(self, names: list[str] | None = None) -> dict[str, Any]:
        """Plain values (YAML/JSON), of every field or of ``names``."""
        return {k: info(k).plain(getattr(self, k)) for k in (names or field_names())}

    def replace(self, **changes: Any) -> "LearnerSettings":
        return dataclasses.replace(self, **changes)

    def grid_values(self) -> dict[str, Any]:
        """The values of the grid settings (what identifies a run besides backend, strategy, seed)."""
        return {k: getattr(self, k) for k in grid_names()}


def info(name: str) -> SettingInfo:
    return _INFO[name]


def field_names() -> list[str]:
    """Every setting, in declaration order."""
    return list(_INFO)


def grid_names() -> list[str]:
    """The settings that are grid axes of an experiment (level, training_mode, initial)."""
    return [k for k, i in _INFO.items() if i.grid]


def project_names() -> list[str]:
    """The settings a project stores."""
    return [k for k, i in _INFO.items() if i.project]


def named_in_label(values_: dict[str, Any]) -> list[str]:
    """The grid settings a run's label names, of ``values_`` (grid name -> value): those not at
    their default, and those these imply; in declaration order."""
    shown = {k for k, v in values_.items() if v is not None and v != default(k)}
    shown |= {i for k in shown for i in info(k).implies}
    return [k for k in grid_names() if k in shown]


def default(name: str) -> Any:
    f = _FIELDS[name]
    return f.default_factory() if f.default is dataclasses.MISSING else f.default


_FIELDS = {f.name: f for f in dataclasses.fields(LearnerSettings)}
_INFO: dict[str, SettingInfo] = {f.name: f.metadata["setting"] for f in dataclasses.fields(LearnerSettings)}
