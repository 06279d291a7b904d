"""Which export column holds which item: the ``items=`` mapping (ids, a dict, a pattern, a YAML
file), resolving it against the data's columns, and :func:`match_items`, the check of an
export against an instrument before anything is scored (found, missing and unmapped items,
invalid cells, codes shifted by one, value labels that contradict the instrument).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._results import Result, format_table
from ..errors import DataError, MissingColumnError
from ..instruments import Instrument, excerpt, load_instrument
from ..io.readers import INCOMPLETE, LIMESURVEY_META, QUALTRICS_META
from .cells import cell_values

#: Distinct invalid values shown per column in a :class:`MatchReport` (all are counted).
MAX_SHOWN_VALUES = 5


def item_mapping(instrument: Instrument, items=None) -> dict[str, str]:
    """The item id -> column mapping that ``items`` asks for, whether or not the columns exist.

    ``items`` as for :func:`resolve_items` (None, dict, pattern, or YAML file); an unknown item
    id or a pattern without ``{n}``/``{id}`` is an error.
    """
    if isinstance(items, (str, Path)) and Path(items).suffix in (".yaml", ".yml"):
        from ..instruments import read_yaml
        source = str(items)
        items = read_yaml(Path(items))
        if isinstance(items, dict) and "items" in items and len(items) == 1:
            items = items["items"]
        if not isinstance(items, (str, Mapping)):  # an empty file must not mean "the default"
            raise DataError(f"{source}: an items file holds a pattern (items: 'Q{{n}}') or a "
                            f"mapping (item id: column), not {type(items).__name__}")
    if items is None:
        mapping = {it.id: it.id for it in instrument.items}
    elif isinstance(items, str):
        mapping = {it.id: _format_pattern(items, it.number, it.id) for it in instrument.items}
    elif isinstance(items, Mapping):
        unknown = [k for k in items if k not in instrument.item_ids]
        if unknown:
            raise DataError(f"items mapping names {unknown}, which are not items of {instrument.id!r} "
                            f"(its items: {', '.join(instrument.item_ids)})")
        mapping = {it.id: items.get(it.id, it.id) for it in instrument.items}
    else:
        raise DataError(f"items must be a dict, a pattern string or a YAML file, not {type(items).__name__}")
    columns = [str(c) for c in mapping.values()]
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:  # one answer would be scored as two items
        shared = {c: [i for i, col in mapping.items() if str(col) == c] for c in twice[:3]}
        raise DataError(f"items mapping gives one column to several items: {shared}")
    return mapping


_PATTERN_FIELDS = ("n", "number", "id")


def _format_pattern(pattern: str, number: int, item_id: str) -> str:
    """``pattern.format(n=..., id=...)`` for the fields ``{n}``, ``{number}``, ``{id}`` with
    plain format specs only: no attribute or index access (``{n.__class__}``), no positional
    fields (``{0}``), no conversions, no nested fields."""
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise DataError(f"items pattern {excerpt(pattern, 120)}: {exc} (write a literal brace as {{{{ or }}}})") from None
    fields = [p for p in parts if p[1] is not None]
    for _, name, spec, conversion in fields:
        if name not in _PATTERN_FIELDS or conversion is not None or "{" in (spec or ""):
            raise DataError(f"items pattern {excerpt(pattern, 120)}: {{{name}{'!' + conversion if conversion else ''}"
                            f"{':' + spec if spec else ''}}} is not allowed; use {{n}} (item number, "
                            "e.g. {n:02d}) or {id} (item id)")
    if not fields:
        raise DataError(f"items pattern {excerpt(pattern, 120)} has no {{n}} (item number) or {{id}} in it")
    try:
        return pattern.format(n=number, number=number, id=item_id)
    except (ValueError, TypeError) as exc:
        raise DataError(f"items pattern {excerpt(pattern, 120)}: {exc} (item {item_id}, number {number})") from None


def resolve_items(columns, instrument: Instrument, items=None,
                  subscales=None) -> dict[str, str]:
    """Map each instrument item id to a column of the data.

    Parameters
    ----------
    columns : sequence of str
        The data's columns.
    instrument : Instrument
    items : None, dict, str or path
        ``None``: columns named after the item ids. A dict: item id -> column (every item of
        the instrument must be mapped). A string with ``{n}`` (item number) or ``{id}``: a
        pattern such as ``"MBI_{n}"``, with a format spec where numbers are padded
        (``"OLBI[SQ{n:03d}]"``). A path to a YAML file holding such a dict or pattern.

    subscales : list of str, optional
        Map only the items of these subscales.

    Raises
    ------
    MissingColumnError
        Naming the items whose columns are absent.
    """
    mapping = item_mapping(instrument, items)
    if subscales is not None:
        needed = {i for s in subscales for i in instrument.subscales[s].items}
        mapping = {i: c for i, c in mapping.items() if i in needed}
    cols = {str(c) for c in columns}
    missing = [f"{i} (column {c!r})" if c != i else i for i, c in mapping.items() if str(c) not in cols]
    if missing:
        found = len(mapping) - len(missing)
        hint = (" None of its items were found: is this the right instrument, or are the columns "
                "named differently? Map them with items={'item id': 'column', ...} or a pattern "
                "such as items='Q{n}'." if found == 0 else
                " Map them with items={...} or check the export for renamed or dropped columns.")
        shown = ", ".join(missing[:12]) + (f" and {len(missing) - 12} more" if len(missing) > 12 else "")
        raise MissingColumnError(
            f"instrument {instrument.id!r} needs {len(mapping)} item columns; {len(missing)} are not "
            f"in the data: {shown}. Data columns: {', '.join(map(str, list(columns)[:15]))}"
            f"{' ...' if len(columns) > 15 else ''}.{hint}")
    return mapping



def value_label_mismatches(data: pd.DataFrame, instrument: Instrument,
                           mapping: dict[str, str]) -> dict[str, list[dict]]:
    """Mapped columns whose value labels (SPSS, in ``data.attrs["export"]["value_labels"]``)
    give one of the instrument's response labels to another code: column -> list of
    ``{"code", "label", "instrument_code"}``. A reversed or shifted coding shows up here."""
    export = data.attrs.get("export") if isinstance(data.attrs, dict) else None
    value_labels = (export or {}).get("value_labels") or {}
    if not value_labels:
        return {}
    lookup = instrument.label_codes()
    out: dict[str, list[dict]] = {}
    for col in mapping.values():  # loop over the instrument's columns
        for code, label in (value_labels.get(str(col)) or {}).items():
            want = lookup.get(str(label).strip().casefold())
            if want is not None and isinstance(code, (int, float)) and float(code) != float(want):
                out.setdefault(str(col), []).append(
                    {"code": float(code), "label": str(label), "instrument_code": want})
    return out



# ---- checking an export against the mapping ----------------------------------------------------------------------

def _template(name: str) -> str:
    return re.sub(r"\d+", "#", name)


def _suggest_pattern(columns: list[str], numbers: list[int]) -> str | None:
    """An ``items=`` pattern (``"Q1_{n}"``, ``"OLBI[SQ{n:03d}]"``) naming a column for every
    item number, built from the columns' digit runs; None when no pattern covers them all."""
    cover: dict[str, set[int]] = {}
    for c in columns:
        for m in re.finditer(r"\d+", c):
            run = m.group()
            spec = f"{{n:0{len(run)}d}}" if len(run) > 1 and run.startswith("0") else "{n}"
            pat = (c[:m.start()].replace("{", "{{").replace("}", "}}") + spec
                   + c[m.end():].replace("{", "{{").replace("}", "}}"))
            cover.setdefault(pat, set()).add(int(run))
    need = set(numbers)
    fits = [pat for pat, got in cover.items()
            if need <= got and all(pat.format(n=n) in columns for n in numbers)]
    # the pattern whose columns are the tightest match (fewest extra numbers) wins
    return min(fits, key=lambda pat: (len(cover[pat]), pat)) if fits else None


@dataclass(frozen=True)
class MatchReport(Result):
    """How an export's columns match an instrument's items (see :func:`match_items`).

    Attributes
    ----------
    instrument : str
    found : dict
        Item id -> export column, for the items whose column is in the data.
    missing : list of str
        Item ids whose column is not in the data (with the column looked for in ``expected``).
    expected : dict
        Item id -> the column the mapping asked for.
    unmapped : list of str
        Export columns that look like items (named like the mapped ones, or holding the
        scale's codes or labels under a numbered name) but are not mapped.
    suggestion : str, dict or None
        An ``items=`` pattern (or, where the pattern needs a format such as ``{n:03d}``, the
        item -> column dict it stands for) that would map every item, when items are missing
        and the export's column names allow one.
    labelled : list of str
        Mapped columns answered with response labels (text) instead of codes.
    invalid : dict
        Column -> ``{"count": n, "values": [first few distinct values]}``: cells that are
        neither missing, a code of the scale nor one of the instrument's labels.
    off_by_one : dict or None
        ``{"shift": +1 or -1, "observed": [min, max], "scale": [min, max], "columns": [...]}``
        when the codes look shifted by one (0..6 exported as 1..7).
    text_columns : list of str
        Free-text columns (``*_TEXT``), never items.
    label_mismatch : dict
        Column -> list of ``{"code", "label", "instrument_code"}`` where the file's (SPSS)
        value labels give one of the instrument's response labels to another code (a
        reversed coding).
    """

    instrument: str
    found: dict
    missing: list
    expected: dict
    unmapped: list
    suggestion: str | dict | None
    labelled: list
    invalid: dict
    off_by_one: dict | None
    text_columns: list = field(default_factory=list)
    label_mismatch: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every item is mapped, no cell is invalid, no shift is suspected and the
        file's value labels agree with the instrument's."""
        return (not self.missing and not self.invalid and self.off_by_one is None
                and not self.label_mismatch)

    @property
    def problems(self) -> list[str]:
        """One sentence per problem, in the order to fix them."""
        out = []
        if self.missing:
            shown = ", ".join(f"{i} (column {self.expected[i]!r})" for i in self.missing[:8])
            more = f" and {len(self.missing) - 8} more" if len(self.missing) > 8 else ""
            out.append(f"{len(self.missing)} of {len(self.expected)} items have no column: "
                       f"{shown}{more}"
                       + (f"; items={self.suggestion!r} would map them all" if self.suggestion
                          else ""))
        if self.off_by_one:
            o = self.off_by_one
            lo, hi = o["scale"]
            out.append(f"codes look shifted by {o['shift']:+d}: observed {o['observed'][0]:g}.."
                       f"{o['observed'][1]:g} on a {lo:g}..{hi:g} scale and never {lo if o['shift'] > 0 else hi:g}; "
                       f"the export probably codes {lo:g}..{hi:g} as {lo + o['shift']:g}..{hi + o['shift']:g}: "
                       f"recode with data[columns] - ({o['shift']:+d}) before scoring")
        for col, found in self.label_mismatch.items():
            m = found[0]
            out.append(f"column {col!r}: the file's value labels say {m['code']:g} = {m['label']!r}, "
                       f"but {m['label']!r} is code {m['instrument_code']} in {self.instrument} "
                       "(a reversed or shifted coding?)")
        for col, d in self.invalid.items():
            out.append(f"column {col!r}: {d['count']} invalid cell(s), e.g. "
                       f"{', '.join(map(repr, d['values']))}")
        if self.unmapped:
            out.append(f"columns that look like items but are not mapped: {', '.join(self.unmapped[:12])}"
                       + (" ..." if len(self.unmapped) > 12 else ""))
        return out

    def summary(self) -> str:
        rows = pd.DataFrame({"item": list(self.expected),
                             "column": list(self.expected.values()),
                             "found": [i in self.found for i in self.expected]}).set_index("item")
        head = (f"{self.instrument}: {len(self.found)} of {len(self.expected)} items found"
                + (f"; labelled columns: {len(self.labelled)}" if self.labelled else ""))
        probs = self.problems
        tail = "\n".join(f"- {p}" for p in probs) if probs else "no problems found"
        return f"{head}\n{tail}\n{format_table(rows)}"

    def __repr__(self) -> str:
        return (f"MatchReport({self.instrument!r}, found={len(self.found)}, "
                f"missing={len(self.missing)}, ok={self.ok})")


def match_items(data: pd.DataFrame, instrument, items=None, *, id: str | None = None,
                form: str | None = None, keys=None) -> MatchReport:
    """Check an export against an instrument before scoring: which items are found, which
    are missing, which columns look like unmapped items, and whether codes look shifted.

    Parameters
    ----------
    data : DataFrame
        The export (e.g. from :func:`read_export`). Never modified.
    instrument : str, Path or Instrument
    items : None, dict, str or path
        The item mapping, as for :func:`psychometrics.score` (item ids as column names, a dict,
        a pattern such as ``"Q1_{n}"`` or a YAML file).
    id : str, optional
        The respondent id column (never taken for an item).
    form, keys
        Passed to :func:`~psychometrics.instruments.load_instrument`.

    Returns
    -------
    MatchReport
        ``found``, ``missing``, ``unmapped``, ``suggestion``, ``labelled``, ``invalid``,
        ``off_by_one``; ``ok`` and ``problems`` summarise it.

    Notes
    -----
    *Off by one*: over all mapped columns together, the codes are flagged as shifted by +1
    when the largest observed code is the scale's maximum + 1 and the scale's minimum never
    occurs (0..6 exported as 1..7, as Qualtrics does by default), and by -1 in the mirror
    case (1..5 exported as 0..4). A few stray out-of-range codes beside answers at the scale's
    minimum are reported as ``invalid``, not as a shift.

    *Looks like an item*: a column not mapped, not the id, not a survey-tool column
    (Qualtrics/LimeSurvey metadata) and not free text, whose name follows the mapped columns'
    naming (``Q1_23`` beside ``Q1_1`` .. ``Q1_22``), or whose name holds a number and whose
    answers are all codes (or labels) of the scale.

    Examples
    --------
    >>> from psychometrics.io import example_path, read_export
    >>> df = read_export(example_path("mbi-hss-qualtrics.csv"), id="ResponseId")
    >>> rep = match_items(df, "mbi-hss", id="ResponseId")
    >>> len(rep.missing), rep.suggestion
    (22, 'Q1_{n}')
    >>> rep = match_items(df, "mbi-hss", items="Q1_{n}")
    >>> len(rep.found), rep.invalid["Q1_5"]
    (22, {'count': 1, 'values': [7]})
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    inst = load_instrument(instrument, keys=keys, form=form, warn=False)
    columns = [str(c) for c in data.columns]
    # the mapping asked for, whether or not its columns exist
    expected = {k: str(v) for k, v in item_mapping(inst, items).items()}
    found = {i: c for i, c in expected.items() if c in columns}
    missing = [i for i in expected if i not in found]
    text_cols = [c for c in columns if c.endswith("_TEXT")]
    export = data.attrs.get("export", {}) if isinstance(data.attrs, dict) else {}
    labelled, invalid, answers = _check_cells(data, inst, found)
    _add_unreadable_cells(data, found, invalid)
    off = _off_by_one(inst, found, answers, invalid)
    meta = set(QUALTRICS_META | LIMESURVEY_META) | {INCOMPLETE} | set(text_cols)
    if id is not None:
        meta.add(str(id))
    return MatchReport(instrument=inst.id, found=found, missing=missing, expected=expected,
                       unmapped=_unmapped_columns(data, inst, found, meta),
                       suggestion=_suggestion(columns, inst) if missing else None,
                       labelled=labelled, invalid=invalid, off_by_one=off,
                       text_columns=list(export.get("text_columns", text_cols)),
                       label_mismatch=value_label_mismatches(data, inst, found))


def _check_cells(data: pd.DataFrame, inst: Instrument,
                 found: dict[str, str]) -> tuple[list[str], dict, list[np.ndarray]]:
    """The mapped columns' cells: (columns answered with labels, invalid cells per column,
    each column's answered codes)."""
    labels = inst.label_codes()
    pos = {str(c): j for j, c in enumerate(data.columns)}
    labelled, invalid, answers = [], {}, []
    for item_id, col in found.items():  # loop over the instrument's items, vectorised within
        s = data.iloc[:, pos[col]]
        vals, text_bad, _ = cell_values(s, labels)
        vals = np.asarray(vals, dtype=float)  # an integer column comes back as integers
        if not pd.api.types.is_numeric_dtype(s):
            text = s.astype("string").str.strip()
            numeric = pd.to_numeric(text, errors="coerce").notna().to_numpy()
            if (~numeric & ~np.isnan(vals)).any():
                labelled.append(col)
        item_codes = np.array(sorted(inst.item_codes(inst.item(item_id))), dtype=float)
        answered = ~np.isnan(vals)
        bad = (answered & ~np.isin(vals, item_codes)) | text_bad
        if bad.any():
            shown = list(dict.fromkeys(v.item() if isinstance(v, np.generic) else v
                                       for v in s[bad].tolist()))[:MAX_SHOWN_VALUES]
            shown = [int(v) if isinstance(v, float) and v.is_integer() else v for v in shown]
            invalid[col] = {"count": int(bad.sum()), "values": shown}
        answers.append(vals[answered])
    return labelled, invalid, answers


def _add_unreadable_cells(data: pd.DataFrame, found: dict[str, str], invalid: dict) -> None:
    """Excel cells read as empty that are not (``attrs["unreadable_cells"]``) count as invalid."""
    mapped = set(found.values())
    unreadable = data.attrs.get("unreadable_cells") if isinstance(data.attrs, dict) else None
    for cell in unreadable or []:  # loop over those cells only
        if cell.get("column") in mapped:
            d = invalid.setdefault(cell["column"], {"count": 0, "values": []})
            d["count"] += 1
            if len(d["values"]) < MAX_SHOWN_VALUES:
                d["values"].append(f"{cell['problem']} (cell {cell['cell']})")


def _off_by_one(inst: Instrument, found: dict[str, str], answers: list[np.ndarray],
                invalid: dict) -> dict | None:
    """The shift flag of :func:`match_items` (see its Notes), or None; the shifted codes it
    explains are taken out of ``invalid``."""
    codes = sorted(set(inst.scale.codes))
    lo, hi = codes[0], codes[-1]
    v = np.concatenate(answers) if answers else np.array([])
    if not v.size:
        return None
    vmin, vmax = float(v.min()), float(v.max())
    if vmax == hi + 1 and not (v == lo).any() and vmin >= lo + 1:
        shift = 1
    elif vmin == lo - 1 and not (v == hi).any() and vmax <= hi - 1:
        shift = -1
    else:
        return None
    edge = hi + 1 if shift > 0 else lo - 1
    shifted = [c for c, vals in zip(found.values(), answers) if vals.size and (vals == edge).any()]
    # the shifted codes are what the flag explains; do not also call them invalid
    for c in list(invalid):
        if all(x == edge for x in invalid[c]["values"]):
            del invalid[c]
    return {"shift": shift, "observed": [vmin, vmax], "scale": [lo, hi], "columns": shifted}


def _unmapped_columns(data: pd.DataFrame, inst: Instrument, found: dict[str, str],
                      meta: set[str]) -> list[str]:
    """Columns that look like items but are not mapped (see the Notes of :func:`match_items`)."""
    labels = inst.label_codes()
    codes = sorted(set(inst.scale.codes))
    templates = {_template(c) for c in found.values()}
    ok_codes = set(codes) | {codes[0] - 1, codes[-1] + 1}
    columns = [str(c) for c in data.columns]
    pos = {c: j for j, c in enumerate(columns)}
    unmapped = []
    for c in columns:
        if c in found.values() or c in meta or not re.search(r"\d", c):
            continue
        if templates and _template(c) in templates:
            unmapped.append(c)
            continue
        vals, text_bad, _ = cell_values(data.iloc[:, pos[c]], labels)
        vals = np.asarray(vals, dtype=float)
        vals = vals[~np.isnan(vals)]
        if vals.size >= 2 and not text_bad.any() and set(np.unique(vals)) <= ok_codes \
                and len(np.unique(vals)) >= 2:
            unmapped.append(c)
    return unmapped


def _suggestion(columns: list[str], inst: Instrument) -> str | dict | None:
    """An ``items=`` pattern naming every item's column, as the scoring functions accept it
    (else the item -> column mapping it stands for), or None."""
    suggestion = _suggest_pattern(columns, [it.number for it in inst.items])
    if suggestion is not None:
        try:
            resolve_items(columns, inst, suggestion)
        except DataError:
            suggestion = {it.id: suggestion.format(n=it.number) for it in inst.items}
    return suggestion
