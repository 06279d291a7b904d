"""Figures for IRT results: item-person (Wright) map, information curves, DIF.

Figures are returned, never shown; matplotlib is imported on first use only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import special

from ..errors import DataError
from .precision import model_curves, theta_at_raw

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_item_person_map", "plot_information", "plot_dif", "person_thetas",
           "item_locations"]


def person_thetas(model) -> np.ndarray:
    """Respondents' ability estimates: EAP (GRM) or ML per raw score (Rasch family)."""
    scores = getattr(model, "scores", None)
    if isinstance(scores, pd.DataFrame):
        t = scores["theta"].to_numpy(float)
    elif callable(getattr(model, "person_scores", None)):
        t = model.person_scores()["theta"].to_numpy(float)
    else:
        raise DataError(f"{type(model).__name__} holds no person estimates")
    return t[np.isfinite(t)]


def item_locations(model) -> pd.DataFrame:
    """Item x threshold locations on the theta scale (GRM ``b``, Rasch thresholds ``tau``)."""
    thr = getattr(model, "thresholds", None)
    if not isinstance(thr, pd.DataFrame):
        raise DataError(f"{type(model).__name__} has no thresholds table")
    return thr


def plot_item_person_map(model, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Item-person (Wright) map: persons' abilities beside the items' thresholds.

    The left panel is the histogram of the person estimates, the right one each item's
    thresholds on the same theta axis, so targeting (where the items measure versus where the
    respondents are) is visible at a glance.
    """
    import matplotlib.pyplot as plt

    thr = item_locations(model)
    theta = person_thetas(model)
    if ax is None:
        fig, (ax_p, ax) = plt.subplots(1, 2, sharey=True, figsize=(7.5, 0.35 * len(thr) + 3),
                                       gridspec_kw={"width_ratios": [1, 2]})
    else:
        fig = ax.figure
        ax_p = ax.inset_axes([-0.45, 0, 0.4, 1], sharey=ax)
    vals = thr.to_numpy(float)
    lo = np.nanmin(np.r_[theta, vals.ravel()]) - 0.5
    hi = np.nanmax(np.r_[theta, vals.ravel()]) + 0.5
    ax_p.hist(theta, bins=np.linspace(lo, hi, 31), orientation="horizontal", color="C0")
    ax_p.invert_xaxis()
    ax_p.set_xlabel("respondents")
    ax_p.set_ylabel("theta (logits)" if getattr(model, "link", "logit") == "logit" else "theta")
    for i, (_, row) in enumerate(thr.iterrows()):
        r = row.dropna().to_numpy(float)
        ax.plot(np.full(r.size, i), r, "o-", color="C1", ms=5, lw=1)
        for k, v in enumerate(r, start=1):
            ax.annotate(str(k), (i, v), textcoords="offset points", xytext=(5, -3),
                        fontsize=7, color="0.3")
    ax.set_xticks(range(len(thr)))
    ax.set_xticklabels([str(i) for i in thr.index], rotation=90 if len(thr) > 8 else 0)
    ax.set_xlabel("item thresholds")
    ax.set_ylim(lo, hi)
    ax.grid(axis="y", color="0.9")
    fig.suptitle(title or "Item-person map")
    fig.tight_layout()
    return fig


def plot_information(model, *, cutoff: float | None = None, scale: str = "raw",
                     items: bool = True, ax: Axes | None = None, title: str | None = None,
                     label: str | None = None) -> Figure:
    """Test (and item) information curves with the SE of measurement, and a cut-off.

    Parameters
    ----------
    model : fitted IRT model
    cutoff : float, optional
        Marked with a vertical line; on the ``scale`` given (raw sum score or theta).
    items : bool
        Also draw each item's information (GRM only: the Rasch family's test curve only).
    label : str, optional
        Text for the cut-off line (default ``"cut-off VALUE"``).
    """
    import matplotlib.pyplot as plt

    info, _, _, _ = model_curves(model)
    grid = np.linspace(-4, 4, 241)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 4))
    else:
        fig = ax.figure
    test = info(grid)
    if items and hasattr(model, "information"):
        tab = model.information(grid)
        for item in model.items:
            ax.plot(grid, tab[item], lw=0.8, alpha=0.6, label=None)
    ax.plot(grid, test, color="C0", lw=2.5, label="test information")
    ax.set_xlabel("theta")
    ax.set_ylabel("information")
    ax2 = ax.twinx()
    ax2.plot(grid, 1 / np.sqrt(test), color="C3", lw=1.5, ls="--", label="SE of measurement")
    ax2.set_ylabel("SE of measurement", color="C3")
    ax2.set_ylim(0, min(3.0, float(np.nanmax(1 / np.sqrt(test)))) * 1.05)
    if cutoff is not None:
        th = float(theta_at_raw(model, cutoff)[0]) if scale == "raw" else float(cutoff)
        ax.axvline(th, color="k", lw=1)
        ax.annotate((label or f"cut-off {cutoff:g}") + (f" (theta {th:.2f})" if scale == "raw"
                                                        or label else "")
                    + f"\nSE {1 / np.sqrt(info(np.array([th]))[0]):.2f}",
                    (th, ax.get_ylim()[1] * 0.95), xytext=(4, 0), textcoords="offset points",
                    va="top", fontsize=8)
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="upper left", fontsize="small")
    ax.set_title(title or "Information and SE of measurement")
    fig.tight_layout()
    return fig


def _expected_item_score(alpha, beta, xm, cats, x, dummies):
    """Expected answer under model 3 (centred matching score) for one group."""
    xc = x - xm
    G1 = dummies.size
    eta = beta[0] * xc + (beta[1:1 + G1] @ dummies) + (beta[1 + G1:] @ dummies) * xc
    cum = special.expit(alpha[None, :] + eta[:, None])              # n x m
    cum = np.column_stack([np.ones(x.size), cum, np.zeros(x.size)])
    P = cum[:, :-1] - cum[:, 1:]
    return P @ np.asarray(cats, float)


def plot_dif(result, *, items=None, max_items: int = 6) -> Figure:
    """The flagged items of a DIF analysis.

    Logistic DIF: for each flagged item (or ``items``), the expected answer against the
    matching score in each group (model 3); Rasch family: each item's largest Wald z with
    the Bonferroni limits.
    """
    import matplotlib.pyplot as plt

    if result.method != "logistic":
        tab = result.table
        fig, ax = plt.subplots(figsize=(max(4.0, 0.5 * len(tab) + 2), 3.5))
        colors = ["C3" if f else "C0" for f in tab["flagged"]]
        ax.bar(range(len(tab)), tab["z_max"], color=colors)
        from scipy.stats import norm

        zc = norm.isf(result.options["alpha"] / 2)
        for s in (-1, 1):
            ax.axhline(s * zc, color="0.5", ls="--", lw=1)
        ax.set_xticks(range(len(tab)))
        ax.set_xticklabels(tab.index, rotation=90 if len(tab) > 8 else 0)
        ax.set_ylabel(f"Wald z ({result.groups and ' vs '.join(result.groups)})")
        ax.set_title(f"DIF by {result.group} ({result.method}): flagged in red")
        fig.tight_layout()
        return fig
    show = list(items) if items is not None else list(result.flagged)
    show = show[:max_items]
    if not show:
        fig, ax = plt.subplots(figsize=(5, 2))
        ax.axis("off")
        ax.text(0.5, 0.5, f"No item flagged for DIF by {result.group}", ha="center",
                va="center")
        return fig
    curves = result.curves
    labels = curves["labels"]
    ncol = min(3, len(show))
    nrow = int(np.ceil(len(show) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4 * ncol, 3.2 * nrow), squeeze=False)
    for ax, item in zip(axes.ravel(), show):
        alpha, beta, xm, cats, (xlo, xhi) = curves["fits"][item]
        x = np.linspace(xlo, xhi, 121)
        for gi, lab in enumerate(labels):
            d = np.zeros(len(labels) - 1)
            if gi > 0:
                d[gi - 1] = 1.0
            ax.plot(x, _expected_item_score(alpha, beta, xm, cats, x, d), label=str(lab))
        row = result.table.loc[item]
        ax.set_title(f"{item}: p12 {row['p12']:.3g}, p23 {row['p23']:.3g}", fontsize=9)
        ax.set_xlabel("matching " + ("theta" if curves["matching"] == "theta" else "score"))
        ax.set_ylabel("expected answer")
        ax.legend(fontsize="small", title=result.group)
    for ax in axes.ravel()[len(show):]:
        ax.axis("off")
    fig.suptitle(f"Items flagged for DIF by {result.group}")
    fig.tight_layout()
    return fig
