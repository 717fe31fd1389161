"""Running an experiment as `multitag compare` does: the runs, then the report (the runner writes
no report; its callers do)."""
from __future__ import annotations

from multitag.experiments.runner import run_experiment
from multitag.report import write_report


def run_and_report(experiment, out: str, **kw) -> dict:
    result = run_experiment(experiment, out, **kw)
    if not result.get("stopped"):
        result.update(write_report(out, data=result["dataset"]))
    return result
