"""The report's figures as PNG bytes (matplotlib, Agg): learning curves with std bands, and the
length distribution of the chosen sentences against the pool's."""
from __future__ import annotations

import io
from typing import Sequence

import numpy as np

from multitag.report.profile import PoolProfile, SelectionProfile
from multitag.report.summary import Curve


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def curves_png(cs: Sequence[Curve], *, x: str = "tokens") -> bytes:
    """Mean F1 per iteration against % of pool tokens (or estimated hours), a band of ± one std over
    seeds, and each model's full-data F1 as a dashed line."""
    plt = _pyplot()
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
    ax.set_ylabel("span F1 (mean ± std over seeds)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return _png(fig)


def lengths_png(pool: PoolProfile, profiles: Sequence[SelectionProfile]) -> bytes:
    """Share of sentences per length bin (tokens): the pool (filled) and each strategy's chosen sentences."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4), dpi=110)
    top = int(np.percentile(pool.lengths, 99)) + 1 if len(pool.lengths) else 10
    for p in profiles:
        if len(p.lengths):
            top = max(top, int(np.percentile(p.lengths, 99)) + 1)
    bins = np.arange(0.5, top + 1.5, max(1, top // 40))
    def share(a):
        return np.full(len(a), 1.0 / len(a))

    ax.hist(np.clip(pool.lengths, 0, top), bins=bins, weights=share(pool.lengths), color="0.8",
            label=f"pool ({pool.n_sentences:,})")
    for p in profiles:
        if len(p.lengths):
            ax.hist(np.clip(p.lengths, 0, top), bins=bins, weights=share(p.lengths), histtype="step", linewidth=1.4,
                    label=f"{p.name} ({p.sentences:,.0f}/seed)")
    ax.set_xlabel("sentence length (tokens; the last bin holds the longest 1%)")
    ax.set_ylabel("share of sentences")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def mismatch_png(cells) -> bytes:
    """One heatmap per strategy (and grid setting): the AL gain each acquisition x successor pair
    keeps, as a share of the successor's native gain over random (1 on the diagonal by definition)."""
    from multitag.report.mismatch import NATIVE, RANDOM

    import textwrap

    plt = _pyplot()
    panels = sorted({(c.strategy, c.setting) for c in cells})
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels) + 1.2, 4.6), dpi=110, squeeze=False,
                             layout="constrained")
    image = None
    for k, (ax, (strategy, setting)) in enumerate(zip(axes[0], panels)):
        mine = [c for c in cells if (c.strategy, c.setting) == (strategy, setting)]
        successors = sorted({c.successor for c in mine})
        sources = sorted({c.source for c in mine if c.source not in (NATIVE, RANDOM)} | set(successors))
        grid = np.full((len(sources), len(successors)), np.nan)
        for c in mine:
            row = c.successor if c.source == NATIVE else c.source
            if c.source != RANDOM and c.gain_kept is not None and row in sources:
                if c.source == NATIVE or c.source != c.successor:   # the diagonal is the native pair
                    grid[sources.index(row), successors.index(c.successor)] = c.gain_kept
        image = ax.imshow(grid, cmap="RdYlGn", vmin=-0.5, vmax=1.5)
        for i in range(len(sources)):
            for j in range(len(successors)):
                ax.text(j, i, "-" if np.isnan(grid[i, j]) else f"{grid[i, j]:.2f}", ha="center", va="center",
                        fontsize=8)
        ax.set_xticks(range(len(successors)), successors, rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(len(sources)), sources if k == 0 else [""] * len(sources), fontsize=8)
        ax.set_xlabel("successor (trained and evaluated)", fontsize=8)
        if k == 0:
            ax.set_ylabel("acquisition (chose the pool)", fontsize=8)
        title = f"{strategy}{' / ' + setting if setting else ''}: AL gain kept"
        ax.set_title("\n".join(textwrap.wrap(title, 40)), fontsize=9)
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label="share of the native gain over random")
    return _png(fig)
