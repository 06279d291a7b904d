"""Exploratory factor analysis as ``psych::fa`` does it (KMO and Bartlett are in
:mod:`psychometrics.factor.adequacy`, parallel analysis in :mod:`psychometrics.factor.parallel`).

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

from .._checks import check_choice, check_items, identical_items
from .._results import Result, format_table
from ..distributions import stats  # scipy.stats' numbers without its import cost
from ..errors import ConvergenceError, DataError
from ..threads import blas_limited
from .correlation import pairwise_corr, pairwise_counts, smc
from .rotation import rotate as _rotate

__all__ = ["EFAResult", "efa", "correlation_matrix", "fa_core", "fit_psi", "unrotated", "smc",
           "PSI_LOWER", "PSI_UPPER"]

_METHODS = {"minres": "MR", "ml": "ML"}
_ROTATIONS = ("oblimin", "varimax", "promax", None)
PSI_LOWER, PSI_UPPER = 0.005, 1.0   # psych's optim bounds on the uniquenesses
# L-BFGS-B settings of the uniqueness fit: much tighter than R's optim defaults (factr 1e7,
# i.e. ftol ~2e-9; pgtol 0) so the minimum itself is found (psych stops short of it, see
# efa's Notes); maxcor 20 (R's lmm is 5) saves iterations on 25+ items, not accuracy
PSI_OPTIONS = {"ftol": 1e-15, "gtol": 1e-10, "maxiter": 5000, "maxcor": 20}


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


def _smooth(r: np.ndarray, eig_tol: float = 1e-12) -> np.ndarray:  # psych's eig.tol
    """psych's ``cor.smooth``: make a non-positive-definite matrix positive definite."""
    w, v = np.linalg.eigh(r)
    if not (w < eig_tol).any():
        return r
    w = np.where(w < eig_tol, 100 * eig_tol, w)
    w = w * r.shape[0] / w.sum()
    s = (v * w) @ v.T
    d = 1 / np.sqrt(np.diag(s))
    return s * d[:, None] * d[None, :]


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
    start = np.clip(np.diag(r) - smc(r), PSI_LOWER, PSI_UPPER)
    fun = _uls_objective if method == "minres" else _ml_objective
    res = optimize.minimize(fun, start, args=(r, nf), jac=True, method="L-BFGS-B",
                            bounds=[(PSI_LOWER, PSI_UPPER)] * len(start),
                            options=PSI_OPTIONS)
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
