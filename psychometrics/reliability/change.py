"""Change scores: the standard error of measurement and the Jacobson-Truax reliable change
index."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._checks import check_vector
from ..distributions import stats  # scipy.stats' numbers without its import cost
from ..errors import DataError

__all__ = ["check_reliability", "rci", "sem"]


def check_reliability(rel) -> float:
    """A reliability coefficient in [0, 1], or the ``alpha`` of an AlphaResult."""
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

    References
    ----------
    Lord, F. M., & Novick, M. R. (1968). *Statistical theories of mental test scores*.
    Addison-Wesley (the standard error of measurement, ch. 3).

    Examples
    --------
    >>> round(sem(0.84, sd=10.0), 6)
    4.0
    """
    rel = check_reliability(reliability)
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
    rel = check_reliability(reliability)
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

