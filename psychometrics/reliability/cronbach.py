"""Cronbach's alpha of one scale, as R's ``psych::alpha`` computes it.

Cronbach's alpha, standardised alpha, Guttman's lambda 6, the average inter-item correlation
and a confidence interval (Feldt, Duhachek, bootstrap), all from one covariance matrix of the
items (:mod:`psychometrics.reliability.scale`).

With ``C`` the item covariance matrix, ``R = cov2cor(C)`` and ``k`` items:

- ``alpha = k / (k - 1) * (1 - tr(C) / sum(C))``;
- ``std_alpha = k / (k - 1) * (1 - k / sum(R))``;
- ``g6 = 1 - (k - sum(smc(R))) / sum(R)``, ``smc = 1 - 1 / diag(R^-1)`` (psych::smc: a
  pseudo-inverse, bounded to [0, 1]);
- ``average_r = (sum(R) - k) / (k (k - 1))``;
- ``ase = sqrt(Q / n)`` with Duhachek & Iacobucci's ``Q`` as corrected in psych 1.6.1.

With pairwise covariances ``R`` is ``cov2cor`` of the pairwise covariance matrix (as psych),
not the matrix of pairwise correlations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import resample
from .._checks import check_positive_int
from .._results import Result, format_table
from ..distributions import stats  # scipy.stats' numbers without its import cost
from ..threads import blas_limited
from .deprecation import UNSET, renamed_keyword
from .items import warn_degenerate
from .scale import (
    CIMethod,
    Missing,
    ScaleFit,
    check_options,
    fit_scale,
    prepare_items,
    scale_scores,
)

__all__ = ["AlphaResult", "alpha", "feldt_ci"]

# psych prints the Duhachek interval as alpha +/- 1.96 * ase: at 95% that rounded normal
# quantile is kept, to agree with R's printed interval (the exact quantile moves the bounds by
# < 2e-6 * ase); other levels use the exact quantile
PSYCH_Z95 = 1.96
# bootstrap resamples when none are given: the package's default since its first release;
# Efron & Tibshirani (1993, ch. 19) ask for at least 1000 for a percentile interval
N_BOOT = 2000


@dataclass(frozen=True)
class AlphaResult(Result):
    """Cronbach's alpha and related internal-consistency statistics of one scale.

    Attributes
    ----------
    alpha : float
        Raw (covariance) alpha, psych's ``raw_alpha``.
    std_alpha : float
        Standardised alpha, from the correlation matrix.
    g6 : float
        Guttman's lambda 6 with squared multiple correlations (psych's ``G6(smc)``).
    average_r, median_r : float
        Mean and median of the inter-item correlations.
    signal_noise : float
        ``k * average_r / (1 - average_r)``.
    ase : float
        Duhachek & Iacobucci's asymptotic standard error of alpha.
    n, k : int
        Respondents used and items.
    mean, sd : float
        Mean and SD of the scale scores (mean of each respondent's answered items).
    ci_low, ci_high : float
        Confidence interval of ``alpha`` (NaN when ``ci_method`` is None).
    ci_method : str or None
    level : float
    missing : str
        ``"pairwise"`` or ``"listwise"``.
    items : list of str
    n_boot, seed, n_failed
        Bootstrap settings and the number of resamples on which alpha was undefined
        (``None`` unless ``ci_method == "bootstrap"``).
    """

    alpha: float
    std_alpha: float
    g6: float
    average_r: float
    median_r: float
    signal_noise: float
    ase: float
    n: int
    k: int
    mean: float
    sd: float
    ci_low: float
    ci_high: float
    ci_method: str | None
    level: float
    missing: str
    items: list[str] = field(default_factory=list)
    n_boot: int | None = None
    seed: int | None = None
    n_failed: int | None = None

    def to_dict(self) -> dict:
        d = super().to_dict()
        if not isinstance(self.seed, (int, type(None))):  # a Generator is not JSON
            d["seed"] = None
        return d

    def summary(self) -> str:
        rows = {"alpha": self.alpha, "std. alpha": self.std_alpha, "lambda 6 (smc)": self.g6,
                "average r": self.average_r, "median r": self.median_r, "S/N": self.signal_noise,
                "ase": self.ase, "scale mean": self.mean, "scale sd": self.sd}
        table = pd.DataFrame({"value": rows})
        head = f"Cronbach's alpha: k = {self.k} items, n = {self.n} ({self.missing})"
        text = format_table(table, head)
        if self.ci_method is not None:
            text += (f"\n{self.level:.0%} CI ({self.ci_method}): "
                     f"[{self.ci_low:.3f}, {self.ci_high:.3f}]")
        return text


def feldt_ci(alpha_: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt's (1965) F-distribution interval of alpha, as psych::alpha.ci.

    ``1 - (1 - alpha) * F_q(n - 1, (n - 1)(k - 1))`` at ``q = 1 - (1 - level) / 2`` (lower) and
    ``q = (1 - level) / 2`` (upper).

    References
    ----------
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson reliability
    coefficient twenty. Psychometrika, 30, 357-370.

    Examples
    --------
    >>> lo, hi = feldt_ci(0.8, 200, 10)
    >>> round(lo, 4), round(hi, 4)
    (0.756, 0.8389)
    """
    p = 1 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lo = 1 - (1 - alpha_) * stats.f.ppf(1 - p / 2, df1, df2)
    hi = 1 - (1 - alpha_) * stats.f.ppf(p / 2, df1, df2)
    return float(lo), float(hi)


def _duhachek_z(level: float) -> float:
    return PSYCH_Z95 if level == 0.95 else float(stats.norm.ppf(1 - (1 - level) / 2))


def _boot_alpha_stat(x: np.ndarray):
    """A vectorised statistic ``idx (b, n) -> raw alpha (b,)`` for :func:`resample.bootstrap`.

    Each resample is turned into a frequency-weight row ``w`` (how often each respondent was
    drawn), so that all sums a batch needs are one matrix product ``W @ A`` with ``A``
    holding per-respondent values. With complete data alpha only needs the item variances and
    the variance of the total, ``A = [x_i, x_i^2, T, T^2]``; with missing data (pairwise
    covariances, as psych's bootstrap) ``A`` holds, for each pair of items, the pair
    indicator, the item values restricted to the pair and their product.
    """
    n, k = x.shape
    iu, ju = np.triu_indices(k)
    diag = iu == ju
    observed = ~np.isnan(x)
    x0 = np.where(observed, x - np.nanmean(x, axis=0), 0.0)
    complete = bool(observed.all())
    if complete:
        tot = x0.sum(axis=1, keepdims=True)
        a = np.hstack([x0, x0**2, tot, tot**2])
    else:
        m = observed.astype(float)
        mm = m[:, iu] * m[:, ju]
        a = np.hstack([mm, x0[:, iu] * m[:, ju], x0[:, ju] * m[:, iu], x0[:, iu] * x0[:, ju]])
    q = iu.size

    def stat(idx: np.ndarray) -> np.ndarray:
        s = resample.frequency_weights(idx, n) @ a
        with np.errstate(invalid="ignore", divide="ignore"):
            if complete:  # n - 1 denominators cancel in the ratio
                tr = (s[:, k:2 * k] - s[:, :k] ** 2 / n).sum(axis=1)
                total = s[:, 2 * k + 1] - s[:, 2 * k] ** 2 / n
            else:
                npair, si, sj, sxy = s[:, :q], s[:, q:2 * q], s[:, 2 * q:3 * q], s[:, 3 * q:]
                cov = (sxy - si * sj / npair) / (npair - 1)
                cov[npair < 2] = np.nan
                tr = cov[:, diag].sum(axis=1)
                total = tr + 2 * cov[:, ~diag].sum(axis=1)
            return k / (k - 1) * (1 - tr / total)

    return stat


def _interval(fit: ScaleFit, ase: float, ci_method: str | None, level: float, n_boot,
              seed) -> tuple[float, float, int | None]:
    """The interval of alpha by ``ci_method``, and the failed resamples of a bootstrap."""
    a = fit.total["alpha"]
    if ci_method == "feldt":
        return (*feldt_ci(a, fit.n, fit.k, level), None)
    if ci_method == "duhachek":
        z = _duhachek_z(level)
        return a - z * ase, a + z * ase, None
    if ci_method == "bootstrap":
        boot = resample.bootstrap(_boot_alpha_stat(fit.x), fit.n, n_boot=n_boot, seed=seed,
                                  level=level, width=fit.k)
        return float(boot.ci_low), float(boot.ci_high), boot.n_failed
    return np.nan, np.nan, None


@blas_limited
def alpha(items, *, ci_method: CIMethod | None = "feldt", level: float = 0.95,
          n_boot: int = N_BOOT, seed=None, missing: Missing = "pairwise",
          ci=UNSET) -> AlphaResult:
    # Over 80 lines only by its numpydoc docstring (psych's differences, references, a
    # doctest); the code below it is short and delegates to helpers.
    """Cronbach's alpha, standardised alpha, Guttman's lambda 6 and a confidence interval.

    Parameters
    ----------
    items : DataFrame or array-like, shape (n_respondents, n_items)
        Item responses of one scale, already reverse-keyed (see
        :func:`~psychometrics.reliability.reliability` for an instrument's subscales).
        NaN = missing.
    ci_method : {"feldt", "duhachek", "bootstrap"} or None
        Interval for alpha: Feldt's F interval (psych::alpha.ci), Duhachek & Iacobucci's
        normal interval ``alpha +/- z * ase``, or a percentile bootstrap.
    level : float
        Coverage of the interval.
    n_boot : int
        Bootstrap resamples (``ci_method="bootstrap"``).
    seed : int, Generator or None
        Seed of the bootstrap; None uses :data:`~psychometrics.resample.DEFAULT_SEED`
        (recorded in ``to_dict()``), a Generator draws fresh numbers.
    missing : {"pairwise", "listwise"}
        ``"pairwise"`` (psych's default): every respondent, covariances from the respondents
        who answered both items; ``"listwise"``: respondents with any missing item dropped.
    ci
        Deprecated name of ``ci_method`` (accepted with a ``DeprecationWarning``).

    Returns
    -------
    AlphaResult

    Raises
    ------
    DataError
        Fewer than 2 items, an item without variance or with fewer than 2 answers, two items
        never answered together, no answers, or no more respondents than items.

    Notes
    -----
    The formulas are in the module docstring. They equal ``psych::alpha`` (psych 2.2.9) to
    1e-6 on the bfi scales, pairwise and listwise; so do the Feldt interval (psych::alpha.ci
    with ``n`` respondents) and the Duhachek interval as psych prints it (``raw_alpha +/- 1.96
    * ase`` at 95%; other levels use the exact normal quantile). ``n`` counts the respondents
    who answered at least one item; psych counts blank rows too (in ``ase`` and Feldt).

    The bootstrap resamples respondents (:mod:`psychometrics.resample`) with the same
    missing-data rule (pairwise covariances within each resample, as psych's ``n.iter``);
    resamples in which two items are never answered together count in ``n_failed``. Unlike
    psych, constant items and ``n <= k`` are errors, not a warning or a correlation matrix.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16, 297-334.
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson reliability
    coefficient twenty. Psychometrika, 30, 357-370.
    Duhachek, A., & Iacobucci, D. (2004). Alpha's standard error (ASE). Journal of Applied
    Psychology, 89, 792-808.
    Guttman, L. (1945). A basis for analyzing test-retest reliability. Psychometrika, 10,
    255-282.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> trait = rng.normal(size=300)
    >>> items = pd.DataFrame({f"q{j}": trait + rng.normal(size=300) for j in range(1, 5)})
    >>> res = alpha(items)
    >>> round(res.alpha, 3), res.k, res.n, res.ci_low < res.alpha < res.ci_high
    (0.827, 4, 300, True)
    >>> boot = alpha(items, ci_method="bootstrap", n_boot=200, seed=1)
    >>> boot.ci_method, boot.ci_low < boot.alpha < boot.ci_high
    ('bootstrap', True)
    """
    ci_method = renamed_keyword("alpha", "ci", "ci_method", ci, ci_method, "feldt", stacklevel=3)
    check_options(missing, ci_method, level)
    seed = resample.resolve_seed(seed)
    fit = fit_scale(prepare_items(items, missing))
    t = fit.total
    warn_degenerate(fit, t["alpha"])
    ase = float(np.sqrt(t["q"] / fit.n))
    is_boot = ci_method == "bootstrap"
    if is_boot:
        n_boot = check_positive_int(n_boot, "n_boot")
    lo, hi, n_failed = _interval(fit, ase, ci_method, level, n_boot, seed)
    scores = scale_scores(fit.x)
    return AlphaResult(
        alpha=float(t["alpha"]), std_alpha=float(t["std_alpha"]), g6=float(t["g6"]),
        average_r=float(t["average_r"]), median_r=t["median_r"],
        signal_noise=float(t["signal_noise"]), ase=ase, n=fit.n, k=fit.k,
        mean=float(np.nanmean(scores)), sd=float(np.nanstd(scores, ddof=1)),
        ci_low=float(lo), ci_high=float(hi), ci_method=ci_method, level=level, missing=missing,
        items=list(fit.columns), n_boot=n_boot if is_boot else None,
        seed=resample.seed_record(seed) if is_boot else None, n_failed=n_failed)
