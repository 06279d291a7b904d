"""Assembling lavaan's ``fitMeasures`` dictionary of an ML or FIML fit (shared by both).

The index formulas themselves are in :mod:`psychometrics.factor.fit`; this module puts the
test statistics in lavaan's order and names so the ML and FIML engines report the same way.

References
----------
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
Statistical Software, 48(2). (R/lav_fit_measures.R)
"""

from __future__ import annotations

import numpy as np

from ..distributions import stats  # scipy.stats' numbers without its import cost
from ..errors import ModelError
from . import fit as fitm
from .model import Model

__all__ = ["model_df", "test_entries", "scaled_entries", "baseline_entries",
           "incremental_entries", "rmsea_robust_entries", "srmr_entries"]


def model_df(mdl: Model, n_groups: int) -> int:
    """Degrees of freedom: sample moments minus free parameters; ModelError when negative."""
    p = mdl.p
    npar = mdl.n_free
    ndat = n_groups * (p * (p + 1) // 2 + (p if mdl.meanstructure else 0))
    df = ndat - npar
    if df < 0:
        raise ModelError(f"the model is not identified: {npar} free parameters but only "
                         f"{ndat} sample moments (df = {df})")
    return df


def _pvalue(x2: float, df: float) -> float:
    return float(stats.chi2.sf(x2, df)) if df > 0 else float("nan")


def test_entries(npar: int, chisq: float, df: int, N: int) -> dict:
    """``npar``, ``fmin`` (lavaan's F/2 = chisq / 2N), ``chisq``, ``df``, ``pvalue``."""
    return {"npar": npar, "fmin": chisq / (2 * N), "chisq": chisq, "df": df,
            "pvalue": _pvalue(chisq, df)}


def scaled_entries(xs: float, df: int, c: float) -> dict:
    """The scaled test: ``chisq.scaled``, ``df.scaled``, ``pvalue.scaled``,
    ``chisq.scaling.factor``."""
    return {"chisq.scaled": xs, "df.scaled": df, "pvalue.scaled": _pvalue(xs, df),
            "chisq.scaling.factor": c}


def baseline_entries(x2b: float, dfb: int, scaled: tuple[float, float] | None = None) -> dict:
    """The independence model's test (and its scaled test ``(chisq, c)`` when given)."""
    out = {"baseline.chisq": x2b, "baseline.df": dfb,
           "baseline.pvalue": float(stats.chi2.sf(x2b, dfb))}
    if scaled is not None:
        xbs, cb = scaled
        out.update({"baseline.chisq.scaled": xbs, "baseline.df.scaled": dfb,
                    "baseline.pvalue.scaled": float(stats.chi2.sf(xbs, dfb)),
                    "baseline.chisq.scaling.factor": cb})
    return out


def incremental_entries(chisq: float, df: int, x2b: float, dfb: int,
                        scaled: tuple[float, float] | None = None,
                        robust: tuple[float, float, float, float] | None = None) -> dict:
    """CFI, TLI, NNFI and the other incremental indices; ``.scaled`` from the scaled
    statistics ``(xs, xbs)``, ``cfi.robust``/``tli.robust`` from ``(x2, x2b, c, cb)``
    (Brosseau-Liard & Savalei's robust indices; FIML passes its corrected ingredients)."""
    f = {"cfi": fitm.cfi(chisq, df, x2b, dfb), "tli": fitm.tli(chisq, df, x2b, dfb)}
    if scaled is not None:
        xs, xbs = scaled
        f["cfi.scaled"] = fitm.cfi(xs, df, xbs, dfb)
        f["tli.scaled"] = fitm.tli(xs, df, xbs, dfb)
    if robust is not None:
        x2r, x2br, c, cb = robust
        f["cfi.robust"] = fitm.cfi(x2r, df, x2br, dfb, c, cb)
        f["tli.robust"] = fitm.tli(x2r, df, x2br, dfb, c, cb)
    f["nnfi"] = f["tli"]
    f.update(fitm.incremental(chisq, df, x2b, dfb))
    if scaled is not None:
        f["nnfi.scaled"] = f["tli.scaled"]
        f.update({f"{k}.scaled": v for k, v in fitm.incremental(xs, df, xbs, dfb).items()})
    return f


def rmsea_robust_entries(x2: float, x2s: float, df: int, N: int, G: int, c: float) -> dict:
    """Robust RMSEA with its CI and close/not-close p-values (Brosseau-Liard, Savalei & Li,
    2012): point estimate from the unscaled ``x2`` with ``c``, the rest from ``x2s``."""
    lo, hi = fitm.rmsea_ci(x2s, df, N, G, c_hat=c)
    return {"rmsea.robust": fitm.rmsea(x2, df, N, G, c_hat=c),
            "rmsea.ci.lower.robust": lo, "rmsea.ci.upper.robust": hi,
            "rmsea.pvalue.robust": fitm.rmsea_pvalue(x2s, df, N, G, c_hat=c),
            "rmsea.notclose.pvalue.robust": fitm.rmsea_pvalue(x2s, df, N, G, c_hat=c, h0=0.08,
                                                              close=False)}


def srmr_entries(samples: list, implied: list, nobs: list, means: bool) -> dict:
    """RMR, SRMR (Bentler) and CRMR, with and without the means, under lavaan's names."""
    sr = fitm.srmr(samples, implied, nobs, means=means)
    return {"rmr": sr["rmr"], "rmr_nomean": sr["rmr_nomean"], "srmr": sr["srmr"],
            "srmr_bentler": sr["srmr"], "srmr_bentler_nomean": sr["srmr_nomean"],
            "crmr": sr["crmr"], "crmr_nomean": sr["crmr_nomean"]}


def independence_chisq(S_list: list, nobs: list) -> float:
    """Complete-data chi-square of the independence model (diag(S), means saturated)."""
    return float(sum(n * (np.log(np.diag(S)).sum() - np.linalg.slogdet(S)[1])
                     for n, S in zip(nobs, S_list)))
