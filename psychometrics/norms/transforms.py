"""Percentile ranks and the scores derived from them (normalised T, stanine).

The mid-rank percentile rank of a score against a (weighted) norm sample, and the
normal-score transforms every norm set uses. Nothing here knows about norm files.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from ..errors import DataError

#: Percentile ranks are clipped to this range before the normal-score transform, so a score
#: below (above) every norm-sample score gets T = 19.1 (80.9) instead of -inf (+inf).
PR_CLIP = (0.1, 99.9)
#: Relative tolerance for matching a score to a band edge or to a norm-sample value, so that a
#: mean computed in floating point (e.g. 11 / 5) lands on the published edge 2.2.
EDGE_TOL = 1e-9
#: The standard-normal 75th percentile (0.6745): P25/P75 of a normal norm are mean -/+ Z75 SD.
Z75 = float(ndtri(0.75))


def edge_tol(v):
    """The absolute tolerance around ``v``: :data:`EDGE_TOL` relative, at least EDGE_TOL."""
    return EDGE_TOL * np.maximum(1.0, np.abs(v))


def percentile_rank(x, sample, weights=None) -> np.ndarray:
    """Mid-rank percentile rank of scores against a (weighted) norm sample.

    ``PR(x) = 100 * (W(sample < x) + W(sample = x) / 2) / W``, with ``W`` the number (or the
    total weight) of norm-sample scores. NaN in ``x`` gives NaN; NaN in the sample is ignored.

    Parameters
    ----------
    x : array-like
        Scores to rank.
    sample : array-like
        The norm sample's scores.
    weights : array-like, optional
        Survey weights of the norm sample (equal by default).

    Returns
    -------
    ndarray of float in [0, 100]

    Notes
    -----
    This is ``scipy.stats.percentileofscore(sample, x, kind="mean")`` (the mean of the
    "strict" and "weak" definitions; tested against it): ties count half, so a score shared
    by the whole sample has PR 50. Scores are matched to sample values with a relative
    tolerance of 1e-9 so that floating-point means land on equal values. Vectorised with
    ``np.searchsorted`` over the sorted distinct sample values.

    References
    ----------
    Crocker, L., & Algina, J. (1986). Introduction to classical and modern test theory.
    Holt, Rinehart and Winston.

    Examples
    --------
    >>> percentile_rank([0, 2, 2.5, 5, 6], [1, 2, 2, 3, 5])
    array([  0.,  40.,  60.,  90., 100.])
    """
    s = np.asarray(sample, dtype=float).ravel()
    w = np.ones_like(s) if weights is None else np.asarray(weights, dtype=float).ravel()
    if w.shape != s.shape:
        raise DataError(f"weights has {w.size} values for {s.size} sample scores")
    keep = ~np.isnan(s)
    values, codes = np.unique(s[keep], return_inverse=True)
    counts = np.bincount(codes, weights=w[keep], minlength=values.size)
    return pr_from_distribution(np.asarray(x, dtype=float), values, counts)


def pr_from_distribution(x: np.ndarray, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Mid-rank PR of ``x`` against a distribution given as sorted distinct ``values`` and
    their ``weights`` (what :func:`percentile_rank` computes after counting the sample)."""
    cum = np.concatenate([[0.0], np.cumsum(weights)])
    total = cum[-1]
    if values.size == 0 or total <= 0:
        return np.full(x.shape, np.nan)
    xf = np.where(np.isnan(x), 0.0, x)
    lo = np.searchsorted(values, xf - edge_tol(xf), side="left")
    hi = np.searchsorted(values, xf + edge_tol(xf), side="right")
    pr = 100.0 * (cum[lo] + (cum[hi] - cum[lo]) / 2.0) / total
    return np.where(np.isnan(x), np.nan, pr)


def t_from_pr(pr) -> np.ndarray:
    """Normalised T-score ``50 + 10 * Phi^-1(PR / 100)``, PR clipped to [0.1, 99.9].

    References
    ----------
    McCall, W. A. (1922). How to measure in education. Macmillan (the T-scale).
    """
    pr = np.asarray(pr, dtype=float)
    return 50.0 + 10.0 * ndtri(np.clip(pr, *PR_CLIP) / 100.0)


def stanine_from_pr(pr) -> np.ndarray:
    """Stanine ``clip(floor(2 z + 5.5), 1, 9)`` with ``z = Phi^-1(PR / 100)`` (PR clipped).

    The stanine boundaries are at z = -1.75, -1.25, ..., 1.75 (half-SD bands around the mean),
    i.e. PR 4.0, 10.6, 22.7, 40.1, 59.9, 77.3, 89.4, 96.0; NaN stays NaN.

    References
    ----------
    Angoff, W. H. (1971). Scales, norms, and equivalent scores. In R. L. Thorndike (Ed.),
    Educational measurement (2nd ed., pp. 508-600). American Council on Education.
    """
    pr = np.asarray(pr, dtype=float)
    z = ndtri(np.clip(pr, *PR_CLIP) / 100.0)
    out = np.clip(np.floor(2.0 * z + 5.5), 1, 9)
    return np.where(np.isnan(pr), np.nan, out)
