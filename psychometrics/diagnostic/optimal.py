"""Optimal cut-off of a score against a binary criterion, its bootstrap CI, and the accuracy of
every candidate cut-off.

Agrees with cutpointr (observed-value cut-offs, Youden-optimal cut-point, ties) and pROC's
``coords(..., "best")`` to ~1e-12 on the aSAH reference data. The conventions (direction,
thresholds, stratified bootstrap) are those of :mod:`.curve`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import resample
from .._checks import check_choice, check_positive_int
from .._results import Result, format_table, jsonable
from ..errors import DataError
from ..resample import percentile_ci
from ..threads import blas_limited
from .accuracy import CI_METHODS, accuracy_table
from .auc import delong_var, placements
from .counts import Counts, class_count_batches, cutoff_labels, tp_fp
from .inputs import (
    THRESHOLDS,
    UNSET,
    prepare,
    renamed_keyword,
    resolve_direction,
    signed,
    z_of_level,
)

__all__ = ["CutoffResult", "cutoffs", "METHODS", "BREAK_TIES", "TIE_TOL"]

METHODS = ("youden", "closest_topleft", "min_sensitivity", "min_specificity", "cost")
BREAK_TIES = ("median", "min", "max")
#: Metric values closer than this are ties. Distinct Youden values differ by at least
#: 1/(n_cases * n_controls), so this only absorbs floating-point rounding (cutpointr's
#: ``tol_metric = 1e-6`` would merge distinct values once n_cases * n_controls > 1e6).
TIE_TOL = 1e-10
#: Slack of the ``min_sensitivity``/``min_specificity`` constraint: a rate computed as k / n
#: that equals the bound on paper may fall short of it by rounding (far below 1/n).
_CONSTRAINT_TOL = 1e-12
#: Methods whose objective is a loss (minimised); the table shows it with its own sign.
_LOSSES = ("closest_topleft", "cost")


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
        return np.where(sens >= min_sensitivity - _CONSTRAINT_TOL, spec, -np.inf), sens
    return np.where(spec >= min_specificity - _CONSTRAINT_TOL, sens, -np.inf), spec


def _best_mask(primary, secondary, allowed):
    """Candidates within TIE_TOL of the best (lexicographic on the secondary)."""
    prim = np.where(allowed, primary, -np.inf)
    m = np.max(prim, axis=-1, keepdims=True)
    mask = prim >= m - TIE_TOL
    if secondary is not None:
        sec = np.where(mask, secondary, -np.inf)
        mask &= sec >= np.max(sec, axis=-1, keepdims=True) - TIE_TOL
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
    ci_method: str
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

    @property
    def ci(self) -> str:
        """Deprecated name of :attr:`ci_method` (one release)."""
        warnings.warn("CutoffResult.ci is deprecated; use ci_method", DeprecationWarning,
                      stacklevel=2)
        return self.ci_method

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
            ci_method: str = "wilson", level: float = 0.95, n_boot: int = 2000, seed=None,
            thresholds: str = "observed", break_ties: str = "median",
            ci=UNSET) -> CutoffResult:
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
    ci_method : {"wilson", "exact"}
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
    ci : {"wilson", "exact"}
        Deprecated name of ``ci_method`` (accepted with a :class:`DeprecationWarning` for one
        release).

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
    within :data:`TIE_TOL` = 1e-10 (cutpointr's ``tol_metric`` is 1e-6; distinct J values differ by at least
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
    # over 80 lines only by its numpydoc docstring; the code is under 50 lines
    ci_method = renamed_keyword(ci_method, ci, new="ci_method", old="ci", default="wilson",
                                stacklevel=4)
    n_boot, seed = _check_options(method, thresholds, break_ties, ci_method, min_sensitivity,
                                  min_specificity, prevalence, cost_fp, cost_fn, level, n_boot,
                                  seed)
    (x,), y, n_dropped = prepare([score], criterion, positive, ["score"])
    direction, auto = resolve_direction(x, y, direction)
    s = signed(x, direction)
    n1, n0 = int(y.sum()), int((~y).sum())
    v10, v01 = placements(s, y)
    auc = float(v10.mean())
    se_auc = np.sqrt(delong_var(v10, v01))
    z = z_of_level(level)

    cnt = Counts.of(s, y)
    labels = cutoff_labels(cnt.u, direction, thresholds)
    opts = dict(min_sensitivity=min_sensitivity, min_specificity=min_specificity,
                cost_fp=cost_fp, cost_fn=cost_fn, prevalence=prevalence)
    tp, fp = tp_fp(cnt.cases, cnt.controls)
    primary, secondary = _objective(tp, fp, n1, n0, method, **opts)
    mask = _best_mask(primary, secondary, np.ones(cnt.u.size + 1, dtype=bool))
    best_cut = float(_break_ties(mask, labels, break_ties, direction))
    ties = [float(v) for v in labels[mask]]

    table = accuracy_table(tp, fp, n0 - fp, n1 - tp, level=level, ci_method=ci_method,
                           prevalence=prevalence)
    table.insert(0, "cutoff", labels)
    table["objective"] = primary if method not in _LOSSES else -primary
    table["optimal"] = mask
    if direction == "<=":
        table = table.iloc[::-1].reset_index(drop=True)
        ties = ties[::-1]
    best = _best_row(best_cut, s, y, direction, thresholds, level, ci_method, method, opts)

    c_lo = c_hi = None
    if n_boot:
        reps = _cutoff_boot(cnt, n_boot, seed, method, opts, direction, thresholds, break_ties)
        lo_, hi_ = percentile_ci(reps, level)
        c_lo, c_hi = float(lo_), float(hi_)

    return CutoffResult(
        method=method, best=best, ties=ties, cutoff_ci_low=c_lo, cutoff_ci_high=c_hi,
        n_boot=int(n_boot), seed=resample.seed_record(seed), level=level, ci_method=ci_method,
        prevalence=prevalence, sample_prevalence=n1 / (n1 + n0), n_cases=n1, n_controls=n0,
        n_dropped=n_dropped, positive=positive, direction=direction, direction_auto=auto,
        thresholds=thresholds, break_ties=break_ties, auc=auc,
        auc_ci_low=float(np.clip(auc - z * se_auc, 0, 1)),
        auc_ci_high=float(np.clip(auc + z * se_auc, 0, 1)),
        options={k_: v for k_, v in opts.items() if v is not None}, table=table)


def _check_options(method, thresholds, break_ties, ci_method, min_sensitivity, min_specificity,
                   prevalence, cost_fp, cost_fn, level, n_boot, seed):
    """Check the options of :func:`cutoffs`; return the checked ``n_boot`` and ``seed``."""
    check_choice(method, list(METHODS), "method")
    check_choice(thresholds, THRESHOLDS, "thresholds")
    check_choice(break_ties, BREAK_TIES, "break_ties")
    check_choice(ci_method, CI_METHODS, "ci_method")
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
    z_of_level(level)
    n_boot = check_positive_int(n_boot, "n_boot", minimum=0)  # 0: no bootstrap CI
    return n_boot, resample.resolve_seed(seed)


def _best_row(best_cut, s, y, direction, thresholds, level, ci_method, method, opts) -> dict:
    """The accuracy of the chosen cut-off, recomputed from the data as a check on the table."""
    n1, n0 = int(y.sum()), int((~y).sum())
    c_s = best_cut if direction == ">=" else -best_cut
    pos = (s >= c_s) if thresholds == "observed" else (s > c_s)
    btp, bfp = int((pos & y).sum()), int((pos & ~y).sum())
    brow = accuracy_table([btp], [bfp], [n0 - bfp], [n1 - btp], level=level,
                          ci_method=ci_method, prevalence=opts["prevalence"]).iloc[0]
    best = {"cutoff": best_cut}
    best.update({c: (int(v) if c in ("tp", "fp", "tn", "fn") else float(v))
                 for c, v in brow.items()})
    bp, _ = _objective(np.array([btp]), np.array([bfp]), n1, n0, method, **opts)
    best["objective"] = float(bp[0] if method not in _LOSSES else -bp[0])
    return best


def _cutoff_boot(cnt: Counts, n_boot, seed, method, opts, direction, thresholds,
                 break_ties) -> np.ndarray:
    """Optimal cut-off of every stratified resample (vectorised over resamples)."""
    n1, n0 = int(cnt.cases.sum()), int(cnt.controls.sum())
    reps = []
    # width 8: each resample holds several arrays here (counts, positives, objectives, labels),
    # so a batch takes fewer resamples and its memory stays near BATCH_ELEMENTS
    for c, d in class_count_batches(cnt, n_boot, seed, width=8):
        tp, fp = tp_fp(c, d)
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
