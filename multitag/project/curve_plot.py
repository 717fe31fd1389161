"""The learning curve of a project as a PNG: span F1 on the gold set against the share of the
pool annotated (matplotlib is imported only when a plot is asked for)."""
from __future__ import annotations

from multitag.fileio import atomic_write


def plot_curve(curve: list[dict], pool_tokens: int, path: str) -> None:
    import matplotlib      # heavy, and only for ``project status --png``

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    xs = [100 * c["train_tokens"] / pool_tokens for c in curve]
    ax.plot(xs, [c["f1"] for c in curve], marker="o")
    ax.set_xlabel("% of the pool's tokens annotated")
    ax.set_ylabel("span F1 on the gold set")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png")
    plt.close(fig)
