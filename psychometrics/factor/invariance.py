"""Measurement invariance across groups: configural, metric, scalar and strict CFA models.

Each level adds lavaan ``group.equal`` constraints to the previous one (semTools'
``measEq.syntax`` / the usual lavaan sequence): ``metric`` = equal loadings, ``scalar`` =
+ equal intercepts (factor means then free in groups 2..), ``strict`` = + equal residual
variances. Consecutive models are compared as ``lavaan::lavTestLRT`` does: the chi-square
difference test (ML) or, for MLR, the Satorra-Bentler (2001) scaled difference, and the
RMSEA of the difference test ``sqrt(max(0, (dX2 - ddf) / (N ddf))) * sqrt(G)``; the deltas
are the changes in CFI, TLI, RMSEA and SRMR from the previous model (Chen, 2007; Cheung &
Rensvold, 2002 suggest |delta CFI| <= .01 as invariance holding).

References
----------
Satorra, A., & Bentler, P. M. (2001). A scaled difference chi-square test statistic for
moment structure analysis. Psychometrika, 66, 507-514.
Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement
invariance. Structural Equation Modeling, 14, 464-504.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._results import Result, format_table, jsonable
from ..distributions import stats  # scipy.stats' numbers without its import cost
from ..errors import ModelError
from ..threads import blas_limited
from .cfa import cfa, resolve_model
from .result import CFAResult

__all__ = ["invariance", "InvarianceResult", "LEVELS"]

#: cumulative group.equal constraints of each level
LEVELS = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}
_COLUMNS = {"npar": "npar", "chisq": "chisq", "df": "df", "pvalue": "pvalue", "cfi": "cfi",
            "tli": "tli", "rmsea": "rmsea", "rmsea_ci_low": "rmsea.ci.lower",
            "rmsea_ci_high": "rmsea.ci.upper", "srmr": "srmr", "aic": "aic", "bic": "bic",
            "chisq_scaled": "chisq.scaled", "scaling_factor": "chisq.scaling.factor",
            "cfi_scaled": "cfi.scaled", "tli_scaled": "tli.scaled",
            "rmsea_scaled": "rmsea.scaled", "cfi_robust": "cfi.robust",
            "tli_robust": "tli.robust", "rmsea_robust": "rmsea.robust"}


@dataclass(frozen=True)
class InvarianceResult(Result):
    """Sequence of nested multi-group models.

    Attributes
    ----------
    table : DataFrame
        Index = model (``configural``, ``metric``, ...); columns = the CFA fit keys (``chisq``,
        ``df``, ``cfi``, ... and the ``*_scaled``/``*_robust`` ones for MLR), the difference
        test against the previous model (``chisq_diff``, ``df_diff``, ``p_diff``,
        ``rmsea_diff``) and ``delta_cfi``, ``delta_tli``, ``delta_rmsea``, ``delta_srmr``.
    group : str
    group_labels : list of str
    group_nobs : dict
    estimator : str
    lrt_method : str
    fits : dict of CFAResult (not in ``to_dict``)
    """

    table: pd.DataFrame
    group: str
    group_labels: list
    group_nobs: dict
    estimator: str
    lrt_method: str
    fits: dict = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        return {"group": self.group, "group_labels": list(self.group_labels),
                "group_nobs": jsonable(self.group_nobs), "estimator": self.estimator,
                "lrt_method": self.lrt_method, "table": jsonable(self.table)}

    def summary(self) -> str:
        cols = [c for c in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr",
                            "chisq_diff", "df_diff", "p_diff", "delta_cfi", "delta_rmsea")
                if c in self.table]
        return format_table(self.table[cols], f"Measurement invariance by {self.group!r} "
                            f"({self.estimator}; {self.lrt_method}), n = {self.group_nobs}")


def _lrt(prev: CFAResult, cur: CFAResult, robust: bool) -> dict:
    """lavTestLRT of ``cur`` (more constrained) against ``prev``."""
    f0, f1 = cur.fit, prev.fit
    ddf = f0["df"] - f1["df"]
    if ddf <= 0:
        return {"chisq_diff": np.nan, "df_diff": ddf, "p_diff": np.nan, "rmsea_diff": np.nan}
    if robust:
        c0, c1 = f0["chisq.scaling.factor"], f1["chisq.scaling.factor"]
        cd = (f0["df"] * c0 - f1["df"] * c1) / ddf
        dx2 = (f0["chisq"] - f1["chisq"]) / cd
    else:
        dx2 = f0["chisq"] - f1["chisq"]
    G = len(cur.nobs)
    rmsea = math.sqrt(max(0.0, (dx2 - ddf) / (cur.n * ddf))) * math.sqrt(G)
    return {"chisq_diff": dx2, "df_diff": ddf, "p_diff": float(stats.chi2.sf(dx2, ddf)),
            "rmsea_diff": rmsea}


@blas_limited
def invariance(data, model, group: str, *, estimator: str = "ML", missing: str = "listwise",
               std_lv: bool = False,
               levels: Sequence[str] = ("configural", "metric", "scalar", "strict")
               ) -> InvarianceResult:
    """Fit the invariance sequence and compare consecutive models.

    Parameters
    ----------
    data : DataFrame
    model : str or Instrument
        lavaan syntax or an object with ``cfa_model()``.
    group : str
        Grouping column (language version, sex, sector, ...).
    estimator : {"ML", "MLR"}
        ``MLR`` gives scaled/robust fit and Satorra-Bentler (2001) scaled differences.
    missing : {"listwise", "fiml"}
    std_lv : bool
    levels : sequence of str
        A prefix-closed subset of ``configural``, ``metric``, ``scalar``, ``strict`` in order.

    Returns
    -------
    InvarianceResult

    Notes
    -----
    Matches lavaan 0.6-14 (``cfa(..., group=, group.equal=)`` and ``lavTestLRT``) to 1e-3 on
    HolzingerSwineford1939 by ``school`` and bfi by ``gender``.

    Examples
    --------
    >>> import pandas as pd
    >>> hs = pd.read_csv("tests/data/HolzingerSwineford1939.csv")
    >>> m = "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
    >>> res = invariance(hs, m, group="school", levels=("configural", "metric"))
    >>> res.table[["chisq", "df", "chisq_diff", "df_diff"]].round(3)
                  chisq  df  chisq_diff  df_diff
    configural  115.851  48         NaN      NaN
    metric      124.044  54       8.192      6.0
    """
    syntax = resolve_model(model)
    est = str(estimator).upper()
    if est not in ("ML", "MLR"):
        raise ModelError(f"invariance supports estimator 'ML' or 'MLR', got {estimator!r}")
    levels = list(levels)
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown or not levels:
        raise ModelError(f"levels must be taken from {list(LEVELS)}, got {levels}")
    order = list(LEVELS)
    if [order.index(lv) for lv in levels] != sorted(order.index(lv) for lv in levels):
        raise ModelError(f"levels must be in the order {order}")
    fits: dict[str, CFAResult] = {}
    rows = {}
    prev = None
    robust = est == "MLR"
    for lv in levels:
        res = cfa(data, syntax, estimator=est, group=group, missing=missing, std_lv=std_lv,
                  group_equal=LEVELS[lv])
        fits[lv] = res
        row = {k: res.fit.get(v, np.nan) for k, v in _COLUMNS.items() if v in res.fit}
        if prev is None:
            row.update(chisq_diff=np.nan, df_diff=np.nan, p_diff=np.nan, rmsea_diff=np.nan,
                       delta_cfi=np.nan, delta_tli=np.nan, delta_rmsea=np.nan,
                       delta_srmr=np.nan)
        else:
            row.update(_lrt(prev, res, robust))
            for k in ("cfi", "tli", "rmsea", "srmr"):
                row[f"delta_{k}"] = res.fit[k] - prev.fit[k]
        rows[lv] = row
        prev = res
    table = pd.DataFrame.from_dict(rows, orient="index")
    first = fits[levels[0]]
    return InvarianceResult(
        table=table, group=group, group_labels=list(first.groups),
        group_nobs=dict(zip(first.groups, first.nobs)), estimator=est,
        lrt_method="Satorra-Bentler (2001) scaled difference" if robust
        else "Chi-Squared Difference Test", fits=fits)
