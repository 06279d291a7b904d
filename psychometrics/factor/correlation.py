"""Pairwise-complete Pearson correlations and covariances, as R's ``cor(x, use = "pairwise")``.

For every pair of items the mean, variance and cross-product are taken over the rows where
*both* items are answered (R's ``pairwise.complete.obs``), so a correlation is the ordinary
Pearson correlation of that pair's complete rows. Everything is done with a handful of matrix
products (no loop over pairs or rows), and a batched version computes many resampled
correlation matrices at once for the bootstrap.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pairwise_cov", "pairwise_corr", "pairwise_counts", "batched_corr", "smc"]

# psych's ``Pinv`` keeps the singular values above sqrt(machine epsilon) times the largest
PINV_TOL = float(np.sqrt(np.finfo(float).eps))


def _moments(x: np.ndarray):
    """Pairwise sums over rows where both columns are observed.

    ``x`` has shape (..., n, k). Returns n_ij, S_i|j (sum of x_i over rows where j is also
    observed), SS_i|j and the cross-products, each of shape (..., k, k).
    """
    m = ~np.isnan(x)
    mf = m.astype(float)
    # centre on the column means first: the sums below then do not cancel catastrophically
    centre = np.nanmean(np.where(m.any(axis=-2, keepdims=True), x, 0.0), axis=-2, keepdims=True)
    x0 = np.where(m, x - centre, 0.0)
    k = x.shape[-1]
    # one matrix product for all four pairwise sums (one pass over the data)
    left = np.concatenate([x0, x0 * x0, mf], axis=-1)
    right = np.concatenate([mf, x0], axis=-1)
    prod = np.swapaxes(left, -1, -2) @ right
    s, sxy = prod[..., :k, :k], prod[..., :k, k:]
    ss, n = prod[..., k:2 * k, :k], prod[..., 2 * k:, :k]
    return n, s, ss, sxy


def pairwise_counts(x) -> np.ndarray:
    """Number of rows answering both items of each pair (psych's ``count.pairwise``)."""
    m = (~np.isnan(np.asarray(x, dtype=float))).astype(float)
    return np.swapaxes(m, -1, -2) @ m


def pairwise_cov(x) -> np.ndarray:
    """Pairwise-complete covariance matrix (denominator n_ij - 1), as R ``cov(use="pairwise")``.

    Examples
    --------
    >>> x = np.array([[1., 2.], [2., np.nan], [3., 5.], [4., 4.]])
    >>> pairwise_cov(x).round(4)
    array([[1.6667, 1.8333],
           [1.8333, 2.3333]])
    """
    x = np.asarray(x, dtype=float)
    n, s, ss, sxy = _moments(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (sxy - s * np.swapaxes(s, -1, -2) / n) / (n - 1)
    return cov


def pairwise_corr(x) -> np.ndarray:
    """Pairwise-complete Pearson correlation matrix, as R ``cor(x, use = "pairwise")``.

    Each correlation uses the means and standard deviations of that pair's complete rows
    (not of each item's own answered rows), exactly as R does. A pair with fewer than two
    common rows, or a constant item, gives NaN.

    Parameters
    ----------
    x : array-like, shape (..., n, k)
        Respondents x items, NaN = missing. Leading dimensions are batches.

    Returns
    -------
    ndarray, shape (..., k, k)

    Examples
    --------
    >>> x = np.array([[1., 2.], [2., np.nan], [3., 5.], [4., 4.]])
    >>> round(float(pairwise_corr(x)[0, 1]), 6)
    0.785714
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 2 and x.shape[0] > 1 and not np.isnan(x).any():
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.clip(batched_corr(x), -1.0, 1.0)   # complete data: one product
    n, s, ss, sxy = _moments(x)
    st = np.swapaxes(s, -1, -2)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - s * st / n
        vi = ss - s * s / n                          # var of i over rows with j observed
        vj = np.swapaxes(vi, -1, -2)
        r = cov / np.sqrt(vi * vj)
    k = r.shape[-1]
    diag = np.isfinite(np.diagonal(r, axis1=-2, axis2=-1))
    idx = np.arange(k)
    r[..., idx, idx] = np.where(diag, 1.0, np.nan)
    return np.clip(r, -1.0, 1.0)


def batched_corr(x: np.ndarray) -> np.ndarray:
    """Correlation matrices of complete data, batched: ``x`` (b, n, k) -> (b, k, k).

    Faster than :func:`pairwise_corr` when there is no missing value (simulated data).
    """
    xc = x - x.mean(axis=-2, keepdims=True)
    c = np.swapaxes(xc, -1, -2) @ xc
    d = 1.0 / np.sqrt(np.diagonal(c, axis1=-2, axis2=-1))
    return c * d[..., :, None] * d[..., None, :]


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations of a correlation matrix, as ``psych::smc``.

    ``1 - 1 / diag(Pinv(R))`` with psych's pseudo-inverse (singular values below
    ``sqrt(eps)`` times the largest dropped), so a singular matrix still gives numbers; values
    above 1 are set to 1 and below 0 to 0, as psych does. For a positive-definite ``R`` this
    is the ordinary ``1 - 1 / diag(R^-1)``.

    References
    ----------
    Revelle, W. (2024). psych: Procedures for psychological, psychometric, and personality
    research (R package; ``smc`` and ``Pinv``). Guttman, L. (1940). Multiple rectilinear
    prediction and the resolution into components. Psychometrika, 5, 75-99.

    Examples
    --------
    >>> r = np.array([[1.0, 0.5], [0.5, 1.0]])
    >>> smc(r).round(4).tolist()
    [0.25, 0.25]
    """
    out = 1.0 - 1.0 / np.diag(np.linalg.pinv(np.asarray(r, dtype=float), rcond=PINV_TOL))
    return np.clip(out, 0.0, 1.0)
