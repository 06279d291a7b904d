"""The groups of the Rasch family's between-group tests, as eRm forms them.

Andersen's LR test and the Wald test (:meth:`psychometrics.RaschResult.lr_test`,
:meth:`~psychometrics.RaschResult.wald_test`) compare fits in groups of respondents: a raw
score split at the median or mean (eRm's ``"median"``/``"mean"``, with missing answers within
each missing-value pattern) or a grouping the caller gives. Items that cannot be estimated in
some group are found here as eRm's ``datcheck.LRtest`` finds them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError, OptionError, describe_rows
from . import cml

__all__ = ["excluded_in_groups", "split_groups"]


def split_groups(x: np.ndarray, m: np.ndarray, split, index: pd.Index,
                 kept: np.ndarray) -> tuple[np.ndarray, list[str], str]:
    """Group codes (0..G-1) per used row, the group labels and the split's name.

    ``x`` holds the rows the model used (``index`` their labels); ``kept`` marks them among
    the rows given, so a grouping vector may have one value per used row or per row given.
    """
    raw = np.nansum(x, axis=1)
    n = len(x)
    if isinstance(split, str):
        return _score_split(x, m, raw, split), ["low", "high"], split
    if isinstance(split, pd.Series):
        if split.index.has_duplicates or index.has_duplicates:
            raise DataError("split: cannot align a Series on duplicated respondent ids; "
                            "pass an array with one value per row, in row order")
        missing_ids = index.difference(split.index)
        if len(missing_ids):
            raise DataError(f"split: no value for respondent(s) {list(missing_ids[:5])}")
        values = split.reindex(index)
        label = str(split.name) if split.name is not None else "group"
    else:
        arr = np.asarray(split, dtype=object).ravel()
        if len(arr) == n:
            values = pd.Series(arr, index=index)
        elif len(arr) == len(kept):
            values = pd.Series(arr[kept], index=index)
        else:
            raise DataError(f"split has {len(arr)} values; the model has {n} respondents")
        label = "group"
    if values.isna().any():
        pos = np.flatnonzero(values.isna().to_numpy())
        raise DataError(f"split: missing group at {describe_rows(list(values.index[pos]), list(pos))}")
    levels = _levels(values)
    if len(levels) < 2:
        raise DataError(f"split: need at least two groups, got {levels}")
    codes = pd.Categorical(values, categories=levels).codes
    return codes, [str(v) for v in levels], label


def _score_split(x: np.ndarray, m: np.ndarray, raw: np.ndarray, split: str) -> np.ndarray:
    """0 (low) / 1 (high) by raw score, cut at the median (<= vs >) or mean."""
    if split not in ("median", "mean"):
        raise OptionError("split must be 'median', 'mean' or a grouping vector (one "
                          f"value per respondent); got {split!r}", "split", split)
    if np.isnan(x).any():
        # eRm: the cut is taken within each missing-value pattern
        p_row = cml.prepare(x, m).pattern_of_row
        cut = np.zeros(len(x))
        for p in np.unique(p_row):
            sel = p_row == p
            cut[sel] = np.median(raw[sel]) if split == "median" else raw[sel].mean()
        high = raw > cut if split == "median" else raw >= cut
    else:
        cut = np.median(raw) if split == "median" else raw.mean()
        high = raw > cut
    return high.astype(int)


def _levels(values: pd.Series) -> list:
    """The groups in order: a categorical's own order (as R's factor levels), else sorted."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        observed = set(values)
        return [c for c in values.cat.categories if c in observed]
    try:
        return sorted(pd.unique(values))
    except TypeError:
        raise DataError("split mixes numbers and text "
                        f"({sorted(map(repr, pd.unique(values)))[:6]}); give one kind "
                        "of group label") from None


def excluded_in_groups(x: np.ndarray, m: np.ndarray, model: str, codes: np.ndarray,
                       n_groups: int) -> list[int]:
    """eRm's ``datcheck.LRtest``: positions of the items that cannot be estimated in some
    group (unanswered, never above 0 or never 0, a PCM item missing one of its categories, an
    RSM item not reaching the top category, a Rasch item without variation)."""
    out = set()
    cats_full = [set(np.unique(x[~np.isnan(x[:, j]), j])) for j in range(x.shape[1])]
    for g in range(n_groups):
        xg = x[codes == g]
        for j in range(x.shape[1]):
            col = xg[~np.isnan(xg[:, j]), j]
            if (len(col) == 0 or col.sum() == 0 or col.min() != 0
                    or (model == "RSM" and col.max() != m.max())
                    or (model == "PCM" and set(np.unique(col)) != cats_full[j])
                    or (model == "RM" and col.min() == col.max())):
                out.add(j)
    return sorted(out)
