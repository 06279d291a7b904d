"""Graded response model (Samejima) by marginal maximum likelihood, one factor.

Model: for item ``i`` with ordered categories ``0..m_i`` (the item's observed answers, in
order), ``P(Y_i >= k | theta) = F(a_i theta + d_ik) = F(a_i (theta - b_ik))``, ``k = 1..m_i``,
with ``F`` the logistic function (``link="logit"``) or the standard normal distribution
function (``link="probit"``, the normal ogive), ``theta ~ N(0, 1)``, ``b_ik = -d_ik / a_i``.

Estimation: EM (Bock & Aitkin, 1981) over Gauss-Hermite quadrature, vectorised over
respondents and quadrature points: the E-step is two matrix products of the one-hot answer
matrix with the per-node log category probabilities, the M-step a few Fisher-scoring steps per
item on the expected counts. A missing answer contributes nothing for that item (the
likelihood is over the answered items only: ignorable missingness, as mirt does).
Standard errors come from the observed information of the marginal likelihood by Louis'
(1982) formula: complete-data information minus the posterior covariance of the complete-data
scores (exact at the MLE, no finite differences); SEs of ``b`` by the delta method.

Why our own code and not a library: the PyPI ``mirt`` package (1.2.0, Rust backend) was
evaluated: it fits the logistic GRM well (same log-likelihood on bfi N1-N5) but has no
normal-ogive link, which the comparison with the package's ordinal CFA needs, took 14 s for
bfi N1-N5 (2,800 x 5, 61 nodes, with SEs) and requires Python >= 3.11 with a compiled
extension. ``girth`` is unmaintained since 2021 and has no SEs. The EM here is about a hundred
lines of numpy and fits 5,000 x 22 items in well under the time budget (``bench/bench_irt.py``).

References
----------
Samejima, F. (1969). Estimation of latent ability using a response pattern of graded scores.
Psychometrika Monograph 17.
Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of item parameters:
application of an EM algorithm. Psychometrika, 46, 443-459.
Louis, T. A. (1982). Finding the observed information matrix when using the EM algorithm.
JRSS B, 44, 226-233.
Takane, Y., & de Leeuw, J. (1987). On the relationship between item response theory and
factor analysis of discretized variables. Psychometrika, 52, 393-408.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats

from .._checks import check_choice, check_items, check_positive_int
from .._results import Result, format_table, jsonable
from ..errors import ConvergenceError, DataError, OptionError
from ..threads import blas_limited

__all__ = ["grm", "GRMResult", "grm_from_cfa", "cfa_from_grm", "quadrature", "simulate_grm"]

_LINKS = ("logit", "probit")


# ------------------------------------------------------------------ link functions
def _cdf(z: np.ndarray, link: str) -> np.ndarray:
    return special.expit(z) if link == "logit" else special.ndtr(z)


def _pdf(z: np.ndarray, link: str) -> np.ndarray:
    if link == "logit":
        p = special.expit(z)
        return p * (1.0 - p)
    return np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)


def _dpdf(z: np.ndarray, link: str) -> np.ndarray:
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
def _item_pieces(theta: np.ndarray, a: float, d: np.ndarray, link: str):
    """Category probabilities and their derivatives at the nodes ``theta``.

    Returns ``P`` (Q x K), ``dP`` (Q x K x p) with p = 1 + m (a, d_1..d_m), the boundary
    densities ``f`` (Q x (m + 2), zero at both ends) and ``fp`` (their derivatives).
    """
    Q, m = theta.size, d.size
    z = a * theta[:, None] + d[None, :]                   # Q x m
    Fs = np.ones((Q, m + 2))
    Fs[:, m + 1] = 0.0
    Fs[:, 1:m + 1] = _cdf(z, link)
    Sf = np.zeros((Q, m + 2))      # 1 - F, computed directly: no cancellation in the tails
    Sf[:, m + 1] = 1.0
    Sf[:, 1:m + 1] = _cdf(-z, link)
    f = np.zeros((Q, m + 2))
    f[:, 1:m + 1] = _pdf(z, link)
    fp = np.zeros((Q, m + 2))
    fp[:, 1:m + 1] = _dpdf(z, link)
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


def _all_pieces(theta: np.ndarray, A: np.ndarray, D: np.ndarray, link: str):
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
    Fs[:, :, 1:M + 1] = _cdf(z, link)
    Sf = np.zeros((J, Q, M + 2))
    Sf[:, :, M + 1] = 1.0
    Sf[:, :, 1:M + 1] = _cdf(-z, link)
    f = np.zeros((J, Q, M + 2))
    with np.errstate(invalid="ignore"):
        f[:, :, 1:M + 1] = np.nan_to_num(_pdf(z, link))
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


def _objective(theta, R, A, D, link) -> np.ndarray:
    """Per item: sum_q sum_k r_qk log P_k(theta_q) (R: J x Q x K)."""
    P, _ = _all_pieces(theta, A, D, link)
    return np.sum(R * np.log(np.maximum(P, 1e-300)), axis=(1, 2))


def _mstep(theta, R, A, D, link, n_steps: int = 1):
    """Fisher scoring on every item's expected complete-data log-likelihood at once."""
    J, M = D.shape
    pad = np.isneginf(D)
    for _ in range(n_steps):
        P, dP = _all_pieces(theta, A, D, link)
        P = np.maximum(P, 1e-300)
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
        old = _objective(theta, R, A, D, link)
        t = np.ones(J)
        todo = np.ones(J, dtype=bool)
        A_new, D_new = A.copy(), D.copy()
        for _ in range(30):
            A_try = np.where(todo, A + t * step[:, 0], A_new)
            D_try = np.where(todo[:, None] & ~pad, D + t[:, None] * step[:, 1:], D_new)
            D_try[pad] = -np.inf
            with np.errstate(invalid="ignore"):
                ordered = np.all((np.diff(D_try, axis=1) < 0) | pad[:, 1:], axis=1)
            new = _objective(theta, R, A_try, D_try, link)
            ok = todo & ordered & (new >= old - 1e-9 * np.abs(old))
            A_new[ok], D_new[ok] = A_try[ok], D_try[ok]
            todo &= ~ok
            if not todo.any():
                break
            t[todo] *= 0.5
        A, D = A_new, D_new
    return A, D


# ------------------------------------------------------------------ data
@dataclass(frozen=True)
class _Coded:
    codes: np.ndarray            # n x J int, -1 = missing
    categories: list             # per item: the observed answer values, sorted
    onehot: np.ndarray           # n x (J * K): item j's categories in columns j*K .. j*K+K-1
    K: int                       # categories of the widest item (padding for the others)
    items: list
    index: pd.Index

    def subset(self, keep: np.ndarray) -> _Coded:
        return _Coded(self.codes[keep], self.categories, self.onehot[keep], self.K,
                      self.items, self.index[keep])


def _code(items, *, name="items") -> _Coded:
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
    return _Coded(codes, cats, onehot, K, mat.columns, mat.index)


# ------------------------------------------------------------------ engine
def _posterior(coded: _Coded, theta, A, D, link, logw):
    """Posterior weights over the nodes (n x Q) and each respondent's marginal log-likelihood."""
    P, _ = _all_pieces(theta, A, D, link)                         # J x Q x K
    logp = np.log(np.maximum(P, 1e-300)).transpose(0, 2, 1).reshape(-1, theta.size)
    ll = coded.onehot @ logp + logw[None, :]
    mx = ll.max(axis=1, keepdims=True)
    e = np.exp(ll - mx)
    s = e.sum(axis=1, keepdims=True)
    return e / s, (mx + np.log(s)).ravel()


def _counts(coded: _Coded, post) -> np.ndarray:
    """Expected counts per item, node and category: J x Q x K."""
    J = len(coded.items)
    return (coded.onehot.T @ post).reshape(J, coded.K, -1).transpose(0, 2, 1)


def _start(coded: _Coded, link: str):
    """a = 1 (1.702 on the logistic scale) and intercepts from the cumulative proportions."""
    J, K = len(coded.items), coded.K
    scale = 1.702 if link == "logit" else 1.0
    A = np.full(J, scale)
    D = np.full((J, K - 1), -np.inf)
    for j in range(J):
        obs = coded.codes[coded.codes[:, j] >= 0, j]
        m = coded.categories[j].size - 1
        cum = np.clip([(obs >= k).mean() for k in range(1, m + 1)], 1e-3, 1 - 1e-3)
        # marginal P(Y >= k) = Phi(d / sqrt(1 + a^2)) under the probit model with a = 1
        dk = stats.norm.ppf(cum) * np.sqrt(2.0) * scale
        D[j, :m] = np.minimum.accumulate(dk - np.arange(m) * 1e-6)
    return A, D


def _fit(coded: _Coded, link: str, n_points: int, max_iter: int, tol: float):
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
    A, D = _start(coded, link)
    pad = np.isneginf(D)
    free = ~pad

    def em(A, D):
        post, lli = _posterior(coded, theta, A, D, link, logw)
        A2, D2 = _mstep(theta, _counts(coded, post), A, D, link)
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
        if change < tol and abs(ll1 - ll0) < 1e-9 * max(1.0, abs(ll1)):
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
        if abs(ll1 - ll_prev) < 1e-12 * max(1.0, abs(ll1)) and change < tol:
            converged = True
            break
        ll_prev = ll1
    post, lli = _posterior(coded, theta, A, D, link, logw)
    return theta, w, A, D, post, float(lli.sum()), n_iter, converged


def _louis_information(coded: _Coded, theta, A, D, link, post):
    """Observed information (Louis 1982) of all (a_i, d_i1..d_iM), padded layout.

    ``-sum_n E_post[d2 log f] - sum_n Var_post[d log f]``: the first term is block diagonal
    (one block per item) and computed from the expected counts; the second from the score
    of each category at each node and the posterior-weighted answer co-occurrences.
    """
    J, M = D.shape
    K, p = M + 1, M + 1
    Q = theta.size
    R = _counts(coded, post)                                       # J x Q x K
    P, dP = _all_pieces(theta, A, D, link)
    P = np.maximum(P, 1e-300)
    with np.errstate(invalid="ignore"):
        z = A[:, None, None] * theta[None, :, None] + D[:, None, :]
    z = np.where(np.isneginf(D)[:, None, :], 0.0, z)
    fp = np.zeros((J, Q, M + 2))
    fp[:, :, 1:M + 1] = np.where(np.isneginf(D)[:, None, :], 0.0, _dpdf(z, link))
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


# ------------------------------------------------------------------ result
@dataclass(frozen=True)
class GRMResult(Result):
    """A fitted graded response model.

    Attributes
    ----------
    items : list of str
    link : {"logit", "probit"}
    item_params : DataFrame
        Index item; ``a`` and ``a_se`` (discrimination), ``n_categories``.
    thresholds, thresholds_se : DataFrame
        Item x ``b1..bm`` (NaN where an item has fewer categories): ``P(Y >= k) =
        F(a (theta - b_k))``.
    intercepts, intercepts_se : DataFrame
        Item x ``d1..dm`` in the slope-intercept form ``F(a theta + d_k)``.
    categories : dict
        Item -> the observed answer values that are categories 0..m, in order.
    scores : DataFrame
        One row per respondent (the input's index): ``theta`` (EAP), ``se`` (posterior SD),
        ``n_answered``. Respondents with no answer get NaN.
    loglik : float
        Marginal log-likelihood at the estimate.
    n, n_iter, converged, n_points
    se_method : str
    vcov : DataFrame
        Covariance of the (a, d) parameters (not in ``to_dict``).
    """

    items: list
    link: str
    item_params: pd.DataFrame
    thresholds: pd.DataFrame
    thresholds_se: pd.DataFrame
    intercepts: pd.DataFrame
    intercepts_se: pd.DataFrame
    categories: dict
    scores: pd.DataFrame
    loglik: float
    n: int
    npar: int
    n_iter: int
    converged: bool
    n_points: int
    se_method: str = "observed information (Louis 1982)"
    vcov: pd.DataFrame = field(default=None, repr=False)

    def person_scores(self) -> pd.DataFrame:
        """EAP ``theta`` and its ``se`` (posterior SD) per respondent, as the Rasch results'
        ``person_scores()`` (index as given)."""
        return self.scores.copy()

    # -------------------------------------------------------------- curves
    def _ad(self, item: str):
        a = float(self.item_params.loc[item, "a"])
        d = self.intercepts.loc[item].dropna().to_numpy(float)
        return a, d

    def category_probabilities(self, theta, item: str) -> pd.DataFrame:
        """``P(Y = k | theta)`` for one item: rows theta, columns the item's categories."""
        t = np.atleast_1d(np.asarray(theta, float))
        a, d = self._ad(item)
        P, _, _, _ = _item_pieces(t, a, d, self.link)
        return pd.DataFrame(P, index=pd.Index(t, name="theta"), columns=self.categories[item])

    def expected_score(self, theta) -> pd.Series:
        """Expected raw score at ``theta``: the sum over items of the expected answer, on the
        answers' own scale (the observed values that are each item's categories)."""
        t = np.atleast_1d(np.asarray(theta, float))
        total = np.zeros(t.size)
        for it in self.items:
            P = self.category_probabilities(t, it).to_numpy()
            total += P @ np.asarray(self.categories[it], float)
        return pd.Series(total, index=pd.Index(t, name="theta"), name="expected_score")

    def information(self, theta=None) -> pd.DataFrame:
        """Item information (one column per item) and ``test`` information at ``theta``.

        ``I_i(theta) = sum_k (dP_k/dtheta)^2 / P_k`` (Samejima, 1969); the test information is
        their sum. ``theta`` defaults to a grid from -4 to 4.
        """
        t = np.linspace(-4, 4, 161) if theta is None else np.atleast_1d(np.asarray(theta, float))
        out = {}
        for it in self.items:
            a, d = self._ad(it)
            P, _, f, _ = _item_pieces(t, a, d, self.link)
            dPt = a * (f[:, :-1] - f[:, 1:])
            out[it] = np.sum(dPt ** 2 / np.maximum(P, 1e-300), axis=1)
        df = pd.DataFrame(out, index=pd.Index(t, name="theta"))
        df["test"] = df[self.items].sum(axis=1)
        return df

    def sem(self, theta=None) -> pd.Series:
        """Standard error of measurement along theta: ``1 / sqrt(test information)``."""
        info = self.information(theta)["test"]
        return (1.0 / np.sqrt(info)).rename("sem")

    # -------------------------------------------------------------- output
    def to_dict(self) -> dict:
        return {
            "model": "grm", "link": self.link, "items": list(self.items),
            "n": self.n, "npar": self.npar, "loglik": self.loglik,
            "converged": bool(self.converged), "n_iter": self.n_iter,
            "n_points": self.n_points, "se_method": self.se_method,
            "categories": {k: jsonable(v) for k, v in self.categories.items()},
            "item_params": jsonable(self.item_params),
            "thresholds": jsonable(self.thresholds),
            "thresholds_se": jsonable(self.thresholds_se),
            "intercepts": jsonable(self.intercepts),
            "intercepts_se": jsonable(self.intercepts_se),
        }

    def summary(self) -> str:
        head = (f"Graded response model ({self.link} link), marginal ML by EM, "
                f"{self.n_points} Gauss-Hermite nodes; n = {self.n}, loglik = {self.loglik:.4f}, "
                f"{self.npar} parameters; {'converged' if self.converged else 'NOT converged'} "
                f"after {self.n_iter} EM cycles; SEs: {self.se_method}")
        tab = self.item_params[["a", "a_se"]].join(self.thresholds)
        return "\n\n".join([head, format_table(tab, "Discrimination a and thresholds b")])


@blas_limited
def grm(items, link: str = "logit", *, n_points: int = 61, max_iter: int = 2000,
        tol: float = 1e-7, se: bool = True) -> GRMResult:
    """Fit Samejima's graded response model by marginal maximum likelihood (one factor).

    Parameters
    ----------
    items : DataFrame or array-like, respondents x items
        Ordered answers (any numbers; each item's observed values are its categories, in
        order). NaN = not answered: that item contributes nothing for that respondent.
    link : {"logit", "probit"}
        Logistic GRM (as mirt's ``graded``) or the normal ogive (as an ordinal CFA).
    n_points : int
        Gauss-Hermite quadrature nodes for the N(0, 1) ability distribution.
    max_iter, tol : int, float
        EM cycles at most; stop when no parameter moves more than ``tol`` in a cycle.
    se : bool
        Compute standard errors (observed information by Louis' formula).

    Returns
    -------
    GRMResult

    References
    ----------
    Samejima (1969); Bock & Aitkin (1981); Louis (1982); see the module docstring.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import psychometrics as pm
    >>> rng = np.random.default_rng(1)
    >>> th = rng.normal(size=500)
    >>> X = pd.DataFrame({f"i{j}": (th + rng.normal(size=500) > c).astype(int) +
    ...                   (th + rng.normal(size=500) > c + 1).astype(int)
    ...                   for j, c in enumerate([-1, -0.5, 0, 0.5])})
    >>> res = pm.grm(X, link="probit")
    >>> res.converged
    True
    """
    check_choice(link, _LINKS, "link")
    n_points = check_positive_int(n_points, "n_points", minimum=5)
    max_iter = check_positive_int(max_iter, "max_iter")
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 < tol < 1:
        raise OptionError(f"tol must be a number between 0 and 1 (e.g. 1e-7); got {tol!r}",
                          "tol", tol)
    coded = _code(items)
    answered = (coded.codes >= 0).sum(axis=1)
    use = answered > 0
    fit_coded = coded if use.all() else coded.subset(use)
    theta, w, A, D, post, ll, it, conv = _fit(fit_coded, link, n_points, max_iter, tol)
    J, M = D.shape
    p = M + 1
    if not conv:
        worst = coded.items[int(np.argmax(A))]
        raise ConvergenceError(
            f"the graded response model did not converge in {max_iter} EM cycles (largest "
            f"discrimination: item {worst!r}, a = {A.max():.3g}); an item that separates the "
            "respondents perfectly, or too few respondents per category, makes the ML estimate "
            "run off: collapse sparse categories or drop that item")
    free = np.column_stack([np.ones(J, bool), ~np.isneginf(D)]).ravel()   # drop padding
    names = [(it_, "a" if h == 0 else f"d{h}") for it_ in coded.items for h in range(p)]
    names = [nm for nm, f in zip(names, free) if f]
    if se:
        info = _louis_information(fit_coded, theta, A, D, link, post)[np.ix_(free, free)]
        evals = np.linalg.eigvalsh(info)
        if not np.all(np.isfinite(evals)) or evals.min() <= 1e-10 * max(evals.max(), 1.0):
            raise ConvergenceError(
                "the graded response model's information matrix is not positive definite at "
                "the estimate (a parameter is not identified: an item whose discrimination "
                "runs off or a category chosen by almost nobody); collapse sparse categories "
                f"or drop items. Discriminations: {dict(zip(coded.items, np.round(A, 3)))}")
        V = np.linalg.inv(info)
    else:
        V = np.full((len(names), len(names)), np.nan)
    Vfull = np.full((J * p, J * p), np.nan)
    Vfull[np.ix_(free, free)] = V
    Dm = np.where(np.isneginf(D), np.nan, D)
    B = -Dm / A[:, None]
    a_se = np.sqrt(np.diag(Vfull)[0::p])
    dvar = np.diag(Vfull).reshape(J, p)[:, 1:]
    Dse = np.sqrt(dvar)
    # delta method: b_k = -d_k / a, gradient (d_k / a^2, -1 / a)
    blocks = np.stack([Vfull[j * p:(j + 1) * p, j * p:(j + 1) * p] for j in range(J)])
    cov_ad = blocks[:, 0, 1:]
    Bse = np.sqrt((Dm / A[:, None] ** 2) ** 2 * a_se[:, None] ** 2 + dvar / A[:, None] ** 2
                  - 2 * Dm / A[:, None] ** 3 * cov_ad)
    # EAP scores for every respondent (NaN where nothing was answered)
    post_all, _ = _posterior(coded, theta, A, D, link, np.log(w))
    eap = post_all @ theta
    psd = np.sqrt(np.maximum(post_all @ theta ** 2 - eap ** 2, 0.0))
    eap[~use], psd[~use] = np.nan, np.nan
    K = [c.size for c in coded.categories]
    bcols = [f"b{k}" for k in range(1, M + 1)]
    dcols = [f"d{k}" for k in range(1, M + 1)]
    a = A
    idx = pd.Index(coded.items, name="item")
    item_params = pd.DataFrame({"a": a, "a_se": a_se, "n_categories": K}, index=idx)
    return GRMResult(
        items=list(coded.items), link=link, item_params=item_params,
        thresholds=pd.DataFrame(B, index=idx, columns=bcols),
        thresholds_se=pd.DataFrame(Bse, index=idx, columns=bcols),
        intercepts=pd.DataFrame(Dm, index=idx, columns=dcols),
        intercepts_se=pd.DataFrame(Dse, index=idx, columns=dcols),
        categories={it_: [float(v) for v in c] for it_, c in zip(coded.items, coded.categories)},
        scores=pd.DataFrame({"theta": eap, "se": psd, "n_answered": answered},
                            index=coded.index),
        loglik=ll, n=int(use.sum()), npar=len(names), n_iter=it, converged=conv, n_points=n_points,
        vcov=pd.DataFrame(V, index=pd.MultiIndex.from_tuples(names),
                          columns=pd.MultiIndex.from_tuples(names)))


# ------------------------------------------------------------------ ordinal CFA <-> GRM
def grm_from_cfa(loadings, thresholds=None, *, parameterization: str = "delta") -> pd.DataFrame:
    """Normal-ogive GRM parameters from a one-factor ordinal CFA (Takane & de Leeuw, 1987).

    Parameters
    ----------
    loadings : Series, array-like or CFAResult
        Item loadings on the single factor (factor variance 1). A ``CFAResult`` of an ordinal
        (WLSMV/DWLS) fit supplies its standardised loadings and thresholds.
    thresholds : DataFrame or 2-D array-like, optional
        Item x threshold (``tau_1..tau_m``; NaN where an item has fewer).
    parameterization : {"delta", "theta"}
        ``"delta"`` (lavaan's default; standardised latent responses): ``a = lambda /
        sqrt(1 - lambda^2)``, ``b_k = tau_k / lambda``. ``"theta"`` (unit residual variance):
        ``a = lambda``, ``b_k = tau_k / lambda``.

    Returns
    -------
    DataFrame
        Index item: ``a`` then ``b1..bm``, the normal-ogive metric ``P(Y >= k | theta) =
        Phi(a (theta - b_k))`` with ``theta ~ N(0, 1)``.

    References
    ----------
    Takane, Y., & de Leeuw, J. (1987). Psychometrika, 52, 393-408.
    """
    check_choice(parameterization, ("delta", "theta"), "parameterization")
    if hasattr(loadings, "estimates") and hasattr(loadings, "latent"):
        return _from_cfa_result(loadings)
    lam = loadings if isinstance(loadings, pd.Series) else pd.Series(np.asarray(loadings, float))
    lam = lam.astype(float)
    if thresholds is None:
        raise DataError("grm_from_cfa: thresholds are needed with plain loadings")
    tau = thresholds if isinstance(thresholds, pd.DataFrame) else pd.DataFrame(
        np.asarray(thresholds, float), index=lam.index)
    if len(tau) != len(lam):
        raise DataError(f"grm_from_cfa: {len(lam)} loadings but {len(tau)} threshold rows")
    if parameterization == "delta":
        bad = ~((lam.abs() < 1) & (lam != 0))
        if bad.any():
            raise DataError(f"grm_from_cfa: standardised loadings must lie strictly between -1 "
                            f"and 1 and not be 0; got {lam[bad].to_dict()}")
        a = lam / np.sqrt(1 - lam ** 2)
    else:
        if (lam == 0).any():
            raise DataError(f"grm_from_cfa: zero loading {lam[lam == 0].to_dict()}")
        a = lam
    b = tau.to_numpy(float) / lam.to_numpy(float)[:, None]
    out = pd.DataFrame(b, index=lam.index, columns=[f"b{k + 1}" for k in range(b.shape[1])])
    out.insert(0, "a", a.to_numpy())
    return out


def _from_cfa_result(res) -> pd.DataFrame:
    if len(res.latent) != 1:
        raise DataError(f"grm_from_cfa: a one-factor model is needed, this one has factors "
                        f"{list(res.latent)}")
    est = res.estimates
    lam = res.std_loadings.iloc[:, 0]
    rows = est[est["op"] == "|"]
    if rows.empty:
        raise DataError("grm_from_cfa: the CFA has no thresholds; fit it with ordered items "
                        "(estimator='WLSMV')")
    taus = {}
    for lhs, rhs, v in zip(rows["lhs"], rows["rhs"], rows["std.all"]):
        taus.setdefault(lhs, {})[int(str(rhs).lstrip("t"))] = v
    tau = pd.DataFrame({k: pd.Series(v) for k, v in taus.items()}).T.reindex(lam.index)
    return grm_from_cfa(lam, tau.sort_index(axis=1), parameterization="delta")


def cfa_from_grm(params: pd.DataFrame) -> pd.DataFrame:
    """Standardised ordinal-CFA loadings and thresholds from normal-ogive GRM parameters.

    The inverse of :func:`grm_from_cfa` (delta parameterization): ``lambda = a / sqrt(1 +
    a^2)``, ``tau_k = b_k lambda``. ``params`` is a probit :class:`GRMResult` or a table
    with ``a`` and ``b1..bm`` columns (as :func:`grm_from_cfa` returns).

    Returns
    -------
    DataFrame
        Index item: ``loading`` then ``t1..tm``.
    """
    if isinstance(params, GRMResult):
        if params.link != "probit":
            raise DataError("cfa_from_grm: the ordinal CFA is the normal-ogive (probit) GRM; "
                            f"this model has the {params.link} link: fit grm(link='probit')")
        params = params.item_params[["a"]].join(params.thresholds)
    if "a" not in params.columns:
        raise DataError("cfa_from_grm: params need an 'a' column and b1..bm columns")
    a = params["a"].astype(float)
    lam = a / np.sqrt(1 + a ** 2)
    bcols = [c for c in params.columns if str(c).startswith("b")]
    tau = params[bcols].to_numpy(float) * lam.to_numpy()[:, None]
    out = pd.DataFrame(tau, index=params.index, columns=[f"t{k + 1}" for k in range(len(bcols))])
    out.insert(0, "loading", lam.to_numpy())
    return out


# ------------------------------------------------------------------ simulation
def simulate_grm(a, b, n: int, *, link: str = "logit", seed=None, theta=None,
                 return_theta: bool = False):
    """Draw answers 0..m from a graded response model (for studies and tests).

    Parameters
    ----------
    a : array-like, shape (items,)
        Discriminations.
    b : array-like, shape (items, m)
        Increasing thresholds per item (NaN-padded rows for items with fewer categories).
    n : int
        Respondents.
    link : {"logit", "probit"}
    seed : int or Generator, optional
    theta : array-like, optional
        Abilities to use instead of drawing ``n`` from N(0, 1) (``n`` is then ignored).
    return_theta : bool
        Also return the abilities.

    Returns
    -------
    DataFrame, or (DataFrame, ndarray) with ``return_theta``
        ``n`` x items, columns ``i1..iJ``, answers 0..m.
    """
    from ..resample import rng as make_rng

    check_choice(link, _LINKS, "link")
    gen = make_rng(seed)
    a = np.asarray(a, float)
    b = np.atleast_2d(np.asarray(b, float))
    if b.shape[0] != a.size:
        raise DataError(f"simulate_grm: {a.size} discriminations but {b.shape[0]} threshold rows")
    th = gen.standard_normal(check_positive_int(n, "n")) if theta is None \
        else np.asarray(theta, float)
    u = gen.random((th.size, a.size))
    # P(Y >= k) for every k; Y = number of thresholds passed (NaN thresholds never passed)
    with np.errstate(invalid="ignore"):
        cum = _cdf(a[None, :, None] * (th[:, None, None] - b[None, :, :]), link)
    cum = np.nan_to_num(cum, nan=0.0)
    y = (u[:, :, None] < cum).sum(axis=2)
    out = pd.DataFrame(y, columns=[f"i{j + 1}" for j in range(a.size)])
    return (out, th) if return_theta else out
