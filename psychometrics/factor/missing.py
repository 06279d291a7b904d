"""Missing-data patterns and the EM saturated (h1) moments of incomplete normal data.

Respondents are grouped by the set of items they answered; each pattern is reduced to its
count, mean and covariance (:func:`missing_patterns`), so the casewise normal log-likelihood
(:func:`loglik`) and the EM algorithm (:func:`em_moments`, lavaan's
``lav_mvnorm_missing_h1_estimate_moments``) cost one small inverse per pattern. Used by the
FIML engine (:mod:`psychometrics.factor.fiml`).

References
----------
Little, R. J. A., & Rubin, D. B. (2002). Statistical analysis with missing data (2nd ed.).
Wiley (EM for the multivariate normal, ch. 11).
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
Statistical Software, 48(2).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._checks import check_items
from .._results import Result, format_table
from ..errors import ConvergenceError, DataError
from ..threads import blas_limited
from .model import vech_indices

__all__ = ["Patterns", "missing_patterns", "loglik", "EMResult", "em_estimate", "em_moments",
           "check_variation", "LOG2PI"]

LOG2PI = math.log(2 * math.pi)
# EM stops when no mean or covariance changes by more than this: tighter than lavaan's
# 1e-5/1e-6 so that ``unrestricted.logl`` is the maximum to the digits lavaan prints
EM_TOL = 1e-10
# iteration cap of EM; far above what the tests' data need (a few hundred at most)
EM_MAX_ITER = 10_000


# ====================================================================== patterns
@dataclass
class _Pattern:
    """Respondents sharing one set of answered items, reduced to sufficient statistics."""

    obs: np.ndarray  # indices of the answered items
    mis: np.ndarray  # indices of the missing items
    Y: np.ndarray  # n_k x p_o answers
    n: int
    mean: np.ndarray  # pattern mean of the answered items
    cov: np.ndarray  # pattern covariance (divided by n_k)
    vpos: np.ndarray  # positions of the pattern's (r, c) pairs in the full vech


class Patterns:
    """The missing-data patterns of one group, with stacked arrays for batched algebra.

    ``pats`` lists the patterns; ``n`` (K,), ``mask`` (K, p), ``mean`` (K, p) and ``cov``
    (K, p, p) hold their counts, answered-item masks, means and covariances embedded in the
    full p items (zeros where an item is missing), so a quantity summed over patterns is one
    einsum instead of a Python loop.
    """

    def __init__(self, pats: list[_Pattern], p: int):
        self.pats, self.p = pats, p
        K = len(pats)
        self.n = np.array([pat.n for pat in pats], dtype=float)
        self.N = int(self.n.sum())
        self.mask = np.zeros((K, p), dtype=bool)
        self.mean = np.zeros((K, p))
        self.cov = np.zeros((K, p, p))
        for k, pat in enumerate(pats):
            self.mask[k, pat.obs] = True
            self.mean[k, pat.obs] = pat.mean
            self.cov[k][np.ix_(pat.obs, pat.obs)] = pat.cov
        self.n_obs = self.mask.sum(axis=1)
        # patterns batched by their number of missing items (for the inverse update)
        sizes = p - self.n_obs
        self.by_size = []
        for s in np.unique(sizes):
            ks = np.flatnonzero(sizes == s)
            m = self.mask[ks].astype(float)
            self.by_size.append((ks, np.array([pats[k].mis for k in ks], dtype=int),
                                 m[:, :, None] * m[:, None, :]))

    def inverses(self, Sigma: np.ndarray):
        """Embedded inverses of the answered blocks (K, p, p) and their log-determinants.

        Uses Sigma_oo^-1 = [S^-1 - S^-1_.m (S^-1_mm)^-1 S^-1_m.] (rows/columns m are then
        zero), so one p x p inverse serves every pattern. Returns (None, None) if Sigma is
        not positive definite.
        """
        try:
            L = np.linalg.cholesky(Sigma)
        except np.linalg.LinAlgError:
            return None, None
        Li = np.linalg.inv(L)
        Si = Li.T @ Li
        logdet_full = 2 * np.log(np.diag(L)).sum()
        K, p = len(self.pats), self.p
        P = np.empty((K, p, p))
        logdet = np.empty(K)
        for ks, mis, keep in self.by_size:
            if mis.shape[1] == 0:
                P[ks] = Si
                logdet[ks] = logdet_full
                continue
            A = Si[:, mis].transpose(1, 0, 2)  # (K_s, p, s): S^-1[:, m]
            Smm = A[np.arange(len(ks))[:, None], mis]  # (K_s, s, s)
            sign, ld = np.linalg.slogdet(Smm)
            if np.any(sign <= 0):
                return None, None
            Pk = Si - A @ np.linalg.solve(Smm, A.transpose(0, 2, 1))
            # symmetrise and zero the missing rows/columns (exactly zero up to rounding)
            P[ks] = (Pk + Pk.transpose(0, 2, 1)) * (0.5 * keep)
            # |Sigma_oo| = |Sigma| |(Sigma^-1)_mm|
            logdet[ks] = logdet_full + ld
        return P, logdet

    def weighted(self, mu: np.ndarray):
        """Centred pattern means d (K, p) and W = cov + d d' (K, p, p)."""
        d = np.where(self.mask, self.mean - mu, 0.0)
        return d, self.cov + d[:, :, None] * d[:, None, :]


def missing_patterns(X: np.ndarray) -> Patterns:
    """Group the rows of ``X`` (NaN = missing) by missing-data pattern; all-missing rows dropped."""
    p = X.shape[1]
    answered = ~np.isnan(X)
    keep = answered.any(axis=1)
    X, answered = X[keep], answered[keep]
    pats, inv = np.unique(answered, axis=0, return_inverse=True)
    inv = np.asarray(inv).ravel()
    vr, vc = vech_indices(p)
    out = []
    for k, pat in enumerate(pats):  # loop over patterns, vectorised within
        obs = np.flatnonzero(pat)
        Y = X[inv == k][:, obs]
        mean = Y.mean(axis=0)
        E = Y - mean
        vpos = np.flatnonzero(pat[vr] & pat[vc])
        out.append(_Pattern(obs, np.flatnonzero(~pat), Y, len(Y), mean, E.T @ E / len(Y), vpos))
    return Patterns(out, p)


def loglik(patterns: Patterns, mu: np.ndarray, Sigma: np.ndarray) -> float:
    """Casewise normal log-likelihood summed over respondents (lavaan's ``logl``)."""
    P, logdet = patterns.inverses(Sigma)
    if P is None:
        return -np.inf
    _, W = patterns.weighted(mu)
    dist = np.einsum("kij,kij->k", P, W)
    return float(-0.5 * np.sum(patterns.n * (patterns.n_obs * LOG2PI + logdet + dist)))


# ====================================================================== EM (h1)
@dataclass(frozen=True)
class EMResult(Result):
    """Saturated-model moments under missing data.

    Attributes
    ----------
    mean : Series
        EM means of the items.
    cov : DataFrame
        EM covariance matrix (divided by N, the ML estimate).
    logl : float
        Maximised log-likelihood of the saturated model (lavaan's ``unrestricted.logl``).
    n : int
        Respondents with at least one answer.
    iterations : int
    """

    mean: pd.Series
    cov: pd.DataFrame
    logl: float
    n: int
    iterations: int

    def summary(self) -> str:
        head = (f"EM saturated moments: n = {self.n}, logl = {self.logl:.3f}, "
                f"{self.iterations} iterations")
        return "\n\n".join([head, format_table(self.mean.to_frame("mean").T, "Means"),
                              format_table(self.cov, "Covariances")])


def em_estimate(patterns: Patterns, p: int, tol: float = EM_TOL, max_iter: int = EM_MAX_ITER):
    """EM for (mu, Sigma) from pattern statistics; returns (mu, Sigma, iterations).

    E-step for all patterns at once: with P_k the embedded inverse of the answered block,
    L_k = Sigma P_k maps a centred answer vector to its conditional expectation
    (identity on the answered items, the regression Sigma_mo Sigma_oo^-1 on the missing
    ones) and Sigma - L_k Sigma is the conditional covariance (zero on the answered items).
    """
    N, n = patterns.N, patterns.n
    # lavaan's start: available-case means and variances, zero covariances
    cnt = n @ patterns.mask
    mu = (n @ patterns.mean) / cnt
    d = np.where(patterns.mask, patterns.mean - mu, 0.0)
    var = (n @ (np.einsum("kii->ki", patterns.cov) + d ** 2)) / cnt
    Sigma = np.diag(var)
    for it in range(1, max_iter + 1):
        P, _ = patterns.inverses(Sigma)
        if P is None:
            raise ConvergenceError("EM for the saturated (h1) moments reached a covariance "
                                   "matrix that is not positive definite")
        d, _ = patterns.weighted(mu)
        L = Sigma @ P  # (K, p, p)
        xhat = mu + np.einsum("kij,kj->ki", L, d)
        T1 = n @ xhat
        LcL = L @ patterns.cov @ L.transpose(0, 2, 1)
        C = Sigma - L @ Sigma
        T2 = np.einsum("k,kij->ij", n, LcL + C) + (xhat * n[:, None]).T @ xhat
        mu_new = T1 / N
        Sig_new = T2 / N - np.outer(mu_new, mu_new)
        Sig_new = (Sig_new + Sig_new.T) / 2
        delta = max(np.max(np.abs(mu_new - mu)), np.max(np.abs(Sig_new - Sigma)))
        mu, Sigma = mu_new, Sig_new
        if delta < tol:
            return mu, Sigma, it
    raise ConvergenceError(f"EM for the saturated (h1) moments did not converge in {max_iter} "
                           f"iterations (last change {delta:.2g}); too much missing data?")


@blas_limited
def em_moments(data, columns=None, *, tol: float = EM_TOL) -> EMResult:
    """Means and covariances of incomplete normal data by EM (the FIML saturated model).

    Parameters
    ----------
    data : DataFrame
        Respondents x items, NaN for missing answers; rows with no answer are ignored.
    columns : list of str, optional
        Items to use (default: all columns).
    tol : float
        Stop when no mean or covariance changes by more than ``tol`` in an iteration.

    Returns
    -------
    EMResult

    Notes
    -----
    The ML estimates of the saturated normal model under missing at random, as lavaan's
    ``lavInspect(fit, "sampstat.h1")`` (``lav_mvnorm_missing_h1_estimate_moments``, same
    starting values); lavaan stops at a change of 1e-5 or 1e-6 and agrees to that precision.
    With complete data they are the sample means and the covariance divided by N.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from psychometrics.factor.missing import em_moments
    >>> df = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [2.0, 1, 4, 3, np.nan]})
    >>> res = em_moments(df)
    >>> float(round(res.mean["b"], 6)), res.n  # b's available-case mean is 2.5
    (2.8, 5)
    >>> sorted(res.to_dict())
    ['cov', 'iterations', 'logl', 'mean', 'n']
    """
    frame = data if columns is None else data[list(columns)]
    items = check_items(frame, min_items=1, min_rows=2)
    X = items.values
    pats = missing_patterns(X)
    check_variation(X, items.columns)
    mu, Sigma, it = em_estimate(pats, X.shape[1], tol=tol)
    cols = items.columns
    return EMResult(pd.Series(mu, index=cols), pd.DataFrame(Sigma, index=cols, columns=cols),
                    loglik(pats, mu, Sigma), pats.N, it)


def check_variation(X: np.ndarray, names, where: str = "") -> None:
    """DataError naming the items with fewer than 2 answers or zero variance."""
    n_obs = (~np.isnan(X)).sum(axis=0)
    with warnings.catch_warnings():  # an all-missing item is reported below
        warnings.simplefilter("ignore", RuntimeWarning)
        sd = np.nanstd(X, axis=0) if X.size else np.zeros(0)
    bad = [names[j] for j in range(X.shape[1]) if n_obs[j] < 2 or not sd[j] > 0]
    if bad:
        raise DataError(f"item(s) {bad} have fewer than 2 answers or zero variance{where}")
