"""Matplotlib figures of the diagnostic accuracy. Figures are returned, never shown.

matplotlib is imported on first use only, so the rest of the package does not need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .curve import ROCResult
    from .optimal import CutoffResult


def plot_roc(result: ROCResult, *, cutoff: CutoffResult | None = None, ax: Axes | None = None,
             title: str | None = None) -> Figure:
    """ROC curve with its bootstrap CI band and the chosen cut-off.

    Parameters
    ----------
    result : ROCResult
        From :func:`psychometrics.roc`; the band is drawn when it was computed
        (``band=True``).
    cutoff : CutoffResult, optional
        From :func:`psychometrics.cutoffs`; its ``best`` cut-off is marked and labelled.
    ax : matplotlib Axes, optional
        Draw into this Axes instead of a new figure.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The x-axis is 1 - specificity, as in most publications (pROC's default plot shows
    specificity decreasing instead; the curve is the same). The band is pointwise: at each
    specificity, the percentile interval of the bootstrap sensitivities (pROC's ``ci.se``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from psychometrics import roc
    >>> res = roc([1, 2, 3, 4, 5, 6, 7, 8], [0, 0, 1, 0, 1, 0, 1, 1], n_boot=100, seed=1,
    ...           band=True)
    >>> fig = plot_roc(res)
    >>> fig.axes[0].get_xlabel()
    '1 - specificity'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 5))
    else:
        fig = ax.figure
    curve = result.curve.sort_values(["specificity", "sensitivity"], ascending=[False, True])
    ax.plot([0, 1], [0, 1], color="0.7", lw=1, ls="--", label="chance")
    if result.band is not None:
        b = result.band
        ax.fill_between(1 - b["specificity"], b["sensitivity_low"], b["sensitivity_high"],
                        color="C0", alpha=0.2,
                        label=f"{100 * result.level:g}% bootstrap band")
    ax.plot(1 - curve["specificity"], curve["sensitivity"], color="C0", lw=2,
            label=f"AUC {result.auc:.3f} ({result.auc_ci_low:.3f} - {result.auc_ci_high:.3f})")
    if cutoff is not None:
        best = cutoff.best
        rule = ">=" if cutoff.direction == ">=" else "<="
        ax.plot([1 - best["specificity"]], [best["sensitivity"]], "o", color="C3", ms=7,
                label=f"score {rule} {best['cutoff']:g} ({cutoff.method})")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("sensitivity")
    ax.legend(loc="lower right", fontsize="small")
    if title:
        ax.set_title(title)
    return fig
