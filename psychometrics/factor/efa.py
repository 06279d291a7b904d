"""Exploratory factor analysis as ``psych`` does it: KMO, Bartlett, parallel analysis, ``fa``.

Everything starts from the pairwise-complete Pearson correlation matrix with ``n`` = all rows
(psych's default ``use = "pairwise"``), not from imputed or listwise-deleted data: on the bfi
items a package that drops or imputes rows first differs from psych by up to ~0.01 in
loadings. factor_analyzer is not used: it imputes medians on raw data, sums squared pattern
loadings for oblique communalities, and its 0.5.1 release breaks with scikit-learn >= 1.8;
the estimators below are short and are checked against psych directly.

Estimation (``psych::fac``)
    * ``minres``: unweighted least squares on the uniquenesses ``psi`` (bounds 0.005..1),
      loadings from the eigen decomposition of ``R - diag(psi)``; psych's ``fit.residuals``
      objective (off-diagonal residuals) and the ULS objective used here have the same
      minimiser, which we find to a much tighter tolerance than R's ``optim`` default.
    * ``ml``: ``factanal``'s concentrated likelihood in ``psi`` with its analytic gradient.

    Starting values are ``1 - smc``, as psych. Columns are signed to have positive sums,
    rotated, signed again, named ``MR1..``/``ML1..`` in the rotation's output order and then
    sorted by their sums of squared pattern loadings, exactly as ``psych::fac``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from .._checks import check_choice, check_items, check_positive_int, identical_items
from .._results import Result, format_table
from ..distributions import stats  # scipy.stats' numbers without its import cost
from ..errors import ConvergenceError, DataError
from ..resample import resolve_seed, seed_record
from ..resample import rng as resample_rng
from ..threads import blas_limited
from .correlation import batched_corr, pairwise_corr, pairwise_counts, smc
from .rotation import rotate as _rotate

__all__ = ["KMOResult", "BartlettResult", "ParallelResult", "EFAResult",
           "kmo", "bartlett", "parallel_analysis", "efa", "correlation_matrix"]

_METHODS = {"minres": "MR", "ml": "ML"}
_ROTATIONS = ("oblimin", "varimax", "promax", None)
_LOWER, _UPPER = 0.005, 1.0   # psych's optim bounds on the uniquenesses
# cells (data sets x rows x items) of one batch of column-resampled data in parallel analysis:
# 20M doubles = 160 MB, a memory bound chosen for a laptop (the numbers do not depend on it)
_RESAMPLE_CELLS = 20_000_000


# --------------------------------------------------------------------------- input
def correlation_matrix(items, *, missing: str = "pairwise", min_items: int = 2):
    """Validate items and return ``(R, n_obs, counts, ItemMatrix)`` as psych uses them.

    ``missing="pairwise"`` (psych's default): pairwise-complete correlations and ``n_obs`` =
    all rows; ``"listwise"``: rows with any missing item dropped first.
    """
    check_choice(missing, ("pairwise", "listwise"), "missing")
    im = check_items(items, min_items=min_items, min_rows=3, listwise=missing == "listwise")
    x = im.values
    r = pairwise_corr(x)
    if np.isnan(r).any():
        i, j = np.argwhere(np.isnan(r))[0]
        a, b = im.columns[i], im.columns[j]
        what = (f"item {a!r} is constant or has fewer than 2 answers" if i == j else
                f"items {a!r} and {b!r} have fewer than 2 rows answered in common "
                "or one of them is constant there")
        raise DataError(f"cannot compute the correlation matrix: {what}")
    return r, im.n, pairwise_counts(x), im


class FitDict(dict):
    """The EFA fit statistics; the renamed key ``p_value`` (now ``pvalue``) still reads for
    one release, with a DeprecationWarning (it is not listed, iterated or serialised)."""

    _RENAMED = {"p_value": "pvalue"}

    def __missing__(self, key):
        if key in self._RENAMED:
            new = self._RENAMED[key]
            warnings.warn(f"the fit key {key!r} is deprecated; use {new!r}", DeprecationWarning,
                          stacklevel=2)
            return self[new]
        raise KeyError(key)


def _smooth(r: np.ndarray, eig_tol: float = 1e-12) -> np.ndarray:
    """psych's ``cor.smooth``: make a non-positive-definite matrix positive definite."""
    w, v = np.linalg.eigh(r)
    if not (w < eig_tol).any():
        return r
    w = np.where(w < eig_tol, 100 * eig_tol, w)
    w = w * r.shape[0] / w.sum()
    s = (v * w) @ v.T
    d = 1 / np.sqrt(np.diag(s))
    return s * d[:, None] * d[None, :]


# --------------------------------------------------------------------------- KMO / Bartlett
@dataclass(frozen=True)
class KMOResult(Result):
    """Kaiser-Meyer-Olkin measure of sampling adequacy (``psych::KMO``)."""

    msa: float
    msai: pd.Series

    def summary(self) -> str:
        t = self.msai.to_frame("MSA")
        return format_table(t, f"Kaiser-Meyer-Olkin: overall MSA = {self.msa:.3f}")


@blas_limited
def kmo(items, *, missing: str = "pairwise") -> KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item.

    Parameters
    ----------
    items : DataFrame or array-like (respondents x items), NaN = missing
    missing : {"pairwise", "listwise"}

    Returns
    -------
    KMOResult
        ``msa`` (overall) and ``msai`` (per item, a Series).

    Notes
    -----
    With ``Q`` the anti-image (partial) correlations, ``cov2cor(solve(R))``, and both
    diagonals set to 0: ``MSA = sum r^2 / (sum r^2 + sum q^2)``, per item over that item's
    column. Matches ``psych::KMO`` on the pairwise correlation matrix to 1e-12.

    References
    ----------
    Kaiser, H. F. (1970). A second generation little jiffy. *Psychometrika*, 35, 401-415.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> x = f + rng.normal(size=(200, 4))
    >>> res = kmo(x)
    >>> 0.5 < res.msa < 1
    True
    """
    r, _, _, im = correlation_matrix(items, missing=missing)
    q = np.linalg.inv(r) if np.linalg.matrix_rank(r) == r.shape[0] else r.copy()
    d = 1 / np.sqrt(np.diag(q))
    q = q * d[:, None] * d[None, :]
    np.fill_diagonal(q, 0.0)
    r0 = r.copy()
    np.fill_diagonal(r0, 0.0)
    r2, q2 = (r0 ** 2).sum(axis=0), (q ** 2).sum(axis=0)
    return KMOResult(msa=float(r2.sum() / (r2.sum() + q2.sum())),
                     msai=pd.Series(r2 / (r2 + q2), index=im.columns, name="msa"))


@dataclass(frozen=True)
class BartlettResult(Result):
    """Bartlett's test that the correlation matrix is an identity (``psych::cortest.bartlett``).

    Attributes
    ----------
    chisq : float
    df : int
    pvalue : float
        Upper-tail chi-square probability (``p_value`` is its deprecated old name, still
        readable for one release with a DeprecationWarning).
    n : int
    """

    chisq: float
    df: int
    pvalue: float
    n: int

    @property
    def p_value(self) -> float:
        """Deprecated: the old name of :attr:`pvalue` (one release)."""
        warnings.warn("BartlettResult.p_value is deprecated; use .pvalue", DeprecationWarning,
                      stacklevel=2)
        return self.pvalue

    def summary(self) -> str:
        return (f"Bartlett's test of sphericity: chi-square = {self.chisq:.2f}, "
                f"df = {self.df}, p = {self.pvalue:.3g} (n = {self.n})")


@blas_limited
def bartlett(items, *, missing: str = "pairwise") -> BartlettResult:
    """Bartlett's test of sphericity.

    Notes
    -----
    ``chisq = -log(det(R)) * (n - 1 - (2p + 5) / 6)`` on ``df = p(p - 1)/2``, with ``R`` the
    pairwise correlation matrix and ``n`` the number of rows, as ``psych::cortest.bartlett``
    on raw data (matches to 1e-10).

    References
    ----------
    Bartlett, M. S. (1951). The effect of standardization on a chi square approximation in
    factor analysis. *Biometrika*, 38, 337-344.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(100, 3))
    >>> bartlett(x).df
    3
    """
    r, n, _, _ = correlation_matrix(items, missing=missing)
    p = r.shape[0]
    sign, logdet = np.linalg.slogdet(r)
    if sign <= 0:
        raise DataError("the correlation matrix is singular: Bartlett's test is not defined")
    chisq = -logdet * (n - 1 - (2 * p + 5) / 6)
    df = p * (p - 1) // 2
    return BartlettResult(chisq=float(chisq), df=int(df),
                          pvalue=float(stats.chi2.sf(chisq, df)), n=int(n))


# --------------------------------------------------------------------------- estimation
def _uls_objective(psi, s, nf):
    w, v = np.linalg.eigh(s - np.diag(psi))
    w, v = w[::-1], v[:, ::-1]
    # residual eigenvalues: all beyond nf, and negative ones among the first nf
    res = np.concatenate([np.minimum(w[:nf], 0), w[nf:]])
    vr = np.concatenate([v[:, :nf], v[:, nf:]], axis=1)
    f = 0.5 * (res ** 2).sum()
    g = -(vr ** 2 * res).sum(axis=1)
    return f, g


def _ml_objective(psi, s, nf):
    sc = 1 / np.sqrt(psi)
    sstar = s * sc[:, None] * sc[None, :]
    w, v = np.linalg.eigh(sstar)
    w, v = w[::-1], v[:, ::-1]
    e = w[nf:]
    f = -(np.sum(np.log(e) - e) - nf + s.shape[0])
    load = v[:, :nf] * np.sqrt(np.maximum(w[:nf] - 1, 0))
    load = load * np.sqrt(psi)[:, None]
    g = (load ** 2).sum(axis=1) + psi - np.diag(s)
    return f, g / psi ** 2


def fit_psi(r: np.ndarray, nf: int, method: str) -> tuple[np.ndarray, object]:
    start = np.clip(np.diag(r) - smc(r), _LOWER, _UPPER)
    fun = _uls_objective if method == "minres" else _ml_objective
    res = optimize.minimize(fun, start, args=(r, nf), jac=True, method="L-BFGS-B",
                            bounds=[(_LOWER, _UPPER)] * len(start),
                            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 5000,
                                     "maxcor": 20})
    if not np.all(np.isfinite(res.x)):
        raise ConvergenceError(f"{method} factor analysis failed: {res.message}")
    return res.x, res


def unrotated(r: np.ndarray, psi: np.ndarray, nf: int, method: str) -> np.ndarray:
    if method == "minres":               # psych FAout.wls
        s = r.copy()
        np.fill_diagonal(s, 1 - psi)
        w, v = np.linalg.eigh(s)
        w, v = w[::-1][:nf], v[:, ::-1][:, :nf]
        return v * np.sqrt(np.maximum(w, 0))
    sc = np.sqrt(psi)                    # factanal FAout
    w, v = np.linalg.eigh(r / sc[:, None] / sc[None, :])
    w, v = w[::-1][:nf], v[:, ::-1][:, :nf]
    return (v * np.sqrt(np.maximum(w - 1, 0))) * sc[:, None]


def fa_core(r: np.ndarray, nf: int, method: str = "minres", rotation: str | None = "oblimin",
             sort: bool = True) -> dict:
    """psych::fac on a correlation matrix: loadings, Phi, rot.mat, communalities, values."""
    psi, opt = fit_psi(r, nf, method)
    lam = unrotated(r, psi, nf, method)
    sign = np.sign(lam.sum(axis=0))
    sign[sign == 0] = 1
    lam = lam * sign
    model = lam @ lam.T
    s = r.copy()
    np.fill_diagonal(s, np.diag(model))
    values = np.linalg.eigvalsh(s)[::-1]
    unrot = lam.copy()
    lam = np.where(lam == 0, 1e-15, lam)
    rot = _rotate(lam, rotation) if nf > 1 else _rotate(lam, None)
    load, phi, rotmat = rot.loadings, rot.phi, rot.rotmat
    sign = np.sign(load.sum(axis=0))
    sign[sign == 0] = 1
    load = load * sign
    if phi is not None:
        phi = phi * sign[:, None] * sign[None, :]
    names = [f"{_METHODS[method]}{i + 1}" for i in range(nf)]
    order = np.arange(nf)
    if sort and nf > 1:
        # psych 2.2.9 orders by variance accounted for, diag(Phi L'L) when oblique
        vx = (load ** 2).sum(axis=0) if phi is None else np.diag(phi @ load.T @ load)
        order = np.argsort(-vx, kind="stable")
    load = load[:, order]
    if phi is not None:
        phi = phi[np.ix_(order, order)]
    return {"psi": psi, "unrotated": unrot, "loadings": load, "phi": phi, "rotmat": rotmat,
            "names": [names[i] for i in order], "order": order, "communality": np.diag(model),
            "uniqueness": np.diag(r) - np.diag(model), "values": values, "optim": opt,
            "rotation_sign": sign}


def _variance_table(load: np.ndarray, phi: np.ndarray | None, vtotal: float) -> np.ndarray:
    vx = (load ** 2).sum(axis=0) if phi is None else np.diag(phi @ load.T @ load)
    return np.vstack([vx, vx / vtotal, np.cumsum(vx / vtotal), vx / vx.sum(),
                      np.cumsum(vx / vx.sum())])


def _fit_stats(r, load, phi, n_obs, np_obs, alpha=0.1) -> dict:
    """The fit statistics of ``psych::factor.stats`` (called by fa with raw data)."""
    n = r.shape[0]
    nf = load.shape[1]
    model = load @ (phi if phi is not None else np.eye(nf)) @ load.T
    resid = r - model
    r2 = (r * r).sum()
    rstar2 = (resid * resid).sum()
    dof = n * (n - 1) / 2 - n * nf + nf * (nf - 1) / 2
    np.fill_diagonal(resid, 0.0)
    if np_obs is None:
        rstar_off = (resid ** 2).sum()
        r2_off = r2 - np.trace(r)
        nh = n_obs
    else:
        rstar_off = (resid ** 2 * np_obs).sum()
        w = r * r * np_obs
        r2_off = w.sum() - np.trace(w)
        nh = stats.hmean(np_obs.ravel())
    out = {"rms": np.sqrt(rstar_off / (nh * n * (n - 1))) if np_obs is not None
           else np.sqrt(rstar_off / (n * (n - 1))),
           "crms": np.sqrt(rstar_off / (2 * nh * dof)) if (dof > 0 and np_obs is not None)
           else (np.sqrt(rstar_off / (2 * dof)) if dof > 0 else np.nan),
           "fit": 1 - rstar2 / r2, "fit_off": 1 - rstar_off / r2_off}
    m = model.copy()
    np.fill_diagonal(m, np.diag(r))
    m, rs = _smooth(m), _smooth(r)
    mir = np.linalg.solve(m, rs)
    sign, logdet = np.linalg.slogdet(mir)
    objective = np.trace(mir) - logdet - n
    f0 = np.trace(rs) - np.linalg.slogdet(rs)[1] - n
    out.update({"objective": objective, "dof": dof, "null_dof": n * (n - 1) / 2,
                "n_obs": n_obs})
    nm = (n_obs - 1) - (2 * n + 5) / 6 - (2 * nf) / 3
    chisq = max(objective * nm, 0.0)
    out["chi_square_ml"] = chisq
    out["pvalue"] = stats.chi2.sf(chisq, dof) if dof > 0 else np.nan
    out["null_chisq"] = f0 * ((n_obs - 1) - (2 * n + 5) / 6)
    mm = objective / dof if dof != 0 else np.nan
    m0 = f0 * 2 / (n * (n - 1))
    out["tli"] = (m0 - mm) / (m0 - 1 / nm)
    rmsea = lo = hi = np.nan
    if dof > 0:
        # psych 2.2.9: chi-square over dof * N, minus 1 / (N - 1)
        rmsea = np.sqrt(max(chisq / (dof * n_obs) - 1 / (n_obs - 1), 0))
        tail = alpha / 2
        upper = max(n_obs, chisq) + 2 * n_obs

        def bound(target):
            if stats.chi2.cdf(chisq, dof) <= target:
                return 0.0
            try:
                lam = optimize.brentq(lambda x: stats.ncx2.cdf(chisq, dof, max(x, 1e-12))
                                      - target, 0, upper)
            except ValueError:
                return np.nan
            return np.sqrt(lam / (n_obs - 1) / dof)
        hi, lo = bound(tail), bound(1 - tail)
        if np.isfinite(hi) and hi < rmsea:
            hi = np.nan
        if np.isfinite(lo) and lo > rmsea:
            lo = np.nan
        out["bic"] = chisq - dof * np.log(n_obs)
    else:
        out["bic"] = np.nan
    out.update({"rmsea": rmsea, "rmsea_lower": lo, "rmsea_upper": hi})
    keys = ["objective", "chi_square_ml", "dof", "pvalue", "rmsea", "rmsea_lower",
            "rmsea_upper", "tli", "bic", "rms", "crms", "fit", "fit_off", "null_chisq",
            "null_dof", "n_obs"]
    return FitDict({k: float(out[k]) for k in keys})


# --------------------------------------------------------------------------- EFA
_VARIANCE_ROWS = ["SS_loadings", "Proportion_Var", "Cumulative_Var", "Proportion_Explained",
                  "Cumulative_Proportion"]


@dataclass(frozen=True)
class EFAResult(Result):
    """An exploratory factor solution (``psych::fa``).

    Attributes
    ----------
    loadings : DataFrame (items x factors)
        Rotated pattern loadings, factors named and ordered as psych (``MR1``/``ML1``...).
    communality, uniqueness : Series
        ``diag(L Phi L')`` and ``1 -`` that.
    phi : DataFrame or None
        Factor correlations (oblique rotations).
    variance : DataFrame
        ``SS_loadings``, ``Proportion_Var``, ``Cumulative_Var``, ``Proportion_Explained``,
        ``Cumulative_Proportion`` per factor (psych's ``Vaccounted``).
    rotation_matrix : DataFrame or None
        psych's ``rot.mat`` (rows/columns in the rotation's own factor order, not sorted).
    fit : dict
        psych's ``factor.stats``: ``objective``, ``chi_square_ml``, ``dof``, ``pvalue``
        (the old key ``p_value`` is still readable for one release, with a
        DeprecationWarning),
        ``rmsea`` (+ ``rmsea_lower``/``rmsea_upper``, 90%), ``tli``, ``bic``, ``rms``,
        ``crms``, ``fit``, ``fit_off``, ``null_chisq``, ``null_dof``, ``n_obs``.
    """

    loadings: pd.DataFrame
    communality: pd.Series
    uniqueness: pd.Series
    phi: pd.DataFrame | None
    variance: pd.DataFrame
    rotation_matrix: pd.DataFrame | None
    fit: dict
    method: str
    rotation: str | None
    n_factors: int
    n_obs: int
    eigenvalues: np.ndarray = field(repr=False)
    structure: pd.DataFrame = field(repr=False)

    def summary(self) -> str:
        t = self.loadings.copy()
        t["h2"] = self.communality
        t["u2"] = self.uniqueness
        parts = [format_table(t, f"Factor analysis: {self.n_factors} factors, "
                                 f"{self.method}, rotation {self.rotation}, n = {self.n_obs}"),
                 format_table(self.variance, "Variance accounted for")]
        if self.phi is not None:
            parts.append(format_table(self.phi, "Factor correlations"))
        f = self.fit
        parts.append(f"chi-square = {f['chi_square_ml']:.2f} on {f['dof']:.0f} df, "
                     f"p = {f['pvalue']:.3g}; RMSEA = {f['rmsea']:.4f}; TLI = {f['tli']:.3f};"
                     f" RMSR = {f['rms']:.4f}")
        return "\n\n".join(parts)


def _check_method(method: str, rotation) -> str | None:
    check_choice(method, sorted(_METHODS), "method")
    if rotation == "none":
        rotation = None
    check_choice(rotation, ("oblimin", "varimax", "promax", None), "rotation")
    return rotation


def _warn_degenerate(r: np.ndarray, columns, dof: float, nf: int) -> None:
    """Fit statistics psych prints without a word, although they mean nothing: a model with
    no degrees of freedom left (TLI 5, say), or identical items (a singular matrix)."""
    if dof <= 0:
        warnings.warn(f"{nf} factors for {r.shape[0]} items leave df = {dof:g}: the model has as many "
                      "or more free parameters than the correlations; chi-square, RMSEA and TLI are "
                      "not meaningful (use fewer factors)", UserWarning, stacklevel=3)
    pairs = identical_items(r, columns)
    if pairs:
        warnings.warn(f"identical items (r = 1): {pairs[:5]}; the correlation matrix is singular "
                      "and the fit statistics are not meaningful (drop one of each pair)",
                      UserWarning, stacklevel=3)


@blas_limited
def efa(items, n_factors: int, *, method: str = "minres", rotation: str | None = "oblimin",
        missing: str = "pairwise") -> EFAResult:
    """Exploratory factor analysis matching ``psych::fa``.

    Parameters
    ----------
    items : DataFrame or array-like (respondents x items), NaN = missing
    n_factors : int
    method : {"minres", "ml"}
        Minimum residual (psych's default) or maximum likelihood.
    rotation : {"oblimin", "varimax", "promax", None}
        ``oblimin`` is ``GPArotation::oblimin`` (quartimin, unnormalised), ``varimax`` is
        ``stats::varimax`` (Kaiser normalised), ``promax`` is psych's Kaiser-normalised
        ``Promax`` (power 4).
    missing : {"pairwise", "listwise"}
        ``pairwise`` (psych's default) uses every row: pairwise correlations, ``n`` = rows.

    Returns
    -------
    EFAResult

    Notes
    -----
    Communalities are ``diag(L Phi L')`` (psych; factor_analyzer sums squared *pattern*
    loadings instead, which is wrong for oblique rotations). The variance table uses
    ``diag(Phi L'L)`` for oblique solutions, as psych's ``Vaccounted``. The chi-square is
    ``objective * (n - 1 - (2p + 5)/6 - 2m/3)`` and the empirical statistics (``rms``,
    ``crms``) weight residuals by the pairwise counts, as ``psych::factor.stats`` with raw
    data; RMSEA is psych 2.2.9's ``sqrt(chisq / (df N) - 1 / (N - 1))``.

    Agreement with psych 2.2.9 (``tests/test_efa.py``): on bfi (25 items, 5 factors) and
    Holzinger-Swineford (9 items, 3 factors), for ``ml`` and ``minres`` and all four
    rotations, loadings, communalities, factor correlations and the variance table agree to
    1e-5 (largest difference seen 7e-6), with psych's factor names and order; fit
    statistics to a relative 1e-5. psych stops its L-BFGS-B at ``optim``'s default
    tolerance, we converge further; that is the remaining difference.

    References
    ----------
    Revelle, W. (2022). *psych: Procedures for Psychological, Psychometric, and Personality
    Research*, version 2.2.9 (``fa``). Bernaards, C. A., & Jennrich, R. I. (2005). Gradient
    projection algorithms and software for arbitrary rotation criteria in factor analysis.
    *Educational and Psychological Measurement*, 65, 676-696.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(500, 2))
    >>> x = np.hstack([f[:, [0]] + rng.normal(size=(500, 3)), f[:, [1]] + rng.normal(size=(500, 3))])
    >>> res = efa(x, 2, method="ml")
    >>> list(res.loadings.columns)
    ['ML1', 'ML2']
    >>> bool((res.loadings.abs().max(axis=1) > 0.5).all())
    True
    """
    rotation = _check_method(method, rotation)
    r, n, counts, im = correlation_matrix(items, missing=missing)
    p = r.shape[0]
    if not 1 <= int(n_factors) < p:
        raise DataError(f"n_factors must be between 1 and {p - 1} for {p} items, got {n_factors}")
    nf = int(n_factors)
    core = fa_core(r, nf, method, rotation)
    fit = _fit_stats(r, core["loadings"], core["phi"], n,
                     counts if missing == "pairwise" else None)
    _warn_degenerate(r, im.columns, fit["dof"], nf)
    return _efa_result(core, r, int(n), im.columns, method, rotation, fit)


def _efa_result(core: dict, r: np.ndarray, n: int, cols, method: str, rotation, fit: dict):
    """Label the solution of :func:`fa_core` as psych does and wrap it in an EFAResult."""
    names = core["names"]
    nf = len(names)
    load, phi = core["loadings"], core["phi"]
    var = _variance_table(load, phi, float(np.trace(r)))
    # rot.mat in psych's own (unsorted) factor order
    raw_names = [f"{_METHODS[method]}{i + 1}" for i in range(nf)]
    rotmat = (pd.DataFrame(core["rotmat"], index=raw_names, columns=raw_names)
              if rotation is not None and nf > 1 else None)
    struct = load @ phi if phi is not None else load
    return EFAResult(
        loadings=pd.DataFrame(load, index=cols, columns=names),
        communality=pd.Series(core["communality"], index=cols, name="h2"),
        uniqueness=pd.Series(core["uniqueness"], index=cols, name="u2"),
        phi=None if phi is None else pd.DataFrame(phi, index=names, columns=names),
        variance=pd.DataFrame(var if nf > 1 else var[:2], columns=names,
                              index=_VARIANCE_ROWS if nf > 1 else _VARIANCE_ROWS[:2]),
        rotation_matrix=rotmat, fit=fit, method=method, rotation=rotation, n_factors=nf,
        n_obs=n, eigenvalues=core["values"],
        structure=pd.DataFrame(struct, index=cols, columns=names))


# --------------------------------------------------------------------------- parallel analysis
def _minres1_values(r: np.ndarray, tol: float = 1e-7, max_iter: int = 1000) -> np.ndarray:
    """Eigenvalues of one-factor minres solutions for a stack of correlation matrices.

    ``r`` is (b, p, p). This is ``fa(r, fm = "minres")$values`` for every matrix at once: the
    eigenvalues of ``r`` with its diagonal replaced by the one-factor communalities. The
    one-factor ULS solution is found by iterated principal axes (whose fixed point is the ULS
    stationary point) run on the whole batch with batched ``eigh``; matrices that have
    converged leave the batch.
    """
    b, p, _ = r.shape
    idx = np.arange(p)
    h = np.clip(1 - 1 / np.diagonal(np.linalg.pinv(r), axis1=1, axis2=2), 0, 1 - _LOWER)
    m = r.copy()
    active = np.ones(b, dtype=bool)
    for _ in range(max_iter):
        m[:, idx, idx] = h
        w, v = np.linalg.eigh(m[active])
        lam = v[:, :, -1] * np.sqrt(np.maximum(w[:, -1], 0))[:, None]
        hn = np.clip(lam ** 2, 0, 1 - _LOWER)
        delta = np.abs(hn - h[active]).max(axis=1)
        h[active] = hn
        still = delta > tol
        act_idx = np.flatnonzero(active)
        active[act_idx[~still]] = False
        if not active.any():
            break
    m[:, idx, idx] = h
    return np.linalg.eigvalsh(m)[:, ::-1]


@dataclass(frozen=True)
class ParallelResult(Result):
    """Parallel analysis (``psych::fa.parallel(fa = "both")``).

    ``n_factors`` / ``n_components`` are psych's ``nfact`` / ``ncomp``: the number of leading
    observed eigenvalues that exceed the simulated ones (mean, or the ``quantile``).
    """

    n_factors: int
    n_components: int
    fa_values: np.ndarray
    pc_values: np.ndarray
    fa_sim: np.ndarray
    pc_sim: np.ndarray
    fa_simr: np.ndarray | None
    pc_simr: np.ndarray | None
    n_iter: int
    n_obs: int
    quantile: float | None
    seed: int | None = None

    def table(self) -> pd.DataFrame:
        k = len(self.pc_values)
        t = pd.DataFrame({"fa": self.fa_values, "fa_sim": self.fa_sim, "pc": self.pc_values,
                          "pc_sim": self.pc_sim}, index=pd.RangeIndex(1, k + 1, name="number"))
        if self.fa_simr is not None:
            t["fa_resampled"], t["pc_resampled"] = self.fa_simr, self.pc_simr
        return t

    def summary(self) -> str:
        return format_table(self.table(), (
            f"Parallel analysis ({self.n_iter} simulations, n = {self.n_obs}): "
            f"{self.n_factors} factors, {self.n_components} components"))


def _leading_above(obs: np.ndarray, ref: np.ndarray) -> int:
    above = obs > ref
    return int(len(obs) if above.all() else np.argmin(above))


def _wishart_corr(g: np.random.Generator, n: int, p: int, b: int) -> np.ndarray:
    """Correlation matrices of ``b`` samples of ``n`` iid N(0, I_p) rows, drawn exactly.

    ``(n - 1) * cov`` of such a sample is Wishart(n - 1, I); the Bartlett decomposition draws
    it as ``A A'`` with ``A`` lower triangular, ``A_ii^2 ~ chi2(n - i)`` (i = 1..p) and
    standard normal entries below the diagonal: O(p^2) random numbers per matrix instead of
    O(n p) for simulating the data.
    """
    a = np.tril(g.standard_normal((b, p, p)), -1)
    idx = np.arange(p)
    a[:, idx, idx] = np.sqrt(g.chisquare(n - 1 - idx, size=(b, p)))
    w = a @ np.swapaxes(a, 1, 2)
    d = 1 / np.sqrt(np.diagonal(w, axis1=1, axis2=2))
    return w * d[:, :, None] * d[:, None, :]


def _resampled_values(g, x: np.ndarray, n_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean component and one-factor eigenvalues of ``n_iter`` data sets with every column
    resampled on its own (psych's ``pc.simr`` / ``fa.simr``), in memory-bounded batches."""
    n, p = x.shape
    reps = []
    per = max(1, _RESAMPLE_CELLS // max(1, x.size))   # bound memory of the batch
    for start in range(0, n_iter, per):
        b = min(per, n_iter - start)
        rows = g.integers(0, n, size=(b, n, p))
        xs = x[rows, np.arange(p)]                  # each column resampled on its own
        c = (pairwise_corr(xs) if np.isnan(x).any() else batched_corr(xs))
        reps.append(c)
    c = np.concatenate(reps)
    undefined = np.isnan(c).any(axis=(1, 2))
    if undefined.any():  # e.g. a resampled column without variance: counted, not hidden
        warnings.warn(f"{int(undefined.sum())} of {n_iter} resampled data sets had an "
                      "undefined correlation and were left out", stacklevel=3)
    c = c[~undefined]
    return np.linalg.eigvalsh(c)[:, ::-1].mean(axis=0), _minres1_values(c).mean(axis=0)


@blas_limited
def parallel_analysis(items, *, n_iter: int = 20, seed=None, quantile: float | None = None,
                      resample: bool = False, missing: str = "pairwise") -> ParallelResult:
    """Horn's parallel analysis for factors and components, as ``psych::fa.parallel``.

    Parameters
    ----------
    items : DataFrame or array-like (respondents x items)
    n_iter : int
        Number of simulated data sets (psych's ``n.iter``, default 20), each drawn afresh as
        the correlation matrix of ``n`` x ``p`` normal data; not a bootstrap of the
        respondents (with ``resample=True`` also the number of column-wise resampled sets).
    seed : int, Generator or None
    quantile : float, optional
        Compare with this quantile of the simulated eigenvalues instead of their mean
        (psych's ``quant``, which psych only uses when given explicitly).
    resample : bool
        Also compute eigenvalues of column-wise resampled data (psych's ``fa.simr`` /
        ``pc.simr``). They are reported only: with simulated data available psych bases the
        decision on the simulated eigenvalues (``fa = "both"``).
    missing : {"pairwise", "listwise"}

    Returns
    -------
    ParallelResult

    Notes
    -----
    Observed values: the eigenvalues of the (pairwise) correlation matrix (components) and of
    the correlation matrix with the one-factor minres communalities on its diagonal
    (``fa(R, fm = "minres")$values``, factors). Simulated values: the same for correlation
    matrices of ``n`` x ``p`` standard normal data, averaged over ``n_iter`` sets.
    ``n_factors`` = number of leading observed factor eigenvalues greater than the simulated
    mean, ``n_components`` the same for components (psych: ``which(!(obs > sim))[1] - 1``;
    where psych would return NA because every value exceeds, we return ``p``).

    Speed: the simulated correlation matrices are drawn directly from their Wishart
    distribution (Bartlett decomposition), which is exact in distribution and independent
    of ``n``; eigenvalues and the one-factor fits of all sets run as one batched ``eigh``.
    The random numbers differ from R's, so the simulated eigenvalues agree with psych's
    only up to simulation error; the decisions agree on bfi (6 and 6) and
    Holzinger-Swineford (3 and 3). One known difference: the *first* simulated factor
    eigenvalue. A one-factor minres fit to a pure-noise matrix has an ultra-Heywood solution
    (one item with communality near 1) in roughly 15% of draws for 9 items and n = 301; we
    find it when it is the minimum, psych's early-stopping optimiser apparently rarely does,
    so our mean first value is larger (0.55 against psych's 0.43 on Holzinger-Swineford;
    0.197 against 0.201 on bfi). It only matters if the first observed factor eigenvalue
    lies between the two, i.e. for data with no common factor at all.

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    *Psychometrika*, 30, 179-185.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> f = rng.normal(size=(300, 2))
    >>> x = np.hstack([f[:, [0]] + rng.normal(size=(300, 4)), f[:, [1]] + rng.normal(size=(300, 4))])
    >>> res = parallel_analysis(x, seed=1)
    >>> res.n_factors, res.n_components
    (2, 2)
    """
    check_positive_int(n_iter, "n_iter")
    r, n, _, im = correlation_matrix(items, missing=missing)
    p = r.shape[0]
    seed = resolve_seed(seed)
    g = resample_rng(seed)  # randomness only through the package's resampling engine
    pc_values = np.linalg.eigvalsh(r)[::-1]
    fa_values = fa_core(r, 1, "minres", None)["values"]
    sims = _wishart_corr(g, n, p, n_iter)
    pc_sim = np.linalg.eigvalsh(sims)[:, ::-1]
    fa_sim = _minres1_values(sims)
    fa_simr = pc_simr = None
    if resample:
        pc_simr, fa_simr = _resampled_values(g, im.values, n_iter)

    def ref(v):
        return v.mean(axis=0) if quantile is None else np.quantile(v, quantile, axis=0)
    return ParallelResult(
        n_factors=_leading_above(fa_values, ref(fa_sim)),
        n_components=_leading_above(pc_values, ref(pc_sim)),
        fa_values=fa_values, pc_values=pc_values, fa_sim=fa_sim.mean(axis=0),
        pc_sim=pc_sim.mean(axis=0), fa_simr=fa_simr, pc_simr=pc_simr, n_iter=n_iter,
        n_obs=int(n), quantile=quantile, seed=seed_record(seed))
