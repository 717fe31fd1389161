"""Reports of an experiment folder: ``summary.md``, ``summary.csv`` and ``curves.png``."""
from __future__ import annotations

import csv
import io
import os

from multitag.errors import MultitagError
from multitag.experiments.results import ResultsStore
from multitag.fileio import atomic_write
from multitag.report.summary import Curve, curves


def _fmt_reach(v) -> str:
    return "not reached" if v is None else f"{v * 100:.1f}%"


def summary_markdown(cs: list[Curve]) -> str:
    lines = ["# Summary", "", "## Per strategy", "",
             "| model / strategy | seeds | final F1 | AULC | tokens to 95% | tokens to 99% | full-data F1 | train s/it | predict s/it | select s/it |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for c in cs:
        ref = "" if c.reference_f1 is None else f"{c.reference_f1:.4f}"
        lines.append(
            f"| {c.name} | {max(c.n_seeds)} | {c.f1_mean[-1]:.4f} ± {c.f1_std[-1]:.4f} | {c.aulc:.4f} ± {c.aulc_std:.4f} | "
            f"{_fmt_reach(c.reach.get('95%')) if c.reference_f1 is not None else '-'} | "
            f"{_fmt_reach(c.reach.get('99%')) if c.reference_f1 is not None else '-'} | {ref} | "
            f"{c.phase_seconds['train_seconds']:.2f} | {c.phase_seconds['predict_seconds']:.2f} | {c.phase_seconds['select_seconds']:.3f} |")
    lines += ["", "AULC: area under the F1 curve over the fraction of pool tokens annotated, divided by that range (a mean F1).",
              "Tokens to 95%/99%: the first iteration whose mean F1 reaches that share of the full-data F1 (`--full-reference`).",
              "", "## Learning curves (mean ± std over seeds)", ""]
    for c in cs:
        lines += [f"### {c.name}", "", "| iteration | tokens annotated | % of pool | est. seconds | F1 |", "|---|---|---|---|---|"]
        for i, it in enumerate(c.iterations):
            lines.append(f"| {it} | {c.tokens_mean[i]:.0f} ± {c.tokens_std[i]:.0f} | {c.fraction_mean[i] * 100:.2f} | "
                         f"{c.seconds_mean[i]:.0f} | {c.f1_mean[i]:.4f} ± {c.f1_std[i]:.4f} |")
        lines.append("")
    return "\n".join(lines)


def summary_csv(cs: list[Curve]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["model", "role", "acquisition", "strategy", "level", "training_mode", "initial", "iteration", "seeds",
                "tokens_mean", "tokens_std", "tokens_fraction", "estimated_seconds", "f1_mean", "f1_std", "aulc",
                "full_f1", "fraction_to_95", "fraction_to_99"])
    for c in cs:
        k = c.key
        for i, it in enumerate(c.iterations):
            w.writerow([k["model"], k["role"], k["backend"], k["strategy"], k["level"], k["training_mode"], k["initial"],
                        it, c.n_seeds[i], round(c.tokens_mean[i], 1), round(c.tokens_std[i], 1),
                        round(c.fraction_mean[i], 6), round(c.seconds_mean[i], 1), round(c.f1_mean[i], 6),
                        round(c.f1_std[i], 6), round(c.aulc, 6), "" if c.reference_f1 is None else round(c.reference_f1, 6),
                        "" if c.reach.get("95%") is None else round(c.reach["95%"], 6),
                        "" if c.reach.get("99%") is None else round(c.reach["99%"], 6)])
    return buf.getvalue()


def plot_curves(cs: list[Curve], path: str, *, x: str = "tokens") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    refs_drawn = set()
    for c in cs:
        xs = np.array(c.fraction_mean) * 100 if x == "tokens" else np.array(c.seconds_mean) / 3600
        m, s = np.array(c.f1_mean), np.array(c.f1_std)
        line, = ax.plot(xs, m, marker="o", markersize=3, label=c.name)
        ax.fill_between(xs, m - s, m + s, color=line.get_color(), alpha=0.15)
        if c.reference_f1 is not None and c.key["model"] not in refs_drawn:
            refs_drawn.add(c.key["model"])
            ax.axhline(c.reference_f1, color=line.get_color(), linestyle="--", linewidth=1,
                       label=f"{c.key['model']} full data ({c.reference_f1:.3f})")
    ax.set_xlabel("% of pool tokens annotated" if x == "tokens" else "estimated annotation hours")
    ax.set_ylabel("span F1")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png")
    plt.close(fig)


def write_report(out: str, *, x: str = "tokens") -> dict:
    """Write OUT/summary.md, OUT/summary.csv and OUT/curves.png from OUT/results.jsonl."""
    path = os.path.join(out, "results.jsonl")
    if not os.path.exists(path):
        raise MultitagError(f"{out}: no results.jsonl (run `multitag compare --out {out}` first)")
    cs = curves(ResultsStore(path).load())
    if not cs:
        raise MultitagError(f"{path}: no finished iteration yet")
    paths = {"summary_md": os.path.join(out, "summary.md"), "summary_csv": os.path.join(out, "summary.csv"),
             "curves_png": os.path.join(out, "curves.png")}
    with atomic_write(paths["summary_md"]) as fh:
        fh.write(summary_markdown(cs))
    with atomic_write(paths["summary_csv"]) as fh:
        fh.write(summary_csv(cs))
    plot_curves(cs, paths["curves_png"], x=x)
    return paths
