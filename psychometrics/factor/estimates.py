"""lavaan's parameter table of a fitted ML model: estimates, standard errors, Wald tests,
confidence intervals and the standardised solutions (``parameterEstimates(standardized =
TRUE)``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..distributions import stats  # scipy.stats' numbers without its import cost
from .model import Model

__all__ = ["estimates_table"]

# normal quantile of the two-sided 95% Wald interval (lavaan's parameterEstimates(level =
# 0.95) default)
CI_QUANTILE = 0.975


def estimates_table(mdl: Model, theta, vcov, multigroup: bool) -> pd.DataFrame:
    """lavaan's ``parameterEstimates(standardized = TRUE)`` of an ML/FIML fit.

    Standard errors are the square roots of ``diag(vcov)`` (0 for fixed parameters), ``z``
    and ``pvalue`` the Wald test against 0, ``ci.lower``/``ci.upper`` the 95% Wald interval;
    ``std.lv`` scales by the latent standard deviations, ``std.all`` also by the implied
    observed ones (``multigroup`` is accepted for symmetry with the callers; groups come from
    the model).

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
    Statistical Software, 48(2). (R/lav_object_methods.R, lav_standardize.R)
    """
    pt = mdl.estimates_frame(theta)
    free = pt["free"].to_numpy()
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
    se = np.where(free > 0, se_free[np.maximum(free, 1) - 1], 0.0)
    est = pt["est"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(free > 0, est / se, np.nan)
    pv = np.where(free > 0, 2 * stats.norm.sf(np.abs(z)), np.nan)
    q = stats.norm.ppf(CI_QUANTILE)
    std_lv = np.full(len(pt), np.nan)
    std_all = np.full(len(pt), np.nan)
    for g, (M, (Sig, _mu)) in enumerate(zip(mdl.matrices(theta), mdl.implied(theta))):
        sel = (pt["group"] == g + 1).to_numpy()
        sd_lv = np.sqrt(np.diag(M["psi"]))
        sd_ov = np.sqrt(np.diag(Sig))
        for i in np.flatnonzero(sel):
            r = pt.iloc[i]
            e = est[i]
            if r["op"] == "=~":
                j = mdl.lv.index(r["lhs"])
                k = mdl.ov.index(r["rhs"])
                std_lv[i] = e * sd_lv[j]
                std_all[i] = e * sd_lv[j] / sd_ov[k]
            elif r["op"] == "~~":
                if r["lhs"] in mdl.lv:
                    a, b = mdl.lv.index(r["lhs"]), mdl.lv.index(r["rhs"])
                    std_lv[i] = std_all[i] = e / (sd_lv[a] * sd_lv[b])
                else:
                    a, b = mdl.ov.index(r["lhs"]), mdl.ov.index(r["rhs"])
                    std_lv[i] = e
                    std_all[i] = e / (sd_ov[a] * sd_ov[b])
            elif r["op"] == "~1":
                if r["lhs"] in mdl.lv:
                    a = mdl.lv.index(r["lhs"])
                    std_lv[i] = std_all[i] = e / sd_lv[a]
                else:
                    a = mdl.ov.index(r["lhs"])
                    std_lv[i] = e
                    std_all[i] = e / sd_ov[a]
            else:
                std_lv[i] = std_all[i] = e
    out = pd.DataFrame({"lhs": pt["lhs"], "op": pt["op"], "rhs": pt["rhs"], "group": pt["group"],
                        "label": pt["label"].fillna(""), "free": free, "est": est, "se": se,
                        "z": z, "pvalue": pv, "ci.lower": est - q * se, "ci.upper": est + q * se,
                        "std.lv": std_lv, "std.all": std_all})
    return out
