"""Paired DeLong test of two AUCs measured on the same respondents."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._results import Result, format_table
from ..distributions import stats  # scipy.stats' numbers without its import cost
from ..errors import DataError
from ..threads import blas_limited
from .auc import placements
from .inputs import prepare, resolve_direction, signed, z_of_level

__all__ = ["RocTestResult", "roc_test", "ALTERNATIVES"]

ALTERNATIVES = ("two-sided", "greater", "less")


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
    if alternative not in ALTERNATIVES:
        raise DataError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    dirs = (direction, direction) if isinstance(direction, str) else tuple(direction)
    if len(dirs) != 2:
        raise DataError(f"direction must be one string or two, got {direction!r}")
    (xa, xb), y, n_dropped = prepare([score_a, score_b], criterion, positive,
                                      ["score_a", "score_b"])
    da, _ = resolve_direction(xa, y, dirs[0], "score_a")
    db, _ = resolve_direction(xb, y, dirs[1], "score_b")
    va10, va01 = placements(signed(xa, da), y)
    vb10, vb01 = placements(signed(xb, db), y)
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
    zc = z_of_level(level)
    return RocTestResult(
        auc_a=auc_a, auc_b=auc_b, difference=diff, se=se, z=float(zstat), pvalue=float(p),
        ci_low=diff - zc * se, ci_high=diff + zc * se, level=level, alternative=alternative,
        var_a=float(s[0, 0]), var_b=float(s[1, 1]), cov=float(s[0, 1]), n=n1 + n0,
        n_cases=n1, n_controls=n0, n_dropped=n_dropped, direction_a=da, direction_b=db)
