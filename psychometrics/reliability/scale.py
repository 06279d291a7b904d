"""One scale's item matrix and covariance matrix: what alpha and the item analysis share.

Everything psych::alpha reports is computed from one covariance matrix of the items: with
``missing="pairwise"`` (psych's default) the covariances use, for each pair of items, the
respondents who answered both; with ``missing="listwise"`` respondents with any missing item
are dropped first. This module validates the items (:func:`prepare_items`), computes that
matrix (:func:`pairwise_cov`, :func:`fit_scale`) and psych's ``alpha.1`` statistics of it
(:func:`scale_statistics`).

Squared multiple correlations come from :func:`psychometrics.factor.efa.smc` (the package's
one ``psych::smc``, a pseudo-inverse), bounded to [0, 1] as psych::smc bounds them. For a
positive definite ``R`` this equals the exact inverse the module used before (to 1e-10 on
bfi; psych's G6(smc) to 1e-6). Only for a singular ``R`` (an item entered twice, which
:func:`psychometrics.reliability.alpha` warns about) do they differ: lambda 6 was NaN and
is now psych's finite value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .._checks import ItemMatrix, check_choice, check_items, check_level
from ..errors import DataError
from ..factor.efa import smc

Missing = Literal["pairwise", "listwise"]
CIMethod = Literal["feldt", "duhachek", "bootstrap"]

MISSING = ("pairwise", "listwise")
CI_METHODS = ("feldt", "duhachek", "bootstrap", None)

# psych::smc sets squared multiple correlations above 1 to 1 and below 0 to 0 (possible only
# for a singular or non-positive-definite pairwise matrix)
SMC_BOUNDS = (0.0, 1.0)

__all__ = ["CI_METHODS", "CIMethod", "MISSING", "Missing", "ScaleFit", "check_options",
           "cov2cor", "fit_scale", "bounded_smc", "pairwise_cov", "prepare_items",
           "scale_scores", "scale_statistics"]


def pairwise_cov(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete covariance matrix (R's ``cov(x, use = "pairwise")``) and pair counts.

    For each pair of items the means are those of the rows where both are answered, the
    denominator is that count minus one. Computed with three matrix products (no loop over
    pairs); the columns are centred first so the sums do not lose precision.
    """
    observed = ~np.isnan(x)
    m = observed.astype(float)
    with np.errstate(invalid="ignore"):
        centre = np.nanmean(np.where(observed, x, np.nan), axis=0) if x.size else 0.0
    x0 = np.where(observed, x - np.nan_to_num(centre), 0.0)
    npair = m.T @ m
    sx = x0.T @ m  # sx[i, j]: sum of item i over the rows where i and j are answered
    sxy = x0.T @ x0
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (sxy - sx * sx.T / npair) / (npair - 1)
    cov[npair < 2] = np.nan
    return cov, npair


def cov2cor(c: np.ndarray) -> np.ndarray:
    """R's ``cov2cor`` (works on a stack of matrices too)."""
    d = np.sqrt(np.diagonal(c, axis1=-2, axis2=-1))
    return c / d[..., :, None] / d[..., None, :]


def bounded_smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations of ``r`` as psych::alpha uses them (within [0, 1])."""
    return np.clip(smc(r), *SMC_BOUNDS)


def scale_statistics(c: np.ndarray) -> dict[str, float]:
    """psych's ``alpha.1``: the scale statistics of one covariance matrix (k >= 2)."""
    k = c.shape[0]
    r = cov2cor(c)
    sum_c, tr_c = c.sum(), np.trace(c)
    sum_r = r.sum()
    av_r = (sum_r - k) / (k * (k - 1))
    lower = r[np.tril_indices(k, -1)]
    cc = c @ c
    # Duhachek & Iacobucci's Q with Hattori's correction (psych >= 1.6.1)
    q = (2 * k**2 / ((k - 1) ** 2 * sum_c**3)) * (
        sum_c * (np.trace(cc) + tr_c**2) - 2 * tr_c * cc.sum())
    return {
        "alpha": k / (k - 1) * (1 - tr_c / sum_c),
        "std_alpha": k / (k - 1) * (1 - k / sum_r),
        "g6": 1 - (k - bounded_smc(r).sum()) / sum_r,
        "average_r": av_r,
        "signal_noise": k * av_r / (1 - av_r),
        "median_r": float(np.median(lower)),
        "var_r": float(np.var(lower, ddof=1)) if lower.size > 1 else np.nan,
        "q": q,
    }


def check_options(missing, ci_method=None, level=0.95) -> None:
    """Check the options alpha, item_analysis and reliability share."""
    check_choice(missing, MISSING, "missing")
    check_choice(ci_method, CI_METHODS, "ci_method")
    check_level(level)


def prepare_items(items, missing: str, name: str = "items") -> ItemMatrix:
    """Validate items for alpha: >= 2 items, each with variance, more respondents than items.

    Rows with no answer at all are dropped (they carry no information; psych counts them in
    ``n``, see :func:`psychometrics.reliability.alpha` Notes).
    """
    m = check_items(items, listwise=missing == "listwise", name=name)
    if m.k < 2:
        raise DataError(f"{name}: alpha needs at least 2 items, got {m.k} ({', '.join(m.columns)})")
    answered = ~np.isnan(m.values).all(axis=1)
    values, index = m.values[answered], m.index[answered]
    n, k = values.shape
    if n <= k:
        raise DataError(f"{name}: {n} respondent(s) for {k} items; alpha, lambda 6 and their "
                        "standard errors need more respondents than items")
    counts = (~np.isnan(values)).sum(axis=0)
    for j, col in enumerate(m.columns):
        if counts[j] < 2:
            raise DataError(f"{name}: item {col!r} has {counts[j]} answer(s); a variance needs 2")
        v = values[:, j][~np.isnan(values[:, j])]
        if np.all(v == v[0]):
            raise DataError(f"{name}: item {col!r} has no variance (every answer is {v[0]:g}); "
                            "drop it or check the data (psych::alpha would drop it with a warning)")
    return ItemMatrix(values=values, columns=m.columns, index=index)


@dataclass(frozen=True)
class ScaleFit:
    """Everything psych::alpha derives from one item matrix."""

    x: np.ndarray
    columns: list[str]
    cov: np.ndarray
    cor: np.ndarray
    npair: np.ndarray
    total: dict[str, float]
    n: int

    @property
    def k(self) -> int:
        return self.x.shape[1]


def fit_scale(m: ItemMatrix) -> ScaleFit:
    """The covariance matrix of validated items and its :func:`scale_statistics`."""
    cov, npair = pairwise_cov(m.values)
    bad = np.argwhere(npair < 2)
    if bad.size:
        i, j = bad[0]
        raise DataError(f"items {m.columns[i]!r} and {m.columns[j]!r} are answered together by "
                        f"{int(npair[i, j])} respondent(s); a covariance needs 2")
    return ScaleFit(x=m.values, columns=m.columns, cov=cov, cor=cov2cor(cov), npair=npair,
                    total=scale_statistics(cov), n=m.n)


def scale_scores(x: np.ndarray) -> np.ndarray:
    """psych's ``scores``: the mean of the answered items of each respondent."""
    return np.nanmean(x, axis=1)
