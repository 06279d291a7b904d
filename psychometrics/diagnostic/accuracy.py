"""The accuracy of a split: sensitivity, specificity, predictive values, likelihood ratios,
accuracy and Youden's J, each with its confidence interval.

One row per split (true/false positives and negatives), vectorised over rows, so the table of
every candidate cut-off and the row of the chosen one are computed by the same code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..distributions import stats  # scipy.stats' numbers without its import cost
from ..errors import DataError
from .inputs import z_of_level
from .predictive import predictive_values

__all__ = ["CI_METHODS", "binom_ci", "ratio", "accuracy_table"]

#: Intervals for a proportion: Wilson score or Clopper-Pearson ("exact").
CI_METHODS = ("wilson", "exact")


def binom_ci(k, n, level: float, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score or Clopper-Pearson interval for k successes in n (NaN when n = 0).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. JASA, 22, 209-212.
    Clopper, C. J., & Pearson, E. S. (1934). The use of confidence or fiducial limits
    illustrated in the case of the binomial. Biometrika, 26, 404-413.
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "wilson":
            z = z_of_level(level)
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
            raise DataError(f"ci_method must be 'wilson' or 'exact', got {method!r}")
    bad = n <= 0
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def ratio(a, b):
    """a / b, with inf for a positive over 0 and NaN for 0 / 0."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, a / np.where(b != 0, b, 1), np.where(a > 0, np.inf, np.nan))


def accuracy_table(tp, fp, tn, fn, *, level: float, ci_method: str,
                   prevalence: float | None) -> pd.DataFrame:
    """Diagnostic accuracy of each split, with CIs (no cut-off column).

    Sensitivity, specificity, accuracy and (without ``prevalence``) the sample's PPV/NPV get
    :func:`binom_ci` intervals; LR+ and LR- log-method intervals; with ``prevalence`` the
    PPV/NPV are recomputed by Bayes' theorem with logit intervals; Youden's J a Wald interval.

    References
    ----------
    Simel, D. L., Samsa, G. P., & Matchar, D. B. (1991). Likelihood ratios with confidence:
    sample size estimation for diagnostic test studies. J Clin Epidemiol, 44, 763-770.
    Mercaldo, N. D., Lau, K. F., & Zhou, X. H. (2007). Confidence intervals for predictive
    values with an emphasis to case-control studies. Statistics in Medicine, 26, 2170-2183.
    Youden, W. J. (1950). Index for rating diagnostic tests. Cancer, 3, 32-35.
    """
    tp, fp, tn, fn = (np.asarray(v, dtype=np.int64) for v in (tp, fp, tn, fn))
    n1, n0 = tp + fn, fp + tn
    z = z_of_level(level)
    out = {"tp": tp, "fp": fp, "tn": tn, "fn": fn}

    def rate(name, k, n):
        out[name] = ratio(k, n)
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = binom_ci(k, n, level, ci_method)

    rate("sensitivity", tp, n1)
    rate("specificity", tn, n0)
    sens, spec = out["sensitivity"], out["specificity"]
    # LR+- with the log method (Simel, Samsa & Matchar 1991); undefined with an empty cell
    with np.errstate(divide="ignore", invalid="ignore"):
        lrp, lrn = ratio(sens, 1 - spec), ratio(1 - sens, spec)
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

