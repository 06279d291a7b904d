"""ROC curve and AUC of a score against a binary criterion, with DeLong and bootstrap CIs and
the partial AUC.

Conventions (shared by :mod:`.optimal` and :mod:`.delong`)
-----------------------------------------------------------
* ``direction=">="``: a score *at or above* the cut-off is classified positive (higher scores =
  more burnout, the usual case); ``"<="``: at or below. ``"auto"`` takes the direction whose
  AUC is >= 0.5, warns and records ``direction_auto=True``: a direction chosen from the data
  biases the AUC and its CI upwards (pROC's ``direction="auto"`` does the same silently, from
  the medians).
* Cut-offs are observed score values, ``score >= cut-off`` positive (cutpointr). With
  ``thresholds="midpoint"`` they are pROC's midpoints between adjacent distinct values, with
  ``-inf``/``inf`` for "everyone"/"no one" positive; both label the same splits.
* Every bootstrap is stratified by the criterion (pROC's default) and drawn by
  :mod:`psychometrics.resample`; statistics are evaluated for all resamples at once from
  per-resample counts of each distinct score value (:mod:`.counts`), never with a loop per
  resample.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import resample
from .._checks import check_choice, check_positive_int
from .._results import Result, format_table, jsonable
from ..errors import DataError
from ..resample import percentile_ci
from ..threads import blas_limited
from .auc import delong_var, placements
from .counts import Counts, auc_counts, class_count_batches, curve_points, cutoff_labels, tp_fp
from .inputs import (
    THRESHOLDS,
    UNSET,
    prepare,
    renamed_keyword,
    resolve_direction,
    signed,
    z_of_level,
)

__all__ = ["ROCResult", "roc", "ROC_CI_METHODS", "partial_area", "mcclish"]

#: ``ci_method`` of :func:`roc`: the DeLong CI only, or also the stratified bootstrap CI.
ROC_CI_METHODS = ("delong", "bootstrap")
#: Specificities at which the bootstrap band of sensitivity is evaluated (steps of 0.01).
BAND_GRID = np.linspace(0, 1, 101)
#: Offset that makes the band's search at a specificity t include a curve point at exactly t
#: despite rounding (far below the 1/n steps of any curve).
_BAND_EPS = 1e-12

def partial_area(sp: np.ndarray, se: np.ndarray, lo: float, hi: float, focus: str) -> np.ndarray:
    """Area under the piecewise-linear ROC curve between two specificities (or sensitivities).

    The trapezoid rule on each segment clipped to [lo, hi] with linear interpolation at the
    bounds: pROC's ``auc(partial.auc=, partial.auc.focus=)``, vectorised over rows.

    References
    ----------
    Robin, X., et al. (2011). pROC: an open-source package for R and S+ to analyze and
    compare ROC curves. BMC Bioinformatics, 12, 77.
    """
    if focus == "sensitivity":
        x, y = se[..., ::-1], sp[..., ::-1]
    else:
        x, y = sp, se
    x0, x1, y0, y1 = x[..., :-1], x[..., 1:], y[..., :-1], y[..., 1:]
    a, b = np.clip(x0, lo, hi), np.clip(x1, lo, hi)
    width = x1 - x0
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(width > 0, (y1 - y0) / np.where(width > 0, width, 1), 0.0)
    ya, yb = y0 + slope * (a - x0), y0 + slope * (b - x0)
    return ((b - a) * (ya + yb) / 2).sum(axis=-1)


def mcclish(area, lo: float, hi: float):
    """McClish (1989) standardisation of a partial AUC over [lo, hi] to 0.5 (chance) .. 1.

    References
    ----------
    McClish, D. K. (1989). Analyzing a portion of the ROC curve. Medical Decision Making, 9,
    190-195.
    """
    amin = ((1 - lo) + (1 - hi)) * (hi - lo) / 2
    amax = hi - lo
    return (1 + (area - amin) / (amax - amin)) / 2


# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class ROCResult(Result):
    """ROC curve and AUC of a score against a binary criterion (see :func:`roc`)."""

    auc: float
    auc_ci_low: float
    auc_ci_high: float
    auc_var: float
    auc_se: float
    level: float
    boot_ci_low: float | None
    boot_ci_high: float | None
    n_boot: int
    seed: object
    n_cases: int
    n_controls: int
    n_dropped: int
    positive: object
    direction: str
    direction_auto: bool
    thresholds: str
    partial: tuple | None
    partial_focus: str
    partial_correct: bool
    partial_auc: float | None
    partial_ci_low: float | None
    partial_ci_high: float | None
    curve: pd.DataFrame = field(repr=False)
    band: pd.DataFrame | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["ci_method"] = "delong"
        d["curve"] = jsonable(self.curve.to_dict(orient="records"))
        return d

    def summary(self) -> str:
        pct = f"{100 * self.level:g}%"
        rows = {"AUC": self.auc,
                f"{pct} CI DeLong": f"{self.auc_ci_low:.3f} - {self.auc_ci_high:.3f}"}
        if self.boot_ci_low is not None:
            rows[f"{pct} CI bootstrap ({self.n_boot})"] = \
                f"{self.boot_ci_low:.3f} - {self.boot_ci_high:.3f}"
        if self.partial_auc is not None:
            rows[f"partial AUC {self.partial_focus} {self.partial}"] = self.partial_auc
        rows.update({"cases": self.n_cases, "controls": self.n_controls,
                     "direction": self.direction + (" (auto)" if self.direction_auto else "")})
        return format_table(pd.DataFrame({"value": rows}).astype(object), "ROC analysis")



@blas_limited
def roc(score, criterion, *, positive=None, direction: str = ">=", ci_method: str = "bootstrap",
        n_boot: int = 2000, seed=None, level: float = 0.95, thresholds: str = "observed",
        partial: tuple[float, float] | None = None, partial_focus: str = "specificity",
        partial_correct: bool = False, band: bool = False, ci_boot=UNSET) -> ROCResult:
    """ROC curve, AUC with DeLong and stratified-bootstrap CIs, optional partial AUC.

    Parameters
    ----------
    score : array-like or Series
        The instrument's score, one value per respondent (missing values drop the row).
    criterion : array-like or Series
        Two-level reference classification, same respondents in the same order.
    positive : label, optional
        The criterion level that is a case (needed unless the criterion is 0/1 or boolean).
    direction : {">=", "<=", "auto"}
        ``">="``: a score at or above the cut-off is positive (cases score higher). ``"auto"``
        takes the direction with AUC >= 0.5, warns and sets ``direction_auto``.
    ci_method : {"bootstrap", "delong"}
        ``"delong"``: the DeLong CI of the AUC only. ``"bootstrap"`` (default): also the
        percentile bootstrap CI (stratified by the criterion) in ``boot_ci_low``/
        ``boot_ci_high``, and the bootstrap CI of the partial AUC and the band. The DeLong CI
        (``auc_ci_low``/``auc_ci_high``) is always computed.
    n_boot, seed : int, int or None
        Bootstrap resamples and seed (see :mod:`psychometrics.resample`); without a seed
        :data:`~psychometrics.resample.DEFAULT_SEED` is used (recorded in ``to_dict()``), so
        the same call gives the same interval.
    level : float
        Coverage of the confidence intervals.
    thresholds : {"observed", "midpoint"}
        Labels of the curve's cut-offs: observed values (``score >= cut-off`` positive, as
        cutpointr) or pROC's midpoints.
    partial : (float, float), optional
        Bounds of a partial AUC, e.g. ``(0.8, 1.0)`` for specificities from 80 to 100%.
    partial_focus : {"specificity", "sensitivity"}
    partial_correct : bool
        McClish (1989) standardisation of the partial AUC to 0.5 (chance) .. 1 (perfect).
    band : bool
        Also bootstrap a pointwise CI band of sensitivity on a grid of specificities (for
        :func:`psychometrics.diagnostic.plots.plot_roc`; needs ``ci_method="bootstrap"``).
    ci_boot : bool
        Deprecated name: ``ci_boot=True`` is ``ci_method="bootstrap"``, ``False`` is
        ``"delong"`` (accepted with a :class:`DeprecationWarning` for one release).

    Returns
    -------
    ROCResult
        ``auc``, ``auc_ci_low``/``auc_ci_high`` (DeLong), ``auc_var``, ``boot_ci_low``/
        ``boot_ci_high``, ``n_cases``, ``n_controls``, ``direction``, ``curve`` (DataFrame:
        ``threshold``, ``sensitivity``, ``specificity``, ``youden_j``, ``tp``, ``fp``, ``tn``,
        ``fn``; ascending thresholds, one row per split from "everyone positive" to "no one
        positive"), and with ``band=True`` ``band`` (DataFrame ``specificity``,
        ``sensitivity_low``, ``sensitivity_high``). In ``to_dict()``, ``ci_method`` names the
        method of ``auc_ci_low``/``auc_ci_high`` (always ``"delong"``).

    Notes
    -----
    AUC is the Mann-Whitney probability P(case score > control score) + P(tie)/2, equal to
    the trapezoidal area under the empirical curve. Its DeLong variance is
    var(V10)/n_cases + var(V01)/n_controls with the placement values V10, V01 (sample
    variances, n - 1), and the CI is ``auc +- z * sqrt(var)`` clipped to [0, 1], as pROC's
    ``ci.auc(method = "delong")``. The bootstrap draws cases and controls separately
    (pROC's ``boot.stratified = TRUE``) and takes percentile limits (R's type-7 quantile);
    R's random numbers differ from numpy's, so bootstrap limits agree with pROC only to
    Monte-Carlo error (~0.01 with 2000 resamples). The partial AUC is pROC's
    ``auc(partial.auc = , partial.auc.focus = , partial.auc.correct = )``; its CI is
    bootstrap-only (pROC has no DeLong CI for it). Matches pROC 1.18 / cutpointr 1.1.2 on
    aSAH (s100b, ndka, wfns) to ~1e-12: AUC, DeLong variance and CI, the whole curve.

    References
    ----------
    DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). Comparing the areas under
    two or more correlated receiver operating characteristic curves: a nonparametric
    approach. Biometrics, 44, 837-845.
    Robin, X., et al. (2011). pROC: an open-source package for R and S+ to analyze and
    compare ROC curves. BMC Bioinformatics, 12, 77.
    McClish, D. K. (1989). Analyzing a portion of the ROC curve. Medical Decision Making, 9,
    190-195.

    Examples
    --------
    >>> score = [1, 2, 3, 4, 5, 6, 7, 8]
    >>> burnout = [0, 0, 1, 0, 1, 0, 1, 1]
    >>> res = roc(score, burnout, n_boot=200, seed=1)
    >>> round(res.auc, 4), round(res.auc_ci_low, 4), round(res.auc_ci_high, 4)
    (0.8125, 0.4808, 1.0)
    >>> res.curve[["threshold", "sensitivity", "specificity"]].head(3)
       threshold  sensitivity  specificity
    0        1.0          1.0         0.00
    1        2.0          1.0         0.25
    2        3.0          1.0         0.50
    """
    # over 80 lines only by its numpydoc docstring; the code is under 40 lines
    ci_method = renamed_keyword(ci_method, ci_boot, new="ci_method", old="ci_boot",
                                default="bootstrap", stacklevel=4,
                                convert=lambda v: "bootstrap" if v else "delong")
    check_choice(ci_method, ROC_CI_METHODS, "ci_method")
    check_choice(thresholds, THRESHOLDS, "thresholds")
    check_choice(partial_focus, ("specificity", "sensitivity"), "partial_focus")
    z = z_of_level(level)
    seed = resample.resolve_seed(seed)
    (x,), y, n_dropped = prepare([score], criterion, positive, ["score"])
    direction, auto = resolve_direction(x, y, direction)
    s = signed(x, direction)
    v10, v01 = placements(s, y)
    auc = float(v10.mean())
    var = delong_var(v10, v01)
    se = float(np.sqrt(var))
    lo, hi = float(np.clip(auc - z * se, 0, 1)), float(np.clip(auc + z * se, 0, 1))

    cnt = Counts.of(s, y)
    curve = _curve_table(cnt, direction, thresholds)
    pauc = None
    if partial is not None:
        partial = _check_partial(partial)
        pauc = _partial_auc(cnt, partial, partial_focus, partial_correct)

    boot = {}
    if ci_method == "bootstrap":
        n_boot = check_positive_int(n_boot, "n_boot")
        boot = _bootstrap_cis(cnt, n_boot, seed, level, partial, partial_focus,
                              partial_correct, band)

    return ROCResult(
        auc=auc, auc_ci_low=lo, auc_ci_high=hi, auc_var=var, auc_se=se, level=level,
        boot_ci_low=boot.get("boot_ci_low"), boot_ci_high=boot.get("boot_ci_high"),
        n_boot=n_boot if ci_method == "bootstrap" else 0, seed=resample.seed_record(seed),
        n_cases=int(y.sum()), n_controls=int((~y).sum()), n_dropped=n_dropped,
        positive=positive, direction=direction, direction_auto=auto, thresholds=thresholds,
        partial=partial, partial_focus=partial_focus, partial_correct=partial_correct,
        partial_auc=pauc, partial_ci_low=boot.get("partial_ci_low"),
        partial_ci_high=boot.get("partial_ci_high"), curve=curve, band=boot.get("band"))


def _curve_table(cnt: Counts, direction: str, thresholds: str) -> pd.DataFrame:
    """Every split of the respondents, in ascending thresholds on the score's own scale."""
    tp, fp = tp_fp(cnt.cases, cnt.controls)
    n1, n0 = int(cnt.cases.sum()), int(cnt.controls.sum())
    curve = pd.DataFrame({"threshold": cutoff_labels(cnt.u, direction, thresholds),
                          "sensitivity": tp / n1, "specificity": 1 - fp / n0})
    curve["youden_j"] = curve["sensitivity"] + curve["specificity"] - 1
    curve["tp"], curve["fp"], curve["tn"], curve["fn"] = tp, fp, n0 - fp, n1 - tp
    if direction == "<=":
        curve = curve.iloc[::-1].reset_index(drop=True)
    return curve


def _check_partial(partial) -> tuple[float, float]:
    plo, phi = sorted(float(v) for v in partial)
    if plo < 0 or phi > 1 or plo == phi:
        raise DataError(f"partial must be two different values in [0, 1], got {partial}")
    return plo, phi


def _partial_auc(cnt: Counts, partial: tuple[float, float], focus: str, correct: bool) -> float:
    sp_, se_ = curve_points(cnt.cases, cnt.controls)
    pauc = float(partial_area(sp_, se_, partial[0], partial[1], focus))
    return float(mcclish(pauc, *partial)) if correct else pauc


def _bootstrap_cis(cnt: Counts, n_boot, seed, level, partial, focus, correct,
                   band) -> dict:
    """Percentile CIs of the AUC (and the partial AUC), and the band, as ROCResult fields."""
    reps = _roc_boot(cnt, n_boot, seed, partial, focus, correct, band)
    out = dict(zip(("boot_ci_low", "boot_ci_high"),
                   (float(v) for v in percentile_ci(reps["auc"], level))))
    if partial is not None:
        out.update(zip(("partial_ci_low", "partial_ci_high"),
                       (float(v) for v in percentile_ci(reps["partial"], level))))
    if band:
        lo_, hi_ = percentile_ci(reps["band"], level)
        out["band"] = pd.DataFrame({"specificity": BAND_GRID, "sensitivity_low": lo_,
                                    "sensitivity_high": hi_})
    return out


def _roc_boot(cnt: Counts, n_boot, seed, partial, focus, correct, band) -> dict:
    """Replicates of the AUC (and partial AUC, and the band) in one pass over the resamples."""
    need_curve = band or partial is not None
    out: dict[str, list] = {"auc": [], "partial": [], "band": []}
    # width 4 with a curve (curve points per resample), 1 for the AUC alone: a batch takes
    # fewer resamples when each holds more arrays
    for c, d in class_count_batches(cnt, n_boot, seed, width=4 if need_curve else 1):
        out["auc"].append(auc_counts(c, d))
        if not need_curve:
            continue
        sp, se = curve_points(c, d)
        if partial is not None:
            a = partial_area(sp, se, partial[0], partial[1], focus)
            out["partial"].append(mcclish(a, *partial) if correct else a)
        if band:
            # sensitivity at specificity t = the best sensitivity among cut-offs with
            # specificity >= t (step curve): a per-row searchsorted, rows kept apart by offsets
            b = sp.shape[0]
            off = 2.0 * np.arange(b)[:, None]
            pos = np.searchsorted((sp + off).ravel(), (BAND_GRID[None, :] + off).ravel() - _BAND_EPS)
            out["band"].append(se.ravel()[np.minimum(pos, sp.size - 1)].reshape(b, -1))
    return {key: np.concatenate(v) for key, v in out.items() if v}

