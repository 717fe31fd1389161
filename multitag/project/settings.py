"""A project's settings: what it runs, fixed at ``project init`` (stored in the store's ``meta``),
and their validation before anything is written.

How the learner runs (level, training mode, seed-set selection, MC-dropout, cost model) is a
:class:`~multitag.settings.LearnerSettings`, embedded whole; the project adds the backend and its
parameters, the strategy, the entity types, the seed and the tokenizer. The stored JSON is flat
(one key per setting), as it has always been, so projects created earlier open unchanged.
"""
from __future__ import annotations

from typing import Any

from multitag import settings as learner
from multitag.data.sentence import sort_labels
from multitag.errors import MultitagError
from multitag.settings import LearnerSettings

#: the project's own settings, besides the learner's
OWN = ("backend", "params", "strategy", "entity_types", "seed", "tokenizer")
#: the order of the stored JSON (settings added later come at the end)
STORED_ORDER = ("backend", "params", "strategy", "level", "entity_types", "initial", "initial_lm", "seed",
                "training_mode", "mc_samples", "mc_mode", "cost_model", "tokenizer")


class Settings:
    """What a project runs, fixed at ``init`` (stored in ``meta``). The learner's settings are
    ``settings.learner`` and read as attributes too (``settings.level``)."""

    def __init__(self, *, backend: str, params: dict[str, Any], strategy: str, entity_types: list[str],
                 seed: int = 0, tokenizer: str = "spacy", learner_settings: LearnerSettings | None = None,
                 **values: Any):
        self.backend, self.params, self.strategy = backend, params, strategy
        self.entity_types, self.seed, self.tokenizer = entity_types, seed, tokenizer
        unknown = set(values) - set(learner.project_names())
        if unknown:
            raise TypeError(f"Settings: unknown settings {', '.join(sorted(unknown))}")
        if values.get("cost_model", 0) is None:   # stored by projects created before it had defaults
            values.pop("cost_model")
        if "cost_model" in values:
            values["cost_model"] = learner.info("cost_model").parse(values["cost_model"], "--cost")
        self.learner = (learner_settings or LearnerSettings()).replace(**values)

    def __getattr__(self, name: str) -> Any:
        held = self.__dict__.get("learner")   # absent while a copy or an unpickling builds the object
        if held is not None and name in learner.project_names():
            return getattr(held, name)
        raise AttributeError(name)

    @property
    def labels(self) -> list[str]:
        return sort_labels(["O"] + [f"{p}-{t}" for t in self.entity_types for p in ("B", "I")])

    def to_json(self) -> dict:
        plain = {**{k: getattr(self, k) for k in OWN}, **self.learner.to_dict(learner.project_names())}
        # a setting added later is stored only when it is not at its default (the JSON of a project
        # that does not use it reads as before it existed)
        later = [k for k in plain if k not in STORED_ORDER and plain[k] != learner.info(k).plain(learner.default(k))]
        return {k: plain[k] for k in [*STORED_ORDER, *later]}

    @classmethod
    def from_json(cls, d: dict) -> "Settings":
        """The settings as stored (a key unknown to this version is an error naming it)."""
        return cls(**d)

    def __repr__(self) -> str:
        return f"Settings({self.to_json()!r})"


def check_settings(s: Settings, *, has_pos: bool) -> Settings:
    """Every setting validated (and backend parameters coerced) before anything is written."""
    from multitag.checks import check_run

    s.params = check_run(s.backend, s.params, s.strategy, s.learner, has_pos=has_pos, labels=s.labels, seed=s.seed,
                         data="text")
    names = learner.project_names()
    s.learner = LearnerSettings.from_dict(s.learner.to_dict(names), source="project")
    if not s.entity_types:
        raise MultitagError("no labels: pass --labels PER,LOC,... (or text whose tags name them)")
    return s


__all__ = ["Settings", "check_settings"]
