"""Internal consistency and item analysis, as R's ``psych::alpha`` computes them.

Cronbach's alpha, standardised alpha, Guttman's lambda 6, the average inter-item correlation,
confidence intervals (Feldt, Duhachek, bootstrap), item statistics with alpha-if-deleted and
response frequencies; the standard error of measurement, the Jacobson-Truax reliable change
index and test-retest ICCs; and :func:`reliability` for all subscales of an instrument at once.

Everything is computed from one covariance matrix of the items: with ``missing="pairwise"``
(psych's default) the covariances use, for each pair of items, the respondents who answered
both; with ``missing="listwise"`` respondents with any missing item are dropped first.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from .. import resample
from .._checks import (
    ItemMatrix,
    check_choice,
    check_items,
    check_level,
    check_positive_int,
    check_vector,
    identical_items,
)
from .._results import Result, format_table, jsonable
from ..distributions import stats  # scipy.stats' numbers without its import cost
from ..errors import DataError
from ..threads import blas_limited

Missing = Literal["pairwise", "listwise"]
CIMethod = Literal["feldt", "duhachek", "bootstrap"]

_MISSING = ("pairwise", "listwise")
_CI = ("feldt", "duhachek", "bootstrap", None)

__all__ = ["AlphaResult", "ICCResult", "OmegaResult", "ReliabilityResult", "alpha", "icc",
           "item_analysis", "omega", "omega_cfa", "rci", "reliability", "sem"]


# --------------------------------------------------------------------------------------------
# covariance matrices
# --------------------------------------------------------------------------------------------

def _pairwise_cov(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _cov2cor(c: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.diagonal(c, axis1=-2, axis2=-1))
    return c / d[..., :, None] / d[..., None, :]


def _smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations 1 - 1/diag(R^-1) (psych::smc); NaN if R is singular."""
    try:
        inv = np.linalg.inv(r)
    except np.linalg.LinAlgError:
        return np.full(r.shape[0], np.nan)
    out = 1 - 1 / np.diag(inv)
    return np.minimum(out, 1.0)  # psych sets smc > 1 to 1


def _alpha1(c: np.ndarray) -> dict[str, float]:
    """psych's ``alpha.1``: the scale statistics of one covariance matrix (k >= 2)."""
    k = c.shape[0]
    r = _cov2cor(c)
    sum_c, tr_c = c.sum(), np.trace(c)
    sum_r = r.sum()
    smc = _smc(r)
    av_r = (sum_r - k) / (k * (k - 1))
    lower = r[np.tril_indices(k, -1)]
    cc = c @ c
    # Duhachek & Iacobucci's Q with Hattori's correction (psych >= 1.6.1)
    q = (2 * k**2 / ((k - 1) ** 2 * sum_c**3)) * (
        sum_c * (np.trace(cc) + tr_c**2) - 2 * tr_c * cc.sum())
    return {
        "alpha": k / (k - 1) * (1 - tr_c / sum_c),
        "std_alpha": k / (k - 1) * (1 - k / sum_r),
        "g6": 1 - (k - smc.sum()) / sum_r,
        "average_r": av_r,
        "signal_noise": k * av_r / (1 - av_r),
        "median_r": float(np.median(lower)),
        "var_r": float(np.var(lower, ddof=1)) if lower.size > 1 else np.nan,
        "q": q,
    }


# --------------------------------------------------------------------------------------------
# validation and the shared computation
# --------------------------------------------------------------------------------------------

def _check_options(missing, ci=None, level=0.95) -> None:
    check_choice(missing, _MISSING, "missing")
    check_choice(ci, _CI, "ci")
    check_level(level)


def _prepare(items, missing: str, name: str = "items") -> ItemMatrix:
    """Validate items for alpha: >= 2 items, each with variance, more respondents than items.

    Rows with no answer at all are dropped (they carry no information; psych counts them in
    ``n``, see :func:`alpha` Notes).
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
class _Fit:
    """Everything psych::alpha derives from one item matrix (internal)."""

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


def _fit(m: ItemMatrix) -> _Fit:
    cov, npair = _pairwise_cov(m.values)
    bad = np.argwhere(npair < 2)
    if bad.size:
        i, j = bad[0]
        raise DataError(f"items {m.columns[i]!r} and {m.columns[j]!r} are answered together by "
                        f"{int(npair[i, j])} respondent(s); a covariance needs 2")
    return _Fit(x=m.values, columns=m.columns, cov=cov, cor=_cov2cor(cov), npair=npair,
                total=_alpha1(cov), n=m.n)


def _scale_scores(x: np.ndarray) -> np.ndarray:
    """psych's ``scores``: the mean of the answered items of each respondent."""
    return np.nanmean(x, axis=1)


# --------------------------------------------------------------------------------------------
# alpha
# --------------------------------------------------------------------------------------------

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
    # psych prints alpha +/- 1.96 * ase; keep that rounded quantile at 95% to agree with R's
    # printed interval (the exact quantile moves the bounds by < 2e-6 * ase)
    return 1.96 if level == 0.95 else float(stats.norm.ppf(1 - (1 - level) / 2))


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
        b = idx.shape[0]
        w = np.bincount((idx + (np.arange(b) * n)[:, None]).ravel(),
                        minlength=b * n).reshape(b, n).astype(float)
        s = w @ a
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


@blas_limited
def alpha(items, *, ci: CIMethod | None = "feldt", level: float = 0.95, n_boot: int = 2000,
          seed=None, missing: Missing = "pairwise") -> AlphaResult:
    """Cronbach's alpha, standardised alpha, Guttman's lambda 6 and a confidence interval.

    Parameters
    ----------
    items : DataFrame or array-like, shape (n_respondents, n_items)
        Item responses of one scale, already reverse-keyed (see :func:`reliability` for an
        instrument's subscales). NaN = missing.
    ci : {"feldt", "duhachek", "bootstrap"} or None
        Interval for alpha: Feldt's F interval (psych::alpha.ci), Duhachek & Iacobucci's
        normal interval ``alpha +/- z * ase``, or a percentile bootstrap.
    level : float
        Coverage of the interval.
    n_boot : int
        Bootstrap resamples (``ci="bootstrap"``).
    seed : int, Generator or None
        Seed of the bootstrap; None uses :data:`~psychometrics.resample.DEFAULT_SEED`
        (recorded in ``to_dict()``), a Generator draws fresh numbers.
    missing : {"pairwise", "listwise"}
        ``"pairwise"`` (psych's default): every respondent, covariances from the respondents
        who answered both items; ``"listwise"``: respondents with any missing item dropped.

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
    With ``C`` the item covariance matrix, ``R = cov2cor(C)`` and ``k`` items:

    - ``alpha = k / (k - 1) * (1 - tr(C) / sum(C))``;
    - ``std_alpha = k / (k - 1) * (1 - k / sum(R))``;
    - ``g6 = 1 - (k - sum(smc(R))) / sum(R)``, ``smc = 1 - 1 / diag(R^-1)``;
    - ``average_r = (sum(R) - k) / (k (k - 1))``;
    - ``ase = sqrt(Q / n)`` with Duhachek & Iacobucci's ``Q`` as corrected in psych 1.6.1.

    With pairwise covariances ``R`` is ``cov2cor`` of the pairwise covariance matrix (as psych),
    not the matrix of pairwise correlations. These numbers equal ``psych::alpha`` (psych 2.2.9)
    to 1e-6 on the bfi scales, pairwise and listwise; so do the Feldt interval
    (psych::alpha.ci with ``n`` respondents) and the Duhachek interval as psych prints it
    (``raw_alpha +/- 1.96 * ase`` at 95%; other levels use the exact normal quantile).

    ``n`` is the number of respondents who answered at least one item. psych counts every row
    passed, including blank ones, in ``n`` (which enters ``ase`` and the Feldt interval); the
    two agree whenever no respondent skipped the whole scale.

    The bootstrap resamples respondents (:mod:`psychometrics.resample`) and recomputes alpha
    with the same missing-data rule: pairwise covariances within each resample, as psych's
    ``n.iter`` bootstrap does, or the complete cases when ``missing="listwise"``. Resamples in
    which two items are never answered together give no alpha and are counted in
    ``n_failed``. psych's defaults differ in two ways worth knowing: it keeps constant items
    out with a warning (here an error, because the scale would silently change), and for
    ``n <= k`` it treats the data as a correlation matrix (here an error).

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
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> trait = rng.normal(size=300)
    >>> items = pd.DataFrame({f"q{j}": trait + rng.normal(size=300) for j in range(1, 5)})
    >>> res = alpha(items)
    >>> round(res.alpha, 3), res.k, res.n
    (0.827, 4, 300)
    >>> res.ci_low < res.alpha < res.ci_high
    True
    >>> boot = alpha(items, ci="bootstrap", n_boot=200, seed=1)
    >>> boot.ci_method, boot.ci_low < boot.alpha < boot.ci_high
    ('bootstrap', True)
    """
    _check_options(missing, ci, level)
    seed = resample.resolve_seed(seed)
    fit = _fit(_prepare(items, missing))
    t = fit.total
    _warn_degenerate(fit, t["alpha"])
    ase = float(np.sqrt(t["q"] / fit.n))
    scores = _scale_scores(fit.x)
    lo = hi = np.nan
    n_failed = None
    if ci == "feldt":
        lo, hi = feldt_ci(t["alpha"], fit.n, fit.k, level)
    elif ci == "duhachek":
        z = _duhachek_z(level)
        lo, hi = t["alpha"] - z * ase, t["alpha"] + z * ase
    elif ci == "bootstrap":
        n_boot = check_positive_int(n_boot, "n_boot")
        boot = resample.bootstrap(_boot_alpha_stat(fit.x), fit.n, n_boot=n_boot, seed=seed,
                                  level=level, width=fit.k)
        lo, hi, n_failed = float(boot.ci_low), float(boot.ci_high), boot.n_failed
    is_boot = ci == "bootstrap"
    return AlphaResult(
        alpha=float(t["alpha"]), std_alpha=float(t["std_alpha"]), g6=float(t["g6"]),
        average_r=float(t["average_r"]), median_r=t["median_r"],
        signal_noise=float(t["signal_noise"]), ase=ase, n=fit.n, k=fit.k,
        mean=float(np.nanmean(scores)), sd=float(np.nanstd(scores, ddof=1)),
        ci_low=float(lo), ci_high=float(hi), ci_method=ci, level=level, missing=missing,
        items=list(fit.columns), n_boot=n_boot if is_boot else None,
        seed=resample.seed_record(seed) if is_boot else None, n_failed=n_failed)


# --------------------------------------------------------------------------------------------
# item analysis
# --------------------------------------------------------------------------------------------

def _code_label(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def response_frequencies(x: np.ndarray, columns: list[str], max_codes: int = 10) -> pd.DataFrame | None:
    """Proportion of each observed code among an item's answers, and the proportion missing.

    As psych::response.frequencies: the codes are those observed anywhere in the scale, and
    ``None`` is returned when there are more than ``max_codes`` of them or they span more than
    ``max_codes`` (continuous data).
    """
    observed = ~np.isnan(x)
    codes = np.unique(x[observed])
    if codes.size == 0 or codes.size > max_codes or codes[-1] - codes[0] > max_codes:
        return None
    answered = observed.sum(axis=0)
    counts = (x[:, :, None] == codes[None, None, :]).sum(axis=0)  # (k, codes)
    with np.errstate(invalid="ignore", divide="ignore"):
        freq = counts / answered[:, None]
    out = pd.DataFrame(freq, index=pd.Index(columns, name="item"),
                       columns=[f"freq_{_code_label(c)}" for c in codes])
    out["freq_miss"] = 1 - answered / x.shape[0]
    return out


def _item_table(fit: _Fit, max_codes: int = 10) -> pd.DataFrame:
    x, c, r, k = fit.x, fit.cov, fit.cor, fit.k
    scores = _scale_scores(x)
    # raw_r: R's cor(total, x, use = "pairwise"): per item, the rows where it is answered
    raw_r = np.empty(k)
    for j in range(k):  # loop over items only; each is a vectorised correlation
        ok = ~np.isnan(x[:, j])
        raw_r[j] = np.corrcoef(scores[ok], x[ok, j])[0, 1]
    std_r = r.sum(axis=0) / np.sqrt(r.sum())
    rc = r.copy()
    np.fill_diagonal(rc, _smc(r))
    r_cor = rc.sum(axis=0) / np.sqrt(rc.sum())
    col_sum = c.sum(axis=0)
    rest_var = c.sum() - 2 * col_sum + np.diag(c)  # sum(C[-i, -i])
    r_drop = (col_sum - np.diag(c)) / np.sqrt(np.diag(c) * rest_var)
    drop = []
    for j in range(k):
        if k > 2:
            keep = np.arange(k) != j
            d = _alpha1(c[np.ix_(keep, keep)])
            d["alpha_se"] = np.sqrt(d["q"] / fit.n)
        else:  # one item left: no alpha (psych reports the inter-item r here)
            d = dict.fromkeys(("alpha", "std_alpha", "g6", "average_r", "median_r", "var_r",
                               "alpha_se"), np.nan)
        drop.append(d)
    observed = ~np.isnan(x)
    table = pd.DataFrame({
        "n": observed.sum(axis=0),
        "mean": np.nanmean(x, axis=0),
        "sd": np.nanstd(x, axis=0, ddof=1),
        "raw_r": raw_r, "std_r": std_r, "r_cor": r_cor, "r_drop": r_drop,
        "alpha_if_deleted": [d["alpha"] for d in drop],
        "std_alpha_if_deleted": [d["std_alpha"] for d in drop],
        "g6_if_deleted": [d["g6"] for d in drop],
        "average_r_if_deleted": [d["average_r"] for d in drop],
        "median_r_if_deleted": [d["median_r"] for d in drop],
        "var_r_if_deleted": [d["var_r"] for d in drop],
        "alpha_se_if_deleted": [d["alpha_se"] for d in drop],
    }, index=pd.Index(fit.columns, name="item"))
    freq = response_frequencies(x, fit.columns, max_codes)
    if freq is not None:
        table = table.join(freq)
    table["negative"] = table["r_drop"] < 0
    return table


def _warn_degenerate(fit: _Fit, alpha_: float) -> None:
    """psych's hints: items correlating negatively with the rest ("reverse?"), a negative
    alpha, identical items."""
    table = _item_table(fit)
    if alpha_ < 0 and not table["negative"].any():
        warnings.warn(f"alpha is negative ({alpha_:.2f}): the items do not measure one thing in one "
                      "direction; check the reverse keys", UserWarning, stacklevel=3)
    _warn_negative(table, f"alpha = {alpha_:.2f}" if alpha_ < 0 else "", stacklevel=4)
    pairs = identical_items(fit.cor, fit.columns)
    if pairs:
        warnings.warn(f"identical items (r = 1): {pairs[:5]}; an item entered twice makes alpha "
                      "meaningless", UserWarning, stacklevel=3)


def _warn_negative(table: pd.DataFrame, label: str = "", stacklevel: int = 3) -> None:
    neg = table.index[table["negative"]]
    if len(neg):
        where = f"{label}: " if label else ""
        vals = ", ".join(f"{i} ({table.at[i, 'r_drop']:.2f})" for i in neg)
        warnings.warn(f"{where}item(s) correlating negatively with the rest of the scale: {vals}; "
                      "a reverse key is probably missing", UserWarning, stacklevel=stacklevel)


@blas_limited
def item_analysis(items, *, missing: Missing = "pairwise", max_codes: int = 10,
                  warn: bool = True) -> pd.DataFrame:
    """Item statistics of one scale, as psych::alpha's ``item.stats``, ``alpha.drop`` and
    ``response.freq``.

    Parameters
    ----------
    items : DataFrame or array-like
        Reverse-keyed item responses of one scale.
    missing : {"pairwise", "listwise"}
        As in :func:`alpha`.
    max_codes : int
        Response frequencies are given when the scale has at most this many distinct codes
        (psych's ``max = 10``).
    warn : bool
        Warn about items that correlate negatively with the rest of the scale.

    Returns
    -------
    DataFrame
        Indexed by item, with columns ``n`` (answers), ``mean``, ``sd``, ``raw_r`` (item-total
        r), ``std_r`` (from the correlation matrix), ``r_cor`` (item-total r corrected for
        overlap and reliability), ``r_drop`` (item-rest r), ``alpha_if_deleted``,
        ``std_alpha_if_deleted``, ``g6_if_deleted``, ``average_r_if_deleted``,
        ``median_r_if_deleted``, ``var_r_if_deleted``, ``alpha_se_if_deleted``, one
        ``freq_<code>`` column per observed code and ``freq_miss`` (proportions; omitted for
        continuous data), and ``negative`` (``r_drop < 0``).

    Notes
    -----
    As psych: ``raw_r`` correlates each item with the scale score (mean of the answered
    items) over the respondents who answered the item; ``std_r = colSums(R) / sqrt(sum(R))``;
    ``r_cor`` is the same with ``smc(R)`` on the diagonal of ``R``; ``r_drop`` is the
    covariance-based item-rest correlation ``(sum(C[, i]) - C[i, i]) / sqrt(C[i, i] *
    sum(C[-i, -i]))``. Means and SDs use each item's answers; frequencies are proportions of
    the answers, ``freq_miss`` of all respondents. Equal to psych::alpha (2.2.9) to 1e-6 on
    bfi. For a 2-item scale the if-deleted statistics are NaN (one item has no alpha; psych
    reports the inter-item correlation there).

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2], "b": [2, 2, 3, 5, 4, 1],
    ...                       "c": [1, 3, 3, 4, 5, 3]})
    >>> tab = item_analysis(items)
    >>> tab[["r_drop", "alpha_if_deleted"]].round(3)
          r_drop  alpha_if_deleted
    item
    a      0.967             0.771
    b      0.739             0.965
    c      0.823             0.898
    """
    _check_options(missing)
    table = _item_table(_fit(_prepare(items, missing)), max_codes)
    if warn:
        _warn_negative(table)
    return table


# --------------------------------------------------------------------------------------------
# SEM, RCI, ICC
# --------------------------------------------------------------------------------------------

def _check_reliability(rel) -> float:
    rel = float(getattr(rel, "alpha", rel))
    if not 0 <= rel <= 1:
        raise DataError(f"reliability must be between 0 and 1, got {rel:g}")
    return rel


def sem(reliability: float, *, sd: float | None = None, scores=None) -> float:
    """Standard error of measurement ``sd * sqrt(1 - reliability)``.

    Parameters
    ----------
    reliability : float or AlphaResult
        A reliability coefficient in [0, 1] (an :class:`AlphaResult` gives its ``alpha``).
    sd : float, optional
        SD of the scores (of the norm or baseline sample).
    scores : array-like, optional
        Scores to take the SD (n - 1 denominator, missing values ignored) from, instead of
        ``sd``.

    Examples
    --------
    >>> round(sem(0.84, sd=10.0), 6)
    4.0
    """
    rel = _check_reliability(reliability)
    s = _sd(sd, scores)
    return float(s * np.sqrt(1 - rel))


def _sd(sd, scores) -> float:
    if (sd is None) == (scores is None):
        raise ValueError("give exactly one of sd= and scores=")
    if scores is not None:
        x = check_vector(scores, name="scores", allow_nan=True)
        x = x[~np.isnan(x)]
        if x.size < 2:
            raise DataError(f"scores: {x.size} non-missing value(s); an SD needs 2")
        sd = float(np.std(x, ddof=1))
    if not np.isfinite(sd) or sd < 0:
        raise DataError(f"sd must be a non-negative number, got {sd!r}")
    return float(sd)


def rci(score1, score2, reliability: float, *, sd: float | None = None,
        level: float = 0.95) -> pd.DataFrame:
    """Jacobson-Truax reliable change index for two administrations.

    Parameters
    ----------
    score1, score2 : array-like or Series
        Scores at the first and second administration (same respondents, same order).
    reliability : float or AlphaResult
        Reliability of the score (e.g. alpha or a test-retest coefficient).
    sd : float, optional
        SD of the score in the reference population; by default the SD of ``score1`` (the
        pre-test SD, as Jacobson & Truax).
    level : float
        Two-sided level of "reliable": ``|RCI| > z`` with ``z`` the normal quantile (1.96 at
        95%).

    Returns
    -------
    DataFrame
        Indexed as ``score1``: ``score1``, ``score2``, ``change`` (``score2 - score1``),
        ``rci``, ``reliable`` (bool), ``direction`` (``"increase"``, ``"decrease"`` or
        ``"no reliable change"``); missing scores give NaN and ``"no reliable change"``
        is replaced by missing there. ``attrs`` holds ``sem``, ``s_diff`` and ``z``.

    Notes
    -----
    ``SEM = sd * sqrt(1 - r)``, ``S_diff = sqrt(2 SEM^2)``, ``RCI = (x2 - x1) / S_diff``
    (Jacobson & Truax, 1991). Whether an increase is an improvement depends on the scale
    (for burnout, a decrease is).

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). Clinical significance: a statistical approach to
    defining meaningful change in psychotherapy research. Journal of Consulting and Clinical
    Psychology, 59, 12-19.

    Examples
    --------
    >>> out = rci([30, 30, 30], [20, 28, 41], 0.8, sd=5.0)
    >>> out[["rci", "direction"]].round(3)
         rci           direction
    0 -3.162            decrease
    1 -0.632  no reliable change
    2  3.479            increase
    """
    rel = _check_reliability(reliability)
    x1 = check_vector(score1, name="score1", allow_nan=True)
    x2 = check_vector(score2, name="score2", allow_nan=True)
    if x1.shape != x2.shape:
        raise DataError(f"score1 has {x1.size} values and score2 {x2.size}; they must be the "
                        "same respondents")
    s = _sd(sd, None) if sd is not None else _sd(None, x1)
    sem_ = s * np.sqrt(1 - rel)
    s_diff = np.sqrt(2) * sem_
    if s_diff == 0:
        raise DataError("the SD or 1 - reliability is 0, so every change would be 'reliable'")
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    change = x2 - x1
    index = score1.index if isinstance(score1, pd.Series) else pd.RangeIndex(x1.size)
    r = change / s_diff
    reliable = np.abs(r) > z
    direction = np.where(~reliable, "no reliable change", np.where(r > 0, "increase", "decrease"))
    out = pd.DataFrame({"score1": x1, "score2": x2, "change": change, "rci": r,
                        "reliable": reliable,
                        "direction": pd.Series(direction, index=index).where(~np.isnan(r))},
                       index=index)
    out.attrs.update(sem=float(sem_), s_diff=float(s_diff), z=z, sd=s, reliability=rel)
    return out


_ICC_KINDS = {
    "ICC1": "ICC(1,1)", "ICC2": "ICC(A,1)", "ICC3": "ICC(C,1)",
    "ICC1k": "ICC(1,k)", "ICC2k": "ICC(A,k)", "ICC3k": "ICC(C,k)",
}
_ICC_DESCRIPTION = {
    "ICC1": "one-way random, single measurement",
    "ICC2": "two-way random, absolute agreement, single measurement",
    "ICC3": "two-way mixed, consistency, single measurement",
    "ICC1k": "one-way random, mean of k measurements",
    "ICC2k": "two-way random, absolute agreement, mean of k measurements",
    "ICC3k": "two-way mixed, consistency, mean of k measurements",
}


@dataclass(frozen=True)
class ICCResult(Result):
    """Intraclass correlation of repeated administrations (Shrout & Fleiss / McGraw & Wong).

    ``kind`` is the chosen coefficient; ``table`` holds all six (one row each, Shrout & Fleiss
    names as index and in ``type``).
    """

    kind: str
    description: str
    icc: float
    ci_low: float
    ci_high: float
    f: float
    df1: int
    df2: int
    p_value: float
    n: int
    k: int
    level: float
    table: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["table"] = jsonable(self.table)
        return d

    def summary(self) -> str:
        return format_table(self.table.drop(columns="description"),
                            f"ICC: n = {self.n} respondents, k = {self.k} administrations; "
                            f"chosen {self.kind} = {self.icc:.3f} "
                            f"[{self.ci_low:.3f}, {self.ci_high:.3f}]")


def _icc_table(x: np.ndarray, level: float) -> pd.DataFrame:
    """All six Shrout & Fleiss coefficients with psych's F tests and bounds.

    A direct transcription of ``psych::ICC(x, lmer = FALSE)`` (two-way ANOVA mean squares of
    a complete n x k matrix). Written here rather than called from pingouin: pingouin pulls in
    statsmodels, seaborn, scikit-learn and xarray (most of the install) for these few lines,
    and its rounding is a global option that had to be switched off around every call.
    """
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * np.sum((x.mean(axis=1) - grand) ** 2)
    ss_cols = n * np.sum((x.mean(axis=0) - grand) ** 2)
    ss_total = np.sum((x - grand) ** 2)
    ss_err = ss_total - ss_rows - ss_cols
    msb = ss_rows / (n - 1)                      # between targets
    msj = ss_cols / (k - 1)                      # between administrations (judges)
    mse = ss_err / ((n - 1) * (k - 1))           # residual
    msw = (ss_cols + ss_err) / (n * (k - 1))     # within targets
    icc1 = (msb - msw) / (msb + (k - 1) * msw)
    icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
    icc3 = (msb - mse) / (msb + (k - 1) * mse)
    icc1k = (msb - msw) / msb
    icc2k = (msb - mse) / (msb + (msj - mse) / n)
    icc3k = (msb - mse) / msb
    f1, d1n, d1d = msb / msw, n - 1, n * (k - 1)
    f2, d2n, d2d = msb / mse, n - 1, (n - 1) * (k - 1)
    p1, p2 = stats.f.sf(f1, d1n, d1d), stats.f.sf(f2, d2n, d2d)
    q = 1 - (1 - level) / 2
    f1l, f1u = f1 / stats.f.ppf(q, d1n, d1d), f1 * stats.f.ppf(q, d1d, d1n)
    f3l, f3u = f2 / stats.f.ppf(q, d2n, d2d), f2 * stats.f.ppf(q, d2d, d2n)
    # ICC2: Satterthwaite df of McGraw & Wong (1996), as psych
    fj = msj / mse
    vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k ** 2 * icc2 ** 2 * fj ** 2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    fu2, fl2 = stats.f.ppf(q, n - 1, v), stats.f.ppf(q, v, n - 1)
    denom = k * msj + (k * n - k - n) * mse
    l2 = n * (msb - fu2 * mse) / (fu2 * denom + n * msb)
    u2 = n * (fl2 * msb - mse) / (denom + n * fl2 * msb)
    names = list(_ICC_KINDS)
    return pd.DataFrame({
        "type": names,
        "description": [_ICC_DESCRIPTION[nm] for nm in names],
        "icc": [icc1, icc2, icc3, icc1k, icc2k, icc3k],
        "ci_low": [(f1l - 1) / (f1l + k - 1), l2, (f3l - 1) / (f3l + k - 1),
                   1 - 1 / f1l, l2 * k / (1 + l2 * (k - 1)), 1 - 1 / f3l],
        "ci_high": [(f1u - 1) / (f1u + k - 1), u2, (f3u - 1) / (f3u + k - 1),
                    1 - 1 / f1u, u2 * k / (1 + u2 * (k - 1)), 1 - 1 / f3u],
        "f": [f1, f2, f2, f1, f2, f2],
        "df1": [d1n, d2n, d2n, d1n, d2n, d2n],
        "df2": [d1d, d2d, d2d, d1d, d2d, d2d],
        "p_value": [p1, p2, p2, p1, p2, p2],
    }, index=pd.Index(names, name="kind"))


@blas_limited
def icc(*scores, kind: str = "ICC2", level: float = 0.95) -> ICCResult:
    """Test-retest intraclass correlation, as ``psych::ICC``.

    Parameters
    ----------
    *scores : DataFrame, or two or more array-likes
        Either one wide table (respondents x administrations) or one score vector per
        administration, same respondents in the same order. Respondents with a missing score
        are left out (listwise, as ``psych::ICC(na.omit(x))``).
    kind : {"ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"}
        Shrout & Fleiss's coefficient to report. ``"ICC2"`` (two-way random effects, absolute
        agreement, single measurement) is the usual choice for test-retest reliability
        (Koo & Li, 2016); ``"ICC3"`` ignores a systematic shift between administrations.
    level : float
        Confidence level of the interval (psych's ``alpha = 1 - level``).

    Returns
    -------
    ICCResult
        The chosen coefficient with its F test and F-based confidence interval (Shrout &
        Fleiss, 1979; McGraw & Wong, 1996, for ICC2), and all six in ``table``; equal to
        ``psych::ICC(x, lmer = FALSE)`` (tested to 1e-9 against psych 2.2.9).

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. Psychological Bulletin, 86, 420-428.
    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass correlation
    coefficients. Psychological Methods, 1, 30-46.
    Koo, T. K., & Li, M. Y. (2016). A guideline of selecting and reporting intraclass
    correlation coefficients for reliability research. Journal of Chiropractic Medicine, 15,
    155-163.
    Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and Personality
    Research (version 2.2.9), function ``ICC``.

    Examples
    --------
    >>> res = icc([9, 6, 8, 7, 10, 6], [2, 1, 4, 1, 5, 2])
    >>> res.kind, round(res.icc, 3), res.n, res.k
    ('ICC2', 0.126, 6, 2)
    """
    check_choice(kind, list(_ICC_KINDS), "kind")
    level = check_level(level)
    if len(scores) == 1:
        m = check_items(scores[0], name="scores")
    else:
        cols = [check_vector(s, name=f"score{j + 1}", allow_nan=True) for j, s in enumerate(scores)]
        if len({c.size for c in cols}) > 1:
            raise DataError(f"score vectors have different lengths {[c.size for c in cols]}")
        m = check_items(np.column_stack(cols) if cols else np.empty((0, 0)), name="scores")
        m = ItemMatrix(m.values, [f"score{j + 1}" for j in range(m.k)], m.index)
    if m.k < 2:
        raise DataError(f"scores: an ICC needs at least 2 administrations, got {m.k}")
    x = m.values[~np.isnan(m.values).any(axis=1)]
    if x.shape[0] < 2:
        raise DataError(f"scores: {x.shape[0]} respondent(s) with every score; an ICC needs 2")
    if np.all(x == x[0, 0]):
        raise DataError("scores: every score is the same; the ICC is undefined")
    n, k = x.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        table = _icc_table(x, level)
    row = table.loc[kind]
    return ICCResult(kind=kind, description=row["description"], icc=float(row["icc"]),
                     ci_low=float(row["ci_low"]), ci_high=float(row["ci_high"]),
                     f=float(row["f"]), df1=int(row["df1"]), df2=int(row["df2"]),
                     p_value=float(row["p_value"]), n=n, k=k, level=level, table=table)


# --------------------------------------------------------------------------------------------
# all subscales of an instrument
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReliabilityResult(Result):
    """Reliability of every subscale of an instrument.

    Attributes
    ----------
    instrument : str
    table : DataFrame
        One row per subscale (index ``subscale``): ``k``, ``n``, ``alpha``, ``ci_low``,
        ``ci_high``, ``std_alpha``, ``g6``, ``average_r``, ``median_r``, ``ase``, ``mean``,
        ``sd``, ``sem`` (of the mean score, from alpha), ``n_negative`` (items with negative
        item-rest r).
    items : dict of str to DataFrame
        :func:`item_analysis` table of each subscale.
    alphas : dict of str to AlphaResult
    missing, ci_method, level
    """

    instrument: str
    table: pd.DataFrame
    items: dict[str, pd.DataFrame]
    alphas: dict[str, AlphaResult] = field(repr=False)
    missing: str
    ci_method: str | None
    level: float

    def to_dict(self) -> dict:
        boot = [a for a in self.alphas.values() if a.n_boot]
        return {"instrument": self.instrument, "missing": self.missing,
                "ci_method": self.ci_method, "level": self.level,
                "n_boot": boot[0].n_boot if boot else None,
                "seed": boot[0].to_dict()["seed"] if boot else None,
                "subscales": jsonable(self.table),
                "items": {s: jsonable(t) for s, t in self.items.items()}}

    def summary(self) -> str:
        cols = ["k", "n", "alpha", "ci_low", "ci_high", "std_alpha", "g6", "average_r", "sem"]
        ci = f"; {self.level:.0%} CI: {self.ci_method}" if self.ci_method else ""
        parts = [format_table(self.table[cols],
                              f"Reliability of {self.instrument} ({self.missing}{ci})")]
        item_cols = ["n", "mean", "sd", "r_cor", "r_drop", "alpha_if_deleted"]
        for sid, tab in self.items.items():
            parts.append(format_table(tab[item_cols], f"\nItems of {sid}"))
        return "\n".join(parts)


@blas_limited
def reliability(data: pd.DataFrame, instrument, *, items=None, missing: Missing = "pairwise",
                ci: CIMethod | None = "feldt", level: float = 0.95, n_boot: int = 2000,
                seed=None, on_invalid: str = "raise", form: str | None = None, keys=None,
                id: str | None = None) -> ReliabilityResult:
    """Alpha and item analysis of every subscale of an instrument in one call.

    Parameters
    ----------
    data : DataFrame
        Respondents x columns, holding the instrument's items.
    instrument : str, path or Instrument
        An instrument id or file (:func:`psychometrics.load_instrument`).
    items : None, dict, str or path
        How instrument items map to columns (see :func:`psychometrics.score`).
    missing, ci, level, n_boot, seed
        As in :func:`alpha` (one seed for all subscales).
    on_invalid : {"raise", "missing"}
        What to do with invalid responses (see :func:`psychometrics.score`).
    form, keys
        The instrument's answer direction and an own key file
        (:func:`psychometrics.load_instrument`).
    id : str, optional
        Column of respondent ids (checked for duplicates, not analysed).

    Returns
    -------
    ReliabilityResult

    Notes
    -----
    The items are validated, recoded and reverse-keyed per subscale by
    :func:`psychometrics.keyed_items` (``min + max - x``), so an item can be reversed in one
    subscale and not in another. Each subscale is then analysed as :func:`alpha` and
    :func:`item_analysis`; a warning names items correlating negatively with the rest of
    their subscale. ``sem`` in the table is ``sd * sqrt(1 - alpha)`` of the mean score.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> exhaustion = rng.normal(size=(300, 1))
    >>> raw = np.clip(np.round(2.5 + exhaustion + rng.normal(size=(300, 16))), 1, 4)
    >>> worded = [1, 2, 3, 5, 7, 8, 10, 11]  # columns of olbi2, 3, 4, 6, 8, 9, 11, 12
    >>> raw[:, worded] = 5 - raw[:, worded]  # answered in the other direction
    >>> data = pd.DataFrame(raw, columns=[f"olbi{i}" for i in range(1, 17)])
    >>> res = reliability(data, "olbi", form="agree-low")
    >>> res.table[["k", "n", "alpha"]].round(3)
               k    n  alpha
    subscale
    EX         8  300  0.867
    DI         8  300  0.853
    total     16  300  0.926
    """
    from ..instruments import load_instrument
    from ..scoring import keyed_items

    _check_options(missing, ci, level)
    inst = load_instrument(instrument, keys=keys, form=form)
    blocks = keyed_items(data, inst, items=items, id=id, on_invalid=on_invalid)
    rows, tables, alphas = {}, {}, {}
    for sid, block in blocks.items():
        a = alpha(block, ci=ci, level=level, n_boot=n_boot, seed=seed, missing=missing)
        tab = item_analysis(block, missing=missing, warn=False)
        _warn_negative(tab, f"{inst.id} {sid}", stacklevel=3)
        alphas[sid], tables[sid] = a, tab
        rows[sid] = {"k": a.k, "n": a.n, "alpha": a.alpha, "ci_low": a.ci_low,
                     "ci_high": a.ci_high, "std_alpha": a.std_alpha, "g6": a.g6,
                     "average_r": a.average_r, "median_r": a.median_r, "ase": a.ase,
                     "mean": a.mean, "sd": a.sd, "sem": a.sd * np.sqrt(max(0.0, 1 - a.alpha)),
                     "n_negative": int(tab["negative"].sum())}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "subscale"
    return ReliabilityResult(instrument=inst.id, table=table, items=tables, alphas=alphas,
                             missing=missing, ci_method=ci, level=level)


# omega lives in its own module (not named ``omega``, so the function is never shadowed)
from .omegas import OmegaResult, omega, omega_cfa  # noqa: E402
