"""Item analysis of one scale, as psych::alpha's ``item.stats``, ``alpha.drop`` and
``response.freq``, and the warnings psych prints about items ("reverse?")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._checks import identical_items
from ..errors import warn_at_caller
from ..threads import blas_limited
from .scale import (
    Missing,
    ScaleFit,
    bounded_smc,
    check_options,
    fit_scale,
    prepare_items,
    scale_scores,
    scale_statistics,
)

__all__ = ["item_analysis", "item_table", "response_frequencies", "warn_degenerate",
           "warn_negative_items"]

# psych::alpha's ``max = 10``: response frequencies only for at most this many codes
MAX_CODES = 10


def _code_label(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def response_frequencies(x: np.ndarray, columns: list[str],
                         max_codes: int = MAX_CODES) -> pd.DataFrame | None:
    """Proportion of each observed code among an item's answers, and the proportion missing.

    As psych::response.frequencies: the codes are those observed anywhere in the scale, and
    ``None`` is returned when there are more than ``max_codes`` of them or they span more than
    ``max_codes`` (continuous data).

    References
    ----------
    Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and Personality
    Research (version 2.2.9), function ``response.frequencies``.

    Examples
    --------
    >>> x = np.array([[1, 2], [2, 2], [1, np.nan]])
    >>> response_frequencies(x, ["a", "b"]).round(3)
          freq_1  freq_2  freq_miss
    item
    a      0.667   0.333      0.000
    b      0.000   1.000      0.333
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


def _item_total_r(fit: ScaleFit) -> dict[str, np.ndarray]:
    """psych's ``raw.r``, ``std.r``, ``r.cor`` and ``r.drop`` (see :func:`item_analysis`)."""
    x, c, r, k = fit.x, fit.cov, fit.cor, fit.k
    scores = scale_scores(x)
    # raw_r: R's cor(total, x, use = "pairwise"): per item, the rows where it is answered
    raw_r = np.empty(k)
    for j in range(k):  # loop over items only; each is a vectorised correlation
        ok = ~np.isnan(x[:, j])
        raw_r[j] = np.corrcoef(scores[ok], x[ok, j])[0, 1]
    std_r = r.sum(axis=0) / np.sqrt(r.sum())
    rc = r.copy()
    np.fill_diagonal(rc, bounded_smc(r))
    r_cor = rc.sum(axis=0) / np.sqrt(rc.sum())
    col_sum = c.sum(axis=0)
    rest_var = c.sum() - 2 * col_sum + np.diag(c)  # sum(C[-i, -i])
    r_drop = (col_sum - np.diag(c)) / np.sqrt(np.diag(c) * rest_var)
    return {"raw_r": raw_r, "std_r": std_r, "r_cor": r_cor, "r_drop": r_drop}


def _if_deleted(fit: ScaleFit) -> list[dict[str, float]]:
    """psych's ``alpha.drop``: the scale statistics without each item in turn."""
    c, k = fit.cov, fit.k
    drop = []
    for j in range(k):
        if k > 2:
            keep = np.arange(k) != j
            d = scale_statistics(c[np.ix_(keep, keep)])
            d["alpha_se"] = np.sqrt(d["q"] / fit.n)
        else:  # one item left: no alpha (psych reports the inter-item r here)
            d = dict.fromkeys(("alpha", "std_alpha", "g6", "average_r", "median_r", "var_r",
                               "alpha_se"), np.nan)
        drop.append(d)
    return drop


def item_table(fit: ScaleFit, max_codes: int = MAX_CODES) -> pd.DataFrame:
    """The table :func:`item_analysis` returns, from an already fitted scale."""
    x = fit.x
    drop = _if_deleted(fit)
    observed = ~np.isnan(x)
    table = pd.DataFrame({
        "n": observed.sum(axis=0),
        "mean": np.nanmean(x, axis=0),
        "sd": np.nanstd(x, axis=0, ddof=1),
        **_item_total_r(fit),
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


def warn_degenerate(fit: ScaleFit, alpha_: float) -> None:
    """psych's hints: items correlating negatively with the rest ("reverse?"), a negative
    alpha, identical items; each warning names the user's call (:func:`warn_at_caller`)."""
    table = item_table(fit)
    if alpha_ < 0 and not table["negative"].any():
        warn_at_caller(f"alpha is negative ({alpha_:.2f}): the items do not measure one thing "
                       "in one direction; check the reverse keys")
    warn_negative_items(table, f"alpha = {alpha_:.2f}" if alpha_ < 0 else "")
    pairs = identical_items(fit.cor, fit.columns)
    if pairs:
        warn_at_caller(f"identical items (r = 1): {pairs[:5]}; an item entered twice makes alpha "
                       "meaningless")


def warn_negative_items(table: pd.DataFrame, label: str = "") -> None:
    """Warn about the items of an :func:`item_analysis` table with a negative item-rest r."""
    neg = table.index[table["negative"]]
    if len(neg):
        where = f"{label}: " if label else ""
        vals = ", ".join(f"{i} ({table.at[i, 'r_drop']:.2f})" for i in neg)
        warn_at_caller(f"{where}item(s) correlating negatively with the rest of the scale: {vals}; "
                       "a reverse key is probably missing")


@blas_limited
def item_analysis(items, *, missing: Missing = "pairwise", max_codes: int = MAX_CODES,
                  warn: bool = True) -> pd.DataFrame:
    """Item statistics of one scale, as psych::alpha's ``item.stats``, ``alpha.drop`` and
    ``response.freq``.

    Parameters
    ----------
    items : DataFrame or array-like
        Reverse-keyed item responses of one scale.
    missing : {"pairwise", "listwise"}
        As in :func:`~psychometrics.reliability.alpha`.
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

    References
    ----------
    Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and Personality
    Research (version 2.2.9), functions ``alpha`` and ``response.frequencies``.
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16, 297-334.

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
    check_options(missing)
    table = item_table(fit_scale(prepare_items(items, missing)), max_codes)
    if warn:
        warn_negative_items(table)
    return table
