"""Cut-off validation: ROC curve, AUC with CIs, optimal cut-offs, diagnostic accuracy, DeLong test.

A validation study scores an instrument, compares it with a criterion (a clinician's diagnosis,
sick leave, another instrument's classification) and asks how well each candidate cut-off
separates cases from non-cases. The functions here agree with R's pROC (AUC, DeLong variance,
CI and paired test, midpoint thresholds, ``coords(..., "best")``) and cutpointr (observed-value
cut-offs, Youden-optimal cut-point, ties) to ~1e-12 on the aSAH reference data.

Conventions
-----------
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
  per-resample counts of each distinct score value, never with a loop per resample.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import resample
from ._checks import (
    align,
    check_binary,
    check_choice,
    check_level,
    check_positive_int,
    check_vector,
)
from ._results import Result, format_table, jsonable
from .distributions import stats  # scipy.stats' numbers without its import cost
from .errors import DataError
from .resample import percentile_ci
from .threads import blas_limited

__all__ = ["roc", "cutoffs", "roc_test", "predictive_values",
           "ROCResult", "CutoffResult", "RocTestResult"]

_METHODS = ("youden", "closest_topleft", "min_sensitivity", "min_specificity", "cost")
#: Metric values closer than this are ties. Distinct Youden values differ by at least
#: 1/(n_cases * n_controls), so this only absorbs floating-point rounding (cutpointr's
#: ``tol_metric = 1e-6`` would merge distinct values once n_cases * n_controls > 1e6).
_TIE_TOL = 1e-10
#: Values per bootstrap batch (cases + controls x resamples).
_BATCH_ELEMENTS = 4_000_000


# --------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------

def _as_series(v) -> pd.Series:
    if isinstance(v, pd.DataFrame):
        if v.shape[1] != 1:
            raise DataError(f"expected one column, got {v.shape[1]}")
        v = v.iloc[:, 0]
    if isinstance(v, pd.Series):
        return v
    return pd.Series(np.asarray(v).ravel())


def _prepare(scores: Sequence, criterion, positive, names: Sequence[str]):
    """Validate scores and criterion; drop rows with a missing value in any (pROC na.rm).

    Pandas inputs are matched by index (respondent), in the first score's order; plain arrays
    by position (see :func:`~psychometrics._checks.align`).
    """
    *scores, criterion = align(*scores, criterion, names=[*names, "criterion"])
    crit = _as_series(criterion)
    xs = [check_vector(_as_series(s), name=nm, allow_nan=True) for s, nm in zip(scores, names)]
    for x, nm in zip(xs, names):
        if x.shape[0] != len(crit):
            raise DataError(f"{nm} has {x.shape[0]} values but the criterion has {len(crit)}")
    keep = crit.notna().to_numpy().copy()
    for x in xs:
        keep &= ~np.isnan(x)
    y = check_binary(crit[keep], positive=positive)
    if y.all() or not y.any():
        what = "controls (non-cases)" if y.all() else "cases"
        raise DataError(f"criterion: no {what} among the {int(keep.sum())} complete rows; "
                        "an ROC analysis needs both")
    return [x[keep] for x in xs], y, int((~keep).sum())


def _check_direction(direction: str) -> str:
    return check_choice(direction, (">=", "<=", "auto"), "direction")


def _resolve_direction(x: np.ndarray, y: np.ndarray, direction: str, name: str = "score"):
    """Return (direction, auto flag); 'auto' picks the direction with AUC >= 0.5 and warns."""
    direction = _check_direction(direction)
    if direction != "auto":
        return direction, False
    auc = _placements(x, y)[0].mean()
    chosen = ">=" if auc >= 0.5 else "<="
    warnings.warn(
        f"{name}: direction='auto' chose {chosen!r} (AUC {max(auc, 1 - auc):.3f}); a direction "
        "chosen from the data biases the AUC and its confidence interval upwards, so state "
        "it in advance when you can", UserWarning, stacklevel=3)
    return chosen, True


def _signed(x: np.ndarray, direction: str) -> np.ndarray:
    """Scores oriented so that 'positive' always means s >= cut-off."""
    return x if direction == ">=" else -x


# --------------------------------------------------------------------------------------------
# AUC, DeLong
# --------------------------------------------------------------------------------------------

def _placements(s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong placement values: V10 per case, V01 per control (ties count one half)."""
    cases, ctrls = s[y], s[~y]
    sc, sk = np.sort(ctrls), np.sort(cases)
    v10 = (np.searchsorted(sc, cases, "left") + np.searchsorted(sc, cases, "right")) / (2 * sc.size)
    v01 = (2 * sk.size - np.searchsorted(sk, ctrls, "right")
           - np.searchsorted(sk, ctrls, "left")) / (2 * sk.size)
    return v10, v01


def _delong_var(v10: np.ndarray, v01: np.ndarray) -> float:
    if v10.size < 2 or v01.size < 2:
        return float("nan")
    return float(v10.var(ddof=1) / v10.size + v01.var(ddof=1) / v01.size)


def _z(level: float) -> float:
    level = check_level(level)
    return float(stats.norm.ppf(1 - (1 - level) / 2))


# --------------------------------------------------------------------------------------------
# counts per distinct value, curve
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Counts:
    """Distinct oriented scores u (ascending) and the cases/controls at each."""

    u: np.ndarray
    code: np.ndarray        # per respondent, index into u
    cases: np.ndarray
    controls: np.ndarray

    @classmethod
    def of(cls, s: np.ndarray, y: np.ndarray) -> _Counts:
        u, code = np.unique(s, return_inverse=True)
        return cls(u, code, np.bincount(code[y], minlength=u.size),
                   np.bincount(code[~y], minlength=u.size))


def _tp_fp(case_counts: np.ndarray, ctrl_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positives per candidate along the last axis: levels u_0..u_{K-1} then 'no one'."""
    def tail(c):  # number with s >= u_k; a trailing 0 for the +inf candidate
        r = np.cumsum(c[..., ::-1], axis=-1)[..., ::-1]
        return np.concatenate([r, np.zeros(r.shape[:-1] + (1,), dtype=r.dtype)], axis=-1)
    return tail(case_counts), tail(ctrl_counts)


def _midpoints(u: np.ndarray) -> np.ndarray:
    """pROC's thresholds: -inf, midpoints of adjacent distinct values, +inf."""
    with np.errstate(over="ignore"):
        mid = (u[:-1] + u[1:]) / 2
        bad = ~np.isfinite(mid)
        mid[bad] = u[:-1][bad] / 2 + u[1:][bad] / 2  # no overflow for huge scores
    return np.concatenate([[-np.inf], mid, [np.inf]])


def _labels(u: np.ndarray, direction: str, thresholds: str) -> np.ndarray:
    """Cut-off labels (original score scale) of the candidates of oriented levels u, +inf."""
    lab = np.concatenate([u, [np.inf]]) if thresholds == "observed" else _midpoints(u)
    return lab if direction == ">=" else -lab


# --------------------------------------------------------------------------------------------
# rates and their intervals
# --------------------------------------------------------------------------------------------

def _binom_ci(k, n, level: float, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score or Clopper-Pearson interval for k successes in n (NaN when n = 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "wilson":
            z = _z(level)
            p = k / n
            den = 1 + z * z / n
            mid = (p + z * z / (2 * n)) / den
            half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
            lo, hi = np.clip(mid - half, 0, 1), np.clip(mid + half, 0, 1)
        elif method == "exact":
            a = 1 - level
            lo = np.where(k > 0, stats.beta.ppf(a / 2, k, n - k + 1), 0.0)
            hi = np.where(k < n, stats.beta.ppf(1 - a / 2, k + 1, n - k), 1.0)
        else:
            raise DataError(f"ci must be 'wilson' or 'exact', got {method!r}")
    bad = n <= 0
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def _ratio(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, a / np.where(b != 0, b, 1), np.where(a > 0, np.inf, np.nan))


def _rows(tp, fp, tn, fn, *, level: float, ci: str, prevalence: float | None) -> pd.DataFrame:
    """Diagnostic accuracy of each split, with CIs (no cut-off column)."""
    tp, fp, tn, fn = (np.asarray(v, dtype=np.int64) for v in (tp, fp, tn, fn))
    n1, n0 = tp + fn, fp + tn
    z = _z(level)
    out = {"tp": tp, "fp": fp, "tn": tn, "fn": fn}

    def rate(name, k, n):
        out[name] = _ratio(k, n)
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = _binom_ci(k, n, level, ci)

    rate("sensitivity", tp, n1)
    rate("specificity", tn, n0)
    sens, spec = out["sensitivity"], out["specificity"]
    # LR+- with the log method (Simel, Samsa & Matchar 1991); undefined with an empty cell
    with np.errstate(divide="ignore", invalid="ignore"):
        lrp, lrn = _ratio(sens, 1 - spec), _ratio(1 - sens, spec)
        se_p = np.sqrt(1 / tp - 1 / n1 + 1 / fp - 1 / n0)
        se_n = np.sqrt(1 / fn - 1 / n1 + 1 / tn - 1 / n0)
        ok_p, ok_n = (tp > 0) & (fp > 0), (fn > 0) & (tn > 0)
        lrp_lo = np.where(ok_p, lrp * np.exp(-z * se_p), np.nan)
        lrp_hi = np.where(ok_p, lrp * np.exp(z * se_p), np.nan)
        lrn_lo = np.where(ok_n, lrn * np.exp(-z * se_n), np.nan)
        lrn_hi = np.where(ok_n, lrn * np.exp(z * se_n), np.nan)
    if prevalence is None:
        rate("ppv", tp, tp + fp)
        rate("npv", tn, tn + fn)
    else:
        # Bayes at the stated prevalence; CI from the LR's log-scale CI, i.e. the logit
        # interval of Mercaldo, Lau & Zhou (2007): logit(PPV) = logit(p) + log(LR+).
        pv = predictive_values(sens, spec, prevalence)
        out["ppv"], out["npv"] = pv["ppv"], pv["npv"]
        odds = prevalence / (1 - prevalence)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["ppv_ci_low"] = 1 / (1 + 1 / (odds * lrp_lo))
            out["ppv_ci_high"] = 1 / (1 + 1 / (odds * lrp_hi))
            out["npv_ci_low"] = 1 / (1 + odds * lrn_hi)
            out["npv_ci_high"] = 1 / (1 + odds * lrn_lo)
    out["lr_pos"], out["lr_pos_ci_low"], out["lr_pos_ci_high"] = lrp, lrp_lo, lrp_hi
    out["lr_neg"], out["lr_neg_ci_low"], out["lr_neg_ci_high"] = lrn, lrn_lo, lrn_hi
    rate("accuracy", tp + tn, n1 + n0)
    j = sens + spec - 1
    # Wald interval with Youden's (1950) variance: sens(1-sens)/n1 + spec(1-spec)/n0
    half = z * np.sqrt(sens * (1 - sens) / n1 + spec * (1 - spec) / n0)
    out["youden_j"] = j
    out["youden_j_ci_low"], out["youden_j_ci_high"] = np.clip(j - half, -1, 1), np.clip(j + half, -1, 1)
    return pd.DataFrame(out)


def predictive_values(sensitivity, specificity, prevalence) -> dict:
    """Positive and negative predictive values at a stated prevalence (Bayes' theorem).

    Parameters
    ----------
    sensitivity, specificity : float or array-like
    prevalence : float or array-like
        Proportion of cases in the population the cut-off will be used in (e.g. the working
        population rather than the clinic sample the study recruited).

    Returns
    -------
    dict
        ``ppv`` and ``npv`` (floats, or arrays when an input is an array).

    Notes
    -----
    PPV = sens p / (sens p + (1 - spec)(1 - p)), NPV = spec (1 - p) / (spec (1 - p) +
    (1 - sens) p). A PPV/NPV computed in a study sample is only valid at that sample's
    prevalence; :func:`cutoffs` with ``prevalence=`` recomputes its table with this function.

    References
    ----------
    Altman, D. G., & Bland, J. M. (1994). Diagnostic tests 2: predictive values. BMJ, 309, 102.

    Examples
    --------
    >>> pv = predictive_values(0.9, 0.8, 0.05)
    >>> round(pv["ppv"], 4), round(pv["npv"], 4)
    (0.1915, 0.9935)
    """
    se, sp, p = (np.asarray(v, dtype=float) for v in (sensitivity, specificity, prevalence))
    for nm, v in (("sensitivity", se), ("specificity", sp), ("prevalence", p)):
        if np.any((v < 0) | (v > 1)):
            raise DataError(f"{nm} must be between 0 and 1, got {v.tolist()}")
    with np.errstate(divide="ignore", invalid="ignore"):
        ppv = se * p / (se * p + (1 - sp) * (1 - p))
        npv = sp * (1 - p) / (sp * (1 - p) + (1 - se) * p)

    def out(v):
        return float(v) if np.ndim(v) == 0 else v
    return {"ppv": out(ppv), "npv": out(npv)}


# --------------------------------------------------------------------------------------------
# vectorised bootstrap statistics (cases first, stratified resamples)
# --------------------------------------------------------------------------------------------

def _class_batches(n1: int, n0: int, n_boot: int, seed, width: int = 1):
    """Stratified resamples as (case rows, control rows) index matrices, in batches.

    Cases and controls are drawn separately by :func:`psychometrics.resample.bootstrap_indices`
    from one seeded Generator: the same scheme as ``bootstrap_indices(strata=criterion)``
    (pROC's ``stratified = TRUE``), without interleaving the two classes into one matrix,
    which on 10,000 respondents costs more than the AUC itself. Batches hold about
    ``_BATCH_ELEMENTS`` values so that memory is bounded and reused.
    """
    g = resample.rng(seed)
    per = max(1, _BATCH_ELEMENTS // max(1, (n1 + n0) * width))
    done = 0
    while done < n_boot:
        b = min(per, n_boot - done)
        yield (resample.bootstrap_indices(n1, b, seed=g), resample.bootstrap_indices(n0, b, seed=g))
        done += b


def _auc_boot(code1: np.ndarray, code0: np.ndarray, k: int, i1: np.ndarray, i0: np.ndarray):
    """AUC of each resample from cumulative control counts per distinct value."""
    b = i1.shape[0]
    off = np.arange(b, dtype=np.int64)[:, None] * (k + 1)
    keys = code0[i0]
    keys += off + 1
    # cz[r, l] = number of controls of resample r with a value below level l
    cz = np.bincount(keys.ravel(), minlength=b * (k + 1)).reshape(b, k + 1)
    np.cumsum(cz, axis=1, out=cz)
    kc = code1[i1]
    kc += off
    flat = cz.ravel()
    # twice a case's placement = #controls below + #controls at or below
    return (flat[kc].sum(axis=1) + flat[kc + 1].sum(axis=1)) / (2.0 * i1.shape[1] * i0.shape[1])


def _boot_counts(code1: np.ndarray, code0: np.ndarray, k: int, i1: np.ndarray, i0: np.ndarray):
    """Cases and controls per distinct value, one row per resample."""
    b = i1.shape[0]
    off = np.arange(b, dtype=np.int64)[:, None] * k
    c = np.bincount((off + code1[i1]).ravel(), minlength=b * k).reshape(b, k)
    d = np.bincount((off + code0[i0]).ravel(), minlength=b * k).reshape(b, k)
    return c, d


def _curve_points(c: np.ndarray, d: np.ndarray):
    """Specificity (ascending) and sensitivity of the candidates of each row of counts."""
    tp, fp = _tp_fp(c, d)
    n1, n0 = tp[..., :1], fp[..., :1]
    return 1 - fp / n0, tp / n1


def _partial_area(sp: np.ndarray, se: np.ndarray, lo: float, hi: float, focus: str) -> np.ndarray:
    """Area under the piecewise-linear ROC curve between two specificities (or sensitivities).

    The trapezoid rule on each segment clipped to [lo, hi] with linear interpolation at the
    bounds: pROC's ``auc(partial.auc=, partial.auc.focus=)``, vectorised over rows.
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


def _mcclish(area, lo: float, hi: float):
    amin = ((1 - lo) + (1 - hi)) * (hi - lo) / 2
    amax = hi - lo
    return (1 + (area - amin) / (amax - amin)) / 2


# --------------------------------------------------------------------------------------------
# roc
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
def roc(score, criterion, *, positive=None, direction: str = ">=", ci_boot: bool = True,
        n_boot: int = 2000, seed=None, level: float = 0.95, thresholds: str = "observed",
        partial: tuple[float, float] | None = None, partial_focus: str = "specificity",
        partial_correct: bool = False, band: bool = False) -> ROCResult:
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
    ci_boot : bool
        Also compute the percentile bootstrap CI (stratified by the criterion).
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
        :func:`psychometrics.plots.plot_roc`; needs ``ci_boot``).

    Returns
    -------
    ROCResult
        ``auc``, ``auc_ci_low``/``auc_ci_high`` (DeLong), ``auc_var``, ``boot_ci_low``/
        ``boot_ci_high``, ``n_cases``, ``n_controls``, ``direction``, ``curve`` (DataFrame:
        ``threshold``, ``sensitivity``, ``specificity``, ``youden_j``, ``tp``, ``fp``, ``tn``,
        ``fn``; ascending thresholds, one row per split from "everyone positive" to "no one
        positive"), and with ``band=True`` ``band`` (DataFrame ``specificity``,
        ``sensitivity_low``, ``sensitivity_high``).

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
    check_choice(thresholds, ("observed", "midpoint"), "thresholds")
    check_choice(partial_focus, ("specificity", "sensitivity"), "partial_focus")
    z = _z(level)
    seed = resample.resolve_seed(seed)
    (x,), y, n_dropped = _prepare([score], criterion, positive, ["score"])
    direction, auto = _resolve_direction(x, y, direction)
    s = _signed(x, direction)
    v10, v01 = _placements(s, y)
    auc = float(v10.mean())
    var = _delong_var(v10, v01)
    se = float(np.sqrt(var))
    lo, hi = float(np.clip(auc - z * se, 0, 1)), float(np.clip(auc + z * se, 0, 1))

    cnt = _Counts.of(s, y)
    tp, fp = _tp_fp(cnt.cases, cnt.controls)
    n1, n0 = int(y.sum()), int((~y).sum())
    curve = pd.DataFrame({"threshold": _labels(cnt.u, direction, thresholds),
                          "sensitivity": tp / n1, "specificity": 1 - fp / n0})
    curve["youden_j"] = curve["sensitivity"] + curve["specificity"] - 1
    curve["tp"], curve["fp"], curve["tn"], curve["fn"] = tp, fp, n0 - fp, n1 - tp
    if direction == "<=":  # ascending thresholds on the score's own scale
        curve = curve.iloc[::-1].reset_index(drop=True)

    pauc = None
    if partial is not None:
        plo, phi = sorted(float(v) for v in partial)
        if plo < 0 or phi > 1 or plo == phi:
            raise DataError(f"partial must be two different values in [0, 1], got {partial}")
        sp_, se_ = _curve_points(cnt.cases, cnt.controls)
        pauc = float(_partial_area(sp_, se_, plo, phi, partial_focus))
        if partial_correct:
            pauc = float(_mcclish(pauc, plo, phi))
        partial = (plo, phi)

    b_lo = b_hi = p_lo = p_hi = None
    band_df = None
    if ci_boot:
        n_boot = check_positive_int(n_boot, "n_boot")
        reps = _roc_boot(cnt, y, n_boot, seed, partial, partial_focus, partial_correct, band)
        b_lo, b_hi = (float(v) for v in percentile_ci(reps["auc"], level))
        if partial is not None:
            p_lo, p_hi = (float(v) for v in percentile_ci(reps["partial"], level))
        if band:
            lo_, hi_ = percentile_ci(reps["band"], level)
            band_df = pd.DataFrame({"specificity": _BAND_GRID, "sensitivity_low": lo_,
                                    "sensitivity_high": hi_})

    return ROCResult(
        auc=auc, auc_ci_low=lo, auc_ci_high=hi, auc_var=var, auc_se=se, level=level,
        boot_ci_low=b_lo, boot_ci_high=b_hi, n_boot=n_boot if ci_boot else 0,
        seed=resample.seed_record(seed),
        n_cases=n1, n_controls=n0, n_dropped=n_dropped, positive=positive,
        direction=direction, direction_auto=auto, thresholds=thresholds, partial=partial,
        partial_focus=partial_focus, partial_correct=partial_correct, partial_auc=pauc,
        partial_ci_low=p_lo, partial_ci_high=p_hi, curve=curve, band=band_df)


_BAND_GRID = np.linspace(0, 1, 101)


def _roc_boot(cnt: _Counts, y, n_boot, seed, partial, focus, correct, band) -> dict:
    """Replicates of the AUC (and partial AUC, and the band) in one pass over the resamples."""
    code1, code0 = cnt.code[y].astype(np.int64), cnt.code[~y].astype(np.int64)
    k = cnt.u.size
    need_curve = band or partial is not None
    out: dict[str, list] = {"auc": [], "partial": [], "band": []}
    for i1, i0 in _class_batches(code1.size, code0.size, n_boot, seed,
                                 width=4 if need_curve else 1):
        out["auc"].append(_auc_boot(code1, code0, k, i1, i0))
        if not need_curve:
            continue
        sp, se = _curve_points(*_boot_counts(code1, code0, k, i1, i0))
        if partial is not None:
            a = _partial_area(sp, se, partial[0], partial[1], focus)
            out["partial"].append(_mcclish(a, *partial) if correct else a)
        if band:
            # sensitivity at specificity t = the best sensitivity among cut-offs with
            # specificity >= t (step curve): a per-row searchsorted, rows kept apart by offsets
            b = sp.shape[0]
            off = 2.0 * np.arange(b)[:, None]
            pos = np.searchsorted((sp + off).ravel(), (_BAND_GRID[None, :] + off).ravel() - 1e-12)
            out["band"].append(se.ravel()[np.minimum(pos, sp.size - 1)].reshape(b, -1))
    return {key: np.concatenate(v) for key, v in out.items() if v}


# --------------------------------------------------------------------------------------------
# cutoffs
# --------------------------------------------------------------------------------------------

def _objective(tp, fp, n1, n0, method, *, min_sensitivity, min_specificity, cost_fp, cost_fn,
               prevalence):
    """(primary, secondary) objective to maximise per candidate; -inf = not allowed."""
    sens, spec = tp / n1, 1 - fp / n0
    if method == "youden":
        return sens + spec - 1, None
    if method == "closest_topleft":
        return -((1 - sens) ** 2 + (1 - spec) ** 2), None
    if method == "cost":
        p = n1 / (n1 + n0) if prevalence is None else prevalence
        return -(cost_fn * p * (1 - sens) + cost_fp * (1 - p) * (1 - spec)), None
    if method == "min_sensitivity":
        return np.where(sens >= min_sensitivity - 1e-12, spec, -np.inf), sens
    return np.where(spec >= min_specificity - 1e-12, sens, -np.inf), spec


def _best_mask(primary, secondary, allowed):
    """Candidates within _TIE_TOL of the best (lexicographic on the secondary)."""
    prim = np.where(allowed, primary, -np.inf)
    m = np.max(prim, axis=-1, keepdims=True)
    mask = prim >= m - _TIE_TOL
    if secondary is not None:
        sec = np.where(mask, secondary, -np.inf)
        mask &= sec >= np.max(sec, axis=-1, keepdims=True) - _TIE_TOL
    return mask


def _break_ties(mask: np.ndarray, labels: np.ndarray, rule: str, direction: str) -> np.ndarray:
    """One cut-off per row from the tied candidates (labels ascending in the oriented score)."""
    t = mask.sum(axis=-1, keepdims=True)
    cs = np.cumsum(mask, axis=-1)
    first = np.argmax(cs >= 1, axis=-1)[..., None]
    last = np.argmax(cs >= t, axis=-1)[..., None]
    if rule == "median":
        # the middle tied cut-off; of two middle ones the lower score, so that the chosen
        # cut-off is itself optimal (the average of two could split the sample worse)
        rank = (t + 1) // 2 if direction == ">=" else t // 2 + 1
        pick = np.take_along_axis(labels, np.argmax(cs >= rank, axis=-1)[..., None], -1)
    else:
        # labels ascend with the oriented score; "min"/"max" are on the original scale
        on_left = (rule == "min") == (direction == ">=")
        pick = np.take_along_axis(labels, first if on_left else last, -1)
    return pick[..., 0]


@dataclass(frozen=True, eq=False)
class CutoffResult(Result):
    """Optimal cut-off and the accuracy of every candidate cut-off (see :func:`cutoffs`)."""

    method: str
    best: dict
    ties: list
    cutoff_ci_low: float | None
    cutoff_ci_high: float | None
    n_boot: int
    seed: object
    level: float
    ci: str
    prevalence: float | None
    sample_prevalence: float
    n_cases: int
    n_controls: int
    n_dropped: int
    positive: object
    direction: str
    direction_auto: bool
    thresholds: str
    break_ties: str
    auc: float
    auc_ci_low: float
    auc_ci_high: float
    options: dict
    table: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["table"] = jsonable(self.table.to_dict(orient="records"))
        return d

    def summary(self) -> str:
        b = self.best
        rule = ">=" if self.direction == ">=" else "<="
        head = (f"Optimal cut-off ({self.method}): score {rule} {b['cutoff']:g} is positive\n"
                f"  cases {self.n_cases}, controls {self.n_controls}; AUC {self.auc:.3f} "
                f"({100 * self.level:g}% CI {self.auc_ci_low:.3f} - {self.auc_ci_high:.3f})")
        if self.cutoff_ci_low is not None:
            head += (f"\n  bootstrap {100 * self.level:g}% CI of the cut-off: "
                     f"{self.cutoff_ci_low:g} - {self.cutoff_ci_high:g} ({self.n_boot} resamples)")
        if len(self.ties) > 1:
            head += f"\n  tied optimal cut-offs: {', '.join(f'{t:g}' for t in self.ties)}"
        if self.prevalence is not None:
            head += f"\n  PPV/NPV at a prevalence of {self.prevalence:g}"
        cols = ["cutoff", "sensitivity", "specificity", "ppv", "npv", "lr_pos", "lr_neg",
                "accuracy", "youden_j"]
        best = pd.DataFrame({c: [b[c]] for c in cols}, index=["best"])
        return head + "\n" + format_table(best)


@blas_limited
def cutoffs(score, criterion, *, method: str = "youden", positive=None, direction: str = ">=",
            min_sensitivity: float | None = None, min_specificity: float | None = None,
            cost_fp: float = 1.0, cost_fn: float = 1.0, prevalence: float | None = None,
            ci: str = "wilson", level: float = 0.95, n_boot: int = 2000, seed=None,
            thresholds: str = "observed", break_ties: str = "median") -> CutoffResult:
    """Optimal cut-off with a bootstrap CI, and the accuracy of every candidate cut-off.

    Parameters
    ----------
    score, criterion, positive, direction
        As in :func:`roc`.
    method : {"youden", "closest_topleft", "min_sensitivity", "min_specificity", "cost"}
        ``youden``: maximise J = sensitivity + specificity - 1. ``closest_topleft``: minimise
        (1 - sens)^2 + (1 - spec)^2 (pROC's "closest.topleft"). ``min_sensitivity``: the
        highest specificity with sensitivity >= ``min_sensitivity`` (then the highest
        sensitivity); ``min_specificity`` likewise. ``cost``: minimise the expected cost
        cost_fn * p * (1 - sens) + cost_fp * (1 - p) * (1 - spec), with p = ``prevalence`` or
        the sample's (then proportional to cutpointr's ``misclassification_cost``).
    min_sensitivity, min_specificity : float
        The constraint of the ``min_*`` methods.
    cost_fp, cost_fn : float
        Costs of a false positive / false negative (method ``cost``).
    prevalence : float, optional
        Population prevalence: PPV/NPV in the table (and ``best``) are recomputed for it by
        Bayes' theorem, with logit CIs; without it they are the sample's.
    ci : {"wilson", "exact"}
        Interval for sensitivity, specificity, PPV, NPV and accuracy (Wilson score or
        Clopper-Pearson). LR+ and LR- get log-method CIs, Youden's J a Wald CI.
    level : float
        Coverage of all intervals.
    n_boot, seed
        Bootstrap of the optimal cut-off itself (stratified; ``n_boot=0`` skips it).
    thresholds : {"observed", "midpoint"}
        Observed values (``score >= cut-off`` positive, cutpointr) or pROC's midpoints.
    break_ties : {"median", "min", "max"}
        Which of several equally good cut-offs is ``best``: the median (as cutpointr's
        default ``break_ties = median``, but of two middle ones the lower, never their
        average), the lowest or the highest. All of them are in ``ties``.

    Returns
    -------
    CutoffResult
        ``best`` (dict: ``cutoff``, ``sensitivity``, ``specificity``, ``youden_j``, ``ppv``,
        ``npv``, ``lr_pos``, ``lr_neg``, ``accuracy``, ``tp``/``fp``/``tn``/``fn``, each rate
        with ``_ci_low``/``_ci_high``), ``ties`` (every optimal cut-off), ``cutoff_ci_low``/
        ``cutoff_ci_high`` (bootstrap percentile CI of the optimal cut-off), ``table`` (one
        row per candidate, ascending cut-offs, with ``cutoff``, counts, rates and CIs, the
        criterion ``objective`` and ``optimal``), and the AUC with its DeLong CI.

    Notes
    -----
    The candidates are every distinct observed score plus the cut-off that classifies no one
    positive (``inf``; ``-inf`` with ``direction="<="``), so every split of the respondents
    appears once. With ``thresholds="midpoint"`` the same rows are labelled by pROC's
    midpoints (``-inf`` = everyone positive). With an even number of tied cut-offs cutpointr
    reports the average of the two middle ones, a value whose split need not be optimal
    (ties at 2 and 4 of the scores 1, 2, 3, 4: the split at 3 is worse); here ``best`` is
    always one of the tied cut-offs. A likelihood ratio, or a PPV/NPV at a stated
    prevalence, has no CI (NaN) when one of the cells it needs is empty. Each bootstrap resample chooses its
    optimum among the values present in it, with the same method and tie rule, as
    cutpointr's bootstrap. Matches cutpointr's ``optimal_cutpoint``, sensitivity,
    specificity, accuracy, Youden and tied cut-points, and pROC's ``coords(x = "best",
    best.method = "youden" / "closest.topleft")`` rows on aSAH to ~1e-12. Ties: metric values
    within 1e-10 (cutpointr's ``tol_metric`` is 1e-6; distinct J values differ by at least
    1 / (n_cases n_controls), so the two agree below a million case-control pairs).

    References
    ----------
    Youden, W. J. (1950). Index for rating diagnostic tests. Cancer, 3, 32-35.
    Thiele, C., & Hirschfeld, G. (2021). cutpointr: improved estimation and validation of
    optimal cutpoints in R. Journal of Statistical Software, 98(11).
    Simel, D. L., Samsa, G. P., & Matchar, D. B. (1991). Likelihood ratios with confidence:
    sample size estimation for diagnostic test studies. J Clin Epidemiol, 44, 763-770.
    Mercaldo, N. D., Lau, K. F., & Zhou, X. H. (2007). Confidence intervals for predictive
    values with an emphasis to case-control studies. Statistics in Medicine, 26, 2170-2183.

    Examples
    --------
    >>> score = [1, 2, 3, 4, 5, 6, 7, 8]
    >>> burnout = [0, 0, 1, 0, 1, 0, 1, 1]
    >>> res = cutoffs(score, burnout, n_boot=200, seed=1)
    >>> res.best["cutoff"], res.best["sensitivity"], res.best["specificity"]
    (5.0, 0.75, 0.75)
    >>> res.ties
    [3.0, 5.0, 7.0]
    >>> round(cutoffs(score, burnout, prevalence=0.1, n_boot=0).best["ppv"], 3)
    0.25
    """
    check_choice(method, list(_METHODS), "method")
    check_choice(thresholds, ("observed", "midpoint"), "thresholds")
    check_choice(break_ties, ("median", "min", "max"), "break_ties")
    check_choice(ci, ("wilson", "exact"), "ci")
    if method == "min_sensitivity" and min_sensitivity is None:
        raise DataError("method='min_sensitivity' needs min_sensitivity=")
    if method == "min_specificity" and min_specificity is None:
        raise DataError("method='min_specificity' needs min_specificity=")
    for nm, v in (("min_sensitivity", min_sensitivity), ("min_specificity", min_specificity),
                  ("prevalence", prevalence)):
        if v is not None and not 0 <= v <= 1:
            raise DataError(f"{nm} must be between 0 and 1, got {v}")
    if prevalence is not None and not 0 < prevalence < 1:
        raise DataError(f"prevalence must be strictly between 0 and 1, got {prevalence}")
    if cost_fp < 0 or cost_fn < 0:
        raise DataError("cost_fp and cost_fn must not be negative")
    _z(level)
    n_boot = check_positive_int(n_boot, "n_boot", minimum=0)  # 0: no bootstrap CI
    seed = resample.resolve_seed(seed)
    (x,), y, n_dropped = _prepare([score], criterion, positive, ["score"])
    direction, auto = _resolve_direction(x, y, direction)
    s = _signed(x, direction)
    n1, n0 = int(y.sum()), int((~y).sum())
    v10, v01 = _placements(s, y)
    auc = float(v10.mean())
    se_auc = np.sqrt(_delong_var(v10, v01))
    z = _z(level)

    cnt = _Counts.of(s, y)
    k = cnt.u.size
    labels = _labels(cnt.u, direction, thresholds)
    opts = dict(min_sensitivity=min_sensitivity, min_specificity=min_specificity,
                cost_fp=cost_fp, cost_fn=cost_fn, prevalence=prevalence)
    tp, fp = _tp_fp(cnt.cases, cnt.controls)
    primary, secondary = _objective(tp, fp, n1, n0, method, **opts)
    mask = _best_mask(primary, secondary, np.ones(k + 1, dtype=bool))
    best_cut = float(_break_ties(mask, labels, break_ties, direction))
    ties = [float(v) for v in labels[mask]]

    table = _rows(tp, fp, n0 - fp, n1 - tp, level=level, ci=ci, prevalence=prevalence)
    table.insert(0, "cutoff", labels)
    table["objective"] = primary if method not in ("closest_topleft", "cost") else -primary
    table["optimal"] = mask
    if direction == "<=":
        table = table.iloc[::-1].reset_index(drop=True)
        ties = ties[::-1]

    # the accuracy of the chosen cut-off, recomputed from the data as a check on the table
    c_s = best_cut if direction == ">=" else -best_cut
    pos = (s >= c_s) if thresholds == "observed" else (s > c_s)
    btp, bfp = int((pos & y).sum()), int((pos & ~y).sum())
    brow = _rows([btp], [bfp], [n0 - bfp], [n1 - btp], level=level, ci=ci,
                 prevalence=prevalence).iloc[0]
    best = {"cutoff": best_cut}
    best.update({c: (int(v) if c in ("tp", "fp", "tn", "fn") else float(v))
                 for c, v in brow.items()})
    bp, _ = _objective(np.array([btp]), np.array([bfp]), n1, n0, method, **opts)
    best["objective"] = float(bp[0] if method not in ("closest_topleft", "cost") else -bp[0])

    c_lo = c_hi = None
    if check_positive_int(n_boot or 0, "n_boot", minimum=0):
        reps = _cutoff_boot(cnt, y, n_boot, seed, method, opts, direction, thresholds, break_ties)
        lo_, hi_ = percentile_ci(reps, level)
        c_lo, c_hi = float(lo_), float(hi_)

    return CutoffResult(
        method=method, best=best, ties=ties, cutoff_ci_low=c_lo, cutoff_ci_high=c_hi,
        n_boot=int(n_boot), seed=resample.seed_record(seed), level=level, ci=ci,
        prevalence=prevalence, sample_prevalence=n1 / (n1 + n0), n_cases=n1, n_controls=n0,
        n_dropped=n_dropped, positive=positive, direction=direction, direction_auto=auto,
        thresholds=thresholds, break_ties=break_ties, auc=auc,
        auc_ci_low=float(np.clip(auc - z * se_auc, 0, 1)),
        auc_ci_high=float(np.clip(auc + z * se_auc, 0, 1)),
        options={k_: v for k_, v in opts.items() if v is not None}, table=table)


def _cutoff_boot(cnt: _Counts, y, n_boot, seed, method, opts, direction, thresholds,
                 break_ties) -> np.ndarray:
    """Optimal cut-off of every stratified resample (vectorised over resamples)."""
    code1, code0 = cnt.code[y].astype(np.int64), cnt.code[~y].astype(np.int64)
    n1, n0, k = code1.size, code0.size, cnt.u.size
    reps = []
    for i1, i0 in _class_batches(n1, n0, n_boot, seed, width=8):
        c, d = _boot_counts(code1, code0, k, i1, i0)
        tp, fp = _tp_fp(c, d)
        prim, sec = _objective(tp, fp, n1, n0, method, **opts)
        # a resample chooses among the values it contains (and "no one positive")
        present = np.concatenate([(c + d) > 0, np.ones((c.shape[0], 1), bool)], axis=1)
        lab = _resample_labels(cnt.u, present, direction, thresholds)
        reps.append(_break_ties(_best_mask(prim, sec, present), lab, break_ties, direction))
    return np.concatenate(reps)


def _resample_labels(u: np.ndarray, present: np.ndarray, direction: str, thresholds: str):
    """Candidate labels per resample; midpoints use the neighbours present in the resample."""
    b, k = present.shape[0], u.size
    if thresholds == "observed":
        lab = np.broadcast_to(np.concatenate([u, [np.inf]]), (b, k + 1))
    else:
        at = np.where(present[:, :k], np.arange(k), -1)
        prev = np.concatenate([np.full((b, 1), -1), np.maximum.accumulate(at, axis=1)[:, :-1]],
                              axis=1)
        with np.errstate(over="ignore"):
            mid = np.where(prev >= 0, (u[np.maximum(prev, 0)] + u[None, :]) / 2, -np.inf)
        lab = np.concatenate([mid, np.full((b, 1), np.inf)], axis=1)
    return lab if direction == ">=" else -lab


# --------------------------------------------------------------------------------------------
# roc_test
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class RocTestResult(Result):
    """Paired DeLong test of two AUCs on the same respondents (see :func:`roc_test`)."""

    auc_a: float
    auc_b: float
    difference: float
    se: float
    z: float
    pvalue: float
    ci_low: float
    ci_high: float
    level: float
    alternative: str
    var_a: float
    var_b: float
    cov: float
    n: int
    n_cases: int
    n_controls: int
    n_dropped: int
    direction_a: str
    direction_b: str
    method: str = "delong"
    paired: bool = True

    def summary(self) -> str:
        rows = {"AUC a": self.auc_a, "AUC b": self.auc_b, "difference": self.difference,
                f"{100 * self.level:g}% CI": f"{self.ci_low:.3f} - {self.ci_high:.3f}",
                "z": self.z, f"p ({self.alternative})": self.pvalue,
                "cases / controls": f"{self.n_cases} / {self.n_controls}"}
        return format_table(pd.DataFrame({"value": rows}).astype(object),
                            "Paired DeLong test of two AUCs")


@blas_limited
def roc_test(score_a, score_b, criterion, *, positive=None, direction=">=",
             alternative: str = "two-sided", level: float = 0.95) -> RocTestResult:
    """Paired DeLong test: do two scores of the same respondents have different AUCs?

    Parameters
    ----------
    score_a, score_b : array-like or Series
        Two instruments' scores, same respondents in the same order as ``criterion``.
    criterion, positive
        As in :func:`roc`.
    direction : str or (str, str)
        One direction for both scores or one each (``"auto"`` decides per score and warns).
    alternative : {"two-sided", "greater", "less"}
        ``"greater"``: AUC a > AUC b.
    level : float
        Coverage of the CI of the difference.

    Returns
    -------
    RocTestResult
        ``auc_a``, ``auc_b``, ``difference``, ``se``, ``z``, ``pvalue``, ``ci_low``/``ci_high``
        of the difference, the DeLong variances and covariance.

    Notes
    -----
    z = (AUC_a - AUC_b) / sqrt(var_a + var_b - 2 cov), with the DeLong covariance matrix
    S10 / n_cases + S01 / n_controls of the placement values; p from the standard normal.
    Rows with a missing value in either score or the criterion are dropped (pROC pairs the
    complete rows). Matches pROC 1.18's ``roc.test(method = "delong", paired = TRUE)``
    statistic and p-value on aSAH (s100b vs wfns, s100b vs ndka) to ~1e-12.

    References
    ----------
    DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). Biometrics, 44, 837-845.
    Sun, X., & Xu, W. (2014). Fast implementation of DeLong's algorithm for comparing the
    areas under correlated receiver operating characteristic curves. IEEE Signal Processing
    Letters, 21, 1389-1393.

    Examples
    --------
    >>> a = [1, 2, 3, 4, 5, 6, 7, 8]
    >>> b = [2, 1, 4, 3, 6, 5, 8, 7]
    >>> burnout = [0, 0, 1, 0, 1, 0, 1, 1]
    >>> res = roc_test(a, b, burnout)
    >>> round(res.auc_a, 4), round(res.auc_b, 4), round(res.z, 3), round(res.pvalue, 3)
    (0.8125, 0.9375, -1.225, 0.221)
    """
    if alternative not in ("two-sided", "greater", "less"):
        raise DataError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    dirs = (direction, direction) if isinstance(direction, str) else tuple(direction)
    if len(dirs) != 2:
        raise DataError(f"direction must be one string or two, got {direction!r}")
    (xa, xb), y, n_dropped = _prepare([score_a, score_b], criterion, positive,
                                      ["score_a", "score_b"])
    da, _ = _resolve_direction(xa, y, dirs[0], "score_a")
    db, _ = _resolve_direction(xb, y, dirs[1], "score_b")
    va10, va01 = _placements(_signed(xa, da), y)
    vb10, vb01 = _placements(_signed(xb, db), y)
    n1, n0 = va10.size, va01.size
    if n1 < 2 or n0 < 2:
        raise DataError(f"the DeLong test needs at least 2 cases and 2 controls, got {n1} and {n0}")
    s = np.cov(np.vstack([va10, vb10])) / n1 + np.cov(np.vstack([va01, vb01])) / n0
    auc_a, auc_b = float(va10.mean()), float(vb10.mean())
    diff = auc_a - auc_b
    var_d = float(s[0, 0] + s[1, 1] - 2 * s[0, 1])
    se = float(np.sqrt(max(var_d, 0.0)))
    if se > 0:
        zstat = diff / se
        p = {"two-sided": 2 * stats.norm.sf(abs(zstat)), "greater": stats.norm.sf(zstat),
             "less": stats.norm.cdf(zstat)}[alternative]
    else:
        warnings.warn("roc_test: the two ROC curves are identical (zero variance of the "
                      "difference); z and p are undefined", UserWarning, stacklevel=2)
        zstat = p = float("nan")
    zc = _z(level)
    return RocTestResult(
        auc_a=auc_a, auc_b=auc_b, difference=diff, se=se, z=float(zstat), pvalue=float(p),
        ci_low=diff - zc * se, ci_high=diff + zc * se, level=level, alternative=alternative,
        var_a=float(s[0, 0]), var_b=float(s[1, 1]), cov=float(s[0, 1]), n=n1 + n0,
        n_cases=n1, n_controls=n0, n_dropped=n_dropped, direction_a=da, direction_b=db)
