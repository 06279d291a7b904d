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

# Tolerances of the CML fit (fit_cml) and of the person parameters (solve_theta). The fit
# stops when no parameter moves more than FIT_TOL (a tenth of a thousandth of the 1e-3 to which
# the tests compare with eRm); a step is "uphill" when the log-likelihood falls by less than
# UPHILL_RTOL (relative): round-off at the optimum.
FIT_TOL = 1e-10
MAX_NEWTON = 200          # Newton steps of the fit and of solve_theta (both converge in < 20)
MAX_HALVINGS = 60         # step halvings before a Newton step is given up
UPHILL_RTOL = 1e-12
#: Newton steps are capped at this many logits per parameter, so exp() stays in range.
MAX_STEP = 5.0
#: Below this step size the exact information replaces the cheap approximation.
EXACT_INFO_STEP = 1e-3
#: Estimates beyond this many logits mean the CML estimates do not exist (they run off).
MAX_ABS_PARAMETER = 30
#: solve_theta: a person's Newton iteration stops below this step, and the expected raw score
#: must then equal the observed one to within THETA_RESIDUAL.
THETA_STEP = 1e-12
THETA_RESIDUAL = 1e-8
TINY = 1e-300             # guards a division by the largest step when every step is 0


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
    ``answered[p]`` marks the items of missing-value pattern ``p`` and ``counts[p, r]`` is the
    number of persons with that pattern and raw score ``r``.
    """

    m: np.ndarray
    offsets: np.ndarray
    s: np.ndarray
    answered: np.ndarray
    counts: np.ndarray
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
    m = np.asarray(m, dtype=int)
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
    big_r = int(m.sum())
    counts = np.bincount(inverse * (big_r + 1) + raw,
                         minlength=len(masks) * (big_r + 1)).reshape(len(masks), big_r + 1)
    return Patterns(m=m, offsets=offsets, s=s, answered=masks, counts=counts.astype(float),
                    pattern_of_row=inverse, raw_score=raw, max_score=max_score[inverse])


def _shift_add(poly: np.ndarray, eps: np.ndarray, m_a: int, sign: int = 1) -> np.ndarray:
    """Multiply batched polynomials (rows) by ``1 + Σ_h ε_h x^h`` (sign=1) or apply the
    adjoint (sign=-1: ``out[j] = poly[j] + Σ_h ε_h poly[j+h]``)."""
    out = poly.copy()
    for h in range(1, m_a + 1):
        if sign > 0:
            out[:, h:] += poly[:, :-h] * eps[:, h - 1, None]
        else:
            out[:, :-h] += poly[:, h:] * eps[:, h - 1, None]
    return out


def loglik_derivatives(beta: np.ndarray, pat: Patterns, hessian: bool = True):
    """Conditional log-likelihood, its gradient and (minus) Hessian in ``β``.

    All missing-value patterns are processed at once (arrays of patterns x raw scores): an
    unanswered item contributes the polynomial 1. ``Pre[a]``/``Suf[a]`` are the ESF of the
    items before/from ``a``; ``P(X_a = h | r) = ε_ah Σ_j Pre[a]_j Suf[a+1]_{r-h-j} / γ_r``
    is evaluated only for the (pattern, raw score) cells that occur. The joint terms of the
    Hessian use backward messages ``Bk[a]_j = Σ_s Suf[a]_s w_{j+s}`` with ``w = n / γ``
    (a forward-backward pass), so no per-pair ESF is ever built.

    Returns
    -------
    loglik : float
    gradient : ndarray (Σ m_i,)
    information : ndarray (Σ m_i, Σ m_i) or None
        The observed information (minus the Hessian), which for CML equals the conditional
        covariance of the category counts given the raw scores.
    """
    e = _esf(beta, pat)
    n = pat.counts
    with np.errstate(divide="ignore"):
        loggamma = (np.where(e.valid, np.log(np.where(e.valid, e.gamma, 1.0)), 0.0)
                    - e.rs * e.c[:, None])
    ll = float(pat.s @ beta - (n * loggamma).sum())
    w = np.where(n > 0, n / np.where(e.valid, e.gamma, 1.0), 0.0)
    back = [None] * (e.k + 1)
    back[e.k] = w
    for a in range(e.k - 1, -1, -1):
        back[a] = _shift_add(back[a + 1], e.eps[:, a], pat.m[a], sign=-1)
    if not hessian:
        return ll, pat.s - _expected_from_messages(e, back, pat), None
    prob, nc = _conditional_probabilities(e, pat)
    expected = nc @ prob
    grad = pat.s - expected
    info = -(prob.T * nc) @ prob
    info[np.diag_indices_from(info)] += expected
    _add_joint_terms(info, e, back, pat)
    return ll, grad, info


@dataclass(frozen=True)
class _ESF:
    """The elementary symmetric functions of every missing-value pattern, with the forward
    (``pre``) and backward (``suf``) partial products they are built from."""

    k: int                 # items
    big_r: int             # highest raw score over all items
    eps: np.ndarray        # patterns x items x categories: exp(beta) (0 where unanswered)
    pre: np.ndarray        # (k + 1) x patterns x (big_r + 1): ESF of the items before a
    suf: np.ndarray        # (k + 1) x patterns x (big_r + 1): ESF of the items from a
    gamma: np.ndarray      # patterns x (big_r + 1): the ESF of all items
    c: np.ndarray          # per pattern: the shift of theta that keeps gamma in range
    rs: np.ndarray         # 0..big_r
    valid: np.ndarray      # patterns x (big_r + 1): raw scores a pattern can reach


def _esf(beta: np.ndarray, pat: Patterns) -> _ESF:
    """Forward and backward ESF of every pattern (an unanswered item is the polynomial 1)."""
    m, k = pat.m, len(pat.m)
    big_m, big_r = int(m.max()), int(m.sum())
    n_pat = len(pat.answered)
    bmat = np.zeros((k, big_m))
    for i in range(k):
        bmat[i, :m[i]] = beta[pat.offsets[i]:pat.offsets[i] + m[i]]
    hs = np.arange(1, big_m + 1)
    r_p = pat.answered @ m
    top = bmat[np.arange(k), m - 1]
    # shift θ by c per pattern (ε_ih -> ε_ih e^{hc}) so that γ_0 = γ_R = 1: keeps γ in range;
    # conditional probabilities do not change and log γ_r = log γ'_r − r c
    c = -(pat.answered @ top) / np.maximum(r_p, 1)
    with np.errstate(over="ignore"):
        eps = np.exp(bmat[None] + hs[None, None, :] * c[:, None, None])
    eps *= pat.answered[:, :, None] & (hs[None, :] <= m[:, None])[None]
    pre = np.zeros((k + 1, n_pat, big_r + 1))
    pre[0][:, 0] = 1.0
    for a in range(k):
        pre[a + 1] = _shift_add(pre[a], eps[:, a], m[a])
    suf = np.zeros((k + 1, n_pat, big_r + 1))
    suf[k][:, 0] = 1.0
    for a in range(k - 1, -1, -1):
        suf[a] = _shift_add(suf[a + 1], eps[:, a], m[a])
    gamma = pre[k]
    rs = np.arange(big_r + 1)
    valid = rs[None, :] <= r_p[:, None]
    if not np.all(np.isfinite(gamma)) or np.any(gamma[valid] <= 0):
        raise ModelError("CML: the elementary symmetric functions overflowed; the item "
                         "parameters diverge (items answered almost always in one category?)")
    return _ESF(k=k, big_r=big_r, eps=eps, pre=pre, suf=suf, gamma=gamma, c=c, rs=rs,
                valid=valid)


def _expected_from_messages(e: _ESF, back: list, pat: Patterns) -> np.ndarray:
    """Expected counts Σ_r n_r P(X_a = h | r) = Σ_p ε_ah Σ_j Pre[a]_j Bk[a+1]_{j+h}
    (the gradient-only path: no conditional probabilities per cell)."""
    m, big_r = pat.m, e.big_r
    expected = np.zeros(big_r)
    for a in range(e.k):
        for h in range(1, m[a] + 1):
            expected[pat.offsets[a] + h - 1] = (
                e.eps[:, a, h - 1] @ (e.pre[a][:, :big_r + 1 - h] * back[a + 1][:, h:]).sum(1))
    return expected


def _conditional_probabilities(e: _ESF, pat: Patterns) -> tuple[np.ndarray, np.ndarray]:
    """P(X_a = h | r) = ε_ah γ^{(-a)}_{r-h} / γ_r with γ^{(-a)} = Pre[a] * Suf[a+1], for the
    (pattern, score) cells that occur (rows), and the count of each cell."""
    m, big_r = pat.m, e.big_r
    n = pat.counts
    n_pat = len(pat.answered)
    pc, rc = np.nonzero(n)
    nc = n[pc, rc]
    gc = e.gamma[pc, rc]
    prob = np.zeros((len(pc), big_r))
    for a in range(e.k):
        lo = int(m[:a].sum()) + 1     # Pre[a] has at most lo nonzero coefficients
        hi = big_r - int(m[:a + 1].sum()) + 1
        left, right = ((e.pre[a], e.suf[a + 1][:, :hi]) if lo <= hi
                       else (e.suf[a + 1], e.pre[a][:, :lo]))
        short = min(lo, hi)
        minus = np.zeros((n_pat, big_r + 1))
        for j in range(short):
            minus[:, j:j + right.shape[1]] += left[:, j, None] * right
        for h in range(1, m[a] + 1):
            t = rc - h
            ok = t >= 0
            prob[ok, pat.offsets[a] + h - 1] = (e.eps[pc[ok], a, h - 1] * minus[pc[ok], t[ok]]
                                                / gc[ok])
    return prob, nc


def _add_joint_terms(info: np.ndarray, e: _ESF, back: list, pat: Patterns) -> None:
    """The joint terms of the information of items a < b, from the forward messages of the
    items before b and the backward messages ``Bk[b+1]`` (no per-pair ESF is built)."""
    m, big_r, n_pat = pat.m, e.big_r, len(pat.answered)
    for a in range(e.k - 1):
        fwd = e.pre[a]
        sa = slice(pat.offsets[a], pat.offsets[a] + m[a])
        for b in range(a + 1, e.k):
            bk = back[b + 1]
            u = np.zeros((n_pat, m[a] + m[b] + 1))
            for sh in range(2, m[a] + m[b] + 1):
                u[:, sh] = (fwd[:, :big_r + 1 - sh] * bk[:, sh:]).sum(axis=1)
            hk = np.add.outer(np.arange(1, m[a] + 1), np.arange(1, m[b] + 1))
            joint = ((e.eps[:, a, :m[a], None] * e.eps[:, b, None, :m[b]]) * u[:, hk]).sum(axis=0)
            sb = slice(pat.offsets[b], pat.offsets[b] + m[b])
            info[sa, sb] += joint
            info[sb, sa] += joint.T
            fwd = _shift_add(fwd, e.eps[:, b], m[b])


def category_moments(theta: np.ndarray, bpad: np.ndarray, mask: np.ndarray):
    """Expected score, variance and 4th central moment of each item at each θ.

    ``bpad`` (k, M+1) holds β_ih with β_i0 = 0 and −inf beyond an item's top category;
    ``mask`` (n, k) marks answered items (the others get 0).
    """
    h = np.arange(bpad.shape[1])
    logits = theta[:, None, None] * h + bpad[None]
    logits -= logits.max(axis=2, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=2, keepdims=True)
    e = p @ h
    dev = h[None, None, :] - e[..., None]
    v = (p * dev ** 2).sum(axis=2)
    c = (p * dev ** 4).sum(axis=2)
    return e * mask, v * mask, c * mask


def _score_moments(theta: np.ndarray, bpad: np.ndarray, mask: np.ndarray):
    """Expected raw score and its variance at each θ (over the answered items)."""
    h = np.arange(bpad.shape[1])
    logits = theta[:, None, None] * h + bpad[None]
    logits -= logits.max(axis=2, keepdims=True)
    p = np.exp(logits)
    p *= (mask / p.sum(axis=2))[:, :, None]
    e = (p @ h).sum(axis=1)
    return e, (p @ (h * h)).sum(axis=1) - ((p @ h) ** 2).sum(axis=1)


def solve_theta(r: np.ndarray, bpad: np.ndarray, mask: np.ndarray):
    """ML θ for raw scores ``r`` (0 < r < max) over the answered items, by Newton's method.

    Returns θ and its standard error ``1 / sqrt(test information)``.
    """
    top = (np.isfinite(bpad).sum(axis=1) - 1)
    r_max = mask @ top
    theta = np.log(r / (r_max - r))       # the logit of the proportion: a close start
    active = np.arange(len(r))
    for _ in range(MAX_NEWTON):
        if not len(active):
            break
        e, v = _score_moments(theta[active], bpad, mask[active])
        step = np.clip((r[active] - e) / v, -1.0, 1.0)
        theta[active] += step
        active = active[np.abs(step) >= THETA_STEP]
    e, v = _score_moments(theta, bpad, mask)
    if np.max(np.abs(r - e), initial=0.0) > THETA_RESIDUAL:
        raise ModelError("person parameters: the ML equation for theta did not converge")
    return theta, 1.0 / np.sqrt(v)


def padded_beta(beta: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``β`` as an items x (M+1) array: ``β_i0 = 0``, −inf beyond an item's top category."""
    bpad = np.full((len(m), int(m.max()) + 1), -np.inf)
    bpad[:, 0] = 0.0
    off = 0
    for i, mi in enumerate(m):
        bpad[i, 1:mi + 1] = beta[off:off + mi]
        off += mi
    return bpad


def approx_information(beta: np.ndarray, pat: Patterns) -> np.ndarray:
    """A cheap approximation of the CML information, used only to choose Newton directions.

    For each (pattern, raw score) cell, the information of the joint model at the person's
    ML θ with θ profiled out (a Schur complement): ``B − g g' / I_θ`` with ``B`` the
    block-diagonal category covariance of independent items, ``g = Cov(category indicators,
    raw score)`` and ``I_θ`` the test information. It tends to the CML information as the
    number of items grows and costs a fraction of the exact pair terms; the standard errors
    always use the exact information.
    """
    m = pat.m
    r_p = pat.answered @ m
    pc, rc = np.nonzero(pat.counts)
    keep = (rc > 0) & (rc < r_p[pc])
    pc, rc = pc[keep], rc[keep]
    nc = pat.counts[pc, rc]
    mask = pat.answered[pc]
    bpad = padded_beta(beta, m)
    theta, _se = solve_theta(rc.astype(float), bpad, mask)
    h = np.arange(bpad.shape[1])
    logits = theta[:, None, None] * h + bpad[None]
    logits -= logits.max(axis=2, keepdims=True)
    prob = np.exp(logits)
    prob /= prob.sum(axis=2, keepdims=True)
    prob *= mask[:, :, None]
    e = prob @ h
    g_full = prob * (h[None, None, :] - e[..., None])
    var = (g_full * h).sum(axis=2).sum(axis=1)
    cols = [(i, hh) for i in range(len(m)) for hh in range(1, m[i] + 1)]
    ii = np.array([c[0] for c in cols])
    hh = np.array([c[1] for c in cols])
    p_all = prob[:, ii, hh]
    g = g_full[:, ii, hh]
    info = np.diag(nc @ p_all)
    for i in range(len(m)):
        sl = slice(pat.offsets[i], pat.offsets[i] + m[i])
        info[sl, sl] -= (p_all[:, sl] * nc[:, None]).T @ p_all[:, sl]
    info -= (g * (nc / var)[:, None]).T @ g
    return info


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


def fit_cml(pat: Patterns, w: np.ndarray, *, tol: float = FIT_TOL,
            max_iter: int = MAX_NEWTON) -> CMLFit:
    """Maximise the conditional log-likelihood over ``η``.

    Newton-type steps with the exact gradient; the direction uses
    :func:`approx_information` (cheap) until the steps are small, then the exact
    information (one evaluation, reused: a chord iteration that converges fast that close).
    Step halving keeps every step uphill (the objective is concave). Convergence: the largest
    step is below ``tol``. The standard errors come from the exact information at the final
    estimate (eRm: ``nlm``'s finite-difference Hessian).
    """
    eta = np.zeros(w.shape[1])
    ll, grad, _ = loglik_derivatives(w @ eta, pat, hessian=False)
    info = None
    converged = False
    iterations = 0
    for _ in range(max_iter):
        iterations += 1
        use = info if info is not None else approx_information(w @ eta, pat)
        try:
            step = np.linalg.solve(w.T @ use @ w, w.T @ grad)
        except np.linalg.LinAlgError:
            raise ModelError("CML: the information matrix is singular; the item parameters "
                             "are not identified by these data") from None
        # steps are capped at 5 logits per parameter to keep exp() in range
        scale = min(1.0, MAX_STEP / max(np.max(np.abs(step)), TINY))
        for _ in range(MAX_HALVINGS):
            cand = eta + scale * step
            try:
                ll_new, grad_new, _ = loglik_derivatives(w @ cand, pat, hessian=False)
            except ModelError:
                ll_new = -np.inf
            if ll_new >= ll - UPHILL_RTOL * abs(ll):
                break
            scale /= 2
        else:
            break
        eta, ll, grad = cand, ll_new, grad_new
        size = np.max(np.abs(scale * step))
        if size < tol:
            converged = True
            break
        if info is None and size < EXACT_INFO_STEP:
            info = loglik_derivatives(w @ eta, pat)[2]
    if not converged or not np.all(np.isfinite(eta)) or np.max(np.abs(eta)) > MAX_ABS_PARAMETER:
        # the objective is concave: Newton steps that never settle mean that it keeps rising
        # towards infinite parameters, i.e. the CML estimates do not exist
        raise ModelError(f"CML: no convergence in {iterations} iterations (largest parameter "
                         f"{np.max(np.abs(eta)):.1f}): the estimates do not exist for these "
                         "data (an item or category is answered by (almost) everyone or no "
                         "one given the raw scores, or the items split into groups never "
                         "answered in both orders)")
    ll, grad, info = loglik_derivatives(w @ eta, pat)
    try:
        vcov_eta = np.linalg.inv(w.T @ info @ w)
    except np.linalg.LinAlgError:
        raise ModelError("CML: the information matrix is singular at the estimate") from None
    return CMLFit(eta=eta, beta=w @ eta, vcov_eta=vcov_eta, vcov_beta=w @ vcov_eta @ w.T,
                  loglik=ll, iterations=iterations, converged=converged, design=w)
