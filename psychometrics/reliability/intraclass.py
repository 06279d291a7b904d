"""Test-retest intraclass correlations, a transcription of ``psych::ICC(x, lmer = FALSE)``.

Written here rather than called from pingouin: pingouin pulls in statsmodels, seaborn,
scikit-learn and xarray (most of the install) for these few lines, and its rounding is a
global option that had to be switched off around every call.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._checks import ItemMatrix, check_choice, check_items, check_level, check_vector
from .._results import Result, format_table, jsonable
from ..distributions import stats  # scipy.stats' numbers without its import cost
from ..errors import DataError
from ..threads import blas_limited

__all__ = ["ICCResult", "icc"]

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
    pvalue: float
    n: int
    k: int
    level: float
    table: pd.DataFrame = field(repr=False)

    @property
    def p_value(self) -> float:
        """Deprecated name of :attr:`pvalue` (kept for one release)."""
        warnings.warn("ICCResult.p_value is renamed pvalue; p_value will be removed in the "
                      "next release", DeprecationWarning, stacklevel=2)
        return self.pvalue

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
    a complete n x k matrix); one linear recipe, easiest to check against psych in one piece.
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
        "pvalue": [p1, p2, p2, p1, p2, p2],
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
                     pvalue=float(row["pvalue"]), n=n, k=k, level=level, table=table)


