"""Figures of the report: Likert bars, scree with parallel analysis, standardised loadings.

Figures are drawn on matplotlib's Agg canvas without pyplot (no window, no global state), and
matplotlib is imported only when a figure is drawn, so a report without figures, or the rest
of the package, never pays for it. Text is at least 10 pt (:data:`FONT`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["new_figure", "png_bytes", "likert_bars", "scree_plot", "loadings_plot", "FONT"]

#: Smallest font size (points) of any text in a report figure.
FONT = 10


def new_figure(width: float, height: float):
    """A Figure on the Agg canvas (no pyplot, nothing left open)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig, dpi: int = 110) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def likert_bars(raw: np.ndarray, items: Sequence[str], codes: Sequence[int],
                code_labels: Mapping[int, str] | None = None, *, title: str | None = None,
                xlabel: str = "% of respondents"):
    """Diverging stacked bars of the answers to each item (the usual Likert plot).

    Parameters
    ----------
    raw : ndarray
        Respondents x items, raw codes, NaN = missing (missing answers are left out of the
        percentages).
    items : list of str
        Item labels, in the order of the columns of ``raw``.
    codes : list of int
        The response codes, low to high.
    code_labels : mapping, optional
        Code -> label for the legend.
    title, xlabel : str

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Codes below the scale's midpoint are drawn to the left of 0, codes above it to the right;
    a middle code (odd number of codes) is split half and half across 0 (Robbins & Heiberger,
    2011). Vectorised: one count per code over all respondents and items.

    References
    ----------
    Robbins, N. B., & Heiberger, R. M. (2011). Plotting Likert and other rating scales.
    *Proceedings of the 2011 Joint Statistical Meeting*, 1058-1066.
    """
    from matplotlib import colormaps

    x = np.asarray(raw, dtype=float)
    codes = list(codes)
    k = len(codes)
    answered = (~np.isnan(x)).sum(axis=0)
    counts = np.stack([(x == c).sum(axis=0) for c in codes], axis=1).astype(float)
    pct = 100.0 * counts / np.maximum(answered, 1)[:, None]
    half = k // 2
    mid = k % 2 == 1
    left = pct[:, :half].sum(axis=1) + (pct[:, half] / 2 if mid else 0.0)
    cmap = colormaps["RdBu"]
    colours = [cmap(0.12 + 0.76 * j / max(k - 1, 1)) for j in range(k)]
    fig = new_figure(9.0, 1.8 + 0.32 * len(items))
    ax = fig.add_subplot(1, 1, 1)
    rows = np.arange(len(items))
    start = -left
    for j, c in enumerate(codes):
        label = f"{c}" + (f" {code_labels[c]}" if code_labels and c in code_labels else "")
        ax.barh(rows, pct[:, j], left=start, color=colours[j], edgecolor="white", lw=0.4,
                label=label, height=0.8)
        start = start + pct[:, j]
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_yticks(rows, list(items))
    ax.invert_yaxis()
    lim = max(100.0 - float(np.min(left)) if len(left) else 100.0,
              float(np.max(left)) if len(left) else 0.0)
    lim = min(100.0, 10 * np.ceil(lim / 10))
    ax.set_xlim(-lim, lim)
    ticks = np.arange(-lim, lim + 1, 20 if lim > 50 else 10)
    ax.set_xticks(ticks, [f"{abs(t):g}" for t in ticks])
    ax.set_xlabel(xlabel, fontsize=FONT + 1)
    ax.tick_params(labelsize=FONT)
    # the legend below the axis, in as many rows as long labels need
    ax.legend(ncol=min(k, 4), fontsize=FONT, loc="upper center", bbox_to_anchor=(0.5, -0.12),
              frameon=False, handlelength=1.2, columnspacing=0.8)
    if title:
        ax.set_title(title, fontsize=FONT + 2, pad=28)
    fig.tight_layout()
    return fig


def scree_plot(observed: Sequence[float], simulated: Sequence[float], *, n_factors: int,
               title: str | None = None, xlabel: str = "Factor",
               ylabel: str = "Eigenvalue", observed_label: str = "observed data",
               simulated_label: str = "parallel analysis (simulated)"):
    """Scree plot of the factor eigenvalues with the parallel-analysis line.

    Parameters
    ----------
    observed, simulated : sequence of float
        Eigenvalues of the reduced correlation matrix of the data and of the simulated data
        (:func:`psychometrics.parallel_analysis`, ``fa`` and ``fa_sim``).
    n_factors : int
        The number of factors parallel analysis suggests (marked on the plot).

    Returns
    -------
    matplotlib.figure.Figure
    """
    obs = np.asarray(observed, dtype=float)
    sim = np.asarray(simulated, dtype=float)
    x = np.arange(1, len(obs) + 1)
    fig = new_figure(6.4, 3.8)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(x, obs, "o-", color="#12355b", lw=1.8, ms=5, label=observed_label)
    ax.plot(x, sim, "--", color="#c0392b", lw=1.6, label=simulated_label)
    if 1 <= n_factors <= len(obs):
        ax.plot([n_factors], [obs[n_factors - 1]], "o", ms=11, mfc="none", mec="#e0a800", mew=2,
                label=f"{n_factors} factor(s) above the line")
    ax.axhline(0, color="0.75", lw=0.8)
    ax.set_xticks(x if len(x) <= 25 else x[::2])
    ax.set_xlabel(xlabel, fontsize=FONT + 1)
    ax.set_ylabel(ylabel, fontsize=FONT + 1)
    ax.tick_params(labelsize=FONT)
    ax.legend(fontsize=FONT, frameon=False)
    if title:
        ax.set_title(title, fontsize=FONT + 2)
    fig.tight_layout()
    return fig


def loadings_plot(loadings: pd.DataFrame, *, title: str | None = None,
                  xlabel: str = "Standardised loading"):
    """Horizontal bars of the standardised loadings, one colour per factor.

    Parameters
    ----------
    loadings : DataFrame
        Items x factors; 0 (or NaN) where an item does not load on a factor.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib import colormaps

    lo = loadings.fillna(0.0)
    rows, labels, colours, values = [], [], [], []
    cmap = colormaps["tab10"]
    r = 0
    for j, f in enumerate(lo.columns):
        for item in lo.index[lo[f] != 0]:
            rows.append(r)
            labels.append(f"{item} ({f})")
            values.append(float(lo.loc[item, f]))
            colours.append(cmap(j % 10))
            r += 1
        r += 0.6  # a gap between factors
    fig = new_figure(6.4, 0.9 + 0.28 * max(len(values), 1))
    ax = fig.add_subplot(1, 1, 1)
    ax.barh(rows, values, color=colours, height=0.8)
    for y, v in zip(rows, values):
        ax.text(v + (0.01 if v >= 0 else -0.01), y, f"{v:.2f}", va="center",
                ha="left" if v >= 0 else "right", fontsize=FONT)
    ax.set_yticks(rows, labels)
    ax.invert_yaxis()
    ax.axvline(0, color="0.3", lw=0.8)
    ax.axvline(0.4, color="0.6", lw=0.8, ls=":")
    ax.set_xlim(min(0.0, min(values, default=0.0) - 0.15), 1.1)
    ax.set_xlabel(xlabel, fontsize=FONT + 1)
    ax.tick_params(labelsize=FONT)
    if title:
        ax.set_title(title, fontsize=FONT + 2)
    fig.tight_layout()
    return fig
