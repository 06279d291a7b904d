"""Subscale scores: response validation, recoding, reverse keying, missing-data rules.

The pipeline, vectorised over respondents (numpy on the whole item matrix; the only loops are
over the instrument's columns and subscales):

1. map instrument items to export columns (``items=``: dict, pattern or none;
   :mod:`psychometrics.scoring.mapping`);
2. validate every cell: blank/``NA`` markers and declared missing codes are missing; response
   labels of the instrument (EN/NL/FR) become codes; text, non-integers and codes outside the
   scale are *invalid*: an error naming column, respondent and value, or, with
   ``on_invalid="missing"``, missing and listed in the result's report;
3. recode answered codes to scored values where the instrument says so (CBI 1..5 -> 100..0,
   4DKL 0..4 -> 0,1,2,2,2);
4. reverse-key as ``min + max - x`` on the scored values' range, per subscale;
5. aggregate per subscale: the mean of the answered items when at least ``min_answered`` are
   answered, else missing; a sum is the prorated sum (mean x number of items) when items are
   missing, and the report counts the prorated scores.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._checks import check_choice, check_positive_int, check_unique_ids
from ..errors import DataError, InvalidResponseError, MissingColumnError, OptionError, describe_rows
from ..instruments import Instrument, load_instrument
from .cells import cell_values
from .mapping import resolve_items, value_label_mismatches

_ON_INVALID = ("raise", "missing")


def _instrument(instrument, keys=None, form=None) -> Instrument:
    return load_instrument(instrument, keys=keys, form=form)



def _respondents(data: pd.DataFrame, id: str | None) -> list:
    return list(data[id]) if id is not None else list(data.index)


def read_items(data: pd.DataFrame, instrument: Instrument, mapping: dict[str, str], *,
               id: str | None = None, on_invalid: str = "raise",
               missing_codes=None) -> tuple[np.ndarray, list[dict]]:
    """Validated item codes as a float matrix (respondents x items, instrument order).

    Returns the matrix (NaN = missing; invalid cells NaN when ``on_invalid="missing"``) and the
    list of invalid cells (dicts with ``row``, ``respondent``, ``column``, ``item``, ``value``,
    ``problem``).
    """
    check_choice(on_invalid, _ON_INVALID, "on_invalid")
    scale = instrument.scale
    mcodes = np.array(list(scale.missing_codes) + _missing_codes(missing_codes), dtype=float)
    labels = instrument.label_codes()
    position = {str(c): j for j, c in enumerate(data.columns)}  # numeric headers: 1 -> "1"
    n, k = len(data), len(mapping)
    # column-major: every step below works column by column on contiguous memory
    values = np.empty((n, k), dtype=float, order="F")
    bad_cols: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # col -> (bad rows, text rows)
    for j, (item_id, col) in enumerate(mapping.items()):
        raw, text_bad, integral = cell_values(data.iloc[:, position[str(col)]], labels)
        values[:, j] = raw
        v = values[:, j]  # a view: the edits below land in ``values``
        if mcodes.size:
            v[np.isin(v, mcodes)] = np.nan
        codes = np.array(sorted(instrument.item_codes(instrument.item(item_id))), dtype=float)
        if integral and not mcodes.size and raw.size and codes[0] <= raw.min() and \
                raw.max() <= codes[-1] and np.all(np.diff(codes) == 1):
            continue  # integers within a contiguous scale: nothing to check (the usual case)
        bad = _out_of_scale(v, codes, integral) | text_bad
        if bad.any():
            bad_cols[j] = (np.flatnonzero(bad), text_bad)
            v[bad] = np.nan
    cells: list[dict] = []
    unreadable = _unreadable(data, mapping)
    if bad_cols or unreadable:
        respondents = _respondents(data, id)
        item_ids, columns = list(mapping), list(mapping.values())
        for j, (rows, text_bad) in bad_cols.items():  # loops over invalid cells only
            raw_col = data.iloc[:, position[str(columns[j])]]
            for r in rows:
                raw = raw_col.iloc[r]
                raw = raw.item() if isinstance(raw, np.generic) else raw
                problem = ("a true/false value, not a response code" if isinstance(raw, (bool, np.bool_))
                           else "not a response code or a known response label" if text_bad[r]
                           else "not a whole number" if float(raw) != np.floor(float(raw))
                           else f"outside the scale {_codes_text(instrument, item_ids[j])}")
                cells.append({"row": int(r) + 1, "respondent": respondents[r],
                              "column": columns[j], "item": item_ids[j], "value": raw,
                              "problem": problem})
        item_of = {str(c): i for i, c in mapping.items()}
        for cell in unreadable:  # Excel cells pandas read as empty (see read_table)
            r = cell["row"] - 1
            cells.append({"row": cell["row"], "respondent": respondents[r], "column": cell["column"],
                          "item": item_of[cell["column"]], "value": f"(Excel cell {cell['cell']})",
                          "problem": cell["problem"]})
        if on_invalid == "raise":
            first = cells[0]
            same = [x for x in cells if x["column"] == first["column"]]
            where = describe_rows([x["respondent"] for x in same], [x["row"] - 1 for x in same])
            others = sorted({x["column"] for x in cells} - {first["column"]})
            raise InvalidResponseError(
                f"column {first['column']!r}, {where}: value {first['value']!r} is "
                f"{first['problem']} of {instrument.id}"
                + (f" ({len(cells)} invalid cells in all; also in columns {others[:8]})"
                   if len(cells) > len(same) else "")
                + ". Use on_invalid=\"missing\" to score them as missing and get a report.", cells)
    return values, cells


def _missing_codes(missing_codes) -> list[float]:
    """``missing_codes`` as a list of numbers (one number is a list of one)."""
    if missing_codes is None:
        return []
    codes = [missing_codes] if isinstance(missing_codes, (int, float, np.number)) \
        and not isinstance(missing_codes, bool) else missing_codes
    if isinstance(codes, (str, bytes, Mapping)) or not hasattr(codes, "__iter__"):
        raise OptionError(f"missing_codes must be a list of numbers such as [-99, 99]; got "
                          f"{str(missing_codes)[:80]!r}", "missing_codes", missing_codes)
    out = []
    for c in codes:
        if isinstance(c, bool) or not isinstance(c, (int, float, np.number)) or not np.isfinite(c):
            raise OptionError(f"missing_codes must be numbers such as [-99, 99]; got {str(c)[:80]!r}",
                              "missing_codes", missing_codes)
        out.append(float(c))
    return out


def _unreadable(data: pd.DataFrame, mapping: dict[str, str]) -> list[dict]:
    """Cells of the mapped columns that the reader could not read (Excel error values,
    formulas without a stored value), from ``attrs["unreadable_cells"]``."""
    cells = data.attrs.get("unreadable_cells") if isinstance(data.attrs, dict) else None
    if not cells:
        return []
    mapped = {str(c) for c in mapping.values()}
    return [c for c in cells if c.get("column") in mapped and 1 <= c.get("row", 0) <= len(data)]


def _out_of_scale(v: np.ndarray, codes: np.ndarray, integral: bool) -> np.ndarray:
    """Answered cells whose value is not one of ``codes`` (min/max first: the usual case
    of a clean column costs two passes)."""
    with np.errstate(invalid="ignore"):
        if np.all(np.diff(codes) == 1):
            if not v.size or np.isnan(v).all():
                return np.zeros(v.shape, dtype=bool)
            lo, hi = np.nanmin(v), np.nanmax(v)
            if (lo >= codes[0] and hi <= codes[-1] and
                                (integral or np.array_equal(v[~np.isnan(v)], np.floor(v[~np.isnan(v)])))):
                return np.zeros(v.shape, dtype=bool)
            return ~np.isnan(v) & ~((v >= codes[0]) & (v <= codes[-1]) & (v == np.floor(v)))
        return ~np.isnan(v) & ~np.isin(v, codes)


def _codes_text(instrument: Instrument, item_id: str) -> str:
    c = sorted(instrument.item_codes(instrument.item(item_id)))
    return f"{c[0]}..{c[-1]}" if c == list(range(c[0], c[-1] + 1)) else ", ".join(map(str, c))


def _recode(values: np.ndarray, instrument: Instrument) -> np.ndarray:
    recode = instrument.scale.recode
    if not recode:
        return values
    out = values.copy()
    for code, value in recode.items():  # loop over the few codes, not respondents
        out[values == code] = value
    return out


def _reverse_sums(instrument: Instrument, item_ids: list[str]) -> np.ndarray:
    """Per item, min + max of its scored values: reversal is ``(min + max) - x``."""
    return np.array([sum(instrument.item_range(instrument.item(i))) for i in item_ids])


def _aggregate(values: np.ndarray, inst: Instrument, subs: list[str],
               item_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per respondent and subscale: the sum of the answered, reverse-keyed items and their number.

    Column by column over the whole respondent vector (a loop over items, never over
    respondents); faster here than one BLAS product, which is slow for a tall thin matrix.
    """
    n = values.shape[0]
    pos = {i: j for j, i in enumerate(item_ids)}
    lo_hi = _reverse_sums(inst, item_ids)
    # a NaN anywhere makes the total NaN: one cheap pass decides whether masks are needed
    complete = not np.isnan(values.sum())
    missing = None if complete else np.isnan(values)
    sums, counts = [], []
    for sid in subs:
        sub = inst.subscales[sid]
        acc = np.zeros(n)  # contiguous per subscale, stacked at the end
        cnt = np.full(n, float(len(sub.items))) if complete else np.zeros(n)
        for item in sub.items:
            j = pos[item]
            col = values[:, j]
            if item in sub.reverse:
                col = lo_hi[j] - col
            if complete:
                acc += col
            else:
                acc += np.where(missing[:, j], 0.0, col)
                cnt += ~missing[:, j]
        sums.append(acc)
        counts.append(cnt)
    return np.column_stack(sums), np.column_stack(counts)


def _any_item_present(columns, inst: Instrument, items, sub: str) -> bool:
    try:
        resolve_items(columns, inst, items, subscales=[sub])
        return True
    except MissingColumnError as exc:
        return "none of its items" not in str(exc).lower()  # partly there: let the error surface


def _check_subscales(inst: Instrument, subscales) -> list[str]:
    if subscales is None:
        return list(inst.subscales)
    subscales = [subscales] if isinstance(subscales, str) else list(subscales)
    if not subscales:
        raise OptionError(f"subscales is empty; give some of {list(inst.subscales)} or None for all",
                          "subscales", subscales)
    unknown = [s for s in subscales if s not in inst.subscales]
    if unknown:
        raise DataError(f"{inst.id!r} has no subscale(s) {unknown}; its subscales: {list(inst.subscales)}")
    return subscales


def _prepare(data, instrument, items, id, on_invalid, missing_codes, keys, form, subscales=None):
    if isinstance(data, (str, os.PathLike)):
        # A path is a file to read first, and which reader is a choice the caller makes:
        # read_export knows survey-tool headers, score_file streams files of any size.
        raise DataError(f"score() takes a DataFrame, not the path {str(data)!r}: read the export "
                        "first (pm.read_export(path)), or score the file in chunks with "
                        "pm.score_file(path, instrument, output) when it is larger than memory")
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    check_choice(on_invalid, _ON_INVALID, "on_invalid")  # options first, before any file is read
    inst = _instrument(instrument, keys=keys, form=form)
    names = [str(c) for c in data.columns]
    twice = sorted({c for c in names if names.count(c) > 1})
    if twice:
        raise DataError(f"data has repeated column names {twice[:8]}: which one holds the answers? "
                        "Rename them first")
    inst.check_usable()  # a placeholder key gives meaningless numbers: refused, not warned
    if id is not None:
        if id not in data.columns:
            raise MissingColumnError(f"id column {id!r} is not in the data; columns: "
                                     f"{', '.join(map(str, list(data.columns)[:15]))}")
        check_unique_ids(data[id], name=id)
    subs = _check_subscales(inst, subscales)
    if subscales is None:  # secondary scales are optional: left out when none of their items is there
        subs = [s for s in subs if not inst.subscales[s].secondary
                or _any_item_present(data.columns, inst, items, s)]
    mapping = resolve_items(data.columns, inst, items, subscales=subs)
    mismatch = value_label_mismatches(data, inst, mapping)
    if mismatch:
        col, found = next(iter(mismatch.items()))
        raise DataError(f"column {col!r}: the file's value labels contradict {inst.id}'s codes: "
                        + "; ".join(f"{m['code']:g} = {m['label']!r} in the file, but {m['label']!r} is "
                                    f"code {m['instrument_code']} in {inst.id}" for m in found[:3])
                        + (f" (also in columns {list(mismatch)[1:6]})" if len(mismatch) > 1 else "")
                        + ". The export codes the scale differently (reversed?): recode it first")
    values, cells = read_items(data, inst, mapping, id=id, on_invalid=on_invalid,
                               missing_codes=missing_codes)
    return inst, mapping, _recode(values, inst), cells, subs


def score(data: pd.DataFrame, instrument, *, items=None, id: str | None = None,
          on_invalid: str = "raise", min_answered: int | Mapping[str, int] | None = None,
          method: str | None = None, missing_codes=None, keys=None,
          form: str | None = None, subscales=None) -> pd.DataFrame:
    # Over 80 lines only by its numpydoc docstring (62 lines); the code is 31 lines.
    """Score every subscale of an instrument for every respondent.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (as exported). Never modified.
    instrument : str, Path or Instrument
        A shipped id (``"mbi-hss"``), a path to your own instrument file, or an Instrument.
    items : dict, str or path, optional
        Item id -> column mapping, or a pattern like ``"MBI_{n}"`` (see :func:`resolve_items`).
    id : str, optional
        The respondent id column: checked for duplicates and missing values, and put first
        in the result.
    on_invalid : {"raise", "missing"}
        Invalid responses (outside the scale, text, non-integers) raise
        :class:`~psychometrics.errors.InvalidResponseError` naming column, respondent and
        value, or become missing and are listed in ``result.attrs["psychometrics"]["invalid"]``.
    min_answered : int or dict, optional
        Overrides the instrument's minimum number of answered items per subscale (one number
        for all subscales, capped at the subscale's size, or a dict by subscale).
    method : {"mean", "sum"}, optional
        Overrides each subscale's own scoring rule. A sum with unanswered items (but enough
        answered) is prorated: mean of the answered items x number of items.
    missing_codes : list of numbers, optional
        Survey-tool codes that mean "no answer" (e.g. ``[-99, 99]``), besides blank cells and
        ``NA``/``n/a``/``N/A`` texts.
    keys, form
        Passed to :func:`~psychometrics.instruments.load_instrument`.
    subscales : list of str, optional
        Score only these subscales (only their items must be in the data), e.g. the BAT-23
        core scales of an export without the secondary items.

    Returns
    -------
    DataFrame
        Same index and order as ``data``; the id column first (when given), one column per
        subscale (named by its id), then ``<subscale>_n``, the number of answered items, and
        ``<subscale>_prorated``, True where the score was computed from fewer items than the
        subscale has (a prorated sum, or a mean of the answered items).
        ``attrs["psychometrics"]`` holds the report: instrument, form, scoring rule and
        minimum per subscale, invalid cells set to missing, numbers of prorated sums and of
        respondents left unscored per subscale (both also warned about).

    Notes
    -----
    Reverse keying is ``min + max - x`` over the scored values (after any recoding), per
    subscale. With ``min_answered=1`` and means this is exactly ``psych::scoreItems(...,
    impute = "none")``'s mean score (tested to 1e-9 on the bfi data). psych's sum without
    imputation is the sum of the answered items (0 when none is answered); here a sum with
    missing items is prorated and a subscale below its minimum is missing, as scoring manuals
    prescribe.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"olbi%d" % i: [1, 4] for i in range(1, 17)})
    >>> s = score(data, "olbi", form="agree-low")
    >>> s[["EX", "DI", "EX_n"]]
        EX   DI  EX_n
    0  2.5  2.5     8
    1  2.5  2.5     8
    """
    inst, mapping, values, cells, subs = _prepare(data, instrument, items, id, on_invalid,
                                                  missing_codes, keys, form, subscales)
    check_choice(method, (None, "mean", "sum"), "method")
    _check_min_answered(min_answered, inst, subs)
    mins = np.array([_min_answered(inst.subscales[s], min_answered) for s in subs], dtype=float)
    rules = {s: method or inst.subscales[s].scoring for s in subs}
    out, counts, partial, enough = _subscale_scores(values, inst, subs, list(mapping), rules, mins)
    prorated = {s: int(partial[:, j].sum()) for j, s in enumerate(subs) if rules[s] == "sum"}
    unscored = {s: int((~enough[:, j]).sum()) for j, s in enumerate(subs)}
    result = pd.DataFrame(out, index=data.index, columns=subs)
    ns = pd.DataFrame(counts.astype(int), index=data.index, columns=[f"{s}_n" for s in subs])
    flags = pd.DataFrame(partial, index=data.index, columns=[f"{s}_prorated" for s in subs])
    result = pd.concat([result, ns, flags], axis=1)
    if id is not None:
        result.insert(0, id, data[id].to_numpy())
    if any(prorated.values()):
        warnings.warn(f"prorated sums (mean of answered items x number of items) for "
                      f"{ {k: v for k, v in prorated.items() if v} } respondents "
                      "(flagged in <subscale>_prorated)", stacklevel=2)
    if any(unscored.values()):
        warnings.warn(f"not scored (fewer items answered than the minimum): "
                      f"{ {k: v for k, v in unscored.items() if v} } of {len(result)} "
                      "respondents; their scores are missing", stacklevel=2)
    result.attrs["psychometrics"] = {
        "instrument": inst.id, "version": inst.version, "form": inst.form,
        "keys_source": inst.keys_source, "id": id, "items": mapping,
        "scoring": rules, "min_answered": dict(zip(subs, mins.astype(int).tolist())),
        "invalid": cells, "prorated": prorated, "unscored": unscored,
        "missing_codes": _missing_codes(missing_codes),
    }
    return result


def _subscale_scores(values: np.ndarray, inst: Instrument, subs: list[str], item_ids: list[str],
                     rules: dict[str, str], mins: np.ndarray):
    """(scores, items answered, prorated flags, scored flags), respondents x subscales: the
    mean of the answered items where at least ``mins`` are answered, times the number of items
    for a sum (prorated where items are missing)."""
    sums, counts = _aggregate(values, inst, subs, item_ids)
    sizes = np.array([len(inst.subscales[s].items) for s in subs], dtype=float)
    enough = counts >= mins
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    out = np.where(enough, means, np.nan)
    is_sum = np.array([rules[s] == "sum" for s in subs])
    out[:, is_sum] = out[:, is_sum] * sizes[is_sum]  # prorated where items are missing
    partial = (counts < sizes) & enough  # scored from fewer items than the scale has
    return out, counts, partial, enough


def _check_min_answered(override, inst: Instrument, subs: list[str]) -> None:
    """Whole numbers >= 1; a dict names scored subscales only."""
    if override is None:
        return
    if isinstance(override, Mapping):
        unknown = sorted(map(str, set(override) - set(subs)))
        if unknown:
            raise OptionError(f"min_answered names {unknown}, which are not scored subscales {subs}",
                              "min_answered", override)
        for sid, v in override.items():
            check_positive_int(v, f"min_answered[{sid!r}]")
    else:
        check_positive_int(override, "min_answered")


def _min_answered(sub, override) -> int:
    """The minimum for one subscale: the override (capped at the subscale's size) or the
    instrument's own."""
    if override is None:
        return sub.min_answered
    if isinstance(override, Mapping):
        if sub.id not in override:
            return sub.min_answered
        return min(int(override[sub.id]), len(sub.items))
    return min(int(override), len(sub.items))


def keyed_items(data: pd.DataFrame, instrument, *, items=None, id: str | None = None,
                on_invalid: str = "raise", missing_codes=None, keys=None,
                form: str | None = None, subscales=None) -> dict[str, pd.DataFrame]:
    """Validated, recoded and reverse-keyed item responses, one DataFrame per subscale.

    The item matrices that reliability and factor analyses of an instrument work on: columns
    are the instrument's item ids (reversed as in that subscale), the index is ``data``'s.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"olbi%d" % i: [1, 4] for i in range(1, 17)})
    >>> keyed_items(data, "olbi", form="agree-low")["EX"].iloc[:, :3]
       olbi2  olbi4  olbi5
    0    4.0    4.0    1.0
    1    1.0    1.0    4.0
    """
    inst, mapping, values, _, subs = _prepare(data, instrument, items, id, on_invalid,
                                              missing_codes, keys, form, subscales)
    lo_hi = _reverse_sums(inst, list(mapping))
    pos = {i: j for j, i in enumerate(mapping)}
    out = {}
    for sid in subs:
        sub = inst.subscales[sid]
        cols = [pos[i] for i in sub.items]
        block = values[:, cols].copy()
        flip = [j for j, i in enumerate(sub.items) if i in sub.reverse]
        block[:, flip] = lo_hi[[cols[j] for j in flip]] - block[:, flip]
        out[sid] = pd.DataFrame(block, index=data.index, columns=list(sub.items))
    return out


def item_frame(data: pd.DataFrame, instrument, *, items=None, id: str | None = None,
               on_invalid: str = "raise", missing_codes=None, keys=None,
               form: str | None = None) -> pd.DataFrame:
    """All keyed items of an instrument's own (non-composite) subscales in one DataFrame.

    The data a factor analysis of the instrument works on: each item once, reverse-keyed as
    in its subscale, respondents' index kept.
    """
    inst = load_instrument(instrument, keys=keys, form=form, warn=False)
    subs = [s for s, sub in inst.subscales.items() if not sub.composite and not sub.secondary]
    blocks = keyed_items(data, inst, items=items, id=id, on_invalid=on_invalid,
                         missing_codes=missing_codes, subscales=subs)
    frame = pd.concat(list(blocks.values()), axis=1)
    return frame.loc[:, ~frame.columns.duplicated()].copy()


#: What must agree for scores of several exports to be one table (their meaning).
_MEANING = ("instrument", "version", "form", "keys_source", "scoring", "min_answered")


def concat_scores(frames, **kwargs) -> pd.DataFrame:
    """``pd.concat`` of :func:`score` results that keeps their record where it is consistent.

    pandas keeps ``attrs`` through ``concat`` only when every frame's are identical, so the
    scores of two exports (different item maps, invalid cells, prorated counts) lose the
    record that says whether they are sums or means, and norms then refuse them. This keeps
    the record when the frames agree on what their numbers mean (instrument, version, form,
    keys, scoring rule and minimum per subscale) and refuses to combine them otherwise.

    Parameters
    ----------
    frames : list of DataFrame
        Results of :func:`score`.
    **kwargs
        Passed to :func:`pandas.concat` (rows are stacked: ``axis=0``).

    Returns
    -------
    DataFrame
        The stacked scores; ``attrs["psychometrics"]`` holds the shared record, the invalid
        cells of all frames and the summed prorated/unscored counts.

    Raises
    ------
    DataError
        A frame without ``score()``'s record, or frames scored differently (naming what
        differs, e.g. ``scoring``: one sums, the other averages).

    Examples
    --------
    >>> import pandas as pd
    >>> a = score(pd.DataFrame({"olbi%d" % i: [1, 4] for i in range(1, 17)}), "olbi", form="agree-low")
    >>> b = score(pd.DataFrame({"olbi%d" % i: [2] for i in range(1, 17)}), "olbi", form="agree-low")
    >>> both = concat_scores([a, b], ignore_index=True)
    >>> both.attrs["psychometrics"]["scoring"]["EX"], len(both)
    ('mean', 3)
    """
    frames = list(frames)
    if not frames:
        raise DataError("concat_scores needs at least one frame of scores")
    if kwargs.get("axis", 0) not in (0, "index"):
        raise DataError("concat_scores stacks respondents (axis=0); for columns use pd.concat")
    metas = [f.attrs.get("psychometrics") if isinstance(f, pd.DataFrame) else None for f in frames]
    lacking = [i + 1 for i, m in enumerate(metas) if not m or "scoring" not in m]
    if lacking:
        raise DataError(f"frame(s) {lacking} carry no record of how they were scored (not "
                        "score() results, or the record was lost): score them again")
    first = {k: metas[0].get(k) for k in _MEANING}
    for i, m in enumerate(metas[1:], start=2):
        diff = [k for k in _MEANING if m.get(k) != first[k]]
        if diff:
            raise DataError(f"frame {i} was scored differently from frame 1 ({', '.join(diff)}: "
                            f"{ {k: m.get(k) for k in diff} } vs { {k: first[k] for k in diff} }); "
                            "rescore them the same way before combining")
    out = pd.concat(frames, **kwargs)

    def total(key):
        keys = dict.fromkeys(k for m in metas for k in (m.get(key) or {}))
        return {k: int(sum((m.get(key) or {}).get(k, 0) for m in metas)) for k in keys}
    out.attrs = {"psychometrics": {
        **first, "items": [m.get("items") for m in metas],
        # the id column names respondents in later errors only if every part has the same one
        "id": metas[0].get("id") if len({m.get("id") for m in metas}) == 1 else None,
        "invalid": [c for m in metas for c in (m.get("invalid") or [])],
        "prorated": total("prorated"), "unscored": total("unscored"),
        "missing_codes": sorted({c for m in metas for c in (m.get("missing_codes") or [])}),
        "combined_from": len(frames)}}
    return out
