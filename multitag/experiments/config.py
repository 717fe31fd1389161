"""Experiment configuration: what `multitag compare` / `mismatch` run, resolved and saved as
``OUT/config.yaml``. Running the same command again on the same OUT resumes; a different
configuration on an existing OUT is refused."""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from multitag.errors import MultitagError
from multitag.fileio import atomic_write

VALID_CHOICES = "dev, none, a percentage of the labeled set (25%), or a percentage of the pool (1%-of-pool)"


@dataclass
class ExperimentConfig:
    data: str
    backends: list[str]
    strategies: list[str] = field(default_factory=lambda: ["random", "mnlp"])
    successors: list[str] = field(default_factory=list)
    seeds: list[int] = field(default_factory=lambda: [0])
    initial_size: str = "2%"
    schedule: str = "2%x24"
    valid: str = "dev"
    eval: str = "test"
    mc_samples: int = 10
    mc_mode: str | None = None
    pool_subsample: str | None = None
    train_limit: int | None = None
    full_reference: bool = False
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    levels: list[str] = field(default_factory=lambda: ["sentence"])
    training_modes: list[str] = field(default_factory=lambda: ["auto"])
    initials: list[str] = field(default_factory=lambda: ["random"])
    cost_model: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ExperimentConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise MultitagError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
        return cls(**d)

    def check(self) -> None:
        if self.eval not in ("test", "dev"):
            raise MultitagError(f"--eval {self.eval!r}: use test or dev")
        v = self.valid
        if not (v in ("dev", "none") or v.endswith("%") or v.endswith("%-of-pool")):
            raise MultitagError(f"--valid {v!r}: use {VALID_CHOICES}")
        if not self.backends:
            raise MultitagError("no backend given")
        if not self.strategies:
            raise MultitagError("no strategy given")
        if self.mc_samples < 2:
            raise MultitagError("--mc-samples must be at least 2")


def save_or_check(config: ExperimentConfig, out: str) -> None:
    """Write OUT/config.yaml, or check that an existing one describes the same experiment."""
    path = os.path.join(out, "config.yaml")
    new = config.to_dict()
    if os.path.exists(path):
        with open(path) as fh:
            old = yaml.safe_load(fh) or {}
        differ = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if differ:
            raise MultitagError(
                f"{out} holds results of a different experiment (differs in: {', '.join(differ)}); "
                "use another --out, or delete the folder to start over")
        return
    with atomic_write(path) as fh:
        yaml.safe_dump(new, fh, sort_keys=False)
