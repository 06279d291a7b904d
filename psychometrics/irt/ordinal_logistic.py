"""Proportional-odds (cumulative logit) regression by Newton-Raphson, for logistic DIF.

``P(Y >= k | x) = 1 / (1 + exp(-(alpha_k + x' beta)))``, ``k = 1..m``, ``alpha_1 > ... >
alpha_m`` (the same model as R's ``MASS::polr`` and ``rms::lrm``, up to the sign convention
of the intercepts). Vectorised over respondents; analytic gradient and Hessian.

References
----------
McCullagh, P. (1980). Regression models for ordinal data. JRSS B, 42, 109-142.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ..errors import ConvergenceError

__all__ = ["OrdinalFit", "fit_ordinal_logistic"]


@dataclass(frozen=True)
class OrdinalFit:
    """Intercepts ``alpha`` (decreasing), slopes ``beta``, ``loglik``, ``vcov``, ``n``."""

    alpha: np.ndarray
    beta: np.ndarray
    loglik: float
    vcov: np.ndarray
    n: int
    iterations: int


#: Floor of a category probability before its log (an empty category stays finite).
TINY = 1e-300
#: Starting intercepts: cumulative proportions clipped to [CLIP, 1 - CLIP] (finite logits).
CLIP = 1e-6
#: Convergence: the log-likelihood changed by less than ``tol`` (relative) and no parameter
#: moved more than STEP_TOL; a step is uphill when the log-likelihood falls by less than
#: UPHILL_RTOL (relative): round-off at the optimum.
STEP_TOL = 1e-7
UPHILL_RTOL = 1e-12
MAX_HALVINGS = 40


def _pieces(y, X, alpha, beta):
    """log-likelihood terms and the derivatives of log P(Y = y) w.r.t. (alpha, beta)."""
    m = alpha.size
    a_ext = np.concatenate([[np.inf], alpha, [-np.inf]])
    xb = X @ beta if X.shape[1] else np.zeros(y.size)
    eu = a_ext[y] + xb                 # eta of P(Y >= y)
    el = a_ext[y + 1] + xb             # eta of P(Y >= y + 1)
    Fu, Fl = special.expit(eu), special.expit(el)
    # P = Fu - Fl computed on the side without cancellation
    P = np.where(el > 0, special.expit(-el) - special.expit(-eu), Fu - Fl)
    P = np.maximum(P, TINY)
    fu, fl = Fu * (1 - Fu), Fl * (1 - Fl)
    fpu, fpl = fu * (1 - 2 * Fu), fl * (1 - 2 * Fl)
    n, p = X.shape
    # d eta_u / d theta = (e_y, X), d eta_l / d theta = (e_{y+1}, X); alpha_0/alpha_{m+1}
    # are fixed at +-inf (their densities are 0)
    Vu = np.zeros((n, m + p))
    Vl = np.zeros((n, m + p))
    rows = np.arange(n)
    iu = y - 1
    il = y
    Vu[rows[iu >= 0], iu[iu >= 0]] = 1.0
    Vl[rows[il < m], il[il < m]] = 1.0
    Vu[:, m:] = X
    Vl[:, m:] = X
    s = (fu[:, None] * Vu - fl[:, None] * Vl) / P[:, None]
    H = (np.einsum("n,na,nb->ab", fpu / P, Vu, Vu) - np.einsum("n,na,nb->ab", fpl / P, Vl, Vl)
         - s.T @ s)
    return float(np.sum(np.log(P))), s.sum(axis=0), H


def fit_ordinal_logistic(y: np.ndarray, X: np.ndarray, *, max_iter: int = 100,
                         tol: float = 1e-10) -> OrdinalFit:
    """Fit the proportional-odds model by Newton-Raphson with step halving.

    Parameters
    ----------
    y : int array
        Categories 0..m (every category should occur; empty ones have no finite intercept).
    X : 2-D array
        Predictors (no constant column); may have zero columns (the null model).

    References
    ----------
    McCullagh, P. (1980). Regression models for ordinal data. JRSS B, 42, 109-142.
    Agresti, A. (2010). *Analysis of Ordinal Categorical Data* (2nd ed.). Wiley, ch. 3.
    """
    y = np.asarray(y, int)
    X = np.asarray(X, float).reshape(y.size, -1)
    m = int(y.max())
    cum = np.array([(y >= k).mean() for k in range(1, m + 1)])
    alpha = special.logit(np.clip(cum, CLIP, 1 - CLIP))
    beta = np.zeros(X.shape[1])
    ll, g, H = _pieces(y, X, alpha, beta)
    for it in range(1, max_iter + 1):  # noqa: B007 (reported as iterations)
        try:
            step = np.linalg.solve(-H, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(-H, g, rcond=None)[0]
        t = 1.0
        for _ in range(MAX_HALVINGS):
            a_new = alpha + t * step[:m]
            b_new = beta + t * step[m:]
            if np.all(np.diff(a_new) < 0):
                ll_new, g_new, H_new = _pieces(y, X, a_new, b_new)
                if ll_new >= ll - UPHILL_RTOL * abs(ll):
                    break
            t /= 2
        else:
            raise ConvergenceError("ordinal logistic regression: no step improves the "
                                   "likelihood (separated data?)")
        done = abs(ll_new - ll) < tol * max(1.0, abs(ll)) and np.max(np.abs(t * step)) < STEP_TOL
        alpha, beta, ll, g, H = a_new, b_new, ll_new, g_new, H_new
        if done:
            break
    else:
        raise ConvergenceError(f"ordinal logistic regression did not converge in {max_iter} "
                               "Newton steps (separated data or a category chosen by almost "
                               "nobody?)")
    try:
        vcov = np.linalg.inv(-H)
    except np.linalg.LinAlgError:
        vcov = np.full(H.shape, np.nan)
    return OrdinalFit(alpha=alpha, beta=beta, loglik=ll, vcov=vcov, n=int(y.size),
                      iterations=it)
