"""Continuous (smoothed) norms in a covariate such as age, cNORM-like.

A model ``raw = sum_ij b_ij z^i a^j`` (z: normal score, a: standardised covariate) is fitted
to a norm sample by :func:`fit_continuous` and inverted per respondent by
:func:`continuous_z`. The model is a plain dict, stored as is in the norm file
(``continuous``).

References
----------
Lenhard, A., Lenhard, W., Suggate, S., & Segerer, R. (2018). A continuous solution to the
norming problem. Assessment, 25(1), 112-125 (cNORM).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from ..errors import NormError
from .transforms import PR_CLIP, percentile_rank

#: Points of the z grid on which raw(z) is tabulated and inverted: z_range (-3.09..3.09, the
#: normal scores of PR_CLIP) in steps of 0.022, finer than one raw-score point of any
#: shipped instrument; the grid is fixed so that applied norms do not change between releases.
Z_GRID_POINTS = 281
#: Respondents inverted at once: a batch holds a (batch x Z_GRID_POINTS) float matrix, about
#: 45 MB, whatever the size of the data.
INVERSION_BATCH = 20_000
#: Age groups for the within-group normal scores: one per RESPONDENTS_PER_AGE_GROUP respondents
#: with a score, at least AGE_GROUPS_MIN (fewer cannot show a curved age trend) and at most
#: AGE_GROUPS_MAX. A design choice of this package, not cNORM's: 250 respondents give a
#: within-group PR with a standard error of about 3 points at the median (sqrt(.25 / 250)).
RESPONDENTS_PER_AGE_GROUP = 250
AGE_GROUPS_MIN, AGE_GROUPS_MAX = 3, 12
#: Degrees of the polynomial in z and in age used by build_norms(smooth="age") (its docstring
#: states them; the package's choice, kept fixed so built norm files stay reproducible).
DEGREE_Z, DEGREE_AGE = 3, 2


def age_groups(n: int) -> int:
    """How many age groups a sample of ``n`` respondents with a score is split into."""
    return int(np.clip(n // RESPONDENTS_PER_AGE_GROUP, AGE_GROUPS_MIN, AGE_GROUPS_MAX))


def design(z: np.ndarray, a: np.ndarray, terms) -> np.ndarray:
    """The model's design matrix: one column ``z^i a^j`` per term ``(i, j)``."""
    return np.stack([z ** i * a ** j for i, j in terms], axis=-1)


def continuous_raw(model: dict, z: np.ndarray, age: np.ndarray) -> np.ndarray:
    """The raw score the model gives for normal score ``z`` at covariate ``age``."""
    a = (np.asarray(age, dtype=float) - model["center"]) / model["scale"]
    return design(np.asarray(z, dtype=float), a, model["terms"]) @ np.asarray(model["coef"])


def continuous_z(model: dict, x: np.ndarray, age) -> np.ndarray:
    """Invert raw = f(z, age) for z on a grid (vectorised over respondents and grid points)."""
    if age is None:
        raise NormError(f"continuous norms need the covariate {model['variable']!r}; map it with by=")
    age = np.asarray(age, dtype=float)
    lo, hi = model["z_range"]
    grid = np.linspace(lo, hi, Z_GRID_POINTS)
    out = np.full(x.shape, np.nan)
    ok = ~(np.isnan(x) | np.isnan(age))
    amin, amax = model["range"]
    a = np.clip(age[ok], amin, amax)  # no extrapolation beyond the norm sample's ages
    for start in range(0, int(ok.sum()), INVERSION_BATCH):  # memory batches of respondents
        sl = slice(start, start + INVERSION_BATCH)
        raw = continuous_raw(model, grid[None, :], a[sl, None])
        raw = np.maximum.accumulate(raw, axis=1)  # enforce a monotone raw(z) curve
        xs = x[ok][sl]
        j = np.clip((raw < xs[:, None]).sum(axis=1), 1, grid.size - 1)
        r0 = np.take_along_axis(raw, (j - 1)[:, None], 1)[:, 0]
        r1 = np.take_along_axis(raw, j[:, None], 1)[:, 0]
        frac = np.clip(np.divide(xs - r0, r1 - r0, out=np.full(xs.shape, 0.5), where=r1 > r0), 0, 1)
        out_ok = grid[j - 1] + frac * (grid[j] - grid[j - 1])
        tmp = out[ok]
        tmp[sl] = out_ok
        out[ok] = tmp
    return out


def fit_continuous(x: np.ndarray, age: np.ndarray, w: np.ndarray, *, groups: int,
                   degree_z: int = DEGREE_Z, degree_age: int = DEGREE_AGE,
                   variable: str = "age") -> dict:
    """cNORM-style fit: mid-rank normal scores within age groups, then a polynomial in z and age.

    References
    ----------
    Lenhard, A., Lenhard, W., Suggate, S., & Segerer, R. (2018). A continuous solution to the
    norming problem. Assessment, 25(1), 112-125.
    """
    ok = ~(np.isnan(x) | np.isnan(age))
    x, age, w = x[ok], age[ok], w[ok]
    edges = np.unique(np.quantile(age, np.linspace(0, 1, groups + 1)))
    g = np.clip(np.searchsorted(edges, age, side="right") - 1, 0, edges.size - 2)
    z = np.empty_like(x)
    for level in np.unique(g):  # loop over age groups
        m = g == level
        z[m] = ndtri(np.clip(percentile_rank(x[m], x[m], w[m]), *PR_CLIP) / 100.0)
    center, scale = float(np.average(age, weights=w)), float(np.sqrt(np.cov(age, aweights=w)))
    terms = [[i, j] for i in range(degree_z + 1) for j in range(degree_age + 1)]
    X = design(z, (age - center) / scale, terms)
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(X * sw[:, None], x * sw, rcond=None)
    fitted = X @ coef
    r2 = 1 - np.average((x - fitted) ** 2, weights=w) / np.average((x - np.average(x, weights=w)) ** 2, weights=w)
    return {"variable": variable, "terms": terms, "coef": [float(c) for c in coef],
            "center": center, "scale": scale, "range": [float(age.min()), float(age.max())],
            "z_range": [float(ndtri(PR_CLIP[0] / 100)), float(ndtri(PR_CLIP[1] / 100))],
            "groups": int(edges.size - 1), "r2": float(r2)}
