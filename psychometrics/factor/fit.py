"""Fit indices of a factor model, with lavaan's (0.6-14) conventions and names.

Every function is a plain formula on numbers the estimator already has (test statistics,
degrees of freedom, N, residual moments), so the ML and the WLS engines share them.

Conventions (lavaan ``fitMeasures``)
------------------------------------
* ``N`` is the total sample size, never N - 1 (lavaan's ``likelihood = "normal"``).
* RMSEA = sqrt(max(0, X2/(N df) - c/N)) * sqrt(G) for df > 0 and 0 for df = 0 (a
  just-identified model), with ``c = 1`` (standard and scaled) or ``c`` = the scaling factor
  (robust RMSEA of Brosseau-Liard, Savalei & Li, 2012). The 90% CI inverts the noncentral
  chi-square cdf (Browne & Cudeck, 1993) by root finding on the noncentrality, exactly as
  ``lav_fit_rmsea_ci``; with several groups RMSEA and its CI are multiplied by sqrt(G).
* CFI = 1 - max(X2 - df, 0) / max(X2 - df, X2b - dfb, 0); TLI = (X2b/dfb - X2/df) /
  (X2b/dfb - 1); both 1 for a just-identified model (as lavaan). The robust versions
  (Brosseau-Liard & Savalei, 2014) replace ``df`` by ``c * df`` in the noncentralities.
* SRMR is lavaan's ``srmr`` (= ``srmr_bentler``): residual covariances standardised by the
  *sample* standard deviations, root mean square over the p(p+1)/2 elements, plus the p
  standardised mean residuals when the model has a mean structure; with several groups the
  group values are averaged with weights n_g / N.

References
----------
Browne, M. W., & Cudeck, R. (1993). Alternative ways of assessing model fit.
Brosseau-Liard, P. E., Savalei, V., & Li, L. (2012). An investigation of the sample
performance of two nonnormality corrections for RMSEA. Multivariate Behavioral Research, 47.
Brosseau-Liard, P. E., & Savalei, V. (2014). Adjusting incremental fit indices for
nonnormality. Multivariate Behavioral Research, 49, 460-470.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from ..distributions import stats  # scipy.stats' numbers without its import cost

__all__ = ["rmsea", "rmsea_ci", "rmsea_pvalue", "cfi", "tli", "srmr", "information_criteria",
           "incremental"]


def rmsea(x2: float, df: float, n: int, groups: int = 1, c_hat: float = 1.0) -> float:
    """Point RMSEA (lavaan's ``lav_fit_rmsea``).

    Examples
    --------
    >>> round(rmsea(85.3055217699727, 24, 301), 6)
    0.092121
    >>> rmsea(10.0, 0, 301)
    0.0
    """
    if not np.isfinite(x2) or not np.isfinite(df):
        return float("nan")
    if df <= 0:
        return 0.0
    return math.sqrt(max(x2 / n / df - c_hat / n, 0.0)) * math.sqrt(groups)


def rmsea_ci(x2: float, df: float, n: int, groups: int = 1, c_hat: float = 1.0,
             level: float = 0.90) -> tuple[float, float]:
    """RMSEA confidence interval by inverting the noncentral chi-square (lavaan's rule).

    Examples
    --------
    >>> [round(v, 6) for v in rmsea_ci(85.3055217699727, 24, 301)]
    [0.071418, 0.113678]
    """
    if not (np.isfinite(x2) and np.isfinite(df) and np.isfinite(n)):
        return float("nan"), float("nan")
    upper_p = 1 - (1 - level) / 2
    lower_p = (1 - level) / 2

    def cdf(lam):
        return stats.ncx2.cdf(x2, df, lam) if lam > 0 else stats.chi2.cdf(x2, df)

    scale = math.sqrt(groups)
    if df < 1 or cdf(0) - upper_p < 0:
        lo = 0.0
    else:
        lam = optimize.brentq(lambda v: cdf(v) - upper_p, 0, x2, xtol=1e-12)
        lo = math.sqrt(c_hat * lam / (n * df)) * scale
    top = max(n, 4 * x2)
    if df < 1 or cdf(top) - lower_p > 0 or cdf(0) - lower_p < 0:
        hi = 0.0
    else:
        lam = optimize.brentq(lambda v: cdf(v) - lower_p, 0, top, xtol=1e-12)
        hi = math.sqrt(c_hat * lam / (n * df)) * scale
    return lo, hi


def rmsea_pvalue(x2: float, df: float, n: int, groups: int = 1, c_hat: float = 1.0,
                 h0: float = 0.05, close: bool = True) -> float:
    """p-value of the close-fit (RMSEA <= h0) or, ``close=False``, not-close-fit test."""
    if df <= 0 or not np.isfinite(x2):
        return float("nan")
    ncp = n * df / c_hat * h0 ** 2 / groups
    cdf = float(stats.ncx2.cdf(x2, df, ncp))
    return 1 - cdf if close else cdf


def cfi(x2: float, df: float, x2b: float, dfb: float, c_hat: float = 1.0,
        c_hat_b: float = 1.0) -> float:
    """Comparative fit index (robust version with scaling factors ``c_hat``, ``c_hat_b``).

    Examples
    --------
    >>> round(cfi(85.3055217699727, 24, 918.851589292384, 36), 6)
    0.93056
    """
    t1 = max(x2 - c_hat * df, 0.0)
    t2 = max(x2 - c_hat * df, x2b - c_hat_b * dfb, 0.0)
    if df == 0:
        return 1.0
    return 1.0 if t2 == 0 else 1 - t1 / t2


def tli(x2: float, df: float, x2b: float, dfb: float, c_hat: float = 1.0,
        c_hat_b: float = 1.0) -> float:
    """Tucker-Lewis index (non-normed fit index); 1 for a just-identified model.

    Examples
    --------
    >>> round(tli(85.3055217699727, 24, 918.851589292384, 36), 6)
    0.89584
    """
    if df == 0:
        return 1.0
    t1 = (x2 - c_hat * df) / df
    t2 = (x2b - c_hat_b * dfb) / dfb
    return 1 - t1 / t2 if t2 != 0 else float("nan")


def incremental(x2: float, df: float, x2b: float, dfb: float) -> dict[str, float]:
    """NFI, RFI, IFI, RNI and PNFI (lavaan's definitions)."""
    out = {}
    out["nfi"] = (x2b - x2) / x2b if x2b else float("nan")
    out["pnfi"] = (df / dfb) * out["nfi"] if dfb else float("nan")
    out["rfi"] = ((x2b / dfb - x2 / df) / (x2b / dfb)) if df > 0 and x2b else 1.0
    out["ifi"] = (x2b - x2) / (x2b - df) if x2b != df else float("nan")
    t1 = x2 - df
    t2 = x2b - dfb
    out["rni"] = 1 - t1 / t2 if df > 0 and t2 != 0 else 1.0
    return out


def srmr(samples: list[tuple[np.ndarray, np.ndarray | None]],
         implied: list[tuple[np.ndarray, np.ndarray | None]], nobs: list[int],
         means: bool = True) -> dict[str, float]:
    """lavaan's ``srmr`` (Bentler) and ``rmr``, with and without the mean residuals.

    ``samples`` and ``implied`` hold ``(cov, mean)`` per group (``mean`` may be None). The
    mean residuals count only when ``means`` is True and both means are given.
    """
    ntot = float(sum(nobs))
    out = {"srmr": 0.0, "srmr_nomean": 0.0, "rmr": 0.0, "rmr_nomean": 0.0,
           "crmr": 0.0, "crmr_nomean": 0.0}
    for (S, m), (Sig, mu), n in zip(samples, implied, nobs):
        p = S.shape[0]
        r, c = np.tril_indices(p)
        sd = np.sqrt(np.diag(S))
        R = (S - Sig) / np.outer(sd, sd)
        raw = S - Sig
        ss_cov, raw_cov = (R[r, c] ** 2).sum(), (raw[r, c] ** 2).sum()
        # CRMR: residual correlations (each implied covariance by its own implied sds)
        sds = np.sqrt(np.diag(Sig))
        C = S / np.outer(sd, sd) - Sig / np.outer(sds, sds)
        rc, cc = np.tril_indices(p, -1)
        ss_cr = (C[rc, cc] ** 2).sum()
        w = n / ntot
        nel = p * (p + 1) / 2
        out["srmr_nomean"] += w * math.sqrt(ss_cov / nel)
        out["rmr_nomean"] += w * math.sqrt(raw_cov / nel)
        out["crmr_nomean"] += w * math.sqrt(ss_cr / (p * (p - 1) / 2)) if p > 1 else 0.0
        if means and m is not None and mu is not None:
            mr = (m - mu) / sd
            out["srmr"] += w * math.sqrt((ss_cov + (mr ** 2).sum()) / (nel + p))
            out["rmr"] += w * math.sqrt((raw_cov + ((m - mu) ** 2).sum()) / (nel + p))
            mc = m / sd - mu / sds
            out["crmr"] += w * math.sqrt((ss_cr + (mc ** 2).sum()) / (p * (p - 1) / 2 + p))
        else:
            out["srmr"] += w * math.sqrt(ss_cov / nel)
            out["rmr"] += w * math.sqrt(raw_cov / nel)
            out["crmr"] += w * math.sqrt(ss_cr / (p * (p - 1) / 2)) if p > 1 else 0.0
    return out


def information_criteria(logl: float, npar: int, n: int) -> dict[str, float]:
    """AIC, BIC and sample-size adjusted BIC from the model log-likelihood.

    Examples
    --------
    >>> {k: round(v, 3) for k, v in information_criteria(-3737.7449266262, 21, 301).items()}
    {'aic': 7517.49, 'bic': 7595.339, 'bic2': 7528.739}
    """
    return {"aic": -2 * logl + 2 * npar,
            "bic": -2 * logl + npar * math.log(n),
            "bic2": -2 * logl + npar * math.log((n + 2) / 24)}


def rmsea_measures(chisq: float, df: float, N: int, G: int = 1, *,
                   chisq_scaled: float | None = None, c: float | None = None) -> dict:
    """RMSEA with its 90% CI and close/not-close fit p-values, under lavaan's names.

    With a scaled test (``chisq_scaled`` and its scaling factor ``c``) also the ``.scaled``
    versions; lavaan's scaled CI and p-values compare the *unscaled* X2 with df2 = c * df.
    """
    f = {"rmsea": rmsea(chisq, df, N, G)}
    f["rmsea.ci.lower"], f["rmsea.ci.upper"] = rmsea_ci(chisq, df, N, G)
    f["rmsea.ci.level"] = 0.90
    f["rmsea.pvalue"] = rmsea_pvalue(chisq, df, N, G, h0=0.05)
    f["rmsea.close.h0"] = 0.05
    f["rmsea.notclose.pvalue"] = rmsea_pvalue(chisq, df, N, G, h0=0.08, close=False)
    f["rmsea.notclose.h0"] = 0.08
    if chisq_scaled is not None:
        f["rmsea.scaled"] = rmsea(chisq_scaled, df, N, G)
        df2 = c * df
        f["rmsea.ci.lower.scaled"], f["rmsea.ci.upper.scaled"] = rmsea_ci(chisq, df2, N, G)
        f["rmsea.pvalue.scaled"] = rmsea_pvalue(chisq, df2, N, G)
        f["rmsea.notclose.pvalue.scaled"] = rmsea_pvalue(chisq, df2, N, G, h0=0.08, close=False)
    return f
