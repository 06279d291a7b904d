"""The shared ML estimation machinery of the CFA engines (complete-data ML/MLR and FIML).

An objective ("problem") offers ``fun(theta)`` (the discrepancy F), ``grad(theta)`` and
``hess(theta)`` (the expected Hessian, i.e. twice the per-respondent Fisher information);
:func:`minimize_objective` drives any such problem, :func:`numeric_hessian` differentiates
its analytic gradient once more (the observed information), and
:func:`information_inverse` inverts an information matrix as lavaan does (no standard errors
when it is singular).

References
----------
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
Statistical Software, 48(2).
Nocedal, J., & Wright, S. J. (2006). Numerical optimization (2nd ed.). Springer (BFGS,
backtracking with the Armijo condition, trust regions).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import optimize

from ..errors import ConvergenceError
from .result import CFAWarning

__all__ = ["minimize_objective", "numeric_hessian", "information_inverse"]

# Fisher-scoring warm-up: at most this many steps before BFGS takes over (enough to reach the
# region where BFGS converges superlinearly; measured on Holzinger-Swineford and bfi)
SCORING_STEPS = 5
# Armijo sufficient-decrease constant of the backtracking line search (Nocedal & Wright's
# customary 1e-4) and the step length below which scoring gives up
ARMIJO_C = 1e-4
MIN_STEP = 1e-6
# Gradient tolerance of BFGS / trust-exact: far below lavaan's nlminb stopping point, so the
# estimates agree with lavaan's to ~1e-5 and the tests' 1e-3 is never at stake
GTOL = 1e-10
MAXITER = 1000
# max |gradient| accepted as converged after BFGS, and after the trust-region fallback
# (the fallback stops on its own criterion; 1e-6 still leaves estimates within 1e-5)
CONVERGED_GRAD = 1e-7
CONVERGED_GRAD_FALLBACK = 1e-6
# Central-difference step of the numeric Hessian, relative to max(1, |theta_k|): about the
# cube root of machine epsilon (6e-6), the optimal order for central differences
HESSIAN_STEP = 1e-5
# Condition number above which an information matrix counts as singular (numerically rank
# deficient at double precision: 1/cond near 1e-14 leaves ~2 significant digits)
SINGULAR_COND = 1e14


def _sym_inv(H):
    Hi = np.linalg.inv(H)
    return (Hi + Hi.T) / 2


def _scoring(problem, x: np.ndarray, f: float) -> tuple[np.ndarray, int]:
    """Up to ``SCORING_STEPS`` Fisher-scoring steps with Armijo backtracking."""
    nit = 0
    for _ in range(SCORING_STEPS):
        g = problem.grad(x)
        try:
            step = np.linalg.solve(problem.hess(x), g)
        except np.linalg.LinAlgError:
            break
        a = 1.0
        while a > MIN_STEP:
            fn = problem.fun(x - a * step)
            if fn <= f - ARMIJO_C * a * (g @ step):
                break
            a /= 2
        if a <= MIN_STEP:
            break
        x, f = x - a * step, fn
        nit += 1
    return x, nit


def minimize_objective(problem, theta0: np.ndarray, what: str = "model"):
    """Fisher scoring to get close, then BFGS seeded with the inverse Fisher information.

    Scoring alone converges only linearly for a misfitting model; BFGS started from its
    curvature converges superlinearly (about 15 iterations for the Holzinger-Swineford model,
    versus 50 for a trust region on the Fisher Hessian). A trust-region fallback
    (``trust-exact`` on the expected Hessian) handles the rare case where this stalls.

    Returns
    -------
    theta : ndarray
        The estimates (the best found when not converged).
    nit : int
        Scoring plus optimiser iterations.
    ok : bool
        Converged (max |gradient| below ``CONVERGED_GRAD``, or ``CONVERGED_GRAD_FALLBACK``
        after the fallback); when not, a :class:`CFAWarning` says so, as lavaan returns its
        best solution with ``converged = FALSE``.
    """
    x = np.asarray(theta0, dtype=float).copy()
    f = problem.fun(x)
    if not np.isfinite(f):
        raise ConvergenceError(f"the start values of the {what} give a non-positive-definite "
                               "implied covariance matrix")
    x, nit = _scoring(problem, x, f)
    try:
        hinv = _sym_inv(problem.hess(x))
        np.linalg.cholesky(hinv)
        opts = {"gtol": GTOL, "maxiter": MAXITER, "hess_inv0": hinv}
    except np.linalg.LinAlgError:
        opts = {"gtol": GTOL, "maxiter": MAXITER}
    res = optimize.minimize(problem.fun, x, jac=problem.grad, method="BFGS", options=opts)
    x, nit = res.x, nit + int(res.nit)
    g = problem.grad(x)
    ok = bool(np.all(np.isfinite(x)) and np.isfinite(res.fun)
              and np.max(np.abs(g)) < CONVERGED_GRAD)
    if not ok:
        res2 = optimize.minimize(problem.fun, x if np.isfinite(res.fun) else theta0,
                                 jac=problem.grad, hess=problem.hess, method="trust-exact",
                                 options={"gtol": GTOL, "maxiter": MAXITER})
        if res2.fun <= problem.fun(x) or not np.isfinite(problem.fun(x)):
            x = res2.x
        nit += int(res2.nit)
        g = problem.grad(x)
        ok = bool(np.isfinite(problem.fun(x)) and np.max(np.abs(g)) < CONVERGED_GRAD_FALLBACK)
    if not ok:
        if not np.isfinite(problem.fun(x)):  # nothing usable to report
            raise ConvergenceError(f"the ML estimator found no admissible solution for the "
                                   f"{what}; check the model is identified and the items vary")
        # lavaan returns the best solution with converged = FALSE; so does this (stacklevel:
        # here <- the engine (ml/fiml) <- cfa <- blas_limited wrapper <- the caller)
        warnings.warn(f"the ML estimator did not converge for the {what} (max |gradient| = "
                      f"{np.max(np.abs(g)):.2g}): the estimates are the best found and not "
                      "reliable; check the model is identified", CFAWarning, stacklevel=5)
    return x, nit, ok


def numeric_hessian(grad, theta, h: float = HESSIAN_STEP):
    """Symmetrised central-difference Jacobian of ``grad`` at ``theta`` (step ``h`` relative
    to ``max(1, |theta_k|)``): the observed information from the analytic gradient, as
    lavaan's ``information = "observed"`` does numerically."""
    q = len(theta)
    H = np.zeros((q, q))
    for k in range(q):
        step = h * max(1.0, abs(theta[k]))
        tp, tm = theta.copy(), theta.copy()
        tp[k] += step
        tm[k] -= step
        H[:, k] = (grad(tp) - grad(tm)) / (2 * step)
    return (H + H.T) / 2


def information_inverse(A):
    """Inverse of an information matrix; NaN (no standard errors) when it is singular, as
    lavaan ("could not compute standard errors ... the model may not be identified")."""
    try:
        out = np.linalg.inv(A)
        if np.linalg.cond(A) > SINGULAR_COND:
            raise np.linalg.LinAlgError("ill-conditioned")
        return out
    except np.linalg.LinAlgError:
        warnings.warn("the information matrix could not be inverted: the model may not be "
                      "identified (check markers and equality constraints); no standard errors",
                      CFAWarning, stacklevel=5)
        return np.full(np.shape(A), np.nan)
