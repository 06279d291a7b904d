"""McDonald's omega: psych's Schmid-Leiman route, the one-factor route and a one-factor CFA.

Three numbers are called "omega" in practice, and they differ (bfi Agreeableness: 0.757,
0.723, 0.714). This module computes all three and says which is which:

``omega_total`` / ``omega_h`` (``psych::omega(x, nfactors)``)
    Factor the pairwise correlation matrix with ``n_factors`` group factors (minres,
    varimax), rotate obliquely (oblimin), factor the factor correlations (one factor for
    three or more group factors; for two, psych sets both general loadings to
    ``sqrt(|phi|)``), and do the Schmid-Leiman transformation. With ``Vt`` the sum of the
    (sign-flipped) correlation matrix: ``omega_h = (sum g)^2 / Vt``,
    ``omega_total = 1 - sum(u2) / Vt`` with ``u2 = 1 - h2`` from the group factor model,
    ``omega_lim = (sum g)^2 / (Vt - sum u2)``.
``omega_1factor`` (``psych::omega(x, nfactors = 1)``)
    The same with a single minres factor: ``1 - sum(1 - lambda^2) / Vt``.
``omega_cfa`` (``semTools::compRelSEM`` on ``lavaan::cfa('f =~ items', estimator = "ML")``)
    A one-factor ML model on the complete rows (listwise): ``(sum lambda)^2 / sum(S)``, with
    unstandardised loadings and ``S`` the observed covariance matrix (compRelSEM's default
    ``obs.var = TRUE``). A one-factor ML *exploratory* factor analysis is the same model as
    the one-factor CFA, so it is fitted with the ML factor analysis of
    :mod:`psychometrics.factor.efa` (matches semTools to 1e-6).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._checks import check_choice, check_items
from .._results import Result, format_table
from ..errors import ConvergenceError, DataError
from ..factor.correlation import resampled_corr
from ..factor.efa import correlation_matrix, fa_core, fit_psi, smc, unrotated
from ..factor.rotation import oblimin, promax_core
from ..resample import bootstrap, resolve_seed, seed_record
from ..threads import blas_limited
from .deprecation import UNSET

__all__ = ["OmegaResult", "omega", "omega_cfa"]

_STATS = ["omega_h", "omega_total", "omega_lim", "alpha", "G6"]
# bootstrap resamples when none are given: the package's default since its first release,
# Efron & Tibshirani's (1993, ch. 19) minimum for a percentile interval (each resample needs
# its own factor fits, so fewer than alpha's)
N_BOOT = 1000


def _model_df(p: int, m: int) -> float:
    return p * (p - 1) / 2 - p * m + m * (m - 1) / 2


def _schmid_omega(r: np.ndarray, nf: int, fm: str = "minres",
                  rotation: str = "oblimin") -> dict:
    """psych::omegah on a correlation matrix (psych::schmid, then the omega formulas)."""
    p = r.shape[0]
    orth = fa_core(r, nf, fm, "varimax" if nf > 1 else None)["loadings"]
    if nf == 1:
        fload, gload = orth, np.array([1.0])
    else:
        rot = oblimin(orth) if rotation == "oblimin" else promax_core(orth)
        fload, phi = rot.loadings, rot.phi
        if nf > 2:
            gload = fa_core(phi, 1, fm, None)["loadings"][:, 0]
        else:   # psych's option = "equal": two group factors cannot identify g
            c = phi[0, 1]
            gload = np.array([np.sqrt(abs(c)), np.sign(c) * np.sqrt(abs(c))])
    g = fload @ gload
    h2 = (orth ** 2).sum(axis=1)
    u2 = np.diag(r) - h2
    uniq2 = np.clip(np.diag(r)[:, None] - (np.diag(r)[:, None] - fload ** 2)
                    - (fload * gload) ** 2, 0, None)
    groups = np.sign(fload) * np.sqrt(uniq2)
    key = np.sign(g)
    key[key == 0] = 1
    m = r * key[:, None] * key[None, :]
    g, groups = g * key, groups * key[:, None]
    vt, tr = m.sum(), np.trace(m)
    gsq = g.sum() ** 2
    return {"omega_h": gsq / vt, "omega_total": (vt - u2.sum()) / vt,
            "omega_lim": gsq / (vt - u2.sum()),
            "alpha": (vt - tr) / vt * p / (p - 1),
            "G6": (vt + smc(m).sum() - tr) / vt,
            "g": g, "groups": groups, "h2": h2, "u2": u2, "p2": g ** 2 / h2, "key": key}


@blas_limited
def omega_cfa(items) -> dict:
    """Omega of a one-factor ML CFA (listwise), as ``semTools::compRelSEM`` on lavaan.

    Returns ``omega``, ``chisq`` (lavaan's ``N * F_ML``), ``df`` and ``nobs``.

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum.
    Jorgensen, T. D., Pornprasertmanit, S., Schoemann, A. M., & Rosseel, Y. (2022). semTools:
    Useful tools for structural equation modeling (R package), function ``compRelSEM``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 1)) + rng.normal(size=(300, 4))
    >>> round(omega_cfa(x)["omega"], 2)
    0.8
    """
    im = check_items(items, min_items=3, min_rows=4, listwise=True)
    x = im.values
    n, p = x.shape
    s = np.cov(x, rowvar=False, ddof=0)          # lavaan's ML sample covariance (divisor N)
    sd = np.sqrt(np.diag(s))
    r = s / np.outer(sd, sd)
    psi, res = fit_psi(r, 1, "ml")
    lam = unrotated(r, psi, 1, "ml")[:, 0]
    lam = lam * np.sign(lam.sum()) * sd
    return {"omega": float(lam.sum() ** 2 / s.sum()), "chisq": float(max(n * res.fun, 0.0)),
            "df": int(_model_df(p, 1)), "nobs": int(n)}


@dataclass(frozen=True)
class OmegaResult(Result):
    """Omega coefficients (``psych::omega``), see :func:`omega` for the definitions."""

    omega_total: float
    omega_h: float
    omega_lim: float
    alpha: float
    G6: float
    n_factors: int
    factor_model_df: float
    omega_1factor: float
    omega_cfa: float | None
    loadings: pd.DataFrame
    ci: dict | None
    n_obs: int
    warnings: list = field(default_factory=list)

    def summary(self) -> str:
        rows = {k: getattr(self, k) for k in ("omega_total", "omega_h", "omega_lim", "alpha",
                                              "G6", "omega_1factor", "omega_cfa")}
        t = pd.DataFrame({"estimate": rows}).astype(float)
        if self.ci:
            t["ci_low"] = [self.ci.get(k, {}).get("low", np.nan) for k in rows]
            t["ci_high"] = [self.ci.get(k, {}).get("high", np.nan) for k in rows]
        head = format_table(t, f"Omega ({self.n_factors} group factors, n = {self.n_obs}, "
                               f"factor model df = {self.factor_model_df:g})")
        return head + "\n\n" + format_table(self.loadings, "Schmid-Leiman loadings")


def _bootstrap_options(ci, ci_method, level) -> tuple[str | None, float]:
    """``ci_method`` and ``level`` from the deprecated ``ci=<level>`` when that was given."""
    if ci is UNSET:
        return ci_method, level
    warnings.warn("omega(): the keyword ci= (a confidence level) is replaced by "
                  "ci_method='bootstrap' and level=; ci= will be removed in the next release",
                  DeprecationWarning, stacklevel=4)  # this, omega, blas wrapper, caller
    return ("bootstrap", ci) if ci is not None else (None, level)


def _check_df(p: int, nf: int, allow_negative_df: bool, notes: list[str]) -> float:
    """The factor model's degrees of freedom; refuse (or warn about) a non-identified model."""
    if not 1 <= nf < p:
        raise DataError(f"n_factors must be between 1 and {p - 1} for {p} items, got {nf}")
    dof = _model_df(p, nf)
    if dof < 0:
        msg = (f"{nf} group factors on {p} items is a factor model with {dof:g} degrees of "
               "freedom (more parameters than correlations): it is not identified and the "
               "omega values depend on where the optimiser stops")
        if not allow_negative_df:
            raise DataError(msg + "; use fewer factors (n_factors=1 for a single scale, "
                            "or at most the largest number with df >= 0) or pass "
                            "allow_negative_df=True to compute it anyway")
        warnings.warn(msg, RuntimeWarning, stacklevel=3)  # as before the split: omega's wrapper
        notes.append(msg)
    return dof


def _loadings(main: dict, columns: list[str], nf: int) -> pd.DataFrame:
    """The Schmid-Leiman loadings table; reversed items get a ``-`` after their name."""
    names = [c + ("-" if k < 0 else "") for c, k in zip(columns, main["key"])]
    cols = ["g"] + [f"F{j + 1}*" for j in range(nf)]
    sl = pd.DataFrame(np.column_stack([main["g"], main["groups"]]), index=names, columns=cols)
    sl["h2"], sl["u2"], sl["p2"] = main["h2"], main["u2"], main["p2"]
    return sl


@blas_limited
def omega(items, *, n_factors: int = 3, fm: str = "minres", rotation: str = "oblimin",
          missing: str = "pairwise", ci_method: str | None = None, level: float = 0.95,
          n_boot: int = N_BOOT, seed=None, allow_negative_df: bool = False, cfa: bool = True,
          ci=UNSET) -> OmegaResult:
    # Over 80 lines only by its numpydoc docstring (psych's differences, references, a
    # doctest); the code below it is short and delegates to helpers.
    """McDonald's omega (hierarchical, total, asymptotic) by psych's Schmid-Leiman route.

    Parameters
    ----------
    items : DataFrame or array-like (respondents x items), NaN = missing
        Reverse-keyed items need not be recoded: as psych (``flip = TRUE``), items with a
        negative general-factor loading are reversed (their names get a ``-``).
    n_factors : int
        Number of group factors (psych's default 3).
    fm : {"minres", "ml"}
    rotation : {"oblimin", "promax"}
    missing : {"pairwise", "listwise"}
    ci_method : {"bootstrap"} or None
        ``"bootstrap"``: percentile bootstrap intervals of every omega; None: no intervals.
    level : float
        Confidence level of the intervals.
    n_boot, seed
        Number of resamples and seed (:mod:`psychometrics.resample`).
    allow_negative_df : bool
        psych happily fits 3 group factors to 5 items, a model with negative degrees of
        freedom (more parameters than correlations) that is not identified; such fits often
        end in ultra-Heywood cases. We refuse unless this is True.
    cfa : bool
        Also compute ``omega_cfa`` (one-factor ML CFA on the complete rows).
    ci : float, optional
        Deprecated: ``ci=0.95`` is ``ci_method="bootstrap", level=0.95`` (accepted with a
        ``DeprecationWarning``).

    Returns
    -------
    OmegaResult
        ``omega_total``, ``omega_h``, ``omega_lim``, ``alpha`` (standardised, from the
        correlation matrix), ``G6``, ``omega_1factor``, ``omega_cfa``, the Schmid-Leiman
        ``loadings`` (``g``, ``F1*``.., ``h2``, ``u2``, ``p2``) and ``ci``.

    Notes
    -----
    Formulas are those of ``psych::omegah`` (see the module docstring). Matches psych 2.2.9
    on the 25 bfi items with 5 group factors and the one-factor omegas of all bfi and
    Holzinger-Swineford scales to 1e-5, and semTools' ``compRelSEM`` (and lavaan's
    chi-square) to 1e-6. With ``allow_negative_df=True`` the 3-factor omegas of the 5-item
    bfi scales (df = -2, ultra-Heywood in psych) differ from psych's by up to 0.014 in
    ``omega_h`` and 7e-4 in ``omega_total``: the model is not identified, so the answer is
    wherever an optimiser stops.

    The bootstrap resamples rows (:func:`psychometrics.resample.bootstrap`); every resample
    needs its own iterative factor fits (about 2 ms per resample for a 5-item scale, 0.1 s for
    25 items and 5 factors). psych's ``n.iter`` intervals are normal-theory intervals on
    Fisher-z values instead of percentiles.

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum.
    Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the glb.
    *Psychometrika*, 74, 145-154.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> g = rng.normal(size=(400, 1))
    >>> x = 0.6 * g + rng.normal(size=(400, 6))
    >>> res = omega(x, n_factors=1)
    >>> bool(0.5 < res.omega_total < 1)
    True
    """
    ci_method, level = _bootstrap_options(ci, ci_method, level)
    check_choice(fm, ("minres", "ml"), "fm")
    check_choice(rotation, ("oblimin", "promax"), "rotation")
    check_choice(ci_method, ("bootstrap", None), "ci_method")
    r, n, _, im = correlation_matrix(items, missing=missing, min_items=3)
    nf = int(n_factors)
    notes: list[str] = []
    dof = _check_df(r.shape[0], nf, allow_negative_df, notes)
    main = _schmid_omega(r, nf, fm, rotation)
    one = main if nf == 1 else _schmid_omega(r, 1, fm, rotation)
    cfa_val = None
    if cfa:
        try:
            cfa_val = omega_cfa(items)["omega"]
        except (DataError, ConvergenceError) as exc:
            notes.append(f"omega_cfa not computed: {exc}")
    ci_out = None
    if ci_method == "bootstrap":
        ci_out = _bootstrap(im.values, nf, fm, rotation, missing, level, n_boot, seed)
    return OmegaResult(omega_total=float(main["omega_total"]), omega_h=float(main["omega_h"]),
                       omega_lim=float(main["omega_lim"]), alpha=float(main["alpha"]),
                       G6=float(main["G6"]), n_factors=nf, factor_model_df=float(dof),
                       omega_1factor=float(one["omega_total"]), omega_cfa=cfa_val,
                       loadings=_loadings(main, im.columns, nf), ci=ci_out, n_obs=int(n),
                       warnings=notes)


def _bootstrap(x, nf, fm, rotation, missing, level, n_boot, seed) -> dict:
    if missing == "listwise":
        x = x[~np.isnan(x).any(axis=1)]

    corr = resampled_corr(x)

    def statistic(idx):
        # correlations of the whole batch at once; the factor fits are iterative (one each)
        rs = corr(idx)
        out = np.full((len(idx), len(_STATS)), np.nan)
        for b, r in enumerate(rs):
            if np.isnan(r).any():
                continue
            try:
                res = _schmid_omega(r, nf, fm, rotation)
            except (ConvergenceError, np.linalg.LinAlgError, ValueError):
                continue
            out[b] = [res[k] for k in _STATS]
        return out

    seed = resolve_seed(seed)
    # a resample costs its index row and two rows of frequency weights (see resampled_corr)
    res = bootstrap(statistic, x.shape[0], n_boot=n_boot, seed=seed, level=level, width=4)
    out = {k: {"low": float(res.ci_low[j]), "high": float(res.ci_high[j])}
           for j, k in enumerate(_STATS)}
    out["level"], out["n_boot"], out["n_failed"] = level, n_boot, res.n_failed
    out["seed"] = seed_record(seed)
    return out
