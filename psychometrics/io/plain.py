"""Plain files as the readers see them: encoding, delimiter and decimal mark sniffed from a
CSV, Excel workbooks checked for cells openpyxl would read as empty, SPSS files, and the
reading limits (size, rows, columns) checked on each.

These are the building blocks of :func:`psychometrics.io.read_table` and
:func:`psychometrics.io.read_export` (:mod:`psychometrics.io.readers`); the chunked reader
(:mod:`psychometrics.io.chunks`) sniffs a CSV the same way with :func:`csv_format`.
"""

from __future__ import annotations

import codecs
import csv
import functools
import html
import re
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ExportError
from ..limits import Limits, exceeded

ID_HINTS = ("id", "respondent", "responseid", "response_id", "participant", "subject")

#: File suffixes read as CSV, Excel and SPSS files.
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
SPSS_SUFFIXES = (".sav", ".zsav")
_DECIMAL_COMMA = re.compile(r'^"?-?\d+,\d+"?$')
_DECIMAL_POINT = re.compile(r'^"?-?\d+\.\d+"?$')


# ---- plain tables ---------------------------------------------------------------------------

#: pandas' own missing-value markers, applied to every column but the id column (ids such as
#: ``NA``, ``None`` or ``NULL`` are initials, not missing values).
NA_MARKERS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
              "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")

#: Bytes read at a time when a whole file is scanned (encoding check, Excel XML): 1 MiB, a
#: block size that keeps memory flat on large files and the number of reads small.
READ_BLOCK = 1 << 20

#: Lines a CSV's delimiter and decimal mark are sniffed from (each read up to READ_BLOCK).
SNIFF_LINES = 20

#: An Excel XML block without a closing ``</c>`` is scanned whole once it exceeds this (4 MiB),
#: so a worksheet written without cell ends cannot grow the buffer without bound.
XML_CARRY_MAX = 1 << 22

#: Unreadable Excel cells listed (the first ones: enough to find and fix them).
MAX_UNREADABLE_CELLS = 1000

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
            while block := fh.read(READ_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def file_encoding(path: Path) -> str:
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


def sniff_csv(path: Path) -> tuple[str, str]:
    """Delimiter and decimal mark of a CSV file, from its first lines."""
    with open(path, encoding=file_encoding(path), errors="replace", newline="") as fh:
        lines = [fh.readline(READ_BLOCK) for _ in range(SNIFF_LINES)]
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
    (for readers that stream the file in chunks, :mod:`psychometrics.io.chunks`)."""
    p = existing_file(path)
    delim, decimal = sniff_csv(p)
    return delim, decimal, file_encoding(p)


def existing_file(path: str | Path) -> Path:
    """``path`` as a Path when it names an existing file, else an :class:`ExportError`."""
    if not isinstance(path, (str, Path)):
        raise ExportError(f"the file must be a path (str or Path), not {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise ExportError(f"{p}: no such file")
    if p.is_dir():
        raise ExportError(f"{p}: is a folder, not a data file")
    return p


def id_as_text(df: pd.DataFrame, id: str | None) -> None:
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


def _blocks(fh, size: int = READ_BLOCK):
    while block := fh.read(size):
        yield block


def check_dimensions(p: Path, rows: int, cols: int, limits: Limits) -> None:
    """Rows, columns and cells of a table (read, or announced by a file's metadata) within
    the reading limits."""
    if rows > limits.max_rows:
        raise exceeded(f"{p}: rows", "max_rows", rows, limits.max_rows)
    if cols > limits.max_columns:
        raise exceeded(f"{p}: columns", "max_columns", cols, limits.max_columns)
    if rows * cols > limits.max_cells:
        raise exceeded(f"{p}: cells (rows x columns)", "max_cells", rows * cols, limits.max_cells)


def check_shape(p: Path, df: pd.DataFrame, limits: Limits) -> None:
    """Rows, columns and cell lengths of a table just read."""
    rows, cols = df.shape
    check_dimensions(p, rows, cols, limits)
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


def read_csv_file(p: Path, *, id: str | None, dtype=None, skip: int = 0,
              limits: Limits) -> pd.DataFrame:
    """``pd.read_csv`` with the sniffed dialect, the limits checked, and the traps of
    survey exports caught: a delimiter at the end of every data row (which makes pandas take
    the first column for the index and shift every other column by one), rows written with
    another delimiter, ids ``NA``/``None`` read as missing."""
    delim, decimal = sniff_csv(p)
    enc = file_encoding(p)
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
        n = n * 26 + ord(ch) - 64  # base 26: "A" (ASCII 65) is 1
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
        cut = len(buf) if cut < 0 and len(buf) > XML_CARRY_MAX else cut + 4 if cut >= 0 else 0
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
                if len(found) >= MAX_UNREADABLE_CELLS:
                    return found
    return found


def read_excel_file(p: Path, *, sheet, id: str | None, dtype=None, skip: int = 0, header=0,
                nrows=None, limits: Limits) -> pd.DataFrame:
    """``pd.read_excel`` after :func:`_check_xlsx`, its many errors turned into ExportError;
    error cells and formulas without a value are listed in ``attrs["unreadable_cells"]``."""
    # openpyxl (0.1 s to import) only when a workbook is read, not for every CSV or report
    from openpyxl.utils.exceptions import InvalidFileException

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


def read_sav_file(p: Path, *, user_missing: bool, limits: Limits):
    """An SPSS file as ``(DataFrame, pyreadstat metadata)``, within the reading limits;
    ``user_missing=True`` keeps user-defined missing codes as values (listed in the metadata)."""
    import pyreadstat
    try:
        _, meta = pyreadstat.read_sav(str(p), metadataonly=True)
        rows, cols = int(meta.number_rows or 0), int(meta.number_columns or 0)
        check_dimensions(p, rows, cols, limits)
        width = sum(max(8, int(w or 8)) for w in (meta.variable_storage_width or {}).values())
        if rows * width > limits.max_bytes:
            raise exceeded(f"{p}: uncompressed data size in bytes", "max_bytes", rows * width,
                           limits.max_bytes)
        return pyreadstat.read_sav(str(p), user_missing=user_missing)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as exc:
        raise ExportError(f"{p}: cannot be read as an SPSS file: {str(exc)[:200]}") from None


def warn_duplicate_names(p: Path, df: pd.DataFrame) -> None:
    """pandas renames a repeated column name ``Q1`` to ``Q1.1``: say so, as the second
    column is then not what the name says."""
    renamed = [str(c) for c in df.columns if re.search(r"\.\d+$", str(c))
               and re.sub(r"\.\d+$", "", str(c)) in map(str, df.columns)]
    if renamed:
        warnings.warn(f"{p}: repeated column names; the repeats were renamed {renamed[:8]}",
                      UserWarning, stacklevel=3)

