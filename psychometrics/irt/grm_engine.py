"""The graded response model's estimation engine: link functions, category probabilities
and their derivatives, EM with SQUAREM acceleration, and the observed information.

Used by :func:`psychometrics.irt.grm.grm` (which checks the options and assembles the
result) and by :class:`~psychometrics.irt.grm.GRMResult` (curves and information). The model,
the algorithm and the references are in :mod:`psychometrics.irt.grm`'s docstring.

Arrays: ``A`` (items) discriminations, ``D`` (items x M) intercepts padded with ``-inf`` after
an item's last one, ``theta`` the quadrature nodes, ``R`` (items x nodes x categories)
expected counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from .._checks import check_items
from ..errors import DataError

__all__ = ["cdf", "pdf", "dpdf", "quadrature", "item_pieces", "all_pieces", "objective",
           "mstep", "CodedAnswers", "code_answers", "posterior", "expected_counts",
           "start_values", "fit_em", "louis_information", "TINY"]

#: Floor of a probability before its log: keeps log(0) finite for an empty category.
TINY = 1e-300
#: Haley's (1952) scaling constant: the logistic with slope 1.702 is within 0.01 of the
#: normal ogive, so a = 1 on the probit scale is a = 1.702 on the logit scale.
LOGIT_SCALE = 1.702
#: Step halvings of one Fisher-scoring step before an item's parameters are left as they are.
MAX_HALVINGS = 30
#: A Fisher-scoring step is accepted when the objective falls by less than this (relative):
#: round-off at the optimum, not a worse estimate.
ACCEPT_RTOL = 1e-9
#: Convergence of the EM: the log-likelihood changed by less than this (relative) in a cycle...
LL_RTOL = 1e-9
#: ... or by less than this (relative) between SQUAREM cycles, with the parameters settled.
LL_RTOL_CYCLE = 1e-12
#: Starting intercepts: cumulative proportions are clipped to [CLIP, 1 - CLIP] so that a
#: category nobody chose still gives a finite start.
CLIP = 1e-3
#: Starting intercepts are made strictly decreasing by this much per category.
START_GAP = 1e-6

# ------------------------------------------------------------------ link functions
def cdf(z: np.ndarray, link: str) -> np.ndarray:
    return special.expit(z) if link == "logit" else special.ndtr(z)


def pdf(z: np.ndarray, link: str) -> np.ndarray:
    if link == "logit":
        p = special.expit(z)
        return p * (1.0 - p)
    return np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)


def dpdf(z: np.ndarray, link: str) -> np.ndarray:
    """Derivative of the density (second derivative of F)."""
    if link == "logit":
        p = special.expit(z)
        return p * (1.0 - p) * (1.0 - 2.0 * p)
    return -z * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)


def quadrature(n_points: int = 61) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Hermite nodes and weights for a standard normal ``theta`` (weights sum to 1)."""
    x, w = np.polynomial.hermite_e.hermegauss(n_points)
    return x, w / w.sum()


# ------------------------------------------------------------------ one item
def item_pieces(theta: np.ndarray, a: float, d: np.ndarray, link: str):
    """Category probabilities and their derivatives at the nodes ``theta``.

    Returns ``P`` (Q x K), ``dP`` (Q x K x p) with p = 1 + m (a, d_1..d_m), the boundary
    densities ``f`` (Q x (m + 2), zero at both ends) and ``fp`` (their derivatives).
    """
    Q, m = theta.size, d.size
    z = a * theta[:, None] + d[None, :]                   # Q x m
    Fs = np.ones((Q, m + 2))
    Fs[:, m + 1] = 0.0
    Fs[:, 1:m + 1] = cdf(z, link)
    Sf = np.zeros((Q, m + 2))      # 1 - F, computed directly: no cancellation in the tails
    Sf[:, m + 1] = 1.0
    Sf[:, 1:m + 1] = cdf(-z, link)
    f = np.zeros((Q, m + 2))
    f[:, 1:m + 1] = pdf(z, link)
    fp = np.zeros((Q, m + 2))
    fp[:, 1:m + 1] = dpdf(z, link)
    # P_k = F_k - F_{k+1} = S_{k+1} - S_k; the second form where both z are positive
    upper = np.zeros((Q, m + 2), dtype=bool)
    upper[:, 1:m + 1] = z > 0
    upper[:, 0] = True
    P = np.where(upper[:, 1:], Sf[:, 1:] - Sf[:, :-1], Fs[:, :-1] - Fs[:, 1:])  # Q x K
    # dP_k/da = theta (f_k - f_{k+1}); dP_k/dd_j = f_k [j = k] - f_{k+1} [j = k + 1]
    K = m + 1
    dP = np.zeros((Q, K, 1 + m))
    dP[:, :, 0] = theta[:, None] * (f[:, :-1] - f[:, 1:])
    for k in range(K):
        if k >= 1:
            dP[:, k, k] = f[:, k]          # d_k is parameter index k (1-based after a)
        if k + 1 <= m:
            dP[:, k, k + 1] = -f[:, k + 1]
    return P, dP, f, fp


def all_pieces(theta: np.ndarray, A: np.ndarray, D: np.ndarray, link: str):
    """Category probabilities and first derivatives for all items at once.

    ``D`` is items x M, padded with ``-inf`` after an item's last intercept (a padded
    category has probability 0 and zero derivatives). Returns ``P`` (J x Q x K) and ``dP``
    (J x Q x K x p), p = 1 + M (a, d_1..d_M), K = M + 1.
    """
    J, M = D.shape
    Q = theta.size
    with np.errstate(invalid="ignore"):
        z = A[:, None, None] * theta[None, :, None] + D[:, None, :]      # J x Q x M
    z = np.where(np.isneginf(D)[:, None, :], -np.inf, z)
    Fs = np.ones((J, Q, M + 2))
    Fs[:, :, M + 1] = 0.0
    Fs[:, :, 1:M + 1] = cdf(z, link)
    Sf = np.zeros((J, Q, M + 2))
    Sf[:, :, M + 1] = 1.0
    Sf[:, :, 1:M + 1] = cdf(-z, link)
    f = np.zeros((J, Q, M + 2))
    with np.errstate(invalid="ignore"):
        f[:, :, 1:M + 1] = np.nan_to_num(pdf(z, link))
    upper = np.zeros((J, Q, M + 2), dtype=bool)
    upper[:, :, 1:M + 1] = z > 0
    upper[:, :, 0] = True
    P = np.where(upper[:, :, 1:], Sf[:, :, 1:] - Sf[:, :, :-1], Fs[:, :, :-1] - Fs[:, :, 1:])
    K = M + 1
    dP = np.zeros((J, Q, K, 1 + M))
    dP[..., 0] = theta[None, :, None] * (f[:, :, :-1] - f[:, :, 1:])
    kk = np.arange(1, M + 1)
    dP[:, :, kk, kk] = f[:, :, 1:M + 1]          # d P_k / d d_k = f_k
    dP[:, :, kk - 1, kk] = -f[:, :, 1:M + 1]     # d P_{k-1} / d d_k = -f_k
    return P, dP


def objective(theta, R, A, D, link) -> np.ndarray:
    """Per item: sum_q sum_k r_qk log P_k(theta_q) (R: J x Q x K)."""
    P, _ = all_pieces(theta, A, D, link)
    return np.sum(R * np.log(np.maximum(P, TINY)), axis=(1, 2))


def mstep(theta, R, A, D, link, n_steps: int = 1):
    """Fisher scoring on every item's expected complete-data log-likelihood at once."""
    J, M = D.shape
    pad = np.isneginf(D)
    for _ in range(n_steps):
        P, dP = all_pieces(theta, A, D, link)
        P = np.maximum(P, TINY)
        g = np.einsum("iqk,iqka->ia", R / P, dP)
        nq = R.sum(axis=2)
        info = np.einsum("iq,iqk,iqka,iqkb->iab", nq, 1.0 / P, dP, dP)
        # padded intercepts: an identity block keeps the system regular, with zero step
        idx = np.arange(1, M + 1)
        info[:, idx, idx] += pad
        g[:, 1:][pad] = 0.0
        try:
            step = np.linalg.solve(info, g[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:        # an item with (near-)empty categories
            step = np.einsum("iab,ib->ia", np.linalg.pinv(info), g)
        step = np.where(np.isfinite(step), step, 0.0)
        old = objective(theta, R, A, D, link)
        t = np.ones(J)
        todo = np.ones(J, dtype=bool)
        A_new, D_new = A.copy(), D.copy()
        for _ in range(MAX_HALVINGS):
            A_try = np.where(todo, A + t * step[:, 0], A_new)
            D_try = np.where(todo[:, None] & ~pad, D + t[:, None] * step[:, 1:], D_new)
            D_try[pad] = -np.inf
            with np.errstate(invalid="ignore"):
                ordered = np.all((np.diff(D_try, axis=1) < 0) | pad[:, 1:], axis=1)
            new = objective(theta, R, A_try, D_try, link)
            ok = todo & ordered & (new >= old - ACCEPT_RTOL * np.abs(old))
            A_new[ok], D_new[ok] = A_try[ok], D_try[ok]
            todo &= ~ok
            if not todo.any():
                break
            t[todo] *= 0.5
        A, D = A_new, D_new
    return A, D


# ------------------------------------------------------------------ data
@dataclass(frozen=True)
class CodedAnswers:
    codes: np.ndarray            # n x J int, -1 = missing
    categories: list             # per item: the observed answer values, sorted
    onehot: np.ndarray           # n x (J * K): item j's categories in columns j*K .. j*K+K-1
    K: int                       # categories of the widest item (padding for the others)
    items: list
    index: pd.Index

    def subset(self, keep: np.ndarray) -> CodedAnswers:
        return CodedAnswers(self.codes[keep], self.categories, self.onehot[keep], self.K,
                      self.items, self.index[keep])


def code_answers(items, *, name="items") -> CodedAnswers:
    mat = check_items(items, min_items=1, min_rows=2, name=name)
    X = mat.values
    n, J = X.shape
    codes = np.full((n, J), -1, dtype=int)
    cats = []
    for j in range(J):
        col = X[:, j]
        ok = ~np.isnan(col)
        vals = np.unique(col[ok])
        if vals.size < 2:
            raise DataError(f"{name}: item {mat.columns[j]!r} has "
                            f"{'no answers' if vals.size == 0 else f'only the answer {vals[0]:g}'}"
                            "; a graded item needs at least two observed categories")
        codes[ok, j] = np.searchsorted(vals, col[ok])
        cats.append(vals)
    K = max(c.size for c in cats)
    onehot = np.zeros((n, J * K))
    rows, cols_ = np.nonzero(codes >= 0)
    onehot[rows, cols_ * K + codes[rows, cols_]] = 1.0
    return CodedAnswers(codes, cats, onehot, K, mat.columns, mat.index)


# ------------------------------------------------------------------ engine
def posterior(coded: CodedAnswers, theta, A, D, link, logw):
    """Posterior weights over the nodes (n x Q) and each respondent's marginal log-likelihood."""
    P, _ = all_pieces(theta, A, D, link)                         # J x Q x K
    logp = np.log(np.maximum(P, TINY)).transpose(0, 2, 1).reshape(-1, theta.size)
    ll = coded.onehot @ logp + logw[None, :]
    mx = ll.max(axis=1, keepdims=True)
    e = np.exp(ll - mx)
    s = e.sum(axis=1, keepdims=True)
    return e / s, (mx + np.log(s)).ravel()


def expected_counts(coded: CodedAnswers, post) -> np.ndarray:
    """Expected counts per item, node and category: J x Q x K."""
    J = len(coded.items)
    return (coded.onehot.T @ post).reshape(J, coded.K, -1).transpose(0, 2, 1)


def start_values(coded: CodedAnswers, link: str):
    """a = 1 (1.702 on the logistic scale) and intercepts from the cumulative proportions."""
    J, K = len(coded.items), coded.K
    scale = LOGIT_SCALE if link == "logit" else 1.0
    A = np.full(J, scale)
    D = np.full((J, K - 1), -np.inf)
    for j in range(J):
        obs = coded.codes[coded.codes[:, j] >= 0, j]
        m = coded.categories[j].size - 1
        cum = np.clip([(obs >= k).mean() for k in range(1, m + 1)], CLIP, 1 - CLIP)
        # marginal P(Y >= k) = Phi(d / sqrt(1 + a^2)) under the probit model with a = 1
        dk = stats.norm.ppf(cum) * np.sqrt(2.0) * scale
        D[j, :m] = np.minimum.accumulate(dk - np.arange(m) * START_GAP)
    return A, D


def fit_em(coded: CodedAnswers, link: str, n_points: int, max_iter: int, tol: float):
    """EM, accelerated by SQUAREM (Varadhan & Roland, 2008) with a monotone safeguard.

    One cycle: two EM steps x0 -> x1 -> x2, the squared extrapolation x' = x0 - 2 s r +
    s^2 v (r = x1 - x0, v = x2 - 2 x1 + x0, s = -|r| / |v|), then one EM step from x'. The
    extrapolation is kept only when it keeps the intercepts ordered and its log-likelihood is
    at least that of x1; otherwise the cycle ends at x2, a plain EM step. Convergence: the
    last EM step moved no parameter more than ``tol``, and the log-likelihood changed by less
    than 1e-9 relative. ``n_iter`` counts EM steps (E- and M-step pairs).
    """
    theta, w = quadrature(n_points)
    logw = np.log(w)
    A, D = start_values(coded, link)
    pad = np.isneginf(D)
    free = ~pad

    def em(A, D):
        post, lli = posterior(coded, theta, A, D, link, logw)
        A2, D2 = mstep(theta, expected_counts(coded, post), A, D, link)
        return A2, D2, float(lli.sum())

    def pack(A, D):
        return np.concatenate([A, D[free]])

    def unpack(x):
        D = np.full(pad.shape, -np.inf)
        D[free] = x[A.size:]
        return x[:A.size].copy(), D

    converged = False
    n_iter = 0
    ll_prev = -np.inf
    while n_iter < max_iter:
        x0 = pack(A, D)
        A1, D1, ll0 = em(A, D)
        A2, D2, ll1 = em(A1, D1)
        n_iter += 2
        x1, x2 = pack(A1, D1), pack(A2, D2)
        change = np.max(np.abs(x2 - x1))
        if change < tol and abs(ll1 - ll0) < LL_RTOL * max(1.0, abs(ll1)):
            A, D = A2, D2
            converged = True
            break
        r, v = x1 - x0, x2 - 2 * x1 + x0
        nv = np.linalg.norm(v)
        A, D = A2, D2
        if nv > 0:
            step = min(-np.linalg.norm(r) / nv, -1.0)
            Ax, Dx = unpack(x0 - 2 * step * r + step ** 2 * v)
            with np.errstate(invalid="ignore"):
                ordered = np.all((np.diff(Dx, axis=1) < 0) | pad[:, 1:])
            if ordered and np.all(np.isfinite(Ax)):
                A3, D3, ll_x = em(Ax, Dx)
                n_iter += 1
                if np.isfinite(ll_x) and ll_x >= ll1:
                    A, D = A3, D3
        if abs(ll1 - ll_prev) < LL_RTOL_CYCLE * max(1.0, abs(ll1)) and change < tol:
            converged = True
            break
        ll_prev = ll1
    post, lli = posterior(coded, theta, A, D, link, logw)
    return theta, w, A, D, post, float(lli.sum()), n_iter, converged


def louis_information(coded: CodedAnswers, theta, A, D, link, post):
    """Observed information (Louis 1982) of all (a_i, d_i1..d_iM), padded layout.

    ``-sum_n E_post[d2 log f] - sum_n Var_post[d log f]``: the first term is block diagonal
    (one block per item) and computed from the expected counts; the second from the score
    of each category at each node and the posterior-weighted answer co-occurrences.
    """
    J, M = D.shape
    K, p = M + 1, M + 1
    Q = theta.size
    R = expected_counts(coded, post)                                       # J x Q x K
    P, dP = all_pieces(theta, A, D, link)
    P = np.maximum(P, TINY)
    with np.errstate(invalid="ignore"):
        z = A[:, None, None] * theta[None, :, None] + D[:, None, :]
    z = np.where(np.isneginf(D)[:, None, :], 0.0, z)
    fp = np.zeros((J, Q, M + 2))
    fp[:, :, 1:M + 1] = np.where(np.isneginf(D)[:, None, :], 0.0, dpdf(z, link))
    # F_k = F(a theta + d_k) has gradient v_k = (theta, e_k) and Hessian fp_k v_k v_k'
    V = np.zeros((Q, M + 2, p))
    V[:, 1:M + 1, 0] = theta[:, None]
    kk = np.arange(1, M + 1)
    V[:, kk, kk] = 1.0
    VV = np.einsum("qka,qkb->qkab", V, V)                          # Q x (M+2) x p x p
    d2F = fp[..., None, None] * VV[None]                           # J x Q x (M+2) x p x p
    d2P = d2F[:, :, :K] - d2F[:, :, 1:K + 1]
    S = dP / P[..., None]                                          # J x Q x K x p
    H = d2P / P[..., None, None] - np.einsum("iqka,iqkb->iqkab", S, S)
    info = np.zeros((J * p, J * p))
    blocks = -np.einsum("iqk,iqkab->iab", R, H)
    for j in range(J):
        info[j * p:(j + 1) * p, j * p:(j + 1) * p] = blocks[j]
    # minus sum_n Var_post(s_n), s_nq = sum_j S[j, q, y_nj] (the score of the answers given):
    # sum_n E(s s') = sum_q G_q' C_q G_q with C_q = Y' diag(post_q) Y the posterior-weighted
    # co-occurrence of answer categories (Y the one-hot answers) and G_q the block diagonal
    # category scores at node q; sum_n E(s) E(s)' from the posterior mean scores.
    # C[j, k, l, b, q] = sum over respondents who answered k to item j of Y[n, (l, b)] post[n, q]
    C = np.zeros((J, K, J * K, Q))
    for j in range(J):
        for k in range(K):
            who = coded.codes[:, j] == k
            if who.any():
                C[j, k] = coded.onehot[who].T @ post[who]
    C = C.reshape(J, K, J, K, Q)
    GC = np.einsum("jqka,jklbq->jalbq", S, C, optimize=True)
    info -= np.einsum("jalbq,lqbc->jalc", GC, S, optimize=True).reshape(J * p, J * p)
    Spad = np.concatenate([S, np.zeros((J, Q, 1, p))], axis=2)     # index K = unanswered
    codes = np.where(coded.codes >= 0, coded.codes, K)
    Es = np.concatenate([np.einsum("nq,qnp->np", post, Spad[j][:, codes[:, j], :])
                         for j in range(J)], axis=1)              # n x (J p)
    info += Es.T @ Es
    return info
