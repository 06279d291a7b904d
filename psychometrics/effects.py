"""Effect sizes of group differences: one-way ANOVA F, eta squared and Hedges' g.

The report's group section shows them beside the group summaries
(:func:`psychometrics.summarise`), with the same small-group suppression.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .distributions import stats  # scipy.stats' F distribution without its 0.5 s import

__all__ = ["group_effects"]


def group_effects(frame: pd.DataFrame, by: Sequence[str], subscales: Sequence[str], *,
                  min_group: int = 10) -> pd.DataFrame:
    """Effect sizes of group differences: one-way ANOVA, eta squared and Hedges' g.

    Parameters
    ----------
    frame : DataFrame
        Scores (``subscales`` columns) and the grouping columns ``by``.
    by : list of str
        Each grouping column is compared on its own.
    subscales : list of str
    min_group : int
        Groups smaller than this are left out (as they are suppressed in the summaries).

    Returns
    -------
    DataFrame
        ``grouping``, ``subscale``, ``groups_n`` (groups compared), ``n``, ``F``, ``p``,
        ``eta2`` (between-groups sum of squares over the total), ``hedges_g`` (two groups
        only: the first minus the second in sorted order, pooled SD, small-sample corrected).

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
    estimators. *Journal of Educational Statistics*, 6, 107-128.

    Examples
    --------
    >>> df = pd.DataFrame({"EE": [1.0, 2, 3, 4, 5, 6], "g": list("aaabbb")})
    >>> group_effects(df, ["g"], ["EE"], min_group=2)[["F", "eta2"]].round(3).values.tolist()
    [[13.5, 0.771]]
    """
    out = []
    for col in by:
        for sid in subscales:
            d = frame[[col, sid]].dropna()
            sizes = d.groupby(col, observed=True)[sid].transform("size")
            d = d[sizes >= min_group]
            g = d.groupby(col, observed=True)[sid]
            n_i, m_i, v_i = g.size(), g.mean(), g.var(ddof=1)
            k, n = len(n_i), int(n_i.sum())
            if k < 2 or n <= k:
                continue
            grand = d[sid].mean()
            ssb = float((n_i * (m_i - grand) ** 2).sum())
            ssw = float(((n_i - 1) * v_i).sum())
            F = (ssb / (k - 1)) / (ssw / (n - k)) if ssw > 0 else np.nan
            p = float(stats.f.sf(F, k - 1, n - k)) if np.isfinite(F) else np.nan
            g_ = np.nan
            if k == 2:
                sp = math.sqrt(ssw / (n - 2))
                j = 1 - 3 / (4 * (n - 2) - 1)  # Hedges' small-sample correction
                g_ = j * (m_i.iloc[0] - m_i.iloc[1]) / sp if sp > 0 else np.nan
            out.append({"grouping": col, "subscale": sid, "groups_n": k, "n": n, "F": F,
                        "p": p, "eta2": ssb / (ssb + ssw) if ssb + ssw > 0 else np.nan,
                        "hedges_g": g_})
    return pd.DataFrame(out, columns=["grouping", "subscale", "groups_n", "n", "F", "p",
                                      "eta2", "hedges_g"])
