"""The result of a CFA (every engine: ML/MLR, FIML, DWLS/WLSMV) and lavaan's post-fit check."""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._results import Result, format_table, jsonable
from .model import Model

__all__ = ["CFAResult", "CFAWarning", "post_check", "checked", "TO_DICT_FIT_KEYS"]

#: ``CFAResult.to_dict()`` key -> lavaan ``fitMeasures`` name of the headline fit measures
TO_DICT_FIT_KEYS = {
    "chisq": "chisq", "df": "df", "pvalue": "pvalue", "cfi": "cfi", "tli": "tli",
    "rmsea": "rmsea", "rmsea_ci_low": "rmsea.ci.lower", "rmsea_ci_high": "rmsea.ci.upper",
    "srmr": "srmr", "aic": "aic", "bic": "bic",
    "chisq_scaled": "chisq.scaled", "df_scaled": "df.scaled", "pvalue_scaled": "pvalue.scaled",
    "scaling_factor": "chisq.scaling.factor", "cfi_scaled": "cfi.scaled",
    "tli_scaled": "tli.scaled", "rmsea_scaled": "rmsea.scaled",
    "rmsea_ci_low_scaled": "rmsea.ci.lower.scaled",
    "rmsea_ci_high_scaled": "rmsea.ci.upper.scaled", "cfi_robust": "cfi.robust",
    "tli_robust": "tli.robust", "rmsea_robust": "rmsea.robust",
    "rmsea_ci_low_robust": "rmsea.ci.lower.robust",
    "rmsea_ci_high_robust": "rmsea.ci.upper.robust"}
# an eigenvalue below -PD_TOL x the largest one makes a matrix not positive definite; above
# it, a negative value is rounding (the estimates themselves are accurate to ~1e-10)
PD_TOL = 1e-8
# fitMeasures entries that repeat a number ``to_dict`` already holds under another name
_FIT_COPIES = frozenset({"npar", "ntotal", "nnfi", "nnfi.scaled", "nnfi.robust"})


@dataclass(frozen=True)
class CFAResult(Result):
    """A fitted CFA model (shared by the ML engine here and the WLS engine).

    Parameters
    ----------
    estimates : DataFrame
        lavaan's ``parameterEstimates(standardized=TRUE)``: ``lhs, op, rhs, group, label,
        free, est, se, z, pvalue, ci.lower, ci.upper, std.lv, std.all`` (one row per parameter
        and group, lavaan's order; fixed parameters have ``se`` 0 and ``z`` NaN).
    fit : dict
        Fit measures under lavaan's ``fitMeasures`` names (``chisq``, ``rmsea.ci.lower``,
        ``cfi.robust``, ...).
    estimator, test, se : str
        As lavaan reports them (``"ML"``, ``"standard"``/``"yuan.bentler.mplus"``,
        ``"standard"``/``"robust.huber.white"``).
    n : int
        Respondents used (all groups).
    nobs : list of int
        Respondents per group.
    groups : list of str or None
        Group labels in data order (None for a one-group model).
    converged : bool
    npar : int
        Free parameters after equality constraints (lavaan's ``npar``).
    observed, latent : list of str
    options : dict
        The call's options (``estimator``, ``missing``, ``std_lv``, ``group``, ``group_equal``,
        ``ordered``).
    iterations : int
    theta, vcov : ndarray
        Free-parameter vector and its covariance matrix (not in ``to_dict``).
    model : Model
        The model (parameter table and matrices; not in ``to_dict``).
    """

    estimates: pd.DataFrame
    fit: dict
    estimator: str
    test: str
    se: str
    n: int
    nobs: list
    groups: list | None
    converged: bool
    npar: int
    observed: list
    latent: list
    options: dict
    iterations: int = 0
    theta: np.ndarray = field(default=None, repr=False)
    vcov: np.ndarray = field(default=None, repr=False)
    model: Model = field(default=None, repr=False)
    admissible: bool = True
    problems: tuple = ()

    # ---- convenience views
    def __getitem__(self, key: str) -> float:
        """A fit measure by lavaan name (``res["cfi"]``)."""
        return self.fit[key]

    def _rows(self, op: str) -> pd.DataFrame:
        return self.estimates[self.estimates["op"] == op]

    @property
    def loadings(self) -> pd.DataFrame:
        """Unstandardised loadings, items x factors (first group)."""
        return self._loading_table("est")

    @property
    def std_loadings(self) -> pd.DataFrame:
        """Completely standardised loadings (lavaan ``std.all``), items x factors."""
        return self._loading_table("std.all")

    def _loading_table(self, col: str, group: int = 1) -> pd.DataFrame:
        rows = self._rows("=~")
        rows = rows[rows["group"] == group]
        out = pd.DataFrame(0.0, index=self.observed, columns=self.latent)
        for lhs, rhs, v in zip(rows["lhs"], rows["rhs"], rows[col]):
            out.loc[rhs, lhs] = v
        return out

    @property
    def factor_correlations(self) -> pd.DataFrame:
        """Factor correlation matrix (first group)."""
        rows = self._rows("~~")
        rows = rows[(rows["group"] == 1) & rows["lhs"].isin(self.latent)]
        out = pd.DataFrame(np.eye(len(self.latent)), index=self.latent, columns=self.latent)
        for lhs, rhs, v in zip(rows["lhs"], rows["rhs"], rows["std.lv"]):
            if lhs != rhs:
                out.loc[lhs, rhs] = out.loc[rhs, lhs] = v
        return out

    def to_dict(self) -> dict:
        """The result as JSON-ready data, each number under one name.

        The headline fit measures are top-level keys in snake case (``chisq``, ``df``,
        ``pvalue``, ``cfi``, ``rmsea_ci_low``, ``chisq_scaled``, ``scaling_factor``,
        ``cfi_robust``, ...; see ``TO_DICT_FIT_KEYS``); ``fit`` holds every other lavaan
        ``fitMeasures`` value under lavaan's name (``rmsea.pvalue``, ``logl``, ``nfi``, ...),
        so no measure appears twice: ``npar`` and ``n`` are top-level, and lavaan's copies
        ``ntotal`` (= ``n``) and ``nnfi*`` (= ``tli*``) are left out. ``res.fit`` itself keeps
        every measure under lavaan's names.
        """
        f = self.fit
        out = {k: jsonable(f[v]) for k, v in TO_DICT_FIT_KEYS.items() if v in f}
        headline = set(TO_DICT_FIT_KEYS.values())
        out.update(n=self.n, nobs=list(self.nobs), groups=self.groups, npar=self.npar,
                   estimator=self.estimator, test=self.test, se=self.se,
                   converged=bool(self.converged), admissible=bool(self.admissible),
                   problems=list(self.problems), observed=list(self.observed),
                   latent=list(self.latent), options=jsonable(self.options),
                   fit=jsonable({k: v for k, v in f.items()
                                 if k not in headline and k not in _FIT_COPIES}),
                   estimates=jsonable(self.estimates.replace({np.nan: None})
                                      .to_dict(orient="records")),
                   std_loadings=jsonable(self.std_loadings),
                   factor_correlations=jsonable(self.factor_correlations))
        return out

    def summary(self) -> str:
        f = self.fit
        names = ["chisq", "df", "pvalue", "chisq.scaled", "pvalue.scaled", "cfi", "tli",
                 "cfi.robust", "tli.robust", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
                 "rmsea.robust", "srmr", "aic", "bic"]
        fit_tab = pd.DataFrame({"value": {k: f[k] for k in names if k in f}})
        cols = ["lhs", "op", "rhs"] + (["group"] if self.groups else []) + \
            ["est", "se", "z", "pvalue", "std.all"]
        head = (f"CFA ({self.estimator}, test {self.test}, se {self.se}); n = {self.n}"
                + (f" in groups {dict(zip(self.groups, self.nobs))}" if self.groups else "")
                + f"; {'converged' if self.converged else 'NOT converged'}"
                + ("" if self.admissible else "; NOT ADMISSIBLE: " + "; ".join(self.problems)))
        return "\n\n".join([head, format_table(fit_tab, "Fit"),
                            format_table(self.estimates[cols].set_index(["lhs", "op", "rhs"]),
                                         "Parameters")])


class CFAWarning(UserWarning):
    """A CFA did not converge, is not identified, or gave an inadmissible solution."""


def post_check(res: CFAResult) -> list[str]:
    """lavaan's post-fit check (``lav_object_post_check``): what makes a solution inadmissible.

    Per group: negative variances of observed (residual) or latent variables, a latent
    covariance matrix (psi) or a residual covariance matrix (theta) that is not positive
    definite; plus standard errors that could not be computed (a singular information matrix,
    the mark of a model that is not identified).

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
    Statistical Software, 48(2). (R/lav_object_post_check.R)
    """
    est = res.estimates
    problems = []
    groups = est["group"].unique() if "group" in est.columns else [None]
    for g in groups:
        e = est if g is None else est[est["group"] == g]
        where = "" if g is None or len(groups) == 1 else f" in group {g}"
        cov = e[e["op"] == "~~"]
        for names, what in ((res.observed, "observed variable (residual)"),
                            (res.latent, "latent variable")):
            v = cov[(cov["lhs"] == cov["rhs"]) & cov["lhs"].isin(names)]
            neg = v[v["est"] < 0]
            if len(neg):
                problems.append(f"negative {what} variance(s){where}: " + ", ".join(
                    f"{a} = {b:.4g}" for a, b in zip(neg["lhs"], neg["est"])))
        for names, what in ((res.latent, "latent variables (psi)"),
                            (res.observed, "residuals (theta)")):
            names = list(names)
            if len(names) < 2:
                continue
            m = pd.DataFrame(0.0, index=names, columns=names)
            sub_ = cov[cov["lhs"].isin(names) & cov["rhs"].isin(names)]
            for a, b, x in zip(sub_["lhs"], sub_["rhs"], sub_["est"]):
                m.loc[a, b] = m.loc[b, a] = x
            ev = np.linalg.eigvalsh(m.to_numpy())
            if ev.min() < -PD_TOL * max(1.0, np.abs(ev).max()):
                problems.append(f"the covariance matrix of the {what} is not positive "
                                f"definite{where} (smallest eigenvalue {ev.min():.3g})")
    if res.vcov is not None and np.isnan(np.asarray(res.vcov, dtype=float)).all():
        problems.append("no standard errors: the information matrix is singular (the model "
                        "may not be identified)")
    return problems


def checked(res: CFAResult) -> CFAResult:
    """The result with lavaan's post-check applied: ``admissible`` and ``problems``, warned."""
    problems = post_check(res)
    if problems:
        # checked <- cfa <- blas_limited wrapper <- the caller
        warnings.warn("inadmissible CFA solution: " + "; ".join(problems), CFAWarning,
                      stacklevel=4)
    return dataclasses.replace(res, admissible=not problems, problems=tuple(problems))
