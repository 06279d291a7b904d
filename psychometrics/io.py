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
:func:`match_items` checks an export against an instrument before anything is scored, and
:func:`write_table` writes results as CSV, Excel or SPSS (with variable and value labels).
"""

from __future__ import annotations

import csv
import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._results import Result, format_table
from .errors import DataError, ExportError

_ID_HINTS = ("id", "respondent", "responseid", "response_id", "participant", "subject")

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

_EXCEL = (".xlsx", ".xlsm", ".xls")
_CSV = (".csv", ".txt", ".tsv")
_SPSS = (".sav", ".zsav")
_LIME_CODE_TEXT = re.compile(r"^([A-Za-z][A-Za-z0-9_]*(?:\[[A-Za-z0-9_]+\])?)\. (.+)$", re.S)
_DECIMAL_COMMA = re.compile(r'^"?-?\d+,\d+"?$')
_DECIMAL_POINT = re.compile(r'^"?-?\d+\.\d+"?$')


# ---- plain tables ---------------------------------------------------------------------------

def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as such, else Windows-1252 (what
    Excel and older LimeSurvey versions write on Belgian and French Windows machines)."""
    with open(path, "rb") as fh:
        raw = fh.read(1 << 20)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(raw) - 4:  # not merely a multi-byte character cut at the block end
            return "cp1252"
    return "utf-8-sig"


def _sniff_csv(path: Path) -> tuple[str, str]:
    """Delimiter and decimal mark of a CSV file, from its first lines."""
    with open(path, encoding=_encoding(path), errors="replace", newline="") as fh:
        head = "".join(fh.readline() for _ in range(20))
    if not head.strip():
        raise ExportError(f"{path}: the file is empty")
    try:
        delim = csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        delim = ";" if head.count(";") > head.count(",") else ","
    # a decimal comma is only possible when the comma is not the delimiter; a file with
    # point decimals and no comma decimals keeps the point
    decimal = "."
    if delim != ",":
        fields = [f.strip() for f in re.split(re.escape(delim) + r"|\n", head)]
        if any(_DECIMAL_COMMA.match(f) for f in fields) or \
                not any(_DECIMAL_POINT.match(f) for f in fields):
            decimal = ","
    return delim, decimal


def csv_format(path: str | Path) -> tuple[str, str, str]:
    """Delimiter, decimal mark and encoding of a CSV file, as :func:`read_table` reads it
    (for readers that stream the file in chunks, :mod:`psychometrics.stream`)."""
    p = _existing(path)
    delim, decimal = _sniff_csv(p)
    return delim, decimal, _encoding(p)


def _existing(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise ExportError(f"{p}: no such file")
    if p.is_dir():
        raise ExportError(f"{p}: is a folder, not a data file")
    return p


def _id_as_text(df: pd.DataFrame, id: str | None) -> None:
    """SPSS and Excel store numeric ids as floats: 7.0 -> '7' (in place, on our own frame)."""
    if id and id in df and not pd.api.types.is_string_dtype(df[id]):
        text = df[id].astype("string").str.replace(r"\.0$", "", regex=True)
        df[id] = text.astype(object).where(df[id].notna(), None)


def read_table(path: str | Path, *, sheet: str | int = 0, id: str | None = None) -> pd.DataFrame:
    """Read a CSV, Excel or SPSS file into a DataFrame.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.txt`` (delimiter, decimal mark and encoding sniffed), ``.xlsx``/``.xls``,
        ``.sav``.
    sheet : str or int
        The Excel sheet.
    id : str, optional
        A column read as text (ids such as ``007`` keep their leading zeros).

    Returns
    -------
    DataFrame
        In file order, with a default RangeIndex; ``attrs["source"]`` names the file.

    See Also
    --------
    read_export : the survey-tool aware reader (Qualtrics, LimeSurvey, SPSS labels).

    Notes
    -----
    The delimiter is sniffed from the first 20 lines (``,``, ``;``, tab or ``|``). A file not
    separated by commas uses the decimal comma when one of those lines holds a number written
    with a comma (``2,5``) or none holds one written with a point. The encoding is UTF-8 (with
    or without BOM) when the bytes decode as such, else Windows-1252. Blank cells and pandas'
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
    p = _existing(path)
    suffix = p.suffix.lower()
    dtype = {id: str} if id else None
    try:
        if suffix in _CSV:
            delim, decimal = _sniff_csv(p)
            df = pd.read_csv(p, sep=delim, decimal=decimal, dtype=dtype, encoding=_encoding(p),
                             keep_default_na=True)
        elif suffix in _EXCEL:
            df = pd.read_excel(p, sheet_name=sheet, dtype=dtype)
        elif suffix in _SPSS:
            import pyreadstat
            df, _meta = pyreadstat.read_sav(str(p), user_missing=False)
            _id_as_text(df, id)
        elif suffix in (".parquet", ".pq"):
            from .stream import read_parquet
            df = read_parquet(p, id=id)
        else:
            raise ExportError(f"{p}: unknown file type {suffix!r} (use .csv, .xlsx or .sav)")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, ExportError):
            raise
        raise ExportError(f"{p}: cannot be read: {exc}") from None
    except Exception as exc:  # pyreadstat's own errors (corrupt or truncated .sav)
        if type(exc).__module__.startswith("pyreadstat"):
            raise ExportError(f"{p}: cannot be read as an SPSS file: {exc}") from None
        raise
    if id and id not in df.columns:
        raise ExportError(f"{p}: no column {id!r}; columns: {', '.join(map(str, df.columns[:15]))}")
    if suffix not in _SPSS and len(df) >= 2:
        cells = [str(v) for v in df.iloc[1].tolist() if isinstance(v, str) and v]
        if cells and sum(map(_is_import_id, cells)) >= len(cells) / 2:
            # the header rows would otherwise be scored as two respondents
            warnings.warn(f"{p} looks like a Qualtrics export: its first two rows are question "
                          "texts and import ids, not respondents. Read it with read_export().",
                          UserWarning, stacklevel=2)
    df.attrs["source"] = str(p)
    return df


# ---- survey-tool exports --------------------------------------------------------------------

def _raw_head(p: Path, sheet, nrows: int = 3) -> list[list[str]]:
    """The first rows of a CSV or Excel file as text, header included."""
    if p.suffix.lower() in _EXCEL:
        raw = pd.read_excel(p, sheet_name=sheet, header=None, nrows=nrows, dtype=str)
        return [["" if pd.isna(v) else str(v) for v in row] for row in raw.itertuples(index=False)]
    delim, _ = _sniff_csv(p)
    with open(p, encoding=_encoding(p), errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delim)
        return [row for _, row in zip(range(nrows), reader)]


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
            if key in names and head[1][names.index(key)] in ("Response ID", "ResponseID"):
                return 1
    return 0


def _is_limesurvey(columns) -> bool:
    return "submitdate" in columns and len(LIMESURVEY_META & set(columns)) >= 3 or \
        {"lastpage", "startlanguage"} <= set(columns)


def _detect(p: Path, sheet) -> tuple[str, list[list[str]]]:
    suffix = p.suffix.lower()
    if suffix in _SPSS:
        return "spss", []
    head = _raw_head(p, sheet)
    if not head:
        raise ExportError(f"{p}: the file is empty")
    if _qualtrics_header_rows(head):
        return "qualtrics", head
    names = [re.sub(_LIME_CODE_TEXT, r"\1", c) for c in head[0]]
    if _is_limesurvey(names):
        return "limesurvey", head
    return ("excel" if suffix in _EXCEL else "csv"), head


def _flag_incomplete(df: pd.DataFrame, incomplete: np.ndarray, info: dict) -> None:
    info["incomplete"] = [int(i) for i in np.flatnonzero(incomplete)]
    if INCOMPLETE in df.columns:
        info["incomplete_column"] = None  # the export already has such a column: attrs only
    else:
        df[INCOMPLETE] = incomplete
        info["incomplete_column"] = INCOMPLETE


def _read_qualtrics(p: Path, head, sheet, id) -> tuple[pd.DataFrame, dict]:
    extra = _qualtrics_header_rows(head)
    if not extra:
        raise ExportError(f"{p}: does not look like a Qualtrics export (no question-text row and "
                          "no ImportId row under the column names); use source='csv' or 'excel'")
    names = head[0]
    text_cols = [c for c in names if c.endswith("_TEXT")]
    dtype = {c: str for c in text_cols + ([id] if id else []) if c in names}
    skip = list(range(1, 1 + extra))
    if p.suffix.lower() in _EXCEL:
        df = pd.read_excel(p, sheet_name=sheet, skiprows=skip, dtype=dtype or None)
        _id_as_text(df, id)
    else:
        delim, decimal = _sniff_csv(p)
        df = pd.read_csv(p, sep=delim, decimal=decimal, skiprows=skip, dtype=dtype or None,
                         encoding=_encoding(p))
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


def _read_limesurvey(p: Path, head, sheet, id) -> tuple[pd.DataFrame, dict]:
    texts, rename = {}, {}
    for c in (head or _raw_head(p, sheet, 1))[0]:  # "code. question text" headings -> the code
        m = _LIME_CODE_TEXT.match(str(c))
        if m:
            rename[c], texts[m.group(1)] = m.group(1), m.group(2)
    original = {v: k for k, v in rename.items()}
    df = read_table(p, sheet=sheet, id=original.get(id, id))
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


def _read_spss(p: Path, id) -> tuple[pd.DataFrame, dict]:
    import pyreadstat
    try:
        df, meta = pyreadstat.read_sav(str(p), user_missing=True)
    except Exception as exc:
        if type(exc).__module__.startswith("pyreadstat"):
            raise ExportError(f"{p}: cannot be read as an SPSS file: {exc}") from None
        raise
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
    _id_as_text(df, id)
    info = {"variable_labels": {c: lab for c, lab in meta.column_names_to_labels.items() if lab},
            "value_labels": value_labels, "user_missing_codes": codes,
            "user_missing": reported,
            "user_missing_total": int(sum(sum(v.values()) for v in reported.values()))}
    return df, info


def read_export(path: str | Path, *, source: str = "auto", id: str | None = None,
                sheet: str | int = 0) -> pd.DataFrame:
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

    Notes
    -----
    Responses are returned as exported: codes stay codes, and response labels ("Never",
    "Nooit") stay text; :func:`psychometrics.score` maps an instrument's own labels to codes
    and reports any other text as invalid, naming column, row and label. SPSS value labels are
    not applied, because the codes are what scoring needs; the labels are in ``attrs``.
    On a plain CSV or Excel file the result equals :func:`read_table`'s.

    Examples
    --------
    >>> df = read_export(example_path("mbi-hss-qualtrics.csv"), id="ResponseId")
    >>> df.attrs["export"]["source"], df.shape
    ('qualtrics', (200, 37))
    >>> df.attrs["export"]["import_ids"]["Q1_1"], df.attrs["export"]["incomplete"]
    ('QID1_1', [190])
    """
    if source not in SOURCES:
        raise ExportError(f"{path}: source must be one of {', '.join(SOURCES)}, not {source!r}")
    p = _existing(path)
    suffix = p.suffix.lower()
    if suffix in (".parquet", ".pq") and source == "auto":  # a table, as a survey tool never writes
        df = read_table(p, id=id)
        df.attrs["export"] = {"source": "parquet", "file": str(p)}
        return df
    if suffix not in _CSV + _EXCEL + _SPSS:
        raise ExportError(f"{p}: unknown file type {suffix!r} (use .csv, .xlsx or .sav)")
    kind = "spss" if suffix in _SPSS else "excel" if suffix in _EXCEL else "csv"
    wanted = {"spss": ("spss",), "excel": ("excel", "qualtrics", "limesurvey"),
              "csv": ("csv", "qualtrics", "limesurvey")}[kind]
    if source not in ("auto",) + wanted:
        raise ExportError(f"{p}: a {suffix} file cannot be a {source!r} export "
                          f"(use source={' or '.join(map(repr, wanted))})")
    head: list[list[str]] = []
    if source == "auto":
        source, head = _detect(p, sheet)
    elif source == "qualtrics":
        head = _raw_head(p, sheet)
    try:
        if source == "qualtrics":
            df, info = _read_qualtrics(p, head, sheet, id)
        elif source == "limesurvey":
            df, info = _read_limesurvey(p, head, sheet, id)
        elif source == "spss":
            df, info = _read_spss(p, id)
        else:
            df, info = read_table(p, sheet=sheet, id=id), {}
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ExportError(f"{p}: cannot be read as a {source} export: {exc}") from None
    if id and id not in df.columns:
        raise ExportError(f"{p}: no column {id!r}; columns: {', '.join(map(str, df.columns[:15]))}")
    df.attrs["source"] = str(p)
    df.attrs["export"] = {"source": source, "file": str(p), **info}
    return df


# ---- the mapping check ----------------------------------------------------------------------

def _cell_values(col: pd.Series, labels: dict) -> tuple[np.ndarray, np.ndarray]:
    """One column -> (float codes, NaN = missing; mask of text that is neither a number, a
    missing marker nor a response label), read as :func:`psychometrics.score` reads cells."""
    from .scoring import MISSING_MARKERS

    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=float, na_value=np.nan), np.zeros(len(col), dtype=bool)
    text = col.astype("string").str.strip()
    missing = (text.isna() | text.isin(MISSING_MARKERS)).to_numpy(dtype=bool)
    num = pd.to_numeric(text.mask(missing), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    values = num.copy()
    unparsed = np.isnan(num) & ~missing
    if unparsed.any():
        mapped = text[unparsed].str.casefold().map(labels)
        values[unparsed] = mapped.to_numpy(dtype=float, na_value=np.nan)
        unparsed[unparsed] = mapped.isna().to_numpy()
    return values, unparsed


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

    @property
    def ok(self) -> bool:
        """True when every item is mapped, no cell is invalid and no shift is suspected."""
        return not self.missing and not self.invalid and self.off_by_one is None

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
    >>> df = read_export(example_path("mbi-hss-qualtrics.csv"), id="ResponseId")
    >>> rep = match_items(df, "mbi-hss", id="ResponseId")
    >>> len(rep.missing), rep.suggestion
    (22, 'Q1_{n}')
    >>> rep = match_items(df, "mbi-hss", items="Q1_{n}")
    >>> len(rep.found), rep.invalid["Q1_5"]
    (22, {'count': 1, 'values': [7]})
    """
    from .instruments import load_instrument
    from .scoring import item_mapping, resolve_items

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
    meta = set(QUALTRICS_META | LIMESURVEY_META) | {INCOMPLETE} | set(text_cols)
    if id is not None:
        meta.add(str(id))
    labels = {lab.strip().casefold(): code for labs in inst.scale.labels.values()
              for code, lab in zip(inst.scale.codes, labs)}
    codes = sorted(set(inst.scale.codes))
    lo, hi = codes[0], codes[-1]
    pos = {c: j for j, c in enumerate(columns)}

    labelled, invalid = [], {}
    all_vals = []
    for item_id, col in found.items():  # loop over the instrument's items, vectorised within
        s = data.iloc[:, pos[col]]
        vals, text_bad = _cell_values(s, labels)
        if not pd.api.types.is_numeric_dtype(s):
            text = s.astype("string").str.strip()
            numeric = pd.to_numeric(text, errors="coerce").notna().to_numpy()
            if (~numeric & ~np.isnan(vals)).any():
                labelled.append(col)
        item_codes = np.array(sorted(inst.item_codes(inst.item(item_id))), dtype=float)
        answered = ~np.isnan(vals)
        out = answered & ~np.isin(vals, item_codes)
        bad = out | text_bad
        if bad.any():
            raw = s[bad]
            shown = list(dict.fromkeys(v.item() if isinstance(v, np.generic) else v
                                       for v in raw.tolist()))[:5]
            shown = [int(v) if isinstance(v, float) and v.is_integer() else v for v in shown]
            invalid[col] = {"count": int(bad.sum()), "values": shown}
        all_vals.append(vals[answered])

    off = None
    if all_vals:
        v = np.concatenate(all_vals) if all_vals else np.array([])
        if v.size:
            vmin, vmax = float(v.min()), float(v.max())
            if vmax == hi + 1 and not (v == lo).any() and vmin >= lo + 1:
                off = 1
            elif vmin == lo - 1 and not (v == hi).any() and vmax <= hi - 1:
                off = -1
            if off:
                shifted = [c for c, vals in zip(found.values(), all_vals)
                           if vals.size and (vals == (hi + 1 if off > 0 else lo - 1)).any()]
                off = {"shift": off, "observed": [vmin, vmax], "scale": [lo, hi],
                       "columns": shifted}
                # the shifted codes are what the flag explains; do not also call them invalid
                edge = hi + 1 if off["shift"] > 0 else lo - 1
                for c in list(invalid):
                    if all(x == edge for x in invalid[c]["values"]):
                        del invalid[c]

    # columns that look like items but are not mapped
    templates = {_template(c) for c in found.values()}
    ok_codes = set(codes) | {lo - 1, hi + 1}
    unmapped = []
    for c in columns:
        if c in found.values() or c in meta:
            continue
        if templates and _template(c) in templates and re.search(r"\d", c):
            unmapped.append(c)
            continue
        if not re.search(r"\d", c):
            continue
        vals, text_bad = _cell_values(data.iloc[:, pos[c]], labels)
        vals = vals[~np.isnan(vals)]
        if vals.size >= 2 and not text_bad.any() and set(np.unique(vals)) <= ok_codes \
                and len(np.unique(vals)) >= 2:
            unmapped.append(c)
    suggestion = _suggest_pattern(columns, [it.number for it in inst.items]) if missing else None
    if suggestion is not None:
        try:  # a pattern the scoring functions accept, else the mapping it stands for
            resolve_items(columns, inst, suggestion)
        except DataError:
            suggestion = {it.id: suggestion.format(n=it.number) for it in inst.items}
    return MatchReport(instrument=inst.id, found=found, missing=missing, expected=expected,
                       unmapped=unmapped, suggestion=suggestion, labelled=labelled,
                       invalid=invalid, off_by_one=off,
                       text_columns=list(export.get("text_columns", text_cols)))


# ---- writers --------------------------------------------------------------------------------

def _spss_name(name: str, taken: set[str]) -> str:
    """A valid SPSS variable name: letters, digits and ``_.@#$``, starting with a letter."""
    out = re.sub(r"[^A-Za-z0-9_.@#$]", "_", str(name)).strip("._") or "var"
    if not out[0].isalpha():
        out = "v" + out
    out = out[:64]
    base, k = out, 1
    while out.lower() in taken:
        k += 1
        out = f"{base[:60]}_{k}"
    taken.add(out.lower())
    return out


def _auto_variable_labels(df: pd.DataFrame, lang: str) -> dict[str, str]:
    """Variable labels from the scoring report in ``attrs``: subscale names of the instrument."""
    labels = dict(df.attrs.get("variable_labels") or {})
    info = df.attrs.get("psychometrics") or {}
    if info.get("instrument"):
        from .errors import PsychometricsError
        from .instruments import load_instrument
        try:
            inst = load_instrument(info["instrument"], form=info.get("form"), warn=False)
        except PsychometricsError:
            return labels
        for sid, sub in inst.subscales.items():
            name = sub.name.get(lang) or sub.name.get("en") or next(iter(sub.name.values()))
            labels.setdefault(sid, f"{name} ({inst.id})")
            labels.setdefault(f"{sid}_n", f"{name}: items answered")
    return labels


def _coded(s: pd.Series) -> tuple[pd.Series, dict] | None:
    """A categorical, boolean or few-valued text column as 1..k codes with labels."""
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float), {0: "no", 1: "yes"}
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = list(s.cat.categories)
        codes = s.cat.codes.astype(float).where(s.cat.codes >= 0) + 1
        return codes, {i + 1: str(c) for i, c in enumerate(cats)}
    if pd.api.types.is_string_dtype(s) or s.dtype == object:
        vals = s.dropna()
        if vals.empty or not all(isinstance(v, str) for v in vals):
            return None
        levels = sorted(vals.unique())
        if len(levels) > 20 or len(levels) == len(vals) and len(levels) > 2:
            return None  # ids and free text stay text
        lookup = {lev: i + 1 for i, lev in enumerate(levels)}
        return s.map(lookup).astype(float), {i + 1: lev for i, lev in enumerate(levels)}
    return None


def write_table(df: pd.DataFrame, path: str | Path, *, id: str | None = None,
                variable_labels: Mapping[str, str] | None = None,
                value_labels: Mapping[str, Mapping] | None = None, lang: str = "en",
                sep: str = ",", decimal: str = ".") -> Path:
    """Write a result table as CSV, Excel, SPSS or JSON, by the file's extension.

    Parameters
    ----------
    df : DataFrame
        Scores, norms, classifications... Never modified. The index is written only when it
        is not a plain 0..n-1 range, so respondent labels are never lost.
    path : str or Path
        ``.csv``, ``.xlsx``, ``.sav`` or ``.json``.
    id : str, optional
        The respondent id column: kept as text in every format.
    variable_labels : dict, optional
        SPSS only: column -> label. Without it, the subscale columns of a
        :func:`~psychometrics.score` result are labelled with the subscale's name (in
        ``lang``) and ``attrs["variable_labels"]`` is used when present; other columns get
        their own name when it had to be changed into a valid SPSS name.
    value_labels : dict, optional
        SPSS only: column -> {code: label} for numeric columns. Text, boolean and categorical
        columns (bands, classifications) with at most 20 levels are written as codes 1..k with
        their levels as value labels (a Categorical's order, else sorted; booleans 0/1 =
        no/yes); ``attrs["value_labels"]`` is used when present.
    lang : str
        Language of the automatic variable labels.
    sep, decimal : str
        CSV only: ``sep=";", decimal=","`` writes what a Belgian or French Excel opens directly.

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile, os, pyreadstat
    >>> df = pd.DataFrame({"id": ["007", "008"], "EE": [27.0, 12.0],
    ...                    "band": pd.Categorical(["high", "low"], ["low", "average", "high"])})
    >>> p = write_table(df, os.path.join(tempfile.mkdtemp(), "scores.sav"), id="id")
    >>> back, meta = pyreadstat.read_sav(str(p))
    >>> back["id"].tolist(), back["band"].tolist(), meta.variable_value_labels["band"]
    (['007', '008'], [3.0, 1.0], {1.0: 'low', 2.0: 'average', 3.0: 'high'})
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"write_table needs a DataFrame, not {type(df).__name__}")
    p = Path(path)
    suffix = p.suffix.lower()
    keep_index = not isinstance(df.index, pd.RangeIndex)
    if id is not None and id not in df.columns:
        raise DataError(f"id column {id!r} is not in the table; columns: "
                        f"{', '.join(map(str, list(df.columns)[:15]))}")
    try:
        if suffix in (".csv", ".txt"):
            df.to_csv(p, index=keep_index, sep=sep, decimal=decimal)
        elif suffix in (".xlsx", ".xlsm"):
            out = df.copy()
            for c in out.columns:  # Excel has no time zones
                if isinstance(out[c].dtype, pd.DatetimeTZDtype):
                    out[c] = out[c].dt.tz_localize(None)
            out.to_excel(p, index=keep_index)
        elif suffix == ".sav":
            _write_sav(df, p, id=id, keep_index=keep_index, variable_labels=variable_labels,
                       value_labels=value_labels, lang=lang)
        elif suffix == ".json":
            df.to_json(p, orient="records", force_ascii=False, indent=2)
        elif suffix in (".parquet", ".pq"):
            from .stream import write_parquet
            write_parquet(df, p)
        else:
            raise ExportError(f"{p}: unknown output type {suffix!r} (use .csv, .xlsx, .sav or .json)")
    except OSError as exc:
        raise ExportError(f"{p}: cannot be written: {exc}") from None
    return p


def _write_sav(df, p, *, id, keep_index, variable_labels, value_labels, lang) -> None:
    import pyreadstat

    src = df.reset_index(names=[n or "respondent" for n in df.index.names]) if keep_index else df
    auto_labels = _auto_variable_labels(df, lang)
    given_labels = dict(variable_labels or {})
    vlabels_in = {**(df.attrs.get("value_labels") or {}), **dict(value_labels or {})}
    taken: set[str] = set()
    out = pd.DataFrame(index=range(len(src)))
    col_labels, val_labels = {}, {}
    for j, col in enumerate(src.columns):
        name = _spss_name(col, taken)
        s = src.iloc[:, j].reset_index(drop=True)
        label = given_labels.get(col, auto_labels.get(col))
        id_like = str(col).lower().replace(" ", "_") in _ID_HINTS
        if col == id or id_like or (keep_index and j < src.shape[1] - df.shape[1]):
            s = s.astype("string").astype(object).where(s.notna(), None)
        elif col in vlabels_in:
            val_labels[name] = {float(k): str(v) for k, v in vlabels_in[col].items()}
            s = pd.to_numeric(s, errors="raise")
        else:
            coded = _coded(s)
            if coded is not None:
                s, val_labels[name] = coded[0], {float(k): v for k, v in coded[1].items()}
            elif pd.api.types.is_string_dtype(s) or s.dtype == object:
                s = s.astype("string").astype(object).where(s.notna(), None)
        if label is None and name != str(col):
            label = str(col)
        if label:
            col_labels[name] = label
        out[name] = s
    pyreadstat.write_sav(out, str(p), column_labels=col_labels or None,
                         variable_value_labels=val_labels or None)


# ---- bundled example data -------------------------------------------------------------------

def example_path(name: str) -> Path:
    """Path of a bundled example file (installed package or source checkout).

    Examples
    --------
    >>> example_path("mbi-hss-qualtrics.csv").name
    'mbi-hss-qualtrics.csv'
    """
    from .instruments import data_dir

    folder = data_dir("examples")
    p = folder / name
    if not p.is_file():
        raise ExportError(f"no example file {name!r}; examples: {', '.join(list_examples())}")
    return p


def list_examples() -> list[str]:
    """Names of the bundled example files, sorted.

    Examples
    --------
    >>> "olbi-limesurvey.csv" in list_examples()
    True
    """
    from .instruments import data_dir

    folder = data_dir("examples")
    return sorted(p.name for p in folder.iterdir()
                  if p.is_file() and p.suffix in (".csv", ".yaml", ".sav"))
