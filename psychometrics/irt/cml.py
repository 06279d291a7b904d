"""Conditional maximum likelihood (CML) for the Rasch family, as eRm fits it.

The model (eRm's parameterisation): ``P(X_vi = h) ∝ exp(h θ_v + β_ih)``, ``β_i0 = 0``, where
``β`` are *easiness* parameters. Conditioning on the raw score ``r_v`` removes ``θ``:

    log L_c = Σ_ih s_ih β_ih − Σ_v log γ_{r_v}(ε over the items v answered),

with ``ε_ih = exp(β_ih)`` and ``γ`` the elementary symmetric functions (the coefficients of
``Π_i (1 + Σ_h ε_ih x^h)``). Persons are grouped by their pattern of answered items, so the
γ's are computed once per pattern, never per respondent.

The free parameters ``η`` map to ``β = W η`` through eRm's design matrices (sum-zero
normalisation, ``sum0 = TRUE``). The log-likelihood is concave in ``β`` (an exponential
family), so Newton's method with step halving converges from ``η = 0``; the gradient and the
Hessian are analytic (the Hessian is minus the conditional covariance of the category
indicators given the raw score), where eRm uses ``nlm`` with a finite-difference Hessian: the
two agree to far better than the 1e-3 the tests ask.

References
----------
Andersen, E. B. (1972). The numerical solution of a set of conditional estimation equations.
*Journal of the Royal Statistical Society B*, 34, 42-54.
Fischer, G. H., & Molenaar, I. W. (Eds.) (1995). *Rasch Models*. Springer, ch. 3 and 15.
Mair, P., & Hatzinger, R. (2007). Extended Rasch modeling: The eRm package. *Journal of
Statistical Software*, 20(9).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ModelError

MODELS = ("RM", "PCM", "RSM")


def design_matrix(model: str, m: np.ndarray) -> np.ndarray:
    """eRm's design matrix ``W`` (``β = W η``) with the sum-zero normalisation.

    Parameters
    ----------
    model : {"RM", "PCM", "RSM"}
    m : array of int
        Highest category of each item (1 for dichotomous items).

    Returns
    -------
    ndarray, shape (Σ m_i, n_free)
        RM and PCM: the first parameter is minus the sum of the others (all ``β_ih`` sum to
        0). RSM: ``β_ih = h η_i + ω_h`` with ``η_1 = −Σ_{i>1} η_i`` and ``ω_1 = 0``.
    """
    m = np.asarray(m, dtype=int)
    n_beta = int(m.sum())
    if model in ("RM", "PCM"):
        return np.vstack([-np.ones((1, n_beta - 1)), np.eye(n_beta - 1)])
    k, hmax = len(m), int(m[0])
    w = np.zeros((k * hmax, (k - 1) + (hmax - 1)))
    for i in range(k):
        for h in range(1, hmax + 1):
            row = i * hmax + h - 1
            if i == 0:
                w[row, :k - 1] = -h
            else:
                w[row, i - 1] = h
            if h >= 2:
                w[row, k - 1 + h - 2] = 1.0
    return w


@dataclass(frozen=True)
class Patterns:
    """Sufficient statistics of a response matrix for CML.

    ``s`` counts the answers in each category ``h >= 1`` of each item (the order of ``β``);
    for every pattern of answered items, ``items`` lists them and ``counts[r]`` is the number
    of persons with that pattern and raw score ``r``.
    """

    m: np.ndarray
    offsets: np.ndarray
    s: np.ndarray
    items: tuple
    counts: tuple
    pattern_of_row: np.ndarray
    raw_score: np.ndarray
    max_score: np.ndarray

    @property
    def n_beta(self) -> int:
        return int(self.m.sum())


def prepare(x: np.ndarray, m: np.ndarray) -> Patterns:
    """Group respondents by answered-item pattern and tabulate raw scores.

    Parameters
    ----------
    x : ndarray (n, k) of float
        Answers 0..m_i, NaN for missing.
    m : ndarray (k,) of int
        Highest category of each item.
    """
    answered = ~np.isnan(x)
    xi = np.where(answered, x, 0).astype(int)
    raw = xi.sum(axis=1)
    masks, inverse = np.unique(answered, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    max_score = (masks * m).sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(m)[:-1]])
    s = np.zeros(int(m.sum()))
    for i in range(x.shape[1]):
        counts = np.bincount(xi[answered[:, i], i], minlength=m[i] + 1)
        s[offsets[i]:offsets[i] + m[i]] = counts[1:m[i] + 1]
    items, counts = [], []
    for p in range(len(masks)):
        items.append(np.flatnonzero(masks[p]))
        counts.append(np.bincount(raw[inverse == p], minlength=max_score[p] + 1).astype(float))
    return Patterns(m=np.asarray(m, dtype=int), offsets=offsets, s=s, items=tuple(items),
                    counts=tuple(counts), pattern_of_row=inverse, raw_score=raw,
                    max_score=max_score[inverse])


def _pattern_terms(beta: np.ndarray, pat: Patterns, items: np.ndarray, n: np.ndarray,
                   hessian: bool):
    """Log-likelihood term, expected category counts and information for one pattern.

    Returns ``(sum_r n_r log γ_r, index of the pattern's β's, expected counts, information)``.
    """
    m = pat.m[items]
    idx = np.concatenate([pat.offsets[i] + np.arange(m_i) for i, m_i in zip(items, m)])
    b = beta[idx]
    top = pat.offsets[items] + m - 1
    big_r = int(m.sum())
    # shift θ by c (ε_ih -> ε_ih e^{hc}) so that γ_0 = γ_R = 1: keeps γ in floating range;
    # conditional probabilities do not change and log γ_r = log γ'_r − r c
    c = -beta[top].sum() / big_r
    hs = np.concatenate([np.arange(1, m_i + 1) for m_i in m])
    eps = np.exp(b + hs * c)
    starts = np.concatenate([[0], np.cumsum(m)[:-1]])
    polys = [np.concatenate([[1.0], eps[st:st + m_i]]) for st, m_i in zip(starts, m)]
    k = len(items)
    prefix = [np.ones(1)]
    for poly in polys:
        prefix.append(np.convolve(prefix[-1], poly))
    suffix = [np.ones(1)] * (k + 1)
    for a in range(k - 1, -1, -1):
        suffix[a] = np.convolve(polys[a], suffix[a + 1])
    gamma = prefix[k]
    if not np.all(np.isfinite(gamma)) or np.any(gamma <= 0):
        raise ModelError("CML: the elementary symmetric functions overflowed; the item "
                         "parameters diverge (items answered almost always in one category?)")
    rs = np.arange(big_r + 1)
    loggamma = np.log(gamma) - rs * c
    ll_term = float(n @ loggamma)
    # P[r, (a,h)] = P(X_a = h | r) = ε_ah γ^{(-a)}_{r-h} / γ_r
    prob = np.zeros((big_r + 1, len(idx)))
    minus = []
    for a in range(k):
        g = np.convolve(prefix[a], suffix[a + 1])
        minus.append(g)
        for h in range(1, m[a] + 1):
            prob[h:h + len(g), starts[a] + h - 1] = eps[starts[a] + h - 1] * g / gamma[h:h + len(g)]
    expected = n @ prob
    if not hessian:
        return ll_term, idx, expected, None
    w = n / gamma
    info = -(prob.T * n) @ prob
    info[np.diag_indices_from(info)] += expected
    for a in range(k):
        running = prefix[a]
        sa = slice(starts[a], starts[a] + m[a])
        for bb in range(a + 1, k):
            g2 = np.convolve(running, suffix[bb + 1])
            running = np.convolve(running, polys[bb])
            u = np.correlate(w, g2, mode="valid")
            hk = np.add.outer(np.arange(1, m[a] + 1), np.arange(1, m[bb] + 1))
            joint = np.outer(eps[sa], eps[starts[bb]:starts[bb] + m[bb]]) * u[hk]
            sb = slice(starts[bb], starts[bb] + m[bb])
            info[sa, sb] += joint
            info[sb, sa] += joint.T
    return ll_term, idx, expected, info


def loglik_derivatives(beta: np.ndarray, pat: Patterns, hessian: bool = True):
    """Conditional log-likelihood, its gradient and (minus) Hessian in ``β``.

    Returns
    -------
    loglik : float
    gradient : ndarray (Σ m_i,)
    information : ndarray (Σ m_i, Σ m_i) or None
        The observed information (minus the Hessian), which for CML equals the conditional
        covariance of the category counts given the raw scores.
    """
    nb = pat.n_beta
    ll = float(pat.s @ beta)
    grad = pat.s.copy()
    info = np.zeros((nb, nb)) if hessian else None
    for items, n in zip(pat.items, pat.counts):
        if len(items) < 2:
            continue  # a single answered item carries no conditional information
        term, idx, expected, inf_p = _pattern_terms(beta, pat, items, n, hessian)
        ll -= term
        grad[idx] -= expected
        if hessian:
            info[np.ix_(idx, idx)] += inf_p
    return ll, grad, info


@dataclass(frozen=True)
class CMLFit:
    """Raw output of :func:`fit_cml`: ``η``, ``β = W η``, covariance and convergence."""

    eta: np.ndarray
    beta: np.ndarray
    vcov_eta: np.ndarray
    vcov_beta: np.ndarray
    loglik: float
    iterations: int
    converged: bool
    design: np.ndarray


def fit_cml(pat: Patterns, w: np.ndarray, *, tol: float = 1e-10,
            max_iter: int = 200) -> CMLFit:
    """Maximise the conditional log-likelihood over ``η`` by Newton's method.

    Step halving keeps every step uphill (the objective is concave), so the iteration cannot
    overshoot; convergence is declared when the largest Newton step is below ``tol``.
    """
    eta = np.zeros(w.shape[1])
    ll, grad, info = loglik_derivatives(w @ eta, pat)
    converged = False
    iterations = 0
    for _ in range(max_iter):
        iterations += 1
        g_eta = w.T @ grad
        i_eta = w.T @ info @ w
        try:
            step = np.linalg.solve(i_eta, g_eta)
        except np.linalg.LinAlgError:
            raise ModelError("CML: the information matrix is singular; the item parameters "
                             "are not identified by these data") from None
        # the objective is concave: halve the step until it goes uphill
        # (Newton steps are capped at 5 logits per parameter to keep exp() in range)
        scale = min(1.0, 5.0 / max(np.max(np.abs(step)), 1e-300))
        for _ in range(60):
            cand = eta + scale * step
            try:
                ll_new, grad_new, info_new = loglik_derivatives(w @ cand, pat)
            except ModelError:
                ll_new = -np.inf
            if ll_new >= ll - 1e-12 * abs(ll):
                break
            scale /= 2
        else:
            break
        eta, ll, grad, info = cand, ll_new, grad_new, info_new
        if np.max(np.abs(scale * step)) < tol:
            converged = True
            break
    i_eta = w.T @ info @ w
    try:
        vcov_eta = np.linalg.inv(i_eta)
    except np.linalg.LinAlgError:
        raise ModelError("CML: the information matrix is singular at the estimate") from None
    if not np.all(np.isfinite(eta)) or np.max(np.abs(eta)) > 30:
        raise ModelError("CML: the item parameters diverge (an item or a category is answered "
                         "by (almost) everyone or no one given the raw scores)")
    return CMLFit(eta=eta, beta=w @ eta, vcov_eta=vcov_eta, vcov_beta=w @ vcov_eta @ w.T,
                  loglik=ll, iterations=iterations, converged=converged, design=w)
