"""Inputs of the diagnostic-accuracy functions: scores and criterion, direction, options.

Shared by :mod:`.curve` (ROC, AUC), :mod:`.optimal` (cut-offs) and :mod:`.delong` (paired
test): each checks its inputs here, so the three agree on which rows are dropped, which level
of the criterion is a case and which way a score points.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._checks import align, check_binary, check_choice, check_level, check_vector
from ..distributions import stats  # scipy.stats' numbers without its import cost
from ..errors import DataError, OptionError
from .auc import placements

__all__ = ["DIRECTIONS", "THRESHOLDS", "as_series", "prepare", "check_direction",
           "resolve_direction", "signed", "z_of_level", "renamed_keyword"]

DIRECTIONS = (">=", "<=", "auto")
THRESHOLDS = ("observed", "midpoint")

#: Default of a renamed keyword's old name: "not given".
UNSET = object()


def as_series(v) -> pd.Series:
    """One column of values as a Series (a one-column DataFrame or any 1-d array-like)."""
    if isinstance(v, pd.DataFrame):
        if v.shape[1] != 1:
            raise DataError(f"expected one column, got {v.shape[1]}")
        v = v.iloc[:, 0]
    if isinstance(v, pd.Series):
        return v
    return pd.Series(np.asarray(v).ravel())


def prepare(scores: Sequence, criterion, positive, names: Sequence[str]):
    """Validate scores and criterion; drop rows with a missing value in any (pROC na.rm).

    Pandas inputs are matched by index (respondent), in the first score's order; plain arrays
    by position (see :func:`~psychometrics._checks.align`).

    Returns
    -------
    (list of ndarray, ndarray of bool, int)
        The complete rows of each score, the criterion (True = case) and the number of rows
        dropped.
    """
    *scores, criterion = align(*scores, criterion, names=[*names, "criterion"])
    crit = as_series(criterion)
    xs = [check_vector(as_series(s), name=nm, allow_nan=True) for s, nm in zip(scores, names)]
    for x, nm in zip(xs, names):
        if x.shape[0] != len(crit):
            raise DataError(f"{nm} has {x.shape[0]} values but the criterion has {len(crit)}")
    keep = crit.notna().to_numpy().copy()
    for x in xs:
        keep &= ~np.isnan(x)
    y = check_binary(crit[keep], positive=positive)
    if y.all() or not y.any():
        what = "controls (non-cases)" if y.all() else "cases"
        raise DataError(f"criterion: no {what} among the {int(keep.sum())} complete rows; "
                        "an ROC analysis needs both")
    return [x[keep] for x in xs], y, int((~keep).sum())


def check_direction(direction: str) -> str:
    return check_choice(direction, DIRECTIONS, "direction")


def resolve_direction(x: np.ndarray, y: np.ndarray, direction: str, name: str = "score"):
    """Return (direction, auto flag); 'auto' picks the direction with AUC >= 0.5 and warns.

    The warning points at the caller of the public function (``roc``/``cutoffs``/
    ``roc_test``, through its BLAS-limiting wrapper).
    """
    direction = check_direction(direction)
    if direction != "auto":
        return direction, False
    auc = placements(x, y)[0].mean()
    chosen = ">=" if auc >= 0.5 else "<="
    warnings.warn(
        f"{name}: direction='auto' chose {chosen!r} (AUC {max(auc, 1 - auc):.3f}); a direction "
        "chosen from the data biases the AUC and its confidence interval upwards, so state "
        "it in advance when you can", UserWarning, stacklevel=4)
    return chosen, True


def signed(x: np.ndarray, direction: str) -> np.ndarray:
    """Scores oriented so that 'positive' always means s >= cut-off."""
    return x if direction == ">=" else -x


def z_of_level(level: float) -> float:
    """The two-sided standard-normal quantile of a confidence level (1.96 for 0.95)."""
    level = check_level(level)
    return float(stats.norm.ppf(1 - (1 - level) / 2))


def renamed_keyword(new_value, old_value, *, new: str, old: str, default, stacklevel: int = 3,
                    convert=None):
    """The value of a renamed keyword: the new name's, else the old name's with a warning.

    ``old_value`` is :data:`UNSET` when the caller did not give the old name. The old name
    keeps working for one release with a :class:`DeprecationWarning` pointing at the caller
    (``stacklevel``); ``convert`` maps an old value to the new vocabulary. Both names with
    different values (the new one not at its ``default``) is an error.
    """
    if old_value is UNSET:
        return new_value
    warnings.warn(f"{old}= is deprecated and will be removed in the next release; use {new}=",
                  DeprecationWarning, stacklevel=stacklevel)
    value = convert(old_value) if convert is not None else old_value
    if new_value != default and new_value != value:
        raise OptionError(f"give {new}= or its old name {old}=, not both", new, new_value)
    return value
