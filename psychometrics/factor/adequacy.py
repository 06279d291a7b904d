"""Is a correlation matrix worth factoring? Kaiser-Meyer-Olkin and Bartlett, as ``psych``.

Both start from the pairwise-complete correlation matrix of
:func:`psychometrics.factor.efa.correlation_matrix` (psych's default ``use = "pairwise"``).

References
----------
Kaiser, H. F. (1970). A second generation little jiffy. Psychometrika, 35, 401-415.
Bartlett, M. S. (1951). The effect of standardization on a chi square approximation in
factor analysis. Biometrika, 38, 337-344.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._results import Result, format_table
from ..distributions import stats  # scipy.stats' numbers without its import cost
from ..errors import DataError
from ..threads import blas_limited
from .efa import correlation_matrix

__all__ = ["KMOResult", "kmo", "BartlettResult", "bartlett"]


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


