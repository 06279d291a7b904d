"""Group summaries with small-cell suppression, for prevention work.

:func:`summarise` gives per group and subscale the n, mean, SD and shares (at or above a
cut-off, in the norm group's top quartile), and hides cells that could identify someone:
cells with fewer than ``min_group`` respondents (primary suppression) and, so that they cannot
be recovered from the totals, the smallest other cells (secondary suppression).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ._checks import align, check_positive_int, check_vector
from .errors import DataError, NormError
from .norms.apply import apply_norms
from .norms.catalogue import load_norms
from .norms.normset import NoQuartilesWarning
from .norms.transforms import edge_tol

#: Default smallest cell shown: the package's choice at the strict end of disclosure-control
#: practice (minimum cell sizes of 3 to 10 respondents; Hundepool et al. 2012), because
#: the readers of a workplace summary know the people in it.
DEFAULT_MIN_GROUP = 10


def summarise(scores: pd.DataFrame, by: Sequence[str] | str, *, min_group: int = DEFAULT_MIN_GROUP,
              cutoffs: Mapping[str, float] | None = None, norms=None,
              norm_by: Mapping[str, str] | None = None, subscales: Sequence[str] | None = None,
              scale: str | Mapping[str, str] | None = None,
              data: pd.DataFrame | None = None, secondary: bool = True) -> pd.DataFrame:
    # Long only by its docstring (what suppression does and does not protect); the work is
    # in the helpers below: validate, shares in the top quartile, cells, suppression.
    """Group summaries for prevention work, with small cells suppressed.

    Parameters
    ----------
    scores : DataFrame
        Subscale scores (and the grouping columns, or give them in ``data``).
    by : str or list of str
        Grouping columns (e.g. ``["department"]``).
    min_group : int
        A cell (group x subscale) where fewer respondents have a score is suppressed: its
        statistics are left empty and ``suppressed`` is True, so no individual can be
        identified (primary suppression).
    cutoffs : dict, optional
        ``{subscale: value}``: report the share of respondents **at or above** the value.
    norms : str, Path or NormSet, optional
        Report the share in the norm group's top quartile (score >= P75).
    norm_by, scale : optional
        As in :func:`apply_norms` (stratified norms; the scale of scores without ``score()``'s
        record).
    subscales : list of str, optional
        Default: the scoring report's subscales, else every numeric column not used for
        grouping and not ending in ``_n``.
    data : DataFrame, optional
        Where grouping columns are looked up when they are not in ``scores`` (same index).
    secondary : bool
        Also suppress, per subscale, the smallest other cells until the hidden cells together
        hold at least ``min_group`` respondents, so that no hidden cell can be recovered by
        subtracting the shown cells from the overall n and mean (secondary suppression).
        Turn it off only if no overall figure is ever published beside the groups.

    Returns
    -------
    DataFrame
        One row per group and subscale: the group columns, ``subscale``, ``n`` (respondents
        with a score), ``mean``, ``sd`` (n - 1), ``share_at_or_above`` (with a cut-off),
        ``share_top_quartile`` (with norms or ``<sub>_top_quartile`` columns),
        ``suppressed`` and ``suppression`` (``"primary"``, ``"secondary"`` or ``""``).
        ``attrs["suppressed"]`` lists the groups with a cell under ``min_group``,
        ``attrs["secondary"]`` the groups hidden only to protect them.

    Notes
    -----
    Primary suppression counts the respondents actually used in each cell (those with a
    score on that subscale), not the group's size: in a department of 12 where one person
    answered the DP items, the DP cell is hidden. Secondary suppression (on by default) then
    hides, per subscale, the cells with the fewest respondents until the hidden cells hold
    ``min_group`` respondents or more, as statistical offices do for tables published with
    their totals: the overall mean minus the shown groups then reveals only the mean of at
    least ``min_group`` people. Groups are those of the full cross-classification of ``by``;
    publishing other tables (e.g. each ``by`` column alone) of the same data needs the same
    care.

    References
    ----------
    Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Schulte Nordholt, E.,
    Spicer, K., & de Wolf, P.-P. (2012). Statistical disclosure control. Wiley (primary and
    secondary cell suppression of tables).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"dept": ["a"] * 12 + ["b"] * 3, "EE": range(15)})
    >>> summarise(s, "dept", subscales=["EE"], cutoffs={"EE": 10})[["dept", "n", "mean", "share_at_or_above", "suppressed"]]
      dept     n  mean  share_at_or_above  suppressed
    0    a   NaN   NaN                NaN        True
    1    b   NaN   NaN                NaN        True

    Department ``b`` (3 people) is hidden, and so is ``a``: beside the overall mean of all 15,
    ``a``'s mean would reveal ``b``'s. With a third department, only the smallest other one
    is hidden:

    >>> s = pd.DataFrame({"dept": ["a"] * 12 + ["b"] * 3 + ["c"] * 10, "EE": range(25)})
    >>> summarise(s, "dept", subscales=["EE"])[["dept", "n", "mean", "suppression"]]
      dept     n  mean suppression
    0    a  12.0   5.5
    1    b   NaN   NaN     primary
    2    c   NaN   NaN   secondary
    """
    by = [by] if isinstance(by, str) else list(by)
    frame, subscales = _frame_and_subscales(scores, data, by, subscales)
    min_group = check_positive_int(min_group, "min_group")
    cutoffs = dict(cutoffs or {})
    unknown = sorted(set(cutoffs) - set(subscales))
    if unknown:
        raise DataError(f"cutoffs name {unknown}, which are not summarised subscales {subscales}")
    top = _top_quartile_flags(frame, subscales, norms, norm_by, scale)
    out = _cells(frame, by, subscales, cutoffs, top)
    return _suppress(out, by, min_group, secondary)


def _frame_and_subscales(scores: pd.DataFrame, data, by: list[str], subscales):
    """The scores with the columns of ``data`` they lack, and the subscales to summarise."""
    scores, data = align(scores, data, names=["scores", "data"])
    frame = scores if data is None else pd.concat([scores, data[[c for c in data.columns if c not in scores.columns]]], axis=1)
    if frame is not scores:  # the same respondents side by side: the scores' record holds
        frame.attrs = copy.deepcopy(scores.attrs)
    for col in by:
        if col not in frame.columns:
            raise DataError(f"grouping column {col!r} is not in the scores or data")
    if subscales is None:
        rep = (scores.attrs.get("psychometrics") or {}).get("scoring")
        subscales = [s for s in rep if s in frame.columns] if rep else [
            c for c in frame.columns if c not in by and not str(c).endswith("_n")
            and pd.api.types.is_numeric_dtype(frame[c]) and pd.api.types.is_float_dtype(frame[c])]
    subscales = list(subscales)
    if not subscales:
        raise DataError("no subscale columns to summarise")
    return frame, subscales


def _top_quartile_flags(frame: pd.DataFrame, subscales: list[str], norms, norm_by, scale) -> dict:
    """Subscale -> per-respondent top-quartile flag: from ``norms`` when given (a warning for
    subscales it has no quartiles for), else from ``<sub>_top_quartile`` columns."""
    if norms is None:
        return {s: frame[f"{s}_top_quartile"] for s in subscales if f"{s}_top_quartile" in frame}
    ns = load_norms(norms)
    covered = [s for s in subscales if s in ns.subscales]  # the others get no share
    if not covered:
        raise NormError(f"norm set {ns.id!r} has norms for {ns.subscales}, none of the "
                        f"summarised subscales {subscales}")
    normed = apply_norms(frame, ns, norm_by=norm_by, subscales=covered, scale=scale)
    top = {s: normed[f"{s}_top_quartile"] for s in subscales if f"{s}_top_quartile" in normed}
    lacking = [s for s in subscales if s not in top]
    if lacking:  # said, not silently dropped: no share_top_quartile for these subscales
        warnings.warn(f"norm set {ns.id!r} gives no quartiles (P25/P75) for "
                      f"{', '.join(lacking)}: no share_top_quartile for them (a published "
                      "cut-off set has none; use a norm set with quartiles or a sample "
                      "distribution, e.g. from build_norms)", NoQuartilesWarning, stacklevel=3)
    return top


def _cells(frame: pd.DataFrame, by: list[str], subscales: list[str], cutoffs: dict,
           top: dict) -> pd.DataFrame:
    """One row per group and subscale: n, mean, SD and the shares, before suppression."""
    long = []
    keys = frame[by].astype("object").where(frame[by].notna(), "(missing)")
    for sid in subscales:  # loop over subscales; groupby does the groups
        x = pd.Series(check_vector(frame[sid], name=sid, allow_nan=True), index=frame.index)
        parts = {"n": x.notna(), "x": x}
        if sid in cutoffs:
            parts["above"] = (x >= cutoffs[sid] - edge_tol(cutoffs[sid])).where(x.notna())
        if sid in top:
            parts["top"] = pd.Series(top[sid], index=frame.index).astype("Float64").astype(float)
        df = pd.concat([keys, pd.DataFrame(parts)], axis=1)
        grp = df.groupby(by, sort=True, dropna=False)
        agg = pd.DataFrame({"n": grp["n"].sum().astype(float), "mean": grp["x"].mean(),
                            "sd": grp["x"].std(ddof=1)})
        if "above" in parts:
            agg["share_at_or_above"] = grp["above"].mean()
        if "top" in parts:
            agg["share_top_quartile"] = grp["top"].mean()
        agg.insert(0, "subscale", sid)
        long.append(agg.reset_index())
    out = pd.concat(long, ignore_index=True)
    order = ["n", "mean", "sd", "share_at_or_above", "share_top_quartile"]
    return out[by + ["subscale"] + [c for c in order if c in out.columns]]


def _suppress(out: pd.DataFrame, by: list[str], min_group: int, secondary: bool) -> pd.DataFrame:
    """Hide the statistics of small cells (primary) and of the cells that would reveal them
    (secondary); mark them, warn, and list the groups in ``attrs``."""
    # primary: the respondents actually used in each cell (with a score), not the group size
    n_used = out["n"].to_numpy(dtype=float)
    small = n_used < min_group
    second = _secondary_suppression(out["subscale"].to_numpy(), n_used, small, min_group) \
        if secondary else np.zeros(len(out), dtype=bool)
    hidden = small | second
    stats = [c for c in out.columns if c not in by + ["subscale"]]
    out.loc[hidden, stats] = np.nan
    out["suppressed"] = hidden
    out["suppression"] = np.where(small, "primary", np.where(second, "secondary", ""))
    supp = out.loc[small, by].drop_duplicates().to_dict(orient="records")
    sec = [g for g in out.loc[second, by].drop_duplicates().to_dict(orient="records") if g not in supp]
    if supp:
        warnings.warn(f"{len(supp)} group(s) with fewer than {min_group} respondents with a score "
                      "suppressed" + (f", and {len(sec)} more group(s) so that they cannot be "
                                      "recovered from the totals" if sec else ""),
                      UserWarning, stacklevel=3)
    out.attrs["suppressed"] = supp
    out.attrs["secondary"] = sec
    out.attrs["min_group"] = min_group
    return out


def _secondary_suppression(subscale: np.ndarray, n: np.ndarray, primary: np.ndarray,
                           min_group: int) -> np.ndarray:
    """Cells to hide besides ``primary`` so that, per subscale, the hidden cells hold at least
    ``min_group`` respondents (or all cells are hidden): the smallest shown cells first.

    A loop over subscales and, within one, over the few groups (never over respondents).
    """
    extra = np.zeros(len(n), dtype=bool)
    for sid in pd.unique(subscale):
        idx = np.flatnonzero(subscale == sid)
        hidden_n = n[idx][primary[idx]].sum()
        shown = [i for i in idx[np.argsort(n[idx], kind="stable")] if not primary[i]]
        while 0 < hidden_n < min_group and shown:
            i = shown.pop(0)
            extra[i] = True
            hidden_n += n[i]
    return extra
