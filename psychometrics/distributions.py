"""The few probability distributions the package uses, computed as scipy.stats computes them.

``scipy.stats`` calls these same ``scipy.special`` functions (chi-square: ``chdtr``,
``chdtrc``, ``gammaincinv``; normal: ``ndtr``, ``ndtri``; F: ``fdtri``; beta: ``betaincinv``;
non-central chi-square: ``chndtr``), so the numbers are identical to the last bit (tested in
``tests/test_distributions.py``), with the same answers at the edges (outside the support,
invalid parameters). Importing ``scipy.stats`` costs ~0.5 s of CPU, a sixth of a whole
``psychometrics report`` run; this module costs nothing beyond ``scipy.special``.

Modules use it as they used scipy.stats: ``from .distributions import stats`` then
``stats.chi2.sf(x, df)``.
"""

from __future__ import annotations

import types

import numpy as np
from scipy import special as sc

__all__ = ["stats", "chi2", "ncx2", "norm", "f", "beta", "hmean"]


def _out(value):
    """numpy scalar for scalar input (as scipy.stats returns), array otherwise."""
    value = np.asarray(value, dtype=float)
    return value[()] if value.ndim == 0 else value


def _valid(*params) -> np.ndarray:
    ok = np.ones((), dtype=bool)
    for p in params:
        with np.errstate(invalid="ignore"):
            ok = ok & (np.asarray(p, dtype=float) > 0)
    return ok


class _Chi2:
    """Chi-square distribution with ``df`` degrees of freedom (support x >= 0)."""

    @staticmethod
    def cdf(x, df):
        x = np.asarray(x, dtype=float)
        with np.errstate(invalid="ignore"):
            val = sc.chdtr(df, np.where(x < 0, 0.0, x))
        return _out(np.where(_valid(df), val, np.nan))

    @staticmethod
    def sf(x, df):
        x = np.asarray(x, dtype=float)
        with np.errstate(invalid="ignore"):
            val = sc.chdtrc(df, np.where(x < 0, 0.0, x))
        return _out(np.where(_valid(df), val, np.nan))

    @staticmethod
    def ppf(q, df):
        q = np.asarray(q, dtype=float)
        with np.errstate(invalid="ignore"):
            val = 2 * sc.gammaincinv(np.asarray(df, dtype=float) / 2, q)
            bad = ~_valid(df) | ~((q >= 0) & (q <= 1))
        return _out(np.where(bad, np.nan, val))

    @staticmethod
    def isf(q, df):
        return _Chi2.ppf(1 - np.asarray(q, dtype=float), df)


class _Ncx2:
    """Non-central chi-square (``df`` degrees of freedom, non-centrality ``nc >= 0``)."""

    @staticmethod
    def cdf(x, df, nc):
        x = np.asarray(x, dtype=float)
        nc = np.asarray(nc, dtype=float)
        xx = np.where(x < 0, 0.0, x)
        with np.errstate(invalid="ignore", over="ignore"):
            val = np.where(nc != 0, sc.chndtr(xx, df, nc), sc.chdtr(df, xx))
            ok = _valid(df) & (nc >= 0)
        return _out(np.where(ok, val, np.nan))


class _Norm:
    """Standard normal distribution."""

    @staticmethod
    def cdf(x):
        return _out(sc.ndtr(np.asarray(x, dtype=float)))

    @staticmethod
    def sf(x):
        return _out(sc.ndtr(-np.asarray(x, dtype=float)))

    @staticmethod
    def ppf(q):
        return _out(sc.ndtri(np.asarray(q, dtype=float)))

    @staticmethod
    def isf(q):
        return _out(-sc.ndtri(np.asarray(q, dtype=float)))


class _F:
    """F distribution with ``dfn``, ``dfd`` degrees of freedom (support x >= 0)."""

    @staticmethod
    def sf(x, dfn, dfd):
        x = np.asarray(x, dtype=float)
        with np.errstate(invalid="ignore"):
            val = sc.fdtrc(dfn, dfd, np.where(x < 0, 0.0, x))
        return _out(np.where(_valid(dfn, dfd), val, np.nan))

    @staticmethod
    def ppf(q, dfn, dfd):
        q = np.asarray(q, dtype=float)
        with np.errstate(invalid="ignore"):
            val = sc.fdtri(dfn, dfd, q)
            bad = ~_valid(dfn, dfd) | ~((q >= 0) & (q <= 1))
        return _out(np.where(bad, np.nan, val))


class _Beta:
    """Beta distribution with shapes ``a``, ``b``."""

    @staticmethod
    def ppf(q, a, b):
        q = np.asarray(q, dtype=float)
        with np.errstate(invalid="ignore"):
            val = sc.betaincinv(a, b, q)
            bad = ~_valid(a, b) | ~((q >= 0) & (q <= 1))
        return _out(np.where(bad, np.nan, val))


def hmean(a) -> float:
    """Harmonic mean of positive values (``scipy.stats.hmean`` of a 1-d array)."""
    a = np.asarray(a, dtype=float)
    return _out(1.0 / np.mean(1.0 / a))


chi2, ncx2, norm, f, beta = _Chi2(), _Ncx2(), _Norm(), _F(), _Beta()

#: a stand-in for ``scipy.stats`` with the distributions above
stats = types.SimpleNamespace(chi2=chi2, ncx2=ncx2, norm=norm, f=f, beta=beta, hmean=hmean)
