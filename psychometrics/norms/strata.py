"""Which norm group each respondent is compared with: strata matched to columns.

A stratified norm set has norms per stratum (e.g. ``sex``, ``language``); :func:`match_strata`
finds the columns that hold them (given with ``norm_by`` or same-named, never silently the
overall norm), :func:`stratum_columns` reads them as text and :func:`assign_entries` gives
each respondent the entry of their stratum, or the overall norm by the explicit fallback.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._checks import align
from ..errors import DataError, NormError, OptionError, describe_rows
from .normset import NormSet, stratum_text

#: How many of the scores' columns an error message lists (enough to spot a renamed column,
#: short enough to read on one screen), and how many candidate stratum columns.
COLUMNS_SHOWN = 15
CANDIDATES_SHOWN = 20


def resolve_norm_by(norm_by=None, by=None, *, stacklevel: int = 3):
    """``norm_by``, or the deprecated ``by`` (with a :class:`DeprecationWarning`)."""
    if by is not None:
        if norm_by is not None:
            raise OptionError("give norm_by= only (by= is its old name)", "by", by)
        warnings.warn("by= is deprecated for norm strata; use norm_by={stratum: column}",
                      DeprecationWarning, stacklevel=stacklevel)
        return by
    return norm_by


def match_strata(scores: pd.DataFrame, data, ns: NormSet, norm_by) -> tuple[dict, str | None]:
    """The stratum -> column mapping to use, and how it was found (never silently overall).

    Given (``norm_by``): as given (``{}`` asks for the overall norm on purpose). Not given: a
    stratified norm set's strata are matched to same-named columns of the scores or the data,
    and the result says so; without such columns it is an error listing the strata and the
    candidate columns.
    """
    if norm_by is not None:
        return dict(norm_by), ("given" if norm_by else "overall (norm_by={})")
    strata = [s for s in ns.strata if s != ns.covariate]
    if not strata:
        return {}, None
    cols = list(scores.columns) + ([c for c in data.columns if c not in scores.columns]
                                   if data is not None else [])
    found = {s: s for s in strata if s in cols}
    if len(found) == len(strata):
        return found, "same-named columns"
    scored = set(ns.subscales) | {f"{s}_n" for s in ns.subscales}
    candidates = [str(c) for c in cols if c not in scored][:CANDIDATES_SHOWN]
    overall = " or norm_by={} to use its overall norm for everyone" if ns.overall else ""
    raise NormError(f"norm set {ns.id!r} has norms by {strata}, and no column of that name is in "
                    f"the scores{' or the data' if data is not None else ''}: say which column "
                    f"holds each stratum with norm_by={{stratum: column}}{overall}. "
                    f"Candidate columns: {', '.join(candidates) or 'none'}")


def stratum_columns(scores: pd.DataFrame, data, ns: NormSet, by) -> tuple[dict, dict]:
    """The stratum columns as text (variable -> values) and the covariate as numbers, read
    from ``scores`` or ``data`` by the mapping ``by`` (stratum variable -> column)."""
    by = dict(by or {})
    if ns.covariate and by.get(ns.covariate) is None:
        by.pop(ns.covariate, None)
    known = set(ns.strata) | ({ns.covariate} if ns.covariate else set())
    unknown = sorted(set(by) - known)
    if unknown:
        raise NormError(f"by names {unknown}, which are not strata of norm set {ns.id!r} "
                        f"(its strata: {sorted(known) or 'none'})")
    if ns.covariate and ns.covariate not in by:
        by[ns.covariate] = ns.covariate
    scores, data = align(scores, data, names=["scores", "data"])

    def column(col):
        for frame in (scores, data):
            if frame is not None and col in frame.columns:
                return frame[col]
        raise DataError(f"stratum column {col!r} is not in the scores"
                        + (" or the data" if data is not None else "")
                        + f"; columns: {', '.join(map(str, list(scores.columns)[:COLUMNS_SHOWN]))}")

    strata = {var: stratum_text(column(col)) for var, col in by.items() if var != ns.covariate}
    cov = {}
    if ns.covariate:
        cov[ns.covariate] = pd.to_numeric(column(by[ns.covariate]), errors="coerce").to_numpy(dtype=float)
    return strata, cov


def assign_entries(ns: NormSet, strata: dict, index: pd.Index,
                   fallback: str) -> tuple[np.ndarray, np.ndarray]:
    """Per respondent, the index of their norm entry, and who got the overall norm by fallback.

    A stratum that is not in the norm set is a :class:`NormError` naming the respondents, or
    with ``fallback="overall"`` the overall norm with a warning.
    """
    n = len(index)
    used = set(strata)
    candidates = [i for i, e in enumerate(ns.entries) if set(e.stratum) == used]
    if not candidates:
        have = sorted({tuple(sorted(e.stratum)) for e in ns.entries})
        raise NormError(f"norm set {ns.id!r} has no norms by {sorted(used) or '(overall)'}; it has "
                        f"norms by {[list(h) or '(overall)' for h in have]}; pass norm_by={{stratum: column}}")
    out = np.full(n, -1)
    for i in candidates:  # loop over strata, not respondents
        m = ns.entries[i].matches(strata, n) & (out < 0)
        out[m] = i
    missing = out < 0
    if missing.any():
        overall = next((i for i, e in enumerate(ns.entries) if not e.stratum), None)
        if fallback == "overall" and overall is not None:
            out[missing] = overall
            warnings.warn(f"{int(missing.sum())} respondent(s) have a stratum that is not in norm "
                          f"set {ns.id!r} and got its overall norm (fallback='overall'); the "
                          "<subscale>_norm_group column says who", stacklevel=4)
        else:
            pos = np.flatnonzero(missing)
            first = {var: strata[var][pos[0]] for var in strata}
            hint = (" or fallback='overall' to use the overall norm" if overall is not None
                    else "; the norm set has no overall norm to fall back on")
            raise NormError(f"{int(missing.sum())} respondent(s) have a stratum that is not in norm set "
                            f"{ns.id!r}: {describe_rows(list(index[pos]), list(pos))}; first one: {first}. "
                            f"Its strata: {[e.stratum for e in ns.entries if e.stratum]}. Check the stratum "
                            f"values{hint}.")
    return out, missing

