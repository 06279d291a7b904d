"""DWLS / WLSMV estimation of CFA models with ordinal items, as lavaan's ``estimator="WLSMV"``.

The model is fitted to the sample statistics of :mod:`psychometrics.factor.ordinal`
(thresholds and polychoric correlations) by diagonally weighted least squares, with the
delta parameterization lavaan uses by default for ``ordered`` items:

* latent responses ``y*`` have ``Sigma* = Lambda Psi Lambda' + Theta`` with ``diag(Sigma*) = 1``:
  the residual variances are not parameters but ``1 - diag(Lambda Psi Lambda')`` (residual
  covariances written in the model are free), intercepts and factor means are 0, scaling
  factors (``~*~``) 1;
* one free threshold per category boundary (``item|t1``, ``item|t2``, ...).

Estimation minimises ``F = 1/2 (s - sigma(theta))' W (s - sigma(theta))`` with
``s = (thresholds, correlations)`` and ``W = diag(Gamma)^-1`` (DWLS); the test statistic is
``T = 2 N F``. Free thresholds reproduce their sample values exactly, so the iteration
(Levenberg-Marquardt on the analytic Jacobian) runs over the structural parameters only.
Standard errors are lavaan's ``se = "robust.sem"`` sandwich
``(D'WD)^-1 D'W Gamma W D (D'WD)^-1 / N`` with ``D = d sigma / d theta``. The WLSMV test
(``test = "scaled.shifted"``, Asparouhov & Muthen, 2010): ``U = W - W D (D'WD)^-1 D' W``,
``a = sqrt(df / tr((U Gamma)^2))``, ``b = df - a tr(U Gamma)``, ``T_scaled = a T + b`` with
``df`` unchanged; lavaan reports ``1/a`` as ``chisq.scaling.factor``. The baseline model has
free thresholds and zero correlations.

**The N versus N - 1 convention.** Here ``Gamma = NACOV * N / (N - 1)``, where ``NACOV`` is
``N`` times the asymptotic covariance of the statistics as lavaan's ``muthen1984`` builds it
(:func:`psychometrics.factor.ordinal.ordinal_stats`). This factor is what makes lavaan
0.6-14's numbers come out: with it the threshold SEs, all parameter SEs, ``fmin``, ``chisq``
and ``baseline.chisq`` agree to 1e-7 (relative) on bfi, without it all of them are off by
exactly ``sqrt(N/(N-1))`` or ``N/(N-1)``. Estimates and the scaling factors do not depend on
it. The robust (catML) indices below use ``NACOV`` itself, which is again what matches.

Fit indices follow lavaan 0.6-14 ``fitMeasures`` for this estimator: CFI/TLI (= RNI/NNFI),
NFI, RFI, IFI, PNFI from ``T`` and the baseline ``T_b`` (``*.scaled`` from the scaled
statistics); RMSEA, its 90% CI and close-fit p-values, Hoelter's CN and MFI use ``N - 1``
(lavaan's ``lav_utils_get_ntotal`` for non-ML estimators); ``srmr`` (= ``rmr_nomean`` =
``srmr_bentler_nomean``) is the root mean square of the correlation residuals over the
``p (p + 1) / 2`` elements of the correlation matrix (diagonal residuals are 0), ``rmr`` /
``srmr_bentler`` adds the thresholds (zero residuals) to the count, ``crmr`` leaves out the
diagonal; GFI = ``1 - e'We / s'Ws``, AGFI, PGFI; WRMR = ``sqrt(T / n_stats)``. The robust
CFI/TLI/RMSEA (``*.robust``) are Savalei's (2021) categorical versions, computed as lavaan's
``lav_fit_catml_dwls``: the ML discrepancy between the polychoric matrix and the implied
correlations at the DWLS estimates, with the scaling ``c = tr(U' V U Gamma_r) / df`` (V the
normal-theory ML weight of the correlations, ``U = I - D (D'WD)^-1 D'W``); NaN when the
polychoric matrix is not positive definite (lavaan: NA). ``srmr_mplus`` is not computed
(lavaan: NA for categorical data).

References
----------
Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted least
squares and quadratic estimating equations in latent variable modeling with categorical and
continuous outcomes. Unpublished technical report.
Asparouhov, T., & Muthen, B. (2010). Simple second order chi-square correction. Mplus
technical appendix.
Savalei, V. (2021). Improving fit indices in structural equation modeling with categorical
data. Multivariate Behavioral Research, 56(3), 390-407.
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
Statistical Software, 48(2).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..distributions import stats  # scipy.stats' numbers without its import cost
from ..errors import ConvergenceError, MissingColumnError, ModelError
from . import fit as fitmod
from .model import Model
from .ordinal import OrdinalStats, ordinal_stats
from .result import CFAResult
from .syntax import ModelSyntax, parse

__all__ = ["fit_wls", "ESTIMATORS"]

ESTIMATORS = ("WLSMV", "DWLS")


# ---------------------------------------------------------------------------------------
# the structured part: implied statistics and their Jacobian
# ---------------------------------------------------------------------------------------

class _DeltaModel:
    """sigma(theta) = (thresholds, offdiag(Sigma*)) and its Jacobian for a :class:`Model`."""

    def __init__(self, model: Model, stats_: OrdinalStats):
        self.model = model
        p = model.p
        self.vr, self.vc = np.tril_indices(p, -1)
        # vech order (lower triangle by column) without the diagonal = lavaan's order
        order = np.lexsort((self.vr, self.vc))
        self.vr, self.vc = self.vr[order], self.vc[order]
        vr_all, vc_all = _vech(p)
        self.offdiag_rows = np.flatnonzero(vr_all != vc_all)
        pt = model.partable
        tau_rows = pt[(pt["op"] == "|") & (pt["group"] == 1)]
        pos = {name: k for k, name in enumerate(stats_.names)}
        # thresholds: partable order -> index in the statistics vector
        unknown = [f"{r.lhs} | {r.rhs}" for r in tau_rows.itertuples()
                   if f"{r.lhs}|{r.rhs}" not in pos]
        if unknown:
            raise ModelError(f"threshold(s) {unknown} do not exist: an item with K observed "
                             "response categories has thresholds t1 .. t(K-1)")
        self.tau_stat = np.array([pos[f"{r.lhs}|{r.rhs}"] for r in tau_rows.itertuples()],
                                 dtype=int)
        self.tau_free = tau_rows["free"].to_numpy(int) - 1
        self.n_th = stats_.n_thresholds
        self.n_stats = len(stats_.stats)

    def implied(self, theta: np.ndarray) -> np.ndarray:
        M = self.model.matrices(theta)[0]
        out = np.empty(self.n_stats)
        out[self.tau_stat] = M["tau"]
        L = M["lambda"]
        S = L @ M["psi"] @ L.T + M["theta"]
        out[self.n_th:] = S[self.vr, self.vc]
        return out

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        J = np.zeros((self.n_stats, self.model.n_free))
        free = self.tau_free >= 0
        J[self.tau_stat[free], self.tau_free[free]] = 1.0
        J[self.n_th:] = self.model.jacobian(theta)[0][self.offdiag_rows]
        return J


def _vech(p: int):
    c, r = np.triu_indices(p)
    return r, c


# ---------------------------------------------------------------------------------------
# estimation
# ---------------------------------------------------------------------------------------

# Levenberg-Marquardt of the DWLS fit: converged when the scaled gradient is below DWLS_TOL
# (rounding level; lavaan's nlminb stops at rel.tol = 1e-10); the damping starts at Marquardt's
# customary LM_LAMBDA0 and the fit gives up when it exceeds LM_LAMBDA_MAX (steps vanish)
DWLS_TOL = 1e-12
DWLS_MAX_ITER = 500
LM_LAMBDA0 = 1e-3
LM_LAMBDA_MAX = 1e12


def _dwls(dm: _DeltaModel, s: np.ndarray, w: np.ndarray, start: np.ndarray,
          max_iter: int = DWLS_MAX_ITER, tol: float = DWLS_TOL) -> tuple[np.ndarray, bool, int]:
    """Minimise 1/2 sum w (s - sigma(theta))^2 by Levenberg-Marquardt on the analytic Jacobian.

    The problem is small (parameters x statistics), so each step solves the normal equations
    directly; convergence is declared when the relative reduction of the objective and the
    scaled gradient are at rounding level (lavaan's nlminb uses rel.tol = 1e-10).
    """
    theta = start.copy()
    r = s - dm.implied(theta)
    f = 0.5 * float(np.sum(w * r * r))
    lam = LM_LAMBDA0
    for it in range(1, max_iter + 1):
        J = dm.jacobian(theta)
        wj = w[:, None] * J
        g = wj.T @ r
        H = J.T @ wj
        dH = np.maximum(np.diag(H), 1e-12)
        if np.max(np.abs(g) / np.sqrt(dH)) < tol * max(1.0, np.sqrt(2 * f)):
            return theta, True, it
        while True:
            try:
                step = np.linalg.solve(H + lam * np.diag(dH), g)
            except np.linalg.LinAlgError:
                step = None
            if step is not None:
                cand = theta + step
                rc = s - dm.implied(cand)
                fc = 0.5 * float(np.sum(w * rc * rc))
                if fc <= f:
                    break
            lam *= 10.0
            if lam > LM_LAMBDA_MAX:
                return theta, False, it
        small = np.max(np.abs(step)) < 1e-12 * (1 + np.max(np.abs(theta)))
        rel = (f - fc) <= 1e-15 * max(f, 1e-300)
        theta, r, f = cand, rc, fc
        lam = max(lam / 10.0, 1e-12)
        if small and rel:
            return theta, True, it
    return theta, False, max_iter


def _fit_profiled(dm: _DeltaModel, s: np.ndarray, w: np.ndarray, start: np.ndarray):
    """DWLS fit, with free unconstrained thresholds set to their sample values first.

    A threshold that is its own free parameter (the usual case) enters only its own
    statistic, so the DWLS optimum reproduces it exactly; the iteration then runs over the
    structural parameters only (a 35- instead of a 160-parameter problem for the bfi model).
    With constrained or fixed thresholds the full problem is solved.
    """
    free = dm.tau_free[dm.tau_free >= 0]
    J0 = dm.jacobian(start)
    only_tau = ~np.any(J0[dm.n_th:] != 0, axis=0)
    counts = np.bincount(free, minlength=len(start))
    separable = (len(free) == dm.n_th and np.all(counts[free] == 1)
                 and np.array_equal(np.flatnonzero(only_tau), np.sort(free)))
    if not separable:
        return _dwls(dm, s, w, start)
    start = start.copy()
    start[dm.tau_free] = s[dm.tau_stat]
    rest = np.setdiff1d(np.arange(len(start)), free)
    sub = _SubModel(dm, start, rest)
    cor = slice(dm.n_th, None)
    theta_r, ok, it = _dwls(sub, s[cor], w[cor], start[rest])
    theta = start.copy()
    theta[rest] = theta_r
    return theta, ok, it


class _SubModel:
    """The correlation part of a :class:`_DeltaModel` as a function of some parameters."""

    def __init__(self, dm: _DeltaModel, base: np.ndarray, idx: np.ndarray):
        self.dm, self.base, self.idx = dm, base, idx

    def _full(self, th):
        t = self.base.copy()
        t[self.idx] = th
        return t

    def implied(self, th):
        return self.dm.implied(self._full(th))[self.dm.n_th:]

    def jacobian(self, th):
        return self.dm.jacobian(self._full(th))[self.dm.n_th:][:, self.idx]


def _scaled_shifted(delta: np.ndarray, w: np.ndarray, gamma: np.ndarray, t: float, df: int):
    """lavaan's scaled-shifted (WLSMV) statistic: (T_scaled, 1/a, shift, tr(UG), tr(UG^2))."""
    wd = w[:, None] * delta
    info = delta.T @ wd
    # U Gamma with U = W - W D (D'WD)^-1 D'W, without forming U
    wg = w[:, None] * gamma
    ug = wg - wd @ np.linalg.solve(info, wd.T @ gamma)
    tr1 = float(np.trace(ug))
    tr2 = float(np.sum(ug * ug.T))
    if df <= 0 or tr2 <= 0:
        # saturated model: nothing to scale
        return 0.0, float("nan"), float("nan"), tr1, tr2
    a = float(np.sqrt(df / tr2))
    b = df - a * tr1
    return a * t + b, 1.0 / a, b, tr1, tr2


def _check_estimator(estimator: str) -> str:
    est = str(estimator).upper()
    if est not in ESTIMATORS:
        raise ModelError(f"estimator {estimator!r}: the WLS engine supports {list(ESTIMATORS)}")
    return est


def fit_wls(data: pd.DataFrame, model: str | ModelSyntax | Model, *,
            ordered: Sequence[str] | bool | None = True, estimator: str = "WLSMV",
            std_lv: bool = False) -> CFAResult:
    """Fit a CFA to ordinal items by DWLS on polychoric correlations (lavaan's WLSMV).

    Parameters
    ----------
    data : DataFrame
        Respondents x items; the model's items are used, rows with any of them missing are
        dropped (lavaan's listwise default).
    model : str, ModelSyntax or Model
        lavaan syntax (``F =~ x1 + x2 + x3``; factor covariances free by default) or a
        parsed / built model.
    ordered : list of str or True, default True
        The ordinal items (``True`` = every item of the model, as ``ordered = TRUE`` in
        lavaan). All of the model's items must be ordinal: mixed continuous/ordinal models
        are not supported.
    estimator : {"WLSMV", "DWLS"}
        ``WLSMV`` = DWLS estimates with robust (sandwich) SEs and the scaled-shifted test;
        ``DWLS`` = the same estimates with standard SEs and the unscaled test only.
    std_lv : bool
        Identify factors by fixing their variances to 1 instead of the first loading.

    Returns
    -------
    CFAResult
        ``estimator="DWLS"`` as lavaan reports it, ``test`` ``"scaled.shifted"`` (WLSMV) or
        ``"standard"``, ``se`` ``"robust.sem"`` or ``"standard"``; ``fit`` holds every
        lavaan ``fitMeasures`` value listed in the module docstring; ``estimates`` lavaan's
        ``parameterEstimates`` rows in lavaan's order (loadings, thresholds, variances and
        covariances, scaling factors ``~*~``, intercepts ``~1``).

    Notes
    -----
    See the module docstring for the formulas and lavaan's N / N - 1 conventions. Agrees with
    lavaan 0.6-14 ``cfa(model, data, ordered = TRUE, estimator = "WLSMV")`` on the bfi
    5-factor model (25 items, 6 categories; tests/test_ordinal.py): estimates within 7.5e-6,
    SEs within 5e-7, every fit measure within 1e-7 relative (chi-squares) or 1e-6
    (indices, robust ones included). Single group, all model items ordinal, listwise deletion;
    ``DWLS`` standard SEs (``(D'WD)^-1 / N``) are lavaan's formula but not covered by the
    reference.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=(1000, 1))
    >>> z = f @ np.full((1, 4), 0.7) + rng.normal(scale=0.71, size=(1000, 4))
    >>> df = pd.DataFrame(np.digitize(z, [-1, 0, 1]), columns=["a", "b", "c", "d"])
    >>> res = fit_wls(df, "F =~ a + b + c + d")
    >>> res.fit["df"], res.npar
    (2, 16)
    >>> round(res.fit["cfi.scaled"], 2)
    1.0
    """
    # over 80 lines only by its docstring: the body is the fit's ~30 steps in order
    est_name = _check_estimator(estimator)
    mdl, items, ordered_items, st = _model_and_stats(data, model, ordered, std_lv)
    dm = _DeltaModel(mdl, st)
    s, gamma, n = st.stats, st.nacov, st.n
    # lavaan 0.6-14 weights and sandwiches with NACOV * N / (N - 1) (found by matching its
    # SEs, fmin and chi-squares, which all agree on this factor); estimates are unaffected
    gamma = gamma * n / (n - 1)
    w = 1.0 / np.diag(gamma)

    start = mdl.start([st.corr])
    free_tau = dm.tau_free >= 0
    start[dm.tau_free[free_tau]] = s[dm.tau_stat[free_tau]]
    theta, converged, n_iter = _fit_profiled(dm, s, w, start)
    if not converged:
        raise ConvergenceError(f"DWLS estimation did not converge in {n_iter} iterations "
                               "(is the model identified?)")
    resid = s - dm.implied(theta)
    fmin = 0.5 * float(np.sum(w * resid * resid))
    chisq = 2.0 * n * fmin
    npar = mdl.n_free
    df = len(s) - npar
    delta = dm.jacobian(theta)
    vcov = _vcov(delta, w, gamma, n, robust=est_name == "WLSMV")
    fitd = _fit_measures(dm, st, theta, s, w, gamma, delta, chisq, df, n, npar, fmin, est_name)
    estimates = _estimates(mdl, st, theta, vcov)
    options = {"estimator": est_name, "missing": "listwise", "std_lv": bool(std_lv),
               "group": None, "group_equal": [], "ordered": list(ordered_items),
               "parameterization": "delta"}
    return CFAResult(
        estimates=estimates, fit=fitd, estimator="DWLS",
        test="scaled.shifted" if est_name == "WLSMV" else "standard",
        se="robust.sem" if est_name == "WLSMV" else "standard", n=n, nobs=[n], groups=None,
        converged=converged, npar=npar, observed=list(mdl.ov), latent=list(mdl.lv),
        options=options, iterations=n_iter, theta=theta, vcov=vcov, model=mdl)


def _model_and_stats(data, model, ordered, std_lv: bool):
    """The model, its items, the ordinal items and their thresholds/polychorics/NACOV."""
    if isinstance(model, Model):
        mdl = model
        items = list(mdl.ov)
    else:
        syn = parse(model) if isinstance(model, str) else model
        items = syn.observed
    if ordered is True or ordered is None:
        ordered_items = list(items)
    else:
        ordered_items = [str(v) for v in ordered]
    not_ordered = [v for v in items if v not in ordered_items]
    if not_ordered:
        raise ModelError(f"the WLS engine needs every model item ordinal; not ordered: "
                         f"{not_ordered} (mixed continuous/ordinal models are not supported)")
    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(data)
    absent = [v for v in items if v not in data.columns]
    if absent:
        raise MissingColumnError(f"the model needs column(s) {absent} that are not in the data")
    st = ordinal_stats(data[items], nacov=True)
    if not isinstance(model, Model):
        mdl = Model.from_syntax(syn, observed=items, meanstructure=True, std_lv=std_lv,
                                ordered={v: int(k) - 1 for v, k in zip(items, st.ncat)})
    if mdl.n_groups != 1:
        raise ModelError("the WLS engine fits single-group models only")
    return mdl, items, ordered_items, st


def _vcov(delta: np.ndarray, w: np.ndarray, gamma: np.ndarray, n: int, robust: bool):
    """Covariance of the estimates: lavaan's ``robust.sem`` sandwich (WLSMV) or the inverse
    of the DWLS information (DWLS ``standard``)."""
    wd = w[:, None] * delta
    info_inv = np.linalg.inv(delta.T @ wd)
    if robust:
        meat = wd.T @ gamma @ wd
        return info_inv @ meat @ info_inv / n
    # DWLS "standard": the inverse of the (unweighted-by-Gamma) information
    return info_inv / n


def _pval(x2: float, df: float) -> float:
    return float(stats.chi2.sf(x2, df)) if df > 0 else float("nan")


def _rmsea_block(out: dict, x2: float, df: float, nn: int, suffix: str = "",
                 c_hat: float = 1.0, x2_ci: float | None = None) -> None:
    """rmsea, its CI and close/not-close p-values under lavaan's names (+ suffix)."""
    x2_ci = x2 if x2_ci is None else x2_ci
    out["rmsea" + suffix] = fitmod.rmsea(x2, df, nn, c_hat=c_hat)
    lo, hi = fitmod.rmsea_ci(x2_ci, df, nn, c_hat=c_hat)
    out["rmsea.ci.lower" + suffix], out["rmsea.ci.upper" + suffix] = lo, hi
    out["rmsea.pvalue" + suffix] = fitmod.rmsea_pvalue(x2_ci, df, nn, c_hat=c_hat, h0=0.05)
    out["rmsea.notclose.pvalue" + suffix] = fitmod.rmsea_pvalue(x2_ci, df, nn, c_hat=c_hat,
                                                                h0=0.08, close=False)


def _incremental(out: dict, x2, df, x2b, dfb, suffix: str = "") -> None:
    out["cfi" + suffix] = out["rni" + suffix] = fitmod.cfi(x2, df, x2b, dfb)
    out["tli" + suffix] = out["nnfi" + suffix] = fitmod.tli(x2, df, x2b, dfb)
    for k, v in fitmod.incremental(x2, df, x2b, dfb).items():
        if k != "rni":
            out[k + suffix] = v


def _catml_robust(st: OrdinalStats, implied: np.ndarray, delta_r: np.ndarray,
                  w_r: np.ndarray, gamma_r: np.ndarray, n: int) -> dict | None:
    """Savalei's (2021) robust RMSEA/CFI ingredients for categorical data (lavaan's catML).

    ``XX3`` = N x the ML discrepancy between the polychoric matrix R and the implied
    correlation matrix at the DWLS estimates; ``c3 = tr(U' V U Gamma) / df`` with V the
    normal-theory ML weight of the correlations, ``U = I - D (D'WD)^-1 D'W``; the baseline
    uses ``-N log|R|`` and ``tr(Gamma) / p*``. None when R is not positive definite (lavaan:
    NA).
    """
    R = st.corr
    p = R.shape[0]
    if np.linalg.eigvalsh(R).min() < np.sqrt(np.finfo(float).eps):
        return None
    A = np.linalg.inv(implied)
    ii, jj = np.triu_indices(p, 1)
    V = A[np.ix_(ii, ii)] * A[np.ix_(jj, jj)] + A[np.ix_(ii, jj)] * A[np.ix_(jj, ii)]
    delta_r = delta_r[:, np.any(delta_r != 0, axis=0)]   # structural parameters only
    info = delta_r.T @ (w_r[:, None] * delta_r)
    U = np.eye(len(w_r)) - delta_r @ np.linalg.solve(info, delta_r.T * w_r[None, :])
    df3 = len(w_r) - np.linalg.matrix_rank(delta_r)
    f_ml = (np.linalg.slogdet(implied)[1] - np.linalg.slogdet(R)[1]
            + float(np.trace(R @ A)) - p)
    x3 = n * f_ml
    c3 = float(np.sum((U.T @ V @ U) * gamma_r.T)) / df3 if df3 > 0 else float("nan")
    x3b = -n * np.linalg.slogdet(R)[1]
    df3b = len(w_r)
    c3b = float(np.trace(gamma_r)) / df3b
    return {"x3": x3, "df3": df3, "c3": c3, "x3b": x3b, "df3b": df3b, "c3b": c3b}


def _fit_measures(dm, st, theta, s, w, gamma, delta, chisq, df, n, npar, fmin, est_name):
    nth = st.n_thresholds
    p = len(st.columns)
    nstat = len(s)
    nn = n - 1      # lavaan's lav_utils_get_ntotal for non-ML estimators
    scaled = est_name == "WLSMV"
    out: dict = {"npar": npar, "fmin": fmin, "chisq": chisq, "df": df,
                 "pvalue": _pval(chisq, df)}
    # baseline: thresholds free, correlations 0
    r = s[nth:]
    chisq_b = n * float(np.sum(w[nth:] * r * r))
    df_b = len(r)
    if scaled:
        t_s, c, shift, _, _ = _scaled_shifted(delta, w, gamma, chisq, df)
        delta_b = np.zeros((nstat, nth))
        delta_b[np.arange(nth), np.arange(nth)] = 1.0
        tb_s, cb, _, _, _ = _scaled_shifted(delta_b, w, gamma, chisq_b, df_b)
        out.update({"chisq.scaled": t_s, "df.scaled": df, "pvalue.scaled": _pval(t_s, df),
                    "chisq.scaling.factor": c, "chisq.shift.parameter": shift})
    out.update({"baseline.chisq": chisq_b, "baseline.df": df_b,
                "baseline.pvalue": _pval(chisq_b, df_b)})
    if scaled:
        out.update({"baseline.chisq.scaled": tb_s, "baseline.df.scaled": df_b,
                    "baseline.pvalue.scaled": _pval(tb_s, df_b),
                    "baseline.chisq.scaling.factor": cb})
    _incremental(out, chisq, df, chisq_b, df_b)
    if scaled:
        _incremental(out, t_s, df, tb_s, df_b, ".scaled")
        # robust CFI/TLI/RMSEA for categorical data (Savalei, 2021), lavaan's catML route;
        # it uses NACOV itself (not the N/(N-1) version the DWLS weights use)
        implied = np.eye(p)
        implied[dm.vr, dm.vc] = implied[dm.vc, dm.vr] = dm.implied(theta)[nth:]
        rob = _catml_robust(st, implied, delta[nth:], w[nth:],
                            gamma[nth:, nth:] * (n - 1) / n, n)
        if rob is None:
            for k in ("cfi.robust", "tli.robust", "nnfi.robust", "rni.robust",
                      "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust",
                      "rmsea.pvalue.robust", "rmsea.notclose.pvalue.robust"):
                out[k] = float("nan")
        else:
            x3, df3, c3 = rob["x3"], rob["df3"], rob["c3"]
            out["cfi.robust"] = out["rni.robust"] = fitmod.cfi(
                x3, df3, rob["x3b"], rob["df3b"], c_hat=c3, c_hat_b=rob["c3b"])
            out["tli.robust"] = out["nnfi.robust"] = fitmod.tli(
                x3, df3, rob["x3b"], rob["df3b"], c_hat=c3, c_hat_b=rob["c3b"])
    if not scaled:
        rob = None
    _rmsea_block(out, chisq, df, nn)
    out["rmsea.ci.level"] = 0.90
    out["rmsea.close.h0"], out["rmsea.notclose.h0"] = 0.05, 0.08
    if scaled:
        _rmsea_block(out, t_s, df, nn, ".scaled")
        if rob is not None:
            _rmsea_block(out, rob["x3"], rob["df3"], nn, ".robust", c_hat=rob["c3"],
                         x2_ci=rob["x3"] / rob["c3"])
    # residuals of the correlations (diagonal residuals are 0; thresholds fit exactly when
    # free); lavaan's rmr = srmr for correlations
    res = s[nth:] - dm.implied(theta)[nth:]
    ss = float(np.sum(res * res))
    nel = p * (p + 1) / 2
    out["rmr"] = out["srmr_bentler"] = float(np.sqrt(ss / (nel + nth)))
    out["rmr_nomean"] = out["srmr"] = out["srmr_bentler_nomean"] = float(np.sqrt(ss / nel))
    ncor = p * (p - 1) / 2
    out["crmr"] = float(np.sqrt(ss / (ncor + nth)))
    out["crmr_nomean"] = float(np.sqrt(ss / ncor)) if ncor else float("nan")
    # Hoelter's critical N, McDonald's MFI, GFI family and WRMR (lavaan's formulas, N - 1)
    if df > 0 and chisq > 0:
        out["cn_05"] = float(stats.chi2.ppf(0.95, df) / (chisq / nn) + 1)
        out["cn_01"] = float(stats.chi2.ppf(0.99, df) / (chisq / nn) + 1)
    out["mfi"] = float(np.exp(-0.5 * (chisq - df) / nn))
    e = s - dm.implied(theta)
    gfi = 1.0 - float(np.sum(w * e * e)) / float(np.sum(w * s * s))
    out["gfi"] = gfi
    out["agfi"] = 1.0 - (nstat / df) * (1.0 - gfi) if df > 0 else 1.0
    out["pgfi"] = df / nstat * gfi
    out["wrmr"] = float(np.sqrt(chisq / nstat))
    return {k: (int(v) if k in ("npar", "df", "df.scaled", "baseline.df", "baseline.df.scaled")
                else float(v)) for k, v in out.items()}


def _estimates(mdl: Model, st: OrdinalStats, theta: np.ndarray, vcov: np.ndarray) -> pd.DataFrame:
    """lavaan's parameterEstimates(standardized = TRUE) for the delta parameterization."""
    pt = mdl.estimates_frame(theta)
    M = mdl.matrices(theta)[0]
    L, P = M["lambda"], M["psi"]
    ov, lv = mdl.ov, mdl.lv
    common = np.diag(L @ P @ L.T)
    free = pt["free"].to_numpy()
    se = np.zeros(len(pt))
    k = free > 0
    se[k] = np.sqrt(np.maximum(np.diag(vcov)[free[k] - 1], 0.0))
    est = pt["est"].to_numpy(float).copy()
    # residual variances of ordinal items are 1 - diag(Lambda Psi Lambda') (not parameters)
    for i, r in enumerate(pt.itertuples(index=False)):
        if r.op == "~~" and r.lhs == r.rhs and r.lhs in ov and r.free == 0:
            est[i] = 1.0 - common[ov.index(r.lhs)]
    sd_lv = np.sqrt(np.diag(P))
    std_lv_col = np.empty(len(pt))
    for i, r in enumerate(pt.itertuples(index=False)):
        if r.op == "=~":
            std_lv_col[i] = est[i] * sd_lv[lv.index(r.lhs)]
        elif r.op == "~~" and r.lhs in lv:
            std_lv_col[i] = est[i] / (sd_lv[lv.index(r.lhs)] * sd_lv[lv.index(r.rhs)])
        else:
            std_lv_col[i] = est[i]
    # std.all: Sigma* has unit diagonal, so only residual covariances change: lavaan reports
    # them as residual correlations
    std_all = std_lv_col.copy()
    for i, r in enumerate(pt.itertuples(index=False)):
        if r.op == "~~" and r.lhs != r.rhs and r.lhs in ov:
            a, b = ov.index(r.lhs), ov.index(r.rhs)
            std_all[i] = est[i] / np.sqrt((1.0 - common[a]) * (1.0 - common[b]))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, est / se, np.nan)
    pval = 2 * stats.norm.sf(np.abs(z))
    q = stats.norm.ppf(0.975)
    out = pd.DataFrame({"lhs": pt["lhs"], "op": pt["op"], "rhs": pt["rhs"], "group": pt["group"],
                        "label": pt["label"].where(pt["label"].notna(), ""),
                        "free": pt["free"], "est": est, "se": se, "z": z, "pvalue": pval,
                        "ci.lower": est - q * se, "ci.upper": est + q * se,
                        "std.lv": std_lv_col, "std.all": std_all})
    out["rhs"] = out["rhs"].fillna("").astype(str)
    # scaling factors (fixed to 1 in the delta parameterization), as lavaan lists them
    scal = pd.DataFrame({"lhs": ov, "op": "~*~", "rhs": ov, "group": 1, "label": "", "free": 0,
                         "est": 1.0, "se": 0.0, "z": np.nan, "pvalue": np.nan,
                         "ci.lower": 1.0, "ci.upper": 1.0, "std.lv": 1.0, "std.all": 1.0})
    out = pd.concat([out, scal], ignore_index=True)
    # lavaan's order: loadings, thresholds, (co)variances, scaling factors, intercepts/means
    rank = out["op"].map({"=~": 0, "|": 1, "~~": 2, "~*~": 3, "~1": 4}).fillna(5)
    return out.iloc[np.argsort(rank.to_numpy(), kind="stable")].reset_index(drop=True)
