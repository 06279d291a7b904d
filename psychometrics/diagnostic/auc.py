"""The AUC as a Mann-Whitney statistic: DeLong placement values and the DeLong variance.

The numbers every other module of :mod:`psychometrics.diagnostic` builds on; imports nothing
of the package.
"""

from __future__ import annotations

import numpy as np

__all__ = ["placements", "delong_var"]


def placements(s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong placement values: V10 per case, V01 per control (ties count one half).

    V10 of a case is the share of controls it outscores (ties one half), V01 of a control the
    share of cases that outscore it; the AUC is the mean of either (DeLong et al. 1988).
    Computed with two sorted searches per class instead of the n_cases x n_controls
    comparison (Sun & Xu 2014).

    References
    ----------
    DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). Comparing the areas under
    two or more correlated receiver operating characteristic curves: a nonparametric
    approach. Biometrics, 44, 837-845.
    Sun, X., & Xu, W. (2014). Fast implementation of DeLong's algorithm for comparing the
    areas under correlated receiver operating characteristic curves. IEEE Signal Processing
    Letters, 21, 1389-1393.
    """
    cases, ctrls = s[y], s[~y]
    sc, sk = np.sort(ctrls), np.sort(cases)
    v10 = (np.searchsorted(sc, cases, "left") + np.searchsorted(sc, cases, "right")) / (2 * sc.size)
    v01 = (2 * sk.size - np.searchsorted(sk, ctrls, "right")
           - np.searchsorted(sk, ctrls, "left")) / (2 * sk.size)
    return v10, v01


def delong_var(v10: np.ndarray, v01: np.ndarray) -> float:
    """DeLong variance of the AUC: var(V10)/n_cases + var(V01)/n_controls (n - 1 variances);
    NaN with fewer than two cases or controls (pROC's ``var(method = "delong")``).

    References
    ----------
    DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). Biometrics, 44, 837-845.
    """
    if v10.size < 2 or v01.size < 2:
        return float("nan")
    return float(v10.var(ddof=1) / v10.size + v01.var(ddof=1) / v01.size)
