"""Input validation in one place (as scikit-learn's ``check_array``).

Statistics functions call :func:`check_items` / :func:`check_vector` first and then work on
plain float arrays; they never validate on their own. The caller's objects are never modified:
everything returned is a copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError, OptionError, describe_rows


@dataclass(frozen=True)
class ItemMatrix:
    """A validated respondents x items float matrix (NaN = missing) with its labels."""

    values: np.ndarray
    columns: list[str]
    index: pd.Index

    @property
    def n(self) -> int:
        return self.values.shape[0]

    @property
    def k(self) -> int:
        return self.values.shape[1]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.values, index=self.index, columns=self.columns)


def _to_frame(items, name: str = "items") -> pd.DataFrame:
    if isinstance(items, pd.DataFrame):
        return items
    if isinstance(items, pd.Series):
        return items.to_frame()
    arr = np.asarray(items)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise DataError(f"{name} must be a 2-D table (respondents x items); got {arr.ndim} dimensions")
    return pd.DataFrame(arr, columns=[f"item{j + 1}" for j in range(arr.shape[1])])


def _numeric_column(col: pd.Series, label: str) -> np.ndarray:
    """Convert one column to float, naming the first non-numeric cells if any."""
    if pd.api.types.is_bool_dtype(col):
        return col.to_numpy(dtype=float)
    if pd.api.types.is_complex_dtype(col):  # float() of a complex drops its imaginary part
        raise DataError(f"column {label!r}: complex numbers are not answers or scores")
    if pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=float, na_value=np.nan)
    conv = pd.to_numeric(col, errors="coerce")
    bad = conv.isna() & col.notna()
    if bad.any():
        pos = np.flatnonzero(bad.to_numpy())
        vals = col.iloc[pos]
        raise DataError(
            f"column {label!r}: non-numeric value {vals.iloc[0]!r} at "
            f"{describe_rows(list(col.index[pos]), list(pos))}")
    return conv.to_numpy(dtype=float)


def check_items(items, *, min_items: int = 1, min_rows: int = 1,
                listwise: bool = False, name: str = "items") -> ItemMatrix:
    """Validate an item matrix: numeric, 2-D, enough items and rows.

    Parameters
    ----------
    items : DataFrame or array-like, shape (n_respondents, n_items)
    min_items, min_rows : int
        Minimum numbers of columns and of rows with at least one answer.
    listwise : bool
        Drop rows with any missing value (the returned index says which were kept).

    Returns
    -------
    ItemMatrix
        A float copy with NaN for missing cells, item names and the original index.
    """
    df = _to_frame(items, name)
    if df.columns.duplicated().any():
        dup = list(df.columns[df.columns.duplicated()])
        raise DataError(f"{name}: duplicate column names {dup}")
    cols = [str(c) for c in df.columns]
    if len(cols) < min_items:
        raise DataError(f"{name}: need at least {min_items} item(s), got {len(cols)}")
    if cols and all(isinstance(t, np.dtype) and t.kind in "fiu" for t in df.dtypes):
        # plain numpy numbers (the usual item matrix): one copy of the whole block instead of
        # a column at a time and a stack (a third of a 200k x 22 CFA's time, issue 15)
        values = df.to_numpy(dtype=float, copy=True)
    else:
        values = np.column_stack([_numeric_column(df.iloc[:, j], cols[j])
                                  for j in range(len(cols))]) if cols else np.empty((len(df), 0))
    index = df.index
    if np.isinf(values).any():
        r, c = np.argwhere(np.isinf(values))[0]
        raise DataError(f"column {cols[c]!r}: infinite value at {describe_rows([index[r]], [r])}")
    if listwise:
        keep = ~np.isnan(values).any(axis=1)
        if not keep.all():
            values, index = values[keep], index[keep]
    answered = (~np.isnan(values)).any(axis=1).sum()
    if answered < min_rows:
        raise DataError(f"{name}: need at least {min_rows} respondent(s) with answers, got {answered}")
    return ItemMatrix(values=values, columns=cols, index=index)


def respondent_labels(frame: pd.DataFrame) -> pd.Index:
    """Who each row is, for error messages: the values of the id column that
    :func:`~psychometrics.scoring.score` recorded in ``attrs["psychometrics"]["id"]`` while it
    is still a column with one value per row, else the frame's index. Never a column picked
    by its name."""
    idcol = (frame.attrs.get("psychometrics") or {}).get("id")
    # a record read back from a file may hold anything: only a column name can name a column
    if isinstance(idcol, (str, int)) and idcol in frame.columns and frame[idcol].ndim == 1:
        return pd.Index(frame[idcol].to_numpy())
    return frame.index


def identical_items(r: np.ndarray, columns, tol: float = 1e-10) -> list[tuple[str, str]]:
    """Pairs of items whose correlation is +-1 (one item entered twice, or a copy): the
    correlation matrix is then singular and factor or reliability results are not meaningful."""
    r = np.asarray(r, dtype=float)
    with np.errstate(invalid="ignore"):
        close = np.abs(np.abs(r) - 1.0) < tol
    i, j = np.nonzero(np.triu(close, k=1))
    return [(str(columns[a]), str(columns[b])) for a, b in zip(i, j)]


def check_vector(x, *, name: str = "x", allow_nan: bool = False) -> np.ndarray:
    """Validate a 1-D numeric vector (a score), returning a float copy."""
    if isinstance(x, pd.DataFrame):
        if x.shape[1] != 1:
            raise DataError(f"{name} must be one column, got {x.shape[1]}")
        x = x.iloc[:, 0]
    s = x if isinstance(x, pd.Series) else pd.Series(np.asarray(x).ravel())
    arr = _numeric_column(s, name)
    if not allow_nan and np.isnan(arr).any():
        pos = np.flatnonzero(np.isnan(arr))
        raise DataError(f"{name}: missing value at {describe_rows(list(s.index[pos]), list(pos))}")
    return arr


def check_binary(y, *, positive=None, name: str = "criterion") -> np.ndarray:
    """Turn a two-level criterion into a boolean array (True = case).

    ``positive`` names the case level; without it a 0/1 or boolean criterion is accepted and
    anything else is an error, because guessing which label is a case is how ROC analyses
    end up upside down.
    """
    s = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y).ravel())
    if s.isna().any():
        pos = np.flatnonzero(s.isna().to_numpy())
        raise DataError(f"{name}: missing value at {describe_rows(list(s.index[pos]), list(pos))}")
    levels = pd.unique(s)
    if positive is None:
        if set(levels) <= {0, 1}:
            return s.to_numpy().astype(bool)
        raise DataError(f"{name} has levels {sorted(map(str, levels))}: say which one is a case "
                        "with positive=...")
    if positive not in set(levels):
        raise DataError(f"{name}: positive={positive!r} is not one of its levels "
                        f"{sorted(map(str, levels))}")
    if len(levels) > 2:
        raise DataError(f"{name} must have two levels, got {len(levels)}: {sorted(map(str, levels))}")
    return (s == positive).to_numpy()


def check_unique_ids(ids: Sequence, name: str = "id") -> None:
    """Raise :class:`DataError` naming duplicated respondent ids and their rows."""
    # a Series/array as it is: list() would walk an Arrow-backed id column in Python
    # (5 s for 300,000 ids)
    if isinstance(ids, pd.Series):
        s = ids.reset_index(drop=True)
    else:
        s = pd.Series(ids if isinstance(ids, (np.ndarray, pd.Index)) else list(ids))
    dup = s.duplicated(keep=False).to_numpy()
    if dup.any():
        pos = np.flatnonzero(dup)
        from .errors import DuplicateIdError
        raise DuplicateIdError(
            f"column {name!r}: duplicate respondent ids "
            f"{sorted(set(map(str, s.iloc[pos])))[:5]} at rows {[int(p) + 1 for p in pos[:10]]}")
    if s.isna().any():
        pos = np.flatnonzero(s.isna().to_numpy())
        raise DataError(f"column {name!r}: missing respondent id at rows {[int(p) + 1 for p in pos[:10]]}")


def align(*objs, names: Sequence[str] | None = None) -> list:
    """Match respondents across scores, criteria and data tables (``None`` passes through).

    When every input is a pandas object their indexes must hold the same labels; the later
    ones are reindexed to the first one's order (matching by respondent). Otherwise the inputs
    are matched by position and must have the same length. Anything else is a
    :class:`DataError` naming the mismatch, never a silent drop, duplicate or reorder.
    """
    names = list(names) if names is not None else [f"input {i + 1}" for i in range(len(objs))]
    if len(names) != len(objs):
        raise OptionError("align: one name per object", "names", names)
    present = [(o, nm) for o, nm in zip(objs, names) if o is not None]
    if len(present) < 2:
        return list(objs)
    if all(isinstance(o, (pd.Series, pd.DataFrame)) for o, _ in present):
        ref, ref_name = present[0]
        out = []
        for o, nm in zip(objs, names):
            if o is None or o is ref:
                out.append(o)
                continue
            if o.index.equals(ref.index):
                out.append(o)
                continue
            if len(o) == len(ref) and ref.index.is_unique and o.index.is_unique:
                pos = o.index.get_indexer(ref.index)
                if (pos >= 0).all():
                    out.append(o.iloc[pos])
                    continue
            parts = []
            for a, a_name, b, b_name in ((ref, ref_name, o, nm), (o, nm, ref, ref_name)):
                pos = np.flatnonzero(~a.index.isin(b.index))
                if pos.size:
                    parts.append(f"{describe_rows(list(a.index[pos]), [int(i) for i in pos])} "
                                 f"of {a_name} not in {b_name}")
            if not parts:
                dup = [lab for lab, d in zip(ref.index.append(o.index),
                                             ref.index.append(o.index).duplicated()) if d]
                parts.append(f"{len(ref)} vs {len(o)} rows; duplicated index labels "
                             f"{list(dict.fromkeys(map(str, dup)))[:5]}")
            raise DataError(f"{ref_name} ({len(ref)} rows) and {nm} ({len(o)} rows) are not of "
                            f"the same respondents (their indexes differ): {'; '.join(parts)}. Give them the same index "
                            "(e.g. the respondent id) or pass plain arrays in matching order")
        return out
    lengths = [(len(o) if hasattr(o, "__len__") else np.asarray(o).shape[0], nm) for o, nm in present]
    if len({n for n, _ in lengths}) > 1:
        raise DataError("inputs matched by position must have the same number of respondents: "
                        + ", ".join(f"{nm} has {n}" for n, nm in lengths))
    return list(objs)


# --- options -------------------------------------------------------------------------------
# Every function checks its options through these, so a bad option is always an OptionError
# (a ValueError) whose message names the keyword, the allowed values and the value given.


def check_choice(value, choices, option: str):
    """Return ``value`` if it is one of ``choices``, else raise :class:`OptionError`."""
    if value not in tuple(choices):
        allowed = ", ".join(repr(c) for c in choices)
        raise OptionError(f"{option} must be one of {allowed}; got {value!r}", option, value)
    return value


def check_level(level, option: str = "level") -> float:
    """A confidence level strictly between 0 and 1."""
    try:
        val = float(level)
    except (TypeError, ValueError):
        raise OptionError(f"{option} must be a number between 0 and 1; got {level!r}",
                          option, level) from None
    if isinstance(level, bool) or not 0 < val < 1:
        raise OptionError(f"{option} must be between 0 and 1 (e.g. 0.95); got {level!r}",
                          option, level)
    return val


def check_positive_int(value, option: str, minimum: int = 1) -> int:
    """A whole number >= ``minimum`` (``n_boot``, ``n_factors``, ``seed``-like counts)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise OptionError(f"{option} must be a whole number >= {minimum}; got {value!r}",
                              option, value)
    if value < minimum:
        raise OptionError(f"{option} must be a whole number >= {minimum}; got {value!r}",
                          option, value)
    return int(value)


def check_number(text, option: str, *, whole: bool = False, hint: str | None = None):
    """An option's text as a number (``float``, or ``int`` with ``whole``), else
    :class:`OptionError` with ``hint`` as its message (default: says what was expected)."""
    try:
        return int(text) if whole else float(text)
    except (TypeError, ValueError):
        what = "a whole number" if whole else "a number"
        raise OptionError(hint or f"{option} must be {what}; got {text!r}", option,
                          text) from None


def check_key_value(text, option: str, *, nonempty: bool = False,
                    hint: str | None = None) -> tuple[str, str]:
    """Split ``KEY=VALUE`` at the first ``=``, else raise :class:`OptionError` with ``hint``.

    ``nonempty`` also refuses an empty key or value (``=x``, ``x=``).
    """
    key, sep, value = str(text).partition("=")
    if not sep or (nonempty and not (key.strip() and value.strip())):
        raise OptionError(hint or f"{option} {text!r}: use KEY=VALUE", option, text)
    return key, value


def check_option(ok: bool, message: str, option: str, value=None) -> None:
    """Raise :class:`OptionError` with ``message`` unless ``ok``: options that contradict
    each other or lack a companion (``--scored`` without ``--scale``), stated in one place."""
    if not ok:
        raise OptionError(message, option, value)


def check_seed(seed):
    """A bootstrap seed: a whole number >= 0 or a ``numpy.random.Generator`` (returned as is,
    an int as ``int``); None is left to the caller (:func:`psychometrics.resample.resolve_seed`)."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise OptionError(f"seed must be a whole number >= 0 or a numpy Generator; got {seed!r}",
                          "seed", seed)
    return int(seed)
