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


def truncated_copy(out, dest, lines: int):
    """A copy of the results folder ``out`` at ``dest`` keeping the first ``lines`` records (a run
    killed after them), to resume from."""
    import shutil

    shutil.copytree(out, dest)
    kept = (dest / "results.jsonl").read_text().splitlines(keepends=True)[:lines]
    (dest / "results.jsonl").write_text("".join(kept))
    return dest
