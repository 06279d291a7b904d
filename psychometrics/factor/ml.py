"""Complete-data maximum likelihood (ML and MLR) for the CFA, as lavaan's ``cfa()``.

:class:`MLProblem` is the ML discrepancy of a (multi-group) model with its analytic gradient
and expected Hessian; :func:`fit_ml` minimises it (:mod:`psychometrics.factor.estimation`)
and assembles the result: standard errors from the expected information (ML) or the
Huber-White sandwich with the observed information (MLR), the Yuan-Bentler (Mplus variant)
scaled test of model and baseline, and lavaan's fit measures. The conventions are listed in
:mod:`psychometrics.factor.cfa`.

References
----------
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
Statistical Software, 48(2).
Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based methods for mean and covariance
structure analysis with nonnormal missing data. Sociological Methodology, 30, 165-200.
"""

from __future__ import annotations

import math

import numpy as np

from ..distributions import stats  # scipy.stats' numbers without its import cost
from . import fit as fitm
from . import measures
from .data import CFAData
from .estimates import estimates_table
from .estimation import information_inverse, minimize_objective, numeric_hessian
from .model import Model, vech_indices
from .result import CFAResult

__all__ = ["MLProblem", "fit_ml"]

# Respondents per batch of the vectorised casewise scores (a batch x p* block) and of the
# Mahalanobis distances of the h1 trace (a batch x p block): bounds memory on 200k-row data;
# the numbers do not depend on the batch size (sums over rows)
SCORE_BATCH = 20_000
DISTANCE_BATCH = 50_000


def _vech_weights(p: int) -> np.ndarray:
    r, c = vech_indices(p)
    return np.where(r == c, 1.0, 2.0)


def _h_vech(A: np.ndarray) -> np.ndarray:
    """D' (A kron A) D for lavaan's vech: the Hessian of F_ML in the covariance elements."""
    p = A.shape[0]
    r, c = vech_indices(p)
    H = A[np.ix_(r, r)] * A[np.ix_(c, c)] + A[np.ix_(r, c)] * A[np.ix_(c, r)]
    w = np.where(r == c, 1.0, 2.0)
    return H * np.outer(w, w) / 2


class MLProblem:
    """F(theta) = sum_g (n_g/N) F_g, its gradient and expected Hessian (complete data)."""

    def __init__(self, model: Model, data: CFAData):
        self.model, self.data = model, data
        self.N = float(sum(data.nobs))
        self.w = [n / self.N for n in data.nobs]
        p = model.p
        self.vr, self.vc = vech_indices(p)
        self.vw = _vech_weights(p)
        self.logdetS = [np.linalg.slogdet(S)[1] for S in data.S]

    def _group_terms(self, theta):
        out = []
        for (Sig, mu), S, m in zip(self.model.implied(theta), self.data.S, self.data.m):
            try:
                L = np.linalg.cholesky(Sig)
            except np.linalg.LinAlgError:
                return None
            Li = np.linalg.inv(L)
            Sinv = Li.T @ Li
            logdet = 2 * np.log(np.diag(L)).sum()
            d = (m - mu) if mu is not None else np.zeros_like(m)
            out.append((Sig, Sinv, logdet, d, S))
        return out

    def fun_groups(self, theta):
        terms = self._group_terms(theta)
        if terms is None:
            return None
        p = self.model.p
        return [logdet + np.sum(S * Sinv) - lds - p + d @ Sinv @ d
                for (Sig, Sinv, logdet, d, S), lds in zip(terms, self.logdetS)]

    def fun(self, theta):
        f = self.fun_groups(theta)
        if f is None:
            return np.inf
        return float(sum(w * v for w, v in zip(self.w, f)))

    def grad(self, theta):
        terms = self._group_terms(theta)
        if terms is None:
            return np.full(len(theta), np.nan)
        g = np.zeros(len(theta))
        for J, w, (_sig, Sinv, _ld, d, S) in zip(self.model.jacobian(theta), self.w, terms):
            G = Sinv - Sinv @ (S + np.outer(d, d)) @ Sinv
            gv = self.vw * G[self.vr, self.vc]
            if self.model.meanstructure:
                gv = np.concatenate([gv, -2 * Sinv @ d])
            g += w * (J.T @ gv)
        return g

    def hess(self, theta):
        """Expected Hessian of F (twice the per-respondent expected information)."""
        terms = self._group_terms(theta)
        H = np.zeros((len(theta), len(theta)))
        if terms is None:
            return np.eye(len(theta))
        for J, w, (_sig, Sinv, *_rest) in zip(self.model.jacobian(theta), self.w, terms):
            W = _h_vech(Sinv)
            if self.model.meanstructure:
                W = _block(W, 2 * Sinv)
            H += w * (J.T @ W @ J)
        return H


def _block(A, B):
    out = np.zeros((A.shape[0] + B.shape[0],) * 2)
    out[:A.shape[0], :A.shape[0]] = A
    out[A.shape[0]:, A.shape[0]:] = B
    return out


# ---------------------------------------------------------------------- scores
def _casewise_scores(model: Model, data: CFAData, theta, J_list, batch: int = SCORE_BATCH):
    """Per group, B0_g = mean_i s_i s_i' (the first-order information), vectorised in row
    batches of ``batch`` respondents (bounded memory for 200k-row data).

    The score of respondent i is J' u_i with u_i = [w * vech(0.5 (z z' - Sigma^-1)); z],
    z = Sigma^-1 (x_i - mu) (mu = sample mean without a mean structure).
    """
    p = model.p
    vr, vc = vech_indices(p)
    vw = _vech_weights(p)
    out = []
    for (Sig, mu), J, X, m in zip(model.implied(theta), J_list, data.X, data.m):
        Sinv = np.linalg.inv(Sig)
        center = mu if mu is not None else m
        q = J.shape[1]
        B = np.zeros((q, q))
        sinv_v = 0.5 * vw * Sinv[vr, vc]
        for start in range(0, len(X), batch):
            Z = (X[start:start + batch] - center) @ Sinv
            U = 0.5 * vw * Z[:, vr] * Z[:, vc] - sinv_v
            if mu is not None:
                U = np.concatenate([U, Z], axis=1)
            Sc = U @ J
            B += Sc.T @ Sc
        out.append(B / len(X))
    return out


def _h1_trace(X, S, m, meanstructure: bool,
              batch: int = DISTANCE_BATCH) -> tuple[float, int]:
    """trace(A1^-1 B1) of the unstructured h1 model (normal-theory A1, first-order B1).

    With Mahalanobis distances d_i = (x_i - m)' S^-1 (x_i - m) this is
    0.5 (mean d^2 - 2 mean d + p) [+ mean d with means], no pstar x pstar matrix needed.
    """
    p = S.shape[0]
    Sinv = np.linalg.inv(S)
    d = np.concatenate([np.einsum("ij,ij->i", (X[s:s + batch] - m) @ Sinv, X[s:s + batch] - m)
                        for s in range(0, len(X), batch)])
    tr = 0.5 * (np.mean(d ** 2) - 2 * np.mean(d) + p)
    ndat = p * (p + 1) // 2
    if meanstructure:
        tr += np.mean(d)
        ndat += p
    return float(tr), ndat


def _ybm(mdl, data, problem, theta, Ainv, B0, df, chisq, ms) -> dict:
    """Yuan-Bentler (Mplus variant) scaling: lavaan's ``lav_test_yuan_bentler_mplus_trace``."""
    h1 = h0 = 0.0
    ndat = 0
    for w, X, S, m, b0 in zip(problem.w, data.X, data.S, data.m, B0):
        t1, nd = _h1_trace(X, S, m, ms)
        h1 += t1
        ndat += nd
        h0 += w * float(np.sum(b0 * Ainv.T))
    if df <= 0:
        return {"chisq": chisq, "pvalue": float("nan"), "c": float("nan"),
                "h1": h1 / ndat, "h0": h0 / mdl.n_free}
    c = (h1 - h0) / df
    xs = chisq / c
    return {"chisq": xs, "pvalue": float(stats.chi2.sf(xs, df)), "c": c,
            "h1": h1 / ndat, "h0": h0 / mdl.n_free}


def _baseline_ybm(data, ms, dfb, x2b) -> dict:
    """Scaled chi-square of the independence model (diagonal Sigma, free means)."""
    N = float(sum(data.nobs))
    p = data.S[0].shape[0]
    G = len(data.nobs)
    q1 = p + (p if ms else 0)
    q = G * q1
    A = np.zeros((q, q))
    Bs = []
    h1 = 0.0
    for g, (X, S, m, n) in enumerate(zip(data.X, data.S, data.m, data.nobs)):
        sl = slice(g * q1, (g + 1) * q1)
        v = np.diag(S)
        # per respondent information of the diagonal model: 1/(2 v^2) and 1/v (means)
        a = 1 / (2 * v ** 2)
        if ms:
            a = np.concatenate([a, 1 / v])
        A[sl, sl] = np.diag(n / N * a)
        E = X - m
        U = 0.5 * (E ** 2 / v ** 2 - 1 / v)
        if ms:
            U = np.concatenate([U, E / v], axis=1)
        Bg = np.zeros((q, q))
        Bg[sl, sl] = U.T @ U / n
        Bs.append(Bg)
        t1, _ = _h1_trace(X, S, m, ms)
        h1 += t1
    Ainv = np.linalg.inv(A)
    h0 = sum(n / N * float(np.sum(b * Ainv.T)) for n, b in zip(data.nobs, Bs))
    c = (h1 - h0) / dfb
    xs = x2b / c
    return {"chisq": xs, "pvalue": float(stats.chi2.sf(xs, dfb)), "c": c}


# ====================================================================== fit
def fit_ml(mdl: Model, data: CFAData, est: str, options: dict) -> CFAResult:
    """Fit a complete-data (multi-group) CFA by ML and assemble lavaan's output."""
    problem = MLProblem(mdl, data)
    theta, nit, ok = minimize_objective(problem, mdl.start(data.S, data.m))
    N = int(sum(data.nobs))
    G = len(data.nobs)
    df = measures.model_df(mdl, G)
    fg = problem.fun_groups(theta)
    chisq = max(float(sum(n * f for n, f in zip(data.nobs, fg))), 0.0)
    J = mdl.jacobian(theta)
    # information (per respondent): expected and, for MLR, observed
    if est == "MLR":
        A = 0.5 * numeric_hessian(problem.grad, theta)
        B0 = _casewise_scores(mdl, data, theta, J)
        B = sum(w * b for w, b in zip(problem.w, B0))
        Ainv = information_inverse(A)
        vcov = Ainv @ B @ Ainv / N
    else:
        Ainv, B0 = information_inverse(0.5 * problem.hess(theta)), None
        vcov = Ainv / N
    f = _fit_measures(mdl, data, problem, theta, chisq, df, est, Ainv, B0)
    estimates = estimates_table(mdl, theta, vcov, G > 1)
    return CFAResult(
        estimates=estimates, fit=f, estimator="ML", options=options,
        test="yuan.bentler.mplus" if est == "MLR" else "standard",
        se="robust.huber.white" if est == "MLR" else "standard", n=N, nobs=list(data.nobs),
        groups=data.labels, converged=ok, npar=mdl.n_free, observed=list(mdl.ov),
        latent=list(mdl.lv), iterations=nit, theta=theta, vcov=vcov, model=mdl)


def _logliks(mdl: Model, data: CFAData, implied) -> tuple[float, float]:
    """Normal log-likelihood of the model and of the saturated (h1) model, with means."""
    p = mdl.p
    logl = 0.0
    logl_h1 = 0.0
    for n, (Sig, mu), S, m in zip(data.nobs, implied, data.S, data.m):
        Sinv = np.linalg.inv(Sig)
        d = (m - mu) if mu is not None else np.zeros(p)
        logl += -n / 2 * (p * math.log(2 * math.pi) + np.linalg.slogdet(Sig)[1]
                          + np.sum(S * Sinv) + d @ Sinv @ d)
        logl_h1 += -n / 2 * (p * math.log(2 * math.pi) + np.linalg.slogdet(S)[1] + p)
    return logl, logl_h1


def _fit_measures(mdl, data, problem, theta, chisq, df, est, Ainv, B0) -> dict:
    """lavaan's ``fitMeasures`` of an ML/MLR fit, in lavaan's order."""
    N = int(sum(data.nobs))
    G = len(data.nobs)
    p = mdl.p
    npar = mdl.n_free
    ms = mdl.meanstructure
    mlr = est == "MLR"
    implied = mdl.implied(theta)
    logl, logl_h1 = _logliks(mdl, data, implied)
    # baseline (independence) model: diag(S), means saturated
    x2b = measures.independence_chisq(data.S, data.nobs)
    dfb = G * p * (p - 1) // 2
    f = measures.test_entries(npar, chisq, df, N)
    if mlr:
        scaled = _ybm(mdl, data, problem, theta, Ainv, B0, df, chisq, ms)
        base = _baseline_ybm(data, ms, dfb, x2b)
        xs, c, xbs, cb = scaled["chisq"], scaled["c"], base["chisq"], base["c"]
        f.update(measures.scaled_entries(xs, df, c))
    f.update(measures.baseline_entries(x2b, dfb, (xbs, cb) if mlr else None))
    f.update(measures.incremental_entries(chisq, df, x2b, dfb,
                                          scaled=(xs, xbs) if mlr else None,
                                          robust=(chisq, x2b, c, cb) if mlr else None))
    if mlr:
        f["nnfi.robust"] = f["tli.robust"]
        f["rni.robust"] = f["cfi.robust"]
    f.update({"logl": logl, "unrestricted.logl": logl_h1})
    # lavaan's AIC/BIC count the model's free parameters only (not saturated means)
    f.update(fitm.information_criteria(logl, npar, N))
    f["ntotal"] = N
    if mlr:
        f["scaling.factor.h1"] = scaled["h1"]
        f["scaling.factor.h0"] = scaled["h0"]
    f.update(fitm.rmsea_measures(chisq, df, N, G, chisq_scaled=xs if mlr else None,
                                 c=c if mlr else None))
    if mlr:
        f.update(measures.rmsea_robust_entries(chisq, xs, df, N, G, c))
    f.update(measures.srmr_entries(list(zip(data.S, data.m)), implied, data.nobs, means=ms))
    return f
