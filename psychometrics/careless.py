"""Careless-responding indices: long strings of identical answers and response variability.

:func:`longstring` and :func:`irv` are per-respondent statistics on the raw codes in
questionnaire order (as the R package careless computes them); :func:`careless_flags` turns
them into flags for a second look. The report's data-quality section shows them.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from .errors import DataError

__all__ = ["longstring", "irv", "careless_flags"]

#: Default long-string threshold: a run over half the items (Curran 2016 gives no universal
#: value; half the questionnaire in one column is hard to give attentively).
LONGSTRING_SHARE = 0.5
#: Default IRV threshold as a share of the response scale's range (0.6 on a 0..6 scale).
IRV_SHARE = 0.1
#: The shortest run the default long-string threshold asks for (one answer is not a run).
MIN_RUN = 2


def _matrix(items) -> np.ndarray:
    if isinstance(items, pd.DataFrame):
        from ._checks import check_items
        return check_items(items).values
    x = np.asarray(items, dtype=float)
    if x.ndim != 2:
        raise DataError(f"items must be a 2-D table (respondents x items), got {x.ndim} dimensions")
    return x


def longstring(items) -> np.ndarray:
    """Longest run of identical consecutive answers of each respondent.

    Parameters
    ----------
    items : DataFrame or 2-D array
        Respondents x items in questionnaire order, raw codes (not reverse-keyed: a
        straight-liner ticks the same box whatever the key). NaN = missing.

    Returns
    -------
    ndarray of int
        One value per respondent (0 when nothing was answered).

    Notes
    -----
    As ``careless::longstring(x, avg = FALSE)`` (Yentes & Wilhelm) on complete rows. A
    missing answer ends a run and is not part of one (careless counts a run of ``NA`` codes
    in some versions; here unanswered items never make a respondent look careless).
    Vectorised over respondents: one pass over the items.

    References
    ----------
    Johnson, J. A. (2005). Ascertaining the validity of individual protocols from web-based
    personality inventories. *Journal of Research in Personality*, 39, 103-129.

    Examples
    --------
    >>> longstring([[1, 1, 1, 2, 2], [3, 3, float("nan"), 3, 3], [1, 2, 3, 4, 5]])
    array([3, 2, 1])
    """
    x = _matrix(items)
    n, k = x.shape
    if k == 0:
        return np.zeros(n, dtype=int)
    answered = ~np.isnan(x)
    cur = answered[:, 0].astype(int)
    best = cur.copy()
    for j in range(1, k):  # loop over items; each step is vectorised over respondents
        same = (x[:, j] == x[:, j - 1]) & answered[:, j]
        cur = np.where(same, cur + 1, answered[:, j].astype(int))
        np.maximum(best, cur, out=best)
    return best


def irv(items) -> np.ndarray:
    """Intra-individual response variability: the SD of each respondent's answers.

    Parameters
    ----------
    items : DataFrame or 2-D array
        Respondents x items (raw codes), NaN = missing.

    Returns
    -------
    ndarray of float
        The standard deviation (n - 1 denominator) over the answered items; NaN with fewer
        than two answers.

    Notes
    -----
    ``careless::irv(x, na.rm = TRUE)``: ``apply(x, 1, sd, na.rm = TRUE)``. A very low IRV
    (nearly the same answer everywhere, even on items keyed in opposite directions) marks
    straight-lining.

    References
    ----------
    Dunn, A. M., Heggestad, E. D., Shanock, L. R., & Theilgard, N. (2018). Intra-individual
    response variability as an indicator of insufficient effort responding. *Journal of
    Business and Psychology*, 33, 105-121.

    Examples
    --------
    >>> irv([[1, 1, 1, 1], [1, 2, 3, 4]]).round(3)
    array([0.   , 1.291])
    """
    x = _matrix(items)
    m = (~np.isnan(x)).sum(axis=1)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        sd = np.nanstd(x, axis=1, ddof=1)
    return np.where(m >= 2, sd, np.nan)


def careless_flags(items, *, longstring_min: int | None = None, irv_max: float | None = None,
                   scale_range: float | None = None) -> pd.DataFrame:
    """Per-respondent careless-responding indices and flags.

    Parameters
    ----------
    items : DataFrame
        Respondents x items in questionnaire order, raw codes (index kept).
    longstring_min : int, optional
        Flag a run of at least this many identical answers. Default: half the items,
        rounded up (11 of the 22 MBI-HSS items).
    irv_max : float, optional
        Flag an IRV at or below this value. Default: a tenth of the scale's range
        (``scale_range``, else the observed range of codes), e.g. 0.6 on a 0..6 scale.
    scale_range : float, optional
        Max minus min code of the response scale.

    Returns
    -------
    DataFrame
        ``answered``, ``longstring``, ``irv``, ``flag_longstring``, ``flag_irv``; same index.
        ``attrs`` hold the thresholds used.

    Notes
    -----
    There are no universal thresholds (Curran 2016): the defaults flag answer patterns that
    are hard to give attentively (half the questionnaire in one column; almost no variation
    across items keyed in opposite directions). Flags are for a second look, not for
    automatic exclusion.

    References
    ----------
    Curran, P. G. (2016). Methods for the detection of carelessly invalid responses in survey
    data. *Journal of Experimental Social Psychology*, 66, 4-19.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame([[2, 2, 2, 2], [0, 3, 1, 4]], columns=list("abcd"))
    >>> careless_flags(items, scale_range=4)[["longstring", "flag_longstring", "flag_irv"]]
       longstring  flag_longstring  flag_irv
    0           4             True      True
    1           1            False     False
    """
    frame = items if isinstance(items, pd.DataFrame) else pd.DataFrame(np.asarray(items, float))
    x = _matrix(frame)
    k = x.shape[1]
    if longstring_min is None:
        longstring_min = max(MIN_RUN, math.ceil(k * LONGSTRING_SHARE))
    if irv_max is None:
        if scale_range is None:
            scale_range = float(np.nanmax(x) - np.nanmin(x)) if np.isfinite(x).any() else 0.0
        irv_max = IRV_SHARE * scale_range
    ls, v = longstring(x), irv(x)
    out = pd.DataFrame({"answered": (~np.isnan(x)).sum(axis=1), "longstring": ls, "irv": v,
                        "flag_longstring": ls >= longstring_min,
                        "flag_irv": np.nan_to_num(v, nan=np.inf) <= irv_max},
                       index=frame.index)
    out.attrs["thresholds"] = {"longstring_min": int(longstring_min), "irv_max": float(irv_max)}
    return out
