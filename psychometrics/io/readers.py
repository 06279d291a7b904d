"""Reading exports as survey tools produce them, checking the item mapping, writing results.

Two readers:

* :func:`read_table` reads plain tables: CSV with ``,`` or ``;`` and a decimal comma (common in
  Belgian exports), Excel (.xlsx) and SPSS (.sav). Every column is read as it is.
* :func:`read_export` is survey-tool aware: it recognises Qualtrics (CSV/XLSX with three header
  rows), LimeSurvey (CSV, incomplete responses) and SPSS (.sav with value labels and
  user-defined missing codes) exports and hands back one row per response with plain column
  names; what it learnt on the way (question texts, incomplete responses, user-missing codes)
  is in ``df.attrs["export"]``. On a plain CSV or Excel file it returns what
  :func:`read_table` returns.

Nothing is dropped or reordered and respondent ids stay text (leading zeros are kept).
The file-level building blocks (sniffing, Excel and SPSS reading, limits) are in
:mod:`psychometrics.io.plain`.
"""

from __future__ import annotations

import csv
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, ExportError
from ..limits import Limits, resolve_limits
from .parquet import PARQUET_SUFFIXES, read_parquet
from .plain import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    SPSS_SUFFIXES,
    check_shape,
    existing_file,
    file_encoding,
    id_as_text,
    read_csv_file,
    read_excel_file,
    read_sav_file,
    sniff_csv,
    warn_duplicate_names,
)

SOURCES = ("auto", "qualtrics", "limesurvey", "spss", "csv", "excel")

#: Name of the boolean column :func:`read_export` adds to Qualtrics and LimeSurvey exports.
INCOMPLETE = "incomplete"

# Columns survey tools add to every export: never items, never "unmapped item" candidates.
QUALTRICS_META = frozenset({
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
    "Finished", "RecordedDate", "ResponseId", "ResponseID", "RecipientLastName",
    "RecipientFirstName", "RecipientEmail", "ExternalReference", "ExternalDataReference",
    "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage",
    "Q_RecaptchaScore", "Q_RelevantIDDuplicate", "Q_RelevantIDDuplicateScore",
    "Q_RelevantIDFraudScore", "Q_RelevantIDLastStartDate"})
LIMESURVEY_META = frozenset({"id", "submitdate", "lastpage", "startlanguage", "seed", "token",
                             "startdate", "datestamp", "ipaddr", "refurl", "interviewtime"})
_LIME_CODE_TEXT = re.compile(r"^([A-Za-z][A-Za-z0-9_]*(?:\[[A-Za-z0-9_]+\])?)\. (.+)$", re.S)


def read_table(path: str | Path, *, sheet: str | int = 0, id: str | None = None,
               limits=None) -> pd.DataFrame:
    """Read a CSV, Excel or SPSS file into a DataFrame.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.txt`` (delimiter, decimal mark and encoding sniffed), ``.xlsx``/``.xls``,
        ``.sav``.
    sheet : str or int
        The Excel sheet.
    id : str, optional
        A column read as text (ids such as ``007`` keep their leading zeros; ``NA``,
        ``None`` or ``NULL`` are ids there, not missing values).
    limits : dict or Limits, optional
        Raise the reading limits for this call (see :mod:`psychometrics.limits`), e.g.
        ``{"max_bytes": 2_000_000_000}``.

    Returns
    -------
    DataFrame
        In file order, with a default RangeIndex; ``attrs["source"]`` names the file.
        Excel cells pandas reads as empty although they are not (error values such as
        ``#DIV/0!``, formulas without a stored value) are listed in
        ``attrs["unreadable_cells"]`` with a warning; scoring refuses them in item columns.

    Raises
    ------
    ExportError
        Missing, empty, corrupt or truncated file, a missing sheet, rows with more cells than
        the header, rows written with another delimiter.
    LimitError
        A file beyond the reading limits (size, cell length, rows, columns).

    See Also
    --------
    read_export : the survey-tool aware reader (Qualtrics, LimeSurvey, SPSS labels).

    Notes
    -----
    The delimiter is sniffed from the first 20 lines: the one of tab, ``;``, ``|`` and ``,``
    (in that order) found equally often on every line, else Python's sniffer. A file not
    separated by commas uses the decimal comma when one of those lines holds a number written
    with a comma (``2,5``) or none holds one written with a point; in such a file, ``3,0`` in
    a column that also holds text is still the number 3. A delimiter at the end of every data
    row (one empty cell more than the header) is dropped. The encoding is UTF-16 when the file
    starts with its byte-order mark (Excel's "Unicode text"), UTF-8 (with or without BOM) when
    the whole file decodes as such, else Windows-1252. Blank cells and pandas'
    missing markers (``NA``, ``N/A``, ``n/a``, ``NULL``...) are read as missing. SPSS
    user-defined missing codes are read as missing (pyreadstat's default). A file that looks
    like a Qualtrics export (an import-id row under the names) gives a warning: its header rows
    would otherwise be taken for respondents.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.csv")
    >>> _ = open(p, "w").write("id;q1;q2\\n007;1;2,5\\n")
    >>> read_table(p, id="id")
        id  q1   q2
    0  007   1  2.5
    """
    p = existing_file(path)
    lim = resolve_limits(limits)
    suffix = p.suffix.lower()
    try:
        df = _read_by_suffix(p, suffix, sheet=sheet, id=id, limits=lim)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise ExportError(f"{p}: cannot be read: {str(exc)[:300]}") from None
    check_shape(p, df, lim)
    warn_duplicate_names(p, df)
    if id and id not in df.columns:
        raise ExportError(f"{p}: no column {id!r}; columns: {', '.join(map(str, df.columns[:15]))}")
    if suffix not in SPSS_SUFFIXES:
        _warn_if_qualtrics(p, df)
    df.attrs["source"] = str(p)
    return df




def _read_by_suffix(p: Path, suffix: str, *, sheet, id: str | None, limits: Limits) -> pd.DataFrame:
    """The reader of the file's type: CSV, Excel, SPSS (user-missing codes as missing), Parquet."""
    dtype = {id: str} if id else None
    if suffix in CSV_SUFFIXES:
        return read_csv_file(p, id=id, dtype=dtype, limits=limits)
    if suffix in EXCEL_SUFFIXES:
        return read_excel_file(p, sheet=sheet, id=id, dtype=dtype, limits=limits)
    if suffix in SPSS_SUFFIXES:
        df, _meta = read_sav_file(p, user_missing=False, limits=limits)
        id_as_text(df, id)
        return df
    if suffix in PARQUET_SUFFIXES:
        return read_parquet(p, id=id)
    raise ExportError(f"{p}: unknown file type {suffix!r} (use .csv, .xlsx or .sav)")


def _warn_if_qualtrics(p: Path, df: pd.DataFrame) -> None:
    """Warn when the first data row holds Qualtrics import ids: a Qualtrics export read as a
    plain table, whose two header rows would otherwise be scored as two respondents."""
    if len(df) >= 2:
        cells = [str(v) for v in df.iloc[1].tolist() if isinstance(v, str) and v]
        if cells and sum(map(_is_import_id, cells)) >= len(cells) / 2:
            warnings.warn(f"{p} looks like a Qualtrics export: its first two rows are question "
                          "texts and import ids, not respondents. Read it with read_export().",
                          UserWarning, stacklevel=3)  # the caller of read_table


# ---- survey-tool exports --------------------------------------------------------------------

def _raw_head(p: Path, sheet, nrows: int = 3, limits: Limits | None = None) -> list[list[str]]:
    """The first rows of a CSV or Excel file as text, header included."""
    if p.suffix.lower() in EXCEL_SUFFIXES:
        raw = read_excel_file(p, sheet=sheet, id=None, header=None, nrows=nrows, dtype=str,
                          limits=limits or resolve_limits())
        return [["" if pd.isna(v) else str(v) for v in row] for row in raw.itertuples(index=False)]
    delim, _ = sniff_csv(p)
    with open(p, encoding=file_encoding(p), errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delim)
        try:
            return [row for _, row in zip(range(nrows), reader)]
        except csv.Error as exc:  # e.g. a field beyond the csv module's own limit
            raise ExportError(f"{p}: cannot be read: {str(exc)[:200]}") from None


def _is_import_id(cell: str) -> bool:
    return cell.startswith('{"ImportId"') or cell.startswith("ImportId:")


def _qualtrics_header_rows(head: list[list[str]]) -> int:
    """Header rows after the names: 2 (question text + import ids), 1 (legacy: question text
    only) or 0 (not a Qualtrics export)."""
    if len(head) >= 3:
        cells = [c for c in head[2] if c]
        if cells and sum(map(_is_import_id, cells)) >= len(cells) / 2:
            return 2
    if len(head) >= 2:
        names = head[0]
        for key in ("ResponseId", "ResponseID"):
            j = names.index(key) if key in names else len(head[1])
            if j < len(head[1]) and head[1][j] in ("Response ID", "ResponseID"):
                return 1
    return 0


def _is_limesurvey(columns) -> bool:
    return "submitdate" in columns and len(LIMESURVEY_META & set(columns)) >= 3 or \
        {"lastpage", "startlanguage"} <= set(columns)


def _detect(p: Path, sheet, limits: Limits) -> tuple[str, list[list[str]]]:
    suffix = p.suffix.lower()
    if suffix in SPSS_SUFFIXES:
        return "spss", []
    head = _raw_head(p, sheet, limits=limits)
    if not head:
        raise ExportError(f"{p}: the file is empty")
    if _qualtrics_header_rows(head):
        return "qualtrics", head
    names = [re.sub(_LIME_CODE_TEXT, r"\1", c) for c in head[0]]
    if _is_limesurvey(names):
        return "limesurvey", head
    return ("excel" if suffix in EXCEL_SUFFIXES else "csv"), head


def _flag_incomplete(df: pd.DataFrame, incomplete: np.ndarray, info: dict) -> None:
    info["incomplete"] = [int(i) for i in np.flatnonzero(incomplete)]
    if INCOMPLETE in df.columns:
        info["incomplete_column"] = None  # the export already has such a column: attrs only
    else:
        df[INCOMPLETE] = incomplete
        info["incomplete_column"] = INCOMPLETE


def _read_qualtrics(p: Path, head, sheet, id, limits: Limits) -> tuple[pd.DataFrame, dict]:
    extra = _qualtrics_header_rows(head)
    if not extra:
        raise ExportError(f"{p}: does not look like a Qualtrics export (no question-text row and "
                          "no ImportId row under the column names); use source='csv' or 'excel'")
    names = head[0]
    text_cols = [c for c in names if c.endswith("_TEXT")]
    dtype = {c: str for c in text_cols + ([id] if id else []) if c in names}
    if p.suffix.lower() in EXCEL_SUFFIXES:
        df = read_excel_file(p, sheet=sheet, id=id, skip=extra, dtype=dtype or None, limits=limits)
        id_as_text(df, id)
    else:
        df = read_csv_file(p, id=id, skip=extra, dtype=dtype or None, limits=limits)
    check_shape(p, df, limits)
    warn_duplicate_names(p, df)
    info: dict = {"question_text": dict(zip(names, head[1])) if len(head) > 1 else {},
                  "text_columns": text_cols}
    if extra == 2:
        ids = {}
        for name, cell in zip(names, head[2]):
            try:
                ids[name] = json.loads(cell)["ImportId"]
            except (ValueError, KeyError, TypeError):
                ids[name] = cell.removeprefix("ImportId:") or None
        info["import_ids"] = ids
    if "Finished" in df.columns:
        fin = df["Finished"]
        if pd.api.types.is_numeric_dtype(fin) or pd.api.types.is_bool_dtype(fin):
            incomplete = (fin == 0).to_numpy(dtype=bool)
        else:  # "True"/"False" when exported as choice text
            fin = fin.astype("string").str.strip().str.lower()
            incomplete = fin.isin(["0", "0.0", "false"]).to_numpy(dtype=bool)
    elif "Progress" in df.columns:
        incomplete = (pd.to_numeric(df["Progress"], errors="coerce") < 100).to_numpy(dtype=bool)
    else:
        incomplete = np.zeros(len(df), dtype=bool)
    _flag_incomplete(df, incomplete, info)
    return df, info


def _read_limesurvey(p: Path, head, sheet, id, limits: Limits) -> tuple[pd.DataFrame, dict]:
    texts, rename = {}, {}
    for c in (head or _raw_head(p, sheet, 1, limits=limits) or [[]])[0]:  # "code. question text" headings -> the code
        m = _LIME_CODE_TEXT.match(str(c))
        if m:
            rename[c], texts[m.group(1)] = m.group(1), m.group(2)
    original = {v: k for k, v in rename.items()}
    df = read_table(p, sheet=sheet, id=original.get(id, id), limits=limits)
    if rename:
        df = df.rename(columns=rename)
    if not _is_limesurvey(df.columns):
        raise ExportError(f"{p}: does not look like a LimeSurvey export (no submitdate, lastpage "
                          "or startlanguage columns); use source='csv' or 'excel'")
    info: dict = {"question_text": texts}
    if "submitdate" in df.columns:
        incomplete = df["submitdate"].isna().to_numpy(dtype=bool)  # "" is read as missing
    else:
        last = pd.to_numeric(df["lastpage"], errors="coerce")
        incomplete = (last.isna() | (last < last.max())).to_numpy()
    if "lastpage" in df.columns:
        info["lastpage_max"] = None if df["lastpage"].isna().all() else float(
            pd.to_numeric(df["lastpage"], errors="coerce").max())
    _flag_incomplete(df, np.asarray(incomplete, dtype=bool), info)
    return df, info


def _label_key(v) -> object:
    """SPSS stores numeric codes as floats: 1.0 -> 1, so labels read as codes."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _read_spss(p: Path, id, limits: Limits) -> tuple[pd.DataFrame, dict]:
    df, meta = read_sav_file(p, user_missing=True, limits=limits)
    check_shape(p, df, limits)
    value_labels = {c: {_label_key(k): v for k, v in labs.items()}
                    for c, labs in meta.variable_value_labels.items()}
    reported: dict[str, dict] = {}
    codes: dict[str, list] = {}
    user = {**{c: [{"lo": v, "hi": v} for v in vals]
               for c, vals in (meta.missing_user_values or {}).items()},
            **(meta.missing_ranges or {})}
    for col, ranges in user.items():  # loop over declared columns, vectorised within
        if col not in df.columns:
            continue
        s = df[col]
        mask = np.zeros(len(s), dtype=bool)
        for r in ranges:
            lo, hi = r["lo"], r["hi"]
            if pd.api.types.is_numeric_dtype(s):
                mask |= ((s >= lo) & (s <= hi)).to_numpy(dtype=bool, na_value=False)
            else:
                mask |= (s == lo).to_numpy(dtype=bool, na_value=False)
        codes[col] = [_label_key(r["lo"]) if r["lo"] == r["hi"] else [r["lo"], r["hi"]]
                      for r in ranges]
        if mask.any():
            counts = s[mask].value_counts(sort=False).sort_index()
            labs = value_labels.get(col, {})
            reported[col] = {str(_label_key(v)) + (f" ({labs[_label_key(v)]})"
                                                   if _label_key(v) in labs else ""): int(n)
                             for v, n in counts.items()}
            df[col] = s.mask(mask)
    id_as_text(df, id)
    info = {"variable_labels": {c: lab for c, lab in meta.column_names_to_labels.items() if lab},
            "value_labels": value_labels, "user_missing_codes": codes,
            "user_missing": reported,
            "user_missing_total": int(sum(sum(v.values()) for v in reported.values()))}
    return df, info


def read_export(path: str | Path, *, source: str = "auto", id: str | None = None,
                sheet: str | int = 0, limits=None) -> pd.DataFrame:
    # Over 80 lines only by its numpydoc docstring (60 lines); the code is 26 lines.
    """Read a survey export as the tool wrote it: Qualtrics, LimeSurvey, SPSS, CSV or Excel.

    Parameters
    ----------
    path : str or Path
        The export file (.csv, .txt, .xlsx, .xls, .sav).
    source : {"auto", "qualtrics", "limesurvey", "spss", "csv", "excel"}
        The tool that wrote it; ``"auto"`` recognises Qualtrics by its header rows, LimeSurvey
        by its ``submitdate``/``lastpage``/``startlanguage`` columns and SPSS by ``.sav``.
    id : str, optional
        The respondent id column, read as text (``007`` keeps its zeros; SPSS ``7.0`` -> ``7``).
    sheet : str or int
        The Excel sheet.
    limits : dict or Limits, optional
        Raise the reading limits for this call (see :func:`read_table` and
        :mod:`psychometrics.limits`).

    Returns
    -------
    DataFrame
        One row per response, in file order (nothing dropped), columns named as in the export.
        ``attrs["export"]`` holds ``source`` and what the reader found:

        * Qualtrics: ``question_text`` and ``import_ids`` (column -> the header rows removed),
          ``text_columns`` (``*_TEXT`` free-text columns, read as text);
        * Qualtrics and LimeSurvey: ``incomplete`` (0-based row positions of unfinished
          responses: Qualtrics ``Finished = 0``, LimeSurvey empty ``submitdate``), also in a
          boolean column ``incomplete`` added at the end. They are kept: decide yourself
          whether to drop them (their subscale scores are missing anyway when too few items
          were answered);
        * LimeSurvey: headings written as "code. question text" become the code, and the texts
          go to ``question_text``;
        * SPSS: ``variable_labels``, ``value_labels`` (column -> code -> label) and the
          user-defined missing codes: they become NaN, and ``user_missing`` counts, per
          column, which code was found how often (``user_missing_total`` in all).

    Raises
    ------
    ExportError
        Missing or unreadable file, unknown file type, or a ``source`` the file does not fit.
    LimitError
        A file beyond the reading limits.

    Notes
    -----
    Responses are returned as exported: codes stay codes, and response labels ("Never",
    "Nooit") stay text; :func:`psychometrics.score` maps an instrument's own labels to codes
    and reports any other text as invalid, naming column, row and label. SPSS value labels are
    not applied, because the codes are what scoring needs; the labels are in ``attrs``.
    On a plain CSV or Excel file the result equals :func:`read_table`'s.

    Examples
    --------
    >>> from psychometrics.io import example_path
    >>> df = read_export(example_path("mbi-hss-qualtrics.csv"), id="ResponseId")
    >>> df.attrs["export"]["source"], df.shape
    ('qualtrics', (200, 37))
    >>> df.attrs["export"]["import_ids"]["Q1_1"], df.attrs["export"]["incomplete"]
    ('QID1_1', [190])
    """
    if source not in SOURCES:
        raise ExportError(f"{path}: source must be one of {', '.join(SOURCES)}, not {source!r}")
    p = existing_file(path)
    lim = resolve_limits(limits)
    suffix = p.suffix.lower()
    if suffix in PARQUET_SUFFIXES and source == "auto":  # a table, as a survey tool never writes
        df = read_table(p, id=id)
        df.attrs["export"] = {"source": "parquet", "file": str(p)}
        return df
    _check_source(p, suffix, source)
    head: list[list[str]] = []
    if source == "auto":
        source, head = _detect(p, sheet, lim)
    elif source == "qualtrics":
        head = _raw_head(p, sheet, limits=lim)
    try:
        df, info = _read_as(p, source, head, sheet=sheet, id=id, limits=lim)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise ExportError(f"{p}: cannot be read as a {source} export: {str(exc)[:300]}") from None
    if id and id not in df.columns:
        raise ExportError(f"{p}: no column {id!r}; columns: {', '.join(map(str, df.columns[:15]))}")
    df.attrs["source"] = str(p)
    df.attrs["export"] = {"source": source, "file": str(p), **info}
    return df


def _check_source(p: Path, suffix: str, source: str) -> None:
    """An :class:`ExportError` when the file's type cannot hold a ``source`` export."""
    if suffix not in CSV_SUFFIXES + EXCEL_SUFFIXES + SPSS_SUFFIXES:
        raise ExportError(f"{p}: unknown file type {suffix!r} (use .csv, .xlsx or .sav)")
    kind = "spss" if suffix in SPSS_SUFFIXES else "excel" if suffix in EXCEL_SUFFIXES else "csv"
    wanted = {"spss": ("spss",), "excel": ("excel", "qualtrics", "limesurvey"),
              "csv": ("csv", "qualtrics", "limesurvey")}[kind]
    if source not in ("auto",) + wanted:
        raise ExportError(f"{p}: a {suffix} file cannot be a {source!r} export "
                          f"(use source={' or '.join(map(repr, wanted))})")


def _read_as(p: Path, source: str, head: list[list[str]], *, sheet, id: str | None,
             limits: Limits) -> tuple[pd.DataFrame, dict]:
    """The export read by the reader of its survey tool: (one row per response, what was learnt)."""
    if source == "qualtrics":
        return _read_qualtrics(p, head, sheet, id, limits)
    if source == "limesurvey":
        return _read_limesurvey(p, head, sheet, id, limits)
    if source == "spss":
        return _read_spss(p, id, limits)
    return read_table(p, sheet=sheet, id=id, limits=limits), {}
