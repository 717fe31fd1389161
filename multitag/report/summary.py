"""Learning-curve tables from typed records: means and deviations over seeds, area under the
curve, tokens needed to reach 95% / 99% of the full-data F1, and seconds per phase.

Deviations are population standard deviations over seeds (``ddof=0``)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from multitag import settings as learner
from multitag.experiments.records import IterationRecord, ReferenceRecord

GROUP_KEYS = ("model", "role", "backend", "strategy", *learner.grid_names())


@dataclass
class Curve:
    """One line of the plot: a model in a role under one acquisition backend, strategy and setting."""

    key: dict
    iterations: list[int] = field(default_factory=list)
    f1_mean: list[float] = field(default_factory=list)
    f1_std: list[float] = field(default_factory=list)
    tokens_mean: list[float] = field(default_factory=list)
    tokens_std: list[float] = field(default_factory=list)
    fraction_mean: list[float] = field(default_factory=list)
    seconds_mean: list[float] = field(default_factory=list)
    n_seeds: list[int] = field(default_factory=list)
    aulc: float = float("nan")
    aulc_std: float = float("nan")
    phase_seconds: dict = field(default_factory=dict)
    reference_f1: float | None = None
    reach: dict = field(default_factory=dict)   # "95%" -> tokens fraction or None

    @property
    def name(self) -> str:
        k = self.key
        parts = [k["model"]]
        if k["role"] == "successor":
            parts[0] = f"{k['model']} (acq. {k['backend']})"
        parts.append(k["strategy"])
        parts += [str(k[name]) for name in learner.named_in_label({n: k.get(n) for n in learner.grid_names()})]
        return " / ".join(parts)


def aulc(x: np.ndarray, y: np.ndarray) -> float:
    """Area under the F1 curve over the annotated-token fraction, divided by the x-range (a mean F1)."""
    if len(x) < 2 or x[-1] <= x[0]:
        return float(y.mean()) if len(y) else float("nan")
    return float(np.trapezoid(y, x) / (x[-1] - x[0]))


def tokens_to_reach(fractions: Sequence[float], f1s: Sequence[float], reference: float | None) -> dict:
    """``{"95%": x, "99%": x}``: the first token fraction whose F1 reaches that share of ``reference``
    (None: never). Empty without a reference or with one of F1 0, which every curve would meet at once."""
    if reference is None or reference <= 0:
        return {}
    return {f"{pct}%": next((x for x, f in zip(fractions, f1s) if f >= reference * pct / 100), None)
            for pct in (95, 99)}


def curves(records: Sequence[IterationRecord | ReferenceRecord]) -> list[Curve]:
    refs = defaultdict(list)
    for r in records:
        if isinstance(r, ReferenceRecord):
            refs[r.model].append(r.f1)
    groups: dict[tuple, list[IterationRecord]] = defaultdict(list)
    for r in records:
        if isinstance(r, IterationRecord):
            groups[tuple(getattr(r, k) for k in GROUP_KEYS)].append(r)
    out = []
    for gkey, recs in sorted(groups.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        c = Curve(key=dict(zip(GROUP_KEYS, gkey)))
        by_iter: dict[int, list[IterationRecord]] = defaultdict(list)
        by_seed: dict[int, list[IterationRecord]] = defaultdict(list)
        for r in recs:
            by_iter[r.iteration].append(r)
            by_seed[r.seed].append(r)
        for it in sorted(by_iter):
            rs = by_iter[it]
            f1 = np.array([r.f1 for r in rs])
            tok = np.array([r.tokens_annotated for r in rs], dtype=float)
            c.iterations.append(it)
            c.f1_mean.append(float(f1.mean())); c.f1_std.append(float(f1.std()))
            c.tokens_mean.append(float(tok.mean())); c.tokens_std.append(float(tok.std()))
            c.fraction_mean.append(float(np.mean([r.tokens_fraction for r in rs])))
            c.seconds_mean.append(float(np.mean([r.estimated_seconds for r in rs])))
            c.n_seeds.append(len({r.seed for r in rs}))
        aulcs = []
        for seed, rs in by_seed.items():
            rs = sorted(rs, key=lambda r: r.iteration)
            aulcs.append(aulc(np.array([r.tokens_fraction for r in rs]), np.array([r.f1 for r in rs])))
        c.aulc, c.aulc_std = float(np.mean(aulcs)), float(np.std(aulcs))
        selecting = [r for r in recs if r.iteration < max(by_iter)]  # the last iteration selects nothing
        c.phase_seconds["train_seconds"] = float(np.mean([r.train_seconds for r in recs]))
        c.phase_seconds["predict_seconds"] = float(np.mean([r.predict_seconds for r in selecting])) if selecting else 0.0
        c.phase_seconds["select_seconds"] = float(np.mean([r.select_seconds for r in selecting])) if selecting else 0.0
        if c.key["model"] in refs:
            c.reference_f1 = float(np.mean(refs[c.key["model"]]))
            c.reach = tokens_to_reach(c.fraction_mean, c.f1_mean, c.reference_f1)
        out.append(c)
    return out
