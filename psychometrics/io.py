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

import codecs
import csv
import functools
import html
import json
import re
import warnings
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from ._results import Result, format_table
from .errors import DataError, ExportError
from .limits import Limits, exceeded, resolve_limits

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

#: pandas' own missing-value markers, applied to every column but the id column (ids such as
#: ``NA``, ``None`` or ``NULL`` are initials, not missing values).
NA_MARKERS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
              "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")

_DELIMITERS = ("\t", ";", "|", ",")  # preference order when several fit: the comma may be a decimal
_QUOTED = re.compile(r'"(?:[^"]|"")*"')


@functools.lru_cache(maxsize=32)
def _encoding_of(path: str, size: int, mtime: float) -> str:
    with open(path, "rb") as fh:
        start = fh.read(4)
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and \
                not start.startswith(codecs.BOM_UTF32_LE):
            return "utf-16"  # Excel's "Unicode text"
        fh.seek(0)
        # the whole file, in blocks: an accented cp1252 byte may come after the first MiB
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while block := fh.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def _encoding(path: Path) -> str:
    """UTF-16 when the file starts with its byte-order mark (Excel's "Unicode text"), UTF-8
    (with or without BOM) when the whole file decodes as such, else Windows-1252 (what Excel
    and older LimeSurvey versions write on Belgian and French Windows machines)."""
    st = path.stat()
    return _encoding_of(str(path), st.st_size, st.st_mtime)


def _delimiter(lines: list[str]) -> str | None:
    """The delimiter found on the header line and the same number of times on every data line
    (as often as on the header, or once more: a delimiter ending every data row), quoted text
    left out; tab, ``;`` and ``|`` before the comma, which may be a decimal mark."""
    lines = [_QUOTED.sub("", ln) for ln in lines if ln.strip()]
    if not lines:
        return None
    for d in _DELIMITERS:
        h = lines[0].count(d)
        data = {ln.count(d) for ln in lines[1:]}
        if h and (not data or data == {h} or data == {h + 1}):
            return d
    return None


def _sniff_csv(path: Path) -> tuple[str, str]:
    """Delimiter and decimal mark of a CSV file, from its first lines."""
    with open(path, encoding=_encoding(path), errors="replace", newline="") as fh:
        lines = [fh.readline(1 << 20) for _ in range(20)]
    head = "".join(lines)
    if not head.strip():
        raise ExportError(f"{path}: the file is empty")
    delim = _delimiter([ln.rstrip("\r\n") for ln in lines if ln.endswith("\n")] or lines)
    if delim is None:
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
    if not isinstance(path, (str, Path)):
        raise ExportError(f"the file must be a path (str or Path), not {type(path).__name__}")
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


def _longest_run(blocks, stops: bytes, stop_at: int) -> int:
    """The longest run of bytes holding none of ``stops`` (an upper bound of a cell's length),
    block by block; stops counting once it passes ``stop_at``."""
    stop = np.frombuffer(stops, dtype=np.uint8)
    best = run = 0
    for block in blocks:
        a = np.frombuffer(block, dtype=np.uint8)
        pos = np.flatnonzero(np.isin(a, stop))
        if not pos.size:
            run += a.size
        else:
            best = max(best, run + int(pos[0]),
                       int(np.diff(pos).max()) - 1 if pos.size > 1 else 0)
            run = a.size - int(pos[-1]) - 1
        best = max(best, run)
        if best > stop_at:
            break
    return best


def _blocks(fh, size: int = 1 << 20):
    while block := fh.read(size):
        yield block


def _check_shape(p: Path, df: pd.DataFrame, limits: Limits) -> None:
    """Rows, columns and cell lengths of a table just read."""
    rows, cols = df.shape
    if rows > limits.max_rows:
        raise exceeded(f"{p}: rows", "max_rows", rows, limits.max_rows)
    if cols > limits.max_columns:
        raise exceeded(f"{p}: columns", "max_columns", cols, limits.max_columns)
    if rows * cols > limits.max_cells:
        raise exceeded(f"{p}: cells (rows x columns)", "max_cells", rows * cols, limits.max_cells)
    for j in range(cols):  # loop over columns; each is checked vectorised
        s = df.iloc[:, j]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        lengths = s.astype("string").str.len()
        if lengths.max(skipna=True) > limits.max_cell_chars if lengths.notna().any() else False:
            r = int(np.nanargmax(lengths.to_numpy(dtype=float, na_value=np.nan)))
            raise exceeded(f"{p}: column {str(df.columns[j])[:80]!r}, row {r + 1}: characters in "
                           "one cell", "max_cell_chars", int(lengths.iloc[r]), limits.max_cell_chars)


def _check_csv_size(p: Path, delim: str, encoding: str, limits: Limits) -> None:
    size = p.stat().st_size
    if size > limits.max_bytes:
        raise exceeded(f"{p}: file size in bytes", "max_bytes", size, limits.max_bytes)
    if encoding == "utf-16":
        return  # two bytes a character: the cells are checked once read
    # a cell cannot be longer than the longest run without a delimiter or line break
    # (UTF-8: up to 4 bytes a character)
    most = 4 * limits.max_cell_chars + 2
    with open(p, "rb") as fh:
        run = _longest_run(_blocks(fh), (delim + "\n").encode(), most)
    if run > most:
        raise exceeded(f"{p}: bytes without a delimiter or line break (one cell)", "max_cell_chars",
                       run, limits.max_cell_chars)


def _mangle(names: list[str]) -> list[str]:
    """Unique column names as pandas makes them (``Q1``, ``Q1.1``)."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        out.append(n if k == 0 else f"{n}.{k}")
        seen[n] = k + 1
    return out


def _read_csv(p: Path, *, id: str | None, dtype=None, skip: int = 0,
              limits: Limits) -> pd.DataFrame:
    """``pd.read_csv`` with the sniffed dialect, the limits checked, and the traps of
    survey exports caught: a delimiter at the end of every data row (which makes pandas take
    the first column for the index and shift every other column by one), rows written with
    another delimiter, ids ``NA``/``None`` read as missing."""
    delim, decimal = _sniff_csv(p)
    enc = _encoding(p)
    _check_csv_size(p, delim, enc, limits)
    with open(p, encoding=enc, errors="replace", newline="") as fh:
        head = [row for _, row in zip(range(skip + 2), csv.reader(fh, delimiter=delim))]
    header = head[0] if head else []
    if len(header) > limits.max_columns:
        raise exceeded(f"{p}: columns", "max_columns", len(header), limits.max_columns)
    first = head[skip + 1] if len(head) > skip + 1 else None
    kw: dict = {"sep": delim, "decimal": decimal, "encoding": enc, "dtype": dtype,
                "skiprows": list(range(1, 1 + skip)) or None}
    trailing = first is not None and len(first) == len(header) + 1 and not first[-1].strip()
    extra = "\x00trailing delimiter"
    names = _mangle([*header, extra]) if trailing else _mangle(header)
    if trailing:
        kw.update(names=names, header=0)
    if id is not None:
        kw.update(keep_default_na=False, na_values={c: list(NA_MARKERS) for c in names if c != id}
                  | {id: [""]})
    df = pd.read_csv(p, **kw)
    if trailing:
        extra_cells = df[extra].notna().to_numpy()
        if extra_cells.any():
            pos = np.flatnonzero(extra_cells)
            raise ExportError(f"{p}: row {int(pos[0]) + 1} has more cells than the header "
                              f"({len(header)} columns; {int(extra_cells.sum())} row(s) in all), "
                              "so the columns cannot be matched to their names")
        df = df.drop(columns=extra)
    _other_delimiter_rows(p, df, delim)
    if decimal == ",":
        _decimal_comma_text(df, keep=id)
    return df


def _other_delimiter_rows(p: Path, df: pd.DataFrame, delim: str) -> None:
    """A row written with another delimiter (``b;2;3`` in a comma file) lands whole in the
    first column, the others empty: an error, not a respondent with a strange id."""
    if df.shape[1] < 2 or not len(df):
        return
    first = df.iloc[:, 0]
    if pd.api.types.is_numeric_dtype(first):
        return
    others = [d for d in _DELIMITERS if d != delim]
    text = first.astype("string")
    rest_empty = df.iloc[:, 1:].isna().all(axis=1).to_numpy()
    has_other = np.zeros(len(df), dtype=bool)
    for d in others:  # loop over the three other delimiters
        has_other |= (text.str.count(re.escape(d)) >= min(df.shape[1] - 1, 2)).to_numpy(
            dtype=bool, na_value=False)
    bad = rest_empty & has_other
    if bad.any():
        pos = np.flatnonzero(bad)
        raise ExportError(f"{p}: row {int(pos[0]) + 1} ({str(first.iloc[pos[0]])[:60]!r}) seems written "
                          f"with another delimiter than the file's {delim!r}: its cells all land in the "
                          f"first column ({len(pos)} such row(s)); fix the file")


def _decimal_comma_text(df: pd.DataFrame, keep: str | None = None) -> None:
    """In a decimal-comma file, a column holding text (a response label) stays text; its
    numbers ``3,0`` are still numbers (in place, on our own frame). The id column ``keep``
    stays text."""
    for j in range(df.shape[1]):  # loop over columns, vectorised within
        s = df.iloc[:, j]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s) or \
                (keep is not None and str(df.columns[j]) == str(keep)):
            continue
        text = s.astype("string").str.strip()
        m = text.str.fullmatch(r"-?\d+,\d+").to_numpy(dtype=bool, na_value=False)
        if m.any():
            col = s.astype(object).copy()
            col[m] = text[m].str.replace(",", ".", regex=False).astype(float).to_numpy()
            df[df.columns[j]] = col


_SHEET = re.compile(r'<sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_REL = re.compile(r'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
_REL2 = re.compile(r'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')
_XML_CELL = re.compile(rb'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _check_xlsx(p: Path, sheet, limits: Limits) -> list[tuple[str, int, int, str]]:
    st = p.stat()  # a workbook is checked once, not again for its header rows
    return list(_check_xlsx_cached(str(p), st.st_size, st.st_mtime_ns, sheet, limits))


@functools.lru_cache(maxsize=16)
def _check_xlsx_cached(path: str, size: int, mtime: int, sheet,
                       limits: Limits) -> tuple[tuple[str, int, int, str], ...]:
    return tuple(_inspect_xlsx(Path(path), sheet, limits))


def _inspect_xlsx(p: Path, sheet, limits: Limits) -> list[tuple[str, int, int, str]]:
    """Check an .xlsx file before it is loaded: a real zip holding a workbook, uncompressed
    size and cell length within the limits. Returns the cells of ``sheet`` whose value is
    unreadable: ``(ref, row, column, what)`` for error cells (``#DIV/0!``) and formulas without
    a stored value (both read as empty by pandas)."""
    try:
        zf = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ExportError(f"{p}: not a valid .xlsx workbook ({exc}); is the file complete, and "
                          "really an Excel file?") from None
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > limits.max_bytes:
            raise exceeded(f"{p}: uncompressed size of the workbook in bytes", "max_bytes", total,
                           limits.max_bytes)
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names:
            raise ExportError(f"{p}: not an Excel workbook (the zip holds no xl/workbook.xml)")
        # a cell's text is a run of bytes without '<' (escaped in XML); 6 bytes a character
        # at most (UTF-8 or an entity such as &amp;)
        most = 6 * limits.max_cell_chars + 64
        try:
            for info in infos:
                if info.filename.endswith(".xml") and info.filename.startswith("xl/"):
                    with zf.open(info) as fh:
                        run = _longest_run(_blocks(fh), b"<", most)
                    if run > most:
                        raise exceeded(f"{p}: bytes of one cell or text in {info.filename}",
                                       "max_cell_chars", run, limits.max_cell_chars)
            target = _sheet_file(zf, sheet)
            if target is None or target not in names:
                return []
            with zf.open(target) as fh:
                return _unreadable_cells(fh)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as exc:
            raise ExportError(f"{p}: a corrupt .xlsx workbook ({type(exc).__name__}: {exc}); is "
                              "the file complete?") from None


def _sheet_file(zf: zipfile.ZipFile, sheet) -> str | None:
    """The zip member of a sheet given by name or position."""
    book = zf.read("xl/workbook.xml")[: 1 << 20].decode("utf-8", "replace")
    sheets = _SHEET.findall(book)
    try:
        rels_text = zf.read("xl/_rels/workbook.xml.rels")[: 1 << 20].decode("utf-8", "replace")
    except KeyError:
        return None
    rels = dict(_REL.findall(rels_text)) | {k: v for v, k in _REL2.findall(rels_text)}
    if isinstance(sheet, str):
        rid = next((r for name, r in sheets if html.unescape(name) == sheet), None)
    elif isinstance(sheet, (int, np.integer)) and 0 <= sheet < len(sheets):
        rid = sheets[int(sheet)][1]
    else:
        return None
    target = rels.get(rid or "")
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def _unreadable_cells(fh) -> list[tuple[str, int, int, str]]:
    found = []
    carry = b""
    for block in _blocks(fh):
        buf = carry + block
        cut = buf.rfind(b"</c>")
        cut = len(buf) if cut < 0 and len(buf) > (1 << 22) else cut + 4 if cut >= 0 else 0
        part, carry = buf[:cut], buf[cut:]
        if b't="e"' not in part and b"<f" not in part:
            continue
        for m in _XML_CELL.finditer(part):  # only blocks holding errors or formulas get here
            attrs, body = m.group(1), m.group(2) or b""
            ref = _CELL_REF.search(attrs)
            if ref is None:
                continue
            what = None
            if b't="e"' in attrs:
                v = re.search(rb"<v>([^<]*)</v>", body)
                what = f"the error {v.group(1).decode('utf-8', 'replace') if v else '(error)'}"
            elif b"<f" in body and not re.search(rb"<v>[^<]+</v>", body):
                what = "a formula without a stored value"
            if what:
                col, row = ref.group(1).decode(), int(ref.group(2))
                found.append((f"{col}{row}", row, _column_number(col), what))
                if len(found) >= 1000:
                    return found
    return found


def _read_excel(p: Path, *, sheet, id: str | None, dtype=None, skip: int = 0, header=0,
                nrows=None, limits: Limits) -> pd.DataFrame:
    """``pd.read_excel`` after :func:`_check_xlsx`, its many errors turned into ExportError;
    error cells and formulas without a value are listed in ``attrs["unreadable_cells"]``."""
    suffix = p.suffix.lower()
    bad: list = []
    if suffix in (".xlsx", ".xlsm"):
        bad = _check_xlsx(p, sheet, limits)
    elif p.stat().st_size > limits.max_bytes:
        raise exceeded(f"{p}: file size in bytes", "max_bytes", p.stat().st_size, limits.max_bytes)
    kw: dict = {"sheet_name": sheet, "dtype": dtype, "header": header, "nrows": nrows,
                "skiprows": list(range(1, 1 + skip)) or None}
    try:
        if id is not None and header == 0:
            cols = [str(c) for c in pd.read_excel(p, sheet_name=sheet, nrows=0).columns]
            kw.update(keep_default_na=False,
                      na_values={c: list(NA_MARKERS) for c in cols if c != id} | {id: [""]})
        df = pd.read_excel(p, **kw)
    except ImportError as exc:
        raise ExportError(f"{p}: reading {suffix} files needs an extra package ({exc}); save "
                          "the file as .xlsx or .csv") from None
    except (ValueError, IndexError) as exc:  # a missing sheet
        if "not found" in str(exc) or "invalid" in str(exc).lower() or isinstance(exc, IndexError):
            raise ExportError(f"{p}: no sheet {sheet!r} ({exc})") from None
        raise ExportError(f"{p}: cannot be read as an Excel workbook: {exc}") from None
    except (KeyError, zipfile.BadZipFile, zlib.error, EOFError, OSError, TypeError,
            AttributeError) as exc:
        raise ExportError(f"{p}: cannot be read as an Excel workbook "
                          f"({type(exc).__name__}: {str(exc)[:200]}); is the file complete?") from None
    except InvalidFileException as exc:
        raise ExportError(f"{p}: cannot be read as an Excel workbook: {str(exc)[:200]}") from None
    if bad and header == 0:
        first = 2 + skip  # Excel row of the first data row
        cells = []
        for ref, row, col, what in bad:
            if row >= first and col < df.shape[1]:
                cells.append({"column": str(df.columns[col]), "row": row - first + 1, "cell": ref,
                              "problem": what})
        if cells:
            df.attrs["unreadable_cells"] = cells
            warnings.warn(f"{p}: {len(cells)} cell(s) read as empty because Excel stored no value "
                          f"in them, e.g. cell {cells[0]['cell']} (column {cells[0]['column']!r}, row "
                          f"{cells[0]['row']}): {cells[0]['problem']}. Scoring refuses them in item "
                          "columns; recompute and save the workbook in Excel, or fix the cells",
                          UserWarning, stacklevel=3)
    return df


def _read_sav(p: Path, *, user_missing: bool, limits: Limits):
    import pyreadstat
    try:
        _, meta = pyreadstat.read_sav(str(p), metadataonly=True)
        rows, cols = int(meta.number_rows or 0), int(meta.number_columns or 0)
        if rows > limits.max_rows:
            raise exceeded(f"{p}: rows", "max_rows", rows, limits.max_rows)
        if cols > limits.max_columns:
            raise exceeded(f"{p}: columns", "max_columns", cols, limits.max_columns)
        if rows * cols > limits.max_cells:
            raise exceeded(f"{p}: cells (rows x columns)", "max_cells", rows * cols, limits.max_cells)
        width = sum(max(8, int(w or 8)) for w in (meta.variable_storage_width or {}).values())
        if rows * width > limits.max_bytes:
            raise exceeded(f"{p}: uncompressed data size in bytes", "max_bytes", rows * width,
                           limits.max_bytes)
        return pyreadstat.read_sav(str(p), user_missing=user_missing)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as exc:
        raise ExportError(f"{p}: cannot be read as an SPSS file: {str(exc)[:200]}") from None


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
    p = _existing(path)
    lim = resolve_limits(limits)
    suffix = p.suffix.lower()
    dtype = {id: str} if id else None
    try:
        if suffix in _CSV:
            df = _read_csv(p, id=id, dtype=dtype, limits=lim)
        elif suffix in _EXCEL:
            df = _read_excel(p, sheet=sheet, id=id, dtype=dtype, limits=lim)
        elif suffix in _SPSS:
            df, _meta = _read_sav(p, user_missing=False, limits=lim)
            _id_as_text(df, id)
        elif suffix in (".parquet", ".pq"):
            from .stream import read_parquet
            df = read_parquet(p, id=id)
        else:
            raise ExportError(f"{p}: unknown file type {suffix!r} (use .csv, .xlsx or .sav)")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise ExportError(f"{p}: cannot be read: {str(exc)[:300]}") from None
    _check_shape(p, df, lim)
    _warn_duplicate_names(p, df)
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


def _warn_duplicate_names(p: Path, df: pd.DataFrame) -> None:
    """pandas renames a repeated column name ``Q1`` to ``Q1.1``: say so, as the second
    column is then not what the name says."""
    renamed = [str(c) for c in df.columns if re.search(r"\.\d+$", str(c))
               and re.sub(r"\.\d+$", "", str(c)) in map(str, df.columns)]
    if renamed:
        warnings.warn(f"{p}: repeated column names; the repeats were renamed {renamed[:8]}",
                      UserWarning, stacklevel=3)


# ---- survey-tool exports --------------------------------------------------------------------

def _raw_head(p: Path, sheet, nrows: int = 3, limits: Limits | None = None) -> list[list[str]]:
    """The first rows of a CSV or Excel file as text, header included."""
    if p.suffix.lower() in _EXCEL:
        raw = _read_excel(p, sheet=sheet, id=None, header=None, nrows=nrows, dtype=str,
                          limits=limits or resolve_limits())
        return [["" if pd.isna(v) else str(v) for v in row] for row in raw.itertuples(index=False)]
    delim, _ = _sniff_csv(p)
    with open(p, encoding=_encoding(p), errors="replace", newline="") as fh:
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
    if suffix in _SPSS:
        return "spss", []
    head = _raw_head(p, sheet, limits=limits)
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


def _read_qualtrics(p: Path, head, sheet, id, limits: Limits) -> tuple[pd.DataFrame, dict]:
    extra = _qualtrics_header_rows(head)
    if not extra:
        raise ExportError(f"{p}: does not look like a Qualtrics export (no question-text row and "
                          "no ImportId row under the column names); use source='csv' or 'excel'")
    names = head[0]
    text_cols = [c for c in names if c.endswith("_TEXT")]
    dtype = {c: str for c in text_cols + ([id] if id else []) if c in names}
    if p.suffix.lower() in _EXCEL:
        df = _read_excel(p, sheet=sheet, id=id, skip=extra, dtype=dtype or None, limits=limits)
        _id_as_text(df, id)
    else:
        df = _read_csv(p, id=id, skip=extra, dtype=dtype or None, limits=limits)
    _check_shape(p, df, limits)
    _warn_duplicate_names(p, df)
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
    df, meta = _read_sav(p, user_missing=True, limits=limits)
    _check_shape(p, df, limits)
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
                sheet: str | int = 0, limits=None) -> pd.DataFrame:
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
    >>> df = read_export(example_path("mbi-hss-qualtrics.csv"), id="ResponseId")
    >>> df.attrs["export"]["source"], df.shape
    ('qualtrics', (200, 37))
    >>> df.attrs["export"]["import_ids"]["Q1_1"], df.attrs["export"]["incomplete"]
    ('QID1_1', [190])
    """
    if source not in SOURCES:
        raise ExportError(f"{path}: source must be one of {', '.join(SOURCES)}, not {source!r}")
    p = _existing(path)
    lim = resolve_limits(limits)
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
        source, head = _detect(p, sheet, lim)
    elif source == "qualtrics":
        head = _raw_head(p, sheet, limits=lim)
    try:
        if source == "qualtrics":
            df, info = _read_qualtrics(p, head, sheet, id, lim)
        elif source == "limesurvey":
            df, info = _read_limesurvey(p, head, sheet, id, lim)
        elif source == "spss":
            df, info = _read_spss(p, id, lim)
        else:
            df, info = read_table(p, sheet=sheet, id=id, limits=lim), {}
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise ExportError(f"{p}: cannot be read as a {source} export: {str(exc)[:300]}") from None
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

    if pd.api.types.is_bool_dtype(col):  # TRUE/FALSE is not codes 1 and 0
        return np.full(len(col), np.nan), col.notna().to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(col):
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
    >>> df = read_export(example_path("mbi-hss-qualtrics.csv"), id="ResponseId")
    >>> rep = match_items(df, "mbi-hss", id="ResponseId")
    >>> len(rep.missing), rep.suggestion
    (22, 'Q1_{n}')
    >>> rep = match_items(df, "mbi-hss", items="Q1_{n}")
    >>> len(rep.found), rep.invalid["Q1_5"]
    (22, {'count': 1, 'values': [7]})
    """
    from .instruments import load_instrument
    from .scoring import item_mapping, resolve_items, value_label_mismatches

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
    labels = inst.label_codes()
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
    mapped = set(found.values())
    unreadable = data.attrs.get("unreadable_cells") if isinstance(data.attrs, dict) else None
    for cell in unreadable or []:  # Excel cells read as empty that are not (loop over those only)
        if cell.get("column") in mapped:
            d = invalid.setdefault(cell["column"], {"count": 0, "values": []})
            d["count"] += 1
            if len(d["values"]) < 5:
                d["values"].append(f"{cell['problem']} (cell {cell['cell']})")

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
                       text_columns=list(export.get("text_columns", text_cols)),
                       label_mismatch=value_label_mismatches(data, inst, found))


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


def _coded(s: pd.Series, order: Sequence | None = None) -> tuple[pd.Series, dict] | None:
    """A categorical, boolean or few-valued text column as 1..k codes with labels.

    ``order`` lists the levels in their meaning's order (bands low..high); other text is
    sorted after them."""
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
        known = [v for v in (order or []) if isinstance(v, str)]
        levels = list(dict.fromkeys(known)) + sorted(set(vals.unique()) - set(known))
        if len(levels) > 20 or len(levels) == len(vals) and len(levels) > 2:
            return None  # ids and free text stay text
        lookup = {lev: i + 1 for i, lev in enumerate(levels)}
        return s.map(lookup).astype(float), {i + 1: lev for i, lev in enumerate(levels)}
    return None


def write_table(df: pd.DataFrame, path: str | Path, *, id: str | None = None,
                variable_labels: Mapping[str, str] | None = None,
                value_labels: Mapping[str, Mapping] | None = None, lang: str = "en",
                sep: str = ",", decimal: str = ".", neutralise: bool = True,
                options: Mapping | None = None) -> Path:
    """Write a result table as CSV, Excel, SPSS, JSON or HTML, by the file's extension.

    The write is atomic (a temporary file in the same folder, renamed when complete); see
    :mod:`psychometrics.output` for the rules every output follows.

    Parameters
    ----------
    df : DataFrame
        Scores, norms, classifications... Never modified. The index is written only when it
        is not a plain 0..n-1 range, so respondent labels are never lost.
    path : str or Path
        ``.csv``, ``.xlsx`` (a second sheet ``provenance`` says how the table was made),
        ``.sav`` (provenance as the file note), ``.json`` (a list of records; the index is
        kept as a column when it holds respondent labels) or ``.html``.
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
    neutralise : bool
        In .csv and .xlsx, text starting with ``= + - @``, a tab or a carriage return gets a
        leading ``'`` so a spreadsheet shows it instead of running it as a formula
        (:func:`psychometrics.output.neutralise`); False writes the raw values.
    options : dict, optional
        The options that produced the table, recorded in the provenance.

    Notes
    -----
    Time-zone aware datetimes are written as UTC times in .xlsx and .sav (neither format has
    time zones) and with their offset in .csv and .json. Text holding a line break or a bare
    carriage return is quoted in .csv, so it reads back as one cell.

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
    from .output import atomic_write, check_format, html_page, provenance, utc_naive
    from .output import neutralise as neutralised

    check_format(p, (".csv", ".txt", ".xlsx", ".xlsm", ".sav", ".json", ".html", ".parquet",
                    ".pq"))
    prov = provenance(df, options=options)
    if suffix in (".csv", ".txt"):
        out = neutralised(df) if neutralise else df
        # a bare carriage return inside a cell must be quoted, or a reader splits the row
        # there; the csv module quotes only the characters of the line terminator
        lineterminator = "\r\n" if _has_cr(out) else "\n"
        atomic_write(p, lambda tmp: out.to_csv(tmp, index=keep_index, sep=sep, decimal=decimal,
                                                lineterminator=lineterminator))
    elif suffix in (".xlsx", ".xlsm"):
        out = utc_naive(neutralised(df) if neutralise else df)
        sheet = pd.DataFrame([(k, json.dumps(v, default=str, ensure_ascii=False)
                               if not isinstance(v, str) else v) for k, v in prov.items()],
                             columns=["field", "value"])

        def write_xlsx(tmp: Path) -> None:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                out.to_excel(xw, index=keep_index, sheet_name="data")
                (neutralised(sheet) if neutralise else sheet).to_excel(
                    xw, index=False, sheet_name="provenance")
        atomic_write(p, write_xlsx)
    elif suffix == ".sav":
        # SPSS file notes are lines of at most 80 characters
        note = [f"{k}: {v}"[:80] for k, v in prov.items() if k != "options"]
        atomic_write(p, lambda tmp: _write_sav(utc_naive(df), tmp, id=id, keep_index=keep_index,
                                               variable_labels=variable_labels,
                                               value_labels=value_labels, lang=lang, note=note))
    elif suffix == ".json":
        out = df.reset_index(names=[n or "respondent" for n in df.index.names]) \
            if keep_index else df  # respondent labels in the index are kept
        atomic_write(p, lambda tmp: out.to_json(tmp, orient="records", force_ascii=False,
                                                indent=2, date_format="iso"))
    elif suffix in (".parquet", ".pq"):
        from .stream import write_parquet
        atomic_write(p, lambda tmp: write_parquet(df, tmp))
    else:  # .html
        page = html_page(df, p.stem)
        atomic_write(p, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return p


def _has_cr(df: pd.DataFrame) -> bool:
    """Whether any text cell, column name or index label holds a carriage return."""
    def texts(values) -> bool:
        return any(isinstance(v, str) and "\r" in v for v in values)
    if texts(df.columns) or texts(df.index):
        return True
    return any(texts(df.iloc[:, j].to_numpy()) for j in range(df.shape[1])
               if df.iloc[:, j].dtype == object or pd.api.types.is_string_dtype(df.iloc[:, j]))


def _write_sav(df, p, *, id, keep_index, variable_labels, value_labels, lang,
               note: str | None = None) -> None:
    import pyreadstat

    src = df.reset_index(names=[n or "respondent" for n in df.index.names]) if keep_index else df
    auto_labels = _auto_variable_labels(df, lang)
    given_labels = dict(variable_labels or {})
    vlabels_in = {**(df.attrs.get("value_labels") or {}), **dict(value_labels or {})}
    levels = (df.attrs.get("psychometrics") or {}).get("levels") or {}  # e.g. band order
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
            try:
                s = pd.to_numeric(s, errors="raise")
            except (ValueError, TypeError):  # value labels label codes, not text
                raise DataError(f"value_labels for column {col!r}: the column holds text, not "
                                "numeric codes; leave it out of value_labels (text columns get "
                                "codes and labels automatically)") from None
        else:
            coded = _coded(s, levels.get(col))
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
                         variable_value_labels=val_labels or None, note=note)


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
