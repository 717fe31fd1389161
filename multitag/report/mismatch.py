"""The acquisition/successor mismatch table (paper 001, Fig. 3): for every successor model, how it
does when the pool was chosen by each acquisition model, by itself (native) and at random.

For a successor ``S`` under strategy ``X`` (and one setting of the grid axes):

* *chosen by A*: the ``successor`` records of model ``S`` in the runs whose acquisition model is ``A``;
* *native*: the ``acquisition`` records of ``S`` under ``X`` (S chose for itself);
* *random*: the ``acquisition`` records of ``S`` under ``random`` (else ``S`` as a successor under
  ``random``: a random choice does not depend on the model that makes it).

Every source is read at the iterations where ``S`` has successor results in that run (with
``--successor-every K`` successors are evaluated every K iterations and at the last), so the AULCs
of one row compare like with like. The AL gain a mismatched pair keeps is
``(AULC(chosen by A) - AULC(random)) / (AULC(native) - AULC(random))``: 1 keeps all of the native
gain over random, 0 none, below 0 falls below random. When the native choice is not better than
random there is no gain to keep, and no pair has a gain kept (the AULCs still say how each did).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from multitag import settings as learner
from multitag.experiments.records import IterationRecord, ReferenceRecord
from multitag.report.summary import aulc, tokens_to_reach

NATIVE, RANDOM = "(native)", "(random)"


@dataclass
class MismatchCell:
    """One successor, one source of the pool it was trained on (an acquisition model, native or random)."""

    successor: str
    source: str                    # an acquisition model's name, NATIVE or RANDOM
    strategy: str
    setting: str                   # the non-default grid values ("entity / mask"), "" at the defaults
    seeds: int
    aulc: float
    aulc_std: float
    reach: dict = field(default_factory=dict)   # "95%" / "99%" -> tokens fraction, None = not reached
    gain_kept: float | None = None


def _group_key(r: IterationRecord) -> tuple:
    return tuple(getattr(r, n) for n in learner.grid_names())


def _setting_text(key: tuple) -> str:
    values = dict(zip(learner.grid_names(), key))
    return " / ".join(learner.info(n).label(values[n]) for n in learner.named_in_label(values))


def _score(rows: list[IterationRecord], iterations: list[int], reference: float | None) -> tuple | None:
    """(seeds, AULC mean, AULC std, reach) of ``rows`` at ``iterations`` (None if a seed lacks one)."""
    by_seed: dict[int, dict[int, IterationRecord]] = defaultdict(dict)
    for r in rows:
        by_seed[r.seed][r.iteration] = r
    seeds = sorted(s for s, its in by_seed.items() if all(i in its for i in iterations))
    if not seeds or len(iterations) < 1:
        return None
    aulcs = [aulc(np.array([by_seed[s][i].tokens_fraction for i in iterations]),
                  np.array([by_seed[s][i].f1 for i in iterations])) for s in seeds]
    mean_f1 = [np.mean([by_seed[s][i].f1 for s in seeds]) for i in iterations]
    mean_x = [np.mean([by_seed[s][i].tokens_fraction for s in seeds]) for i in iterations]
    reach = tokens_to_reach(mean_x, mean_f1, reference)
    return len(seeds), float(np.mean(aulcs)), float(np.std(aulcs)), reach


def mismatch_cells(records: Sequence[IterationRecord | ReferenceRecord]) -> list[MismatchCell]:
    """The table's cells (empty when no run has successors), successors and sources sorted by name."""
    its = [r for r in records if isinstance(r, IterationRecord)]
    refs: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if isinstance(r, ReferenceRecord):
            refs[r.model].append(r.f1)
    succ = [r for r in its if r.role == "successor"]
    cells: list[MismatchCell] = []
    groups = sorted({(r.model, r.strategy, _group_key(r)) for r in succ if r.strategy != "random"})
    for name, strategy, key in groups:
        reference = float(np.mean(refs[name])) if refs.get(name) else None
        mine = [r for r in succ if r.model == name and _group_key(r) == key]
        iterations = sorted({r.iteration for r in mine})
        sources: dict[str, list[IterationRecord]] = defaultdict(list)
        for r in mine:
            if r.strategy == strategy:
                sources[r.backend].append(r)
        acq = [r for r in its if r.role == "acquisition" and r.backend == name and _group_key(r) == key]
        sources[NATIVE] = [r for r in acq if r.strategy == strategy]
        sources[RANDOM] = [r for r in acq if r.strategy == "random"] or [r for r in mine if r.strategy == "random"]
        scored = {s: _score(rows, iterations, reference) for s, rows in sources.items() if rows}
        scored = {s: v for s, v in scored.items() if v is not None}
        native, rand = scored.get(NATIVE), scored.get(RANDOM)
        for source in sorted(s for s in scored if s not in (NATIVE, RANDOM)) + [NATIVE, RANDOM]:
            if source not in scored:
                continue
            n, mean, std, reach = scored[source]
            gain = None
            if native is not None and rand is not None and source != RANDOM and native[1] > rand[1]:
                gain = (mean - rand[1]) / (native[1] - rand[1])
            cells.append(MismatchCell(name, source, strategy, _setting_text(key), n, mean, std, reach, gain))
    return cells


def mismatch_csv_rows(cells: Sequence[MismatchCell]) -> list[list]:
    rows = [["successor", "chosen_by", "strategy", "setting", "seeds", "aulc", "aulc_std", "fraction_to_95",
             "fraction_to_99", "gain_kept"]]
    for c in cells:
        rows.append([c.successor, c.source, c.strategy, c.setting, c.seeds, round(c.aulc, 6), round(c.aulc_std, 6),
                     "" if c.reach.get("95%") is None else round(c.reach["95%"], 6),
                     "" if c.reach.get("99%") is None else round(c.reach["99%"], 6),
                     "" if c.gain_kept is None else round(c.gain_kept, 4)])
    return rows
