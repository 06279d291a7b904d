"""Survey weights: raking to population margins and weighted quantiles.

Norm samples are rarely a miniature of the population: a web survey over-represents women,
one region or one age band. :func:`rake` computes weights that make the sample's margins
equal to known population shares (e.g. the Belgian working population by sex, age band and
region), and :func:`weighted_quantile` / :func:`weighted_quantile_counts` give the quantiles
that norm building needs, with and without bootstrap resampling.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._checks import check_vector
from ..errors import ConvergenceError, DataError, describe_rows

#: Convergence of raking: the largest absolute difference between a weighted share and its
#: target. 1e-10 is far below any published share's precision (shares are given to 3-4
#: decimals), so the margins are reproduced exactly as printed; IPF converges linearly, so a
#: small tolerance costs few extra cycles on attainable margins.
RAKE_TOL = 1e-10
#: Full cycles over the margins before raking gives up with a ConvergenceError (R's
#: survey::rake stops after maxit = 10 with a warning; this package does not return weights
#: that miss the margins, so it allows many more cycles before refusing).
RAKE_MAX_ITER = 1000
#: How far the shares of one margin may sum from 1: shares typed from a table with 6 decimals.
SHARE_SUM_TOL = 1e-6
#: Relative slack when comparing a cumulative weight with p * total, so that 0.25 * 4 == 1 is
#: not lost to rounding in the cumulative sums (about 4500 double-precision ulps).
QUANTILE_REL_TOL = 1e-12
#: Counts within this relative distance of a whole number are whole (bootstrap and unweighted
#: counts are exact; raked weights are far from whole numbers).
WHOLE_UNITS_TOL = 1e-9


def _level_key(v) -> str:
    """A margin level as text, whole numbers without decimals (1, 1.0 and "1" alike)."""
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)) \
            and float(v).is_integer():
        return str(int(v))
    return str(v)


def _margin_codes(data: pd.DataFrame, column: str, shares: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """Integer level codes of one margin column and the target shares in code order."""
    if column not in data.columns:
        raise DataError(f"margin column {column!r} is not in the data; columns: "
                        f"{', '.join(map(str, list(data.columns)[:15]))}")
    col = data[column]
    if col.isna().any():
        pos = np.flatnonzero(col.isna().to_numpy())
        raise DataError(f"column {column!r}: missing value at "
                        f"{describe_rows(list(col.index[pos]), list(pos))}; raking needs every "
                        "respondent's level on every margin")
    levels = [_level_key(k) for k in shares]
    target = np.array([float(v) for v in shares.values()])
    if (target < 0).any() or not np.isfinite(target).all():
        raise DataError(f"margin {column!r}: shares must be finite and non-negative, got {str(dict(shares))[:200]}")
    if abs(target.sum() - 1.0) > SHARE_SUM_TOL:
        raise DataError(f"margin {column!r}: shares sum to {target.sum():.6g}, not 1")
    text = col.astype(str).to_numpy(dtype=object)
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        # 1.0 in a float column is the level 1 of the margins (keys 1, 1.0 or "1")
        v = col.to_numpy(dtype=float)
        whole = np.isfinite(v) & (v == np.round(v))
        text[whole] = v[whole].astype(np.int64).astype(str)
    codes = pd.Index(levels).get_indexer(text)
    if (codes < 0).any():
        pos = np.flatnonzero(codes < 0)
        raise DataError(f"column {column!r}: level {text[pos[0]]!r} at "
                        f"{describe_rows(list(col.index[pos]), list(pos))} has no population "
                        f"share in the margins (levels given: {levels})")
    present = np.bincount(codes, minlength=len(levels)) > 0
    empty = [lv for lv, p, t in zip(levels, present, target) if not p and t > 0]
    if empty:
        raise DataError(f"margin {column!r}: levels {empty} have a population share but no "
                        "respondent in the sample, so no weighting can reproduce them")
    return codes, target


def rake(data: pd.DataFrame, margins: Mapping[str, Mapping], *, weights=None,
         tol: float = RAKE_TOL, max_iter: int = RAKE_MAX_ITER) -> pd.Series:
    # Long only by its docstring (what raking does and when it refuses); the loop is ~25 lines.
    """Raking (iterative proportional fitting) weights that reproduce population margins.

    Parameters
    ----------
    data : DataFrame
        One row per respondent, with a column per margin variable. Never modified.
    margins : dict
        ``{column: {level: share}}``, e.g. ``{"sex": {"female": 0.47, "male": 0.53}}``;
        the shares of one column sum to 1. Levels are matched as text (``1`` and ``"1"``
        are the same level).
    weights : array-like, optional
        Base (design) weights to start from; equal weights by default.
    tol : float
        Convergence: the largest absolute difference between a weighted sample share and
        its target, over all margins.
    max_iter : int
        Maximum number of full cycles over the margins.

    Returns
    -------
    Series
        Weights (index of ``data``, name ``"weight"``), scaled to sum to the number of
        respondents (mean 1).

    Raises
    ------
    DataError
        A margin column is absent or has missing values, a sample level has no share, a
        level with a share has no respondent, or shares do not sum to 1.
    ConvergenceError
        The margins are inconsistent (e.g. an empty cell forces a contradiction) and IPF
        did not reach ``tol`` in ``max_iter`` cycles.

    Notes
    -----
    Each cycle multiplies, margin by margin, the weights of the respondents at each level by
    ``target share / current weighted share`` (Deming & Stephan 1940). This is the iterative
    post-stratification of R's ``survey::rake`` (without trimming), whose fixed point is unique
    when the margins are attainable; it was not compared numerically with R (R is not part of
    the test environment). The tests check that every margin is reproduced to 1e-6.

    References
    ----------
    Deming, W. E., & Stephan, F. F. (1940). On a least squares adjustment of a sampled frequency
    table when the expected marginal totals are known. Annals of Mathematical Statistics, 11(4),
    427-444.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"sex": ["f", "f", "f", "m", "m"], "region": ["a", "b", "a", "b", "a"]})
    >>> w = rake(d, {"sex": {"f": 0.5, "m": 0.5}, "region": {"a": 0.3, "b": 0.7}})
    >>> round(float(w[d.sex == "f"].sum() / w.sum()), 6), round(float(w[d.region == "b"].sum() / w.sum()), 6)
    (0.5, 0.7)
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    if not margins:
        raise DataError("margins is empty: give {column: {level: share}}")
    coded = [_margin_codes(data, col, shares) for col, shares in margins.items()]
    n = len(data)
    w = np.ones(n) if weights is None else check_vector(weights, name="weights")
    if w.shape[0] != n:
        raise DataError(f"weights has {w.shape[0]} values for {n} respondents")
    if (w <= 0).any():
        raise DataError("base weights must be positive")
    w = w / w.sum()
    for _ in range(max_iter):
        for codes, target in coded:  # loop over margins and cycles, never respondents
            current = np.bincount(codes, weights=w, minlength=target.size)
            factor = np.divide(target, current, out=np.zeros_like(target), where=current > 0)
            w = w * factor[codes]
            w = w / w.sum()
        worst = max(np.abs(np.bincount(c, weights=w, minlength=t.size) - t).max() for c, t in coded)
        if worst < tol:
            break
    else:
        raise ConvergenceError(f"raking did not converge in {max_iter} cycles (largest margin "
                               f"error {worst:.3g}); the margins may be inconsistent with the "
                               "sample's empty cells")
    return pd.Series(w * n, index=data.index, name="weight")


def weighted_quantile(x, q, weights=None) -> np.ndarray:
    """Weighted quantiles by the inverted empirical CDF (numpy ``"inverted_cdf"``, R type 1).

    The ``q``-quantile is the smallest observed value ``v`` with ``W(x <= v) >= q * W``.
    With equal weights this is exactly ``np.quantile(x, q, method="inverted_cdf")`` and R's
    ``quantile(x, q, type = 1)``; with weights it equals ``np.quantile(..., weights=w)``.
    NaN values (and their weights) are ignored.

    References
    ----------
    Hyndman, R. J., & Fan, Y. (1996). Sample quantiles in statistical packages. The American
    Statistician, 50(4), 361-365 (definition 1).

    Examples
    --------
    >>> weighted_quantile([1, 2, 3, 4], [0.25, 0.5, 0.75])
    array([1., 2., 3.])
    >>> weighted_quantile([1, 2, 3, 4], [0.5], weights=[1, 1, 1, 5])
    array([4.])
    """
    x = np.asarray(x, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != x.shape or not np.all(np.isfinite(w) & (w >= 0)):
        raise DataError("weights must be one finite, non-negative value per observation")
    keep = ~np.isnan(x)
    if keep.any() and w[keep][0] > 0 and np.all(w[keep] == w[keep][0]):
        w = np.ones_like(x)  # equal weights are no weights: count respondents, exactly
    values, codes = np.unique(x[keep], return_inverse=True)
    if values.size == 0:
        return np.full(np.shape(q), np.nan)
    counts = np.bincount(codes, weights=w[keep], minlength=values.size)
    return weighted_quantile_counts(values, counts[None, :], q)[0]


def weighted_quantile_counts(values: np.ndarray, counts: np.ndarray, q) -> np.ndarray:
    """Type-1 quantiles of many weighted distributions over the same sorted support.

    Parameters
    ----------
    values : ndarray, shape (u,)
        Sorted distinct values.
    counts : ndarray, shape (b, u)
        Weight of each value in each of ``b`` distributions (e.g. bootstrap resamples).
    q : float or array of float in [0, 1]

    Returns
    -------
    ndarray, shape (b,) + shape(q)
        NaN for a distribution with zero total weight.
    """
    q = np.asarray(q, dtype=float)
    counts = np.asarray(counts, dtype=float)
    # Where a distribution's weights are whole numbers (unweighted data, bootstrap counts;
    # weighted_quantile turns equal weights into ones), the cumulative sums are exact and the comparison with q * total is R's and numpy's to the last bit
    # (quantile(c(rep(0, 7), rep(1, 18)), 0.28, type = 1) is 1, as 0.28 * 25 > 7 in doubles).
    # Other weights get a relative slack, so that 0.25 * 4 == 1 is not lost to rounding.
    whole = np.all(np.abs(counts - np.round(counts)) <= WHOLE_UNITS_TOL * np.maximum(counts, 1),
                   axis=1)
    counts = np.where(whole[:, None], np.round(counts), counts)
    slack = np.where(whole, 0.0, QUANTILE_REL_TOL)[:, None]
    cum = np.cumsum(counts, axis=1)
    total = cum[:, -1]
    # smallest j with cum[j] >= q * total
    flat = q.ravel()
    out = np.empty((counts.shape[0], flat.size))
    for i, p in enumerate(flat):  # loop over the few probabilities; a (b, u) comparison each
        pos = (cum < (p * (1 - slack)) * total[:, None]).sum(axis=1)
        out[:, i] = values[np.minimum(pos, values.size - 1)]
    out[total <= 0] = np.nan
    return out.reshape((counts.shape[0],) + q.shape)
