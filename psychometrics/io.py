"""Reading exports and writing results.

``read_table`` reads what a survey tool or a spreadsheet gives: CSV with ``,`` or ``;`` and a
decimal comma (common in Belgian exports), Excel (.xlsx) and SPSS (.sav, through pyreadstat).
Every column is read as it is; nothing is dropped or reordered, and respondent ids stay text
(leading zeros are kept).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from .errors import ExportError

_ID_HINTS = ("id", "respondent", "responseid", "response_id", "participant", "subject")


def _sniff_csv(path: Path) -> tuple[str, str]:
    """Delimiter and decimal mark of a CSV file, from its first lines."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        head = "".join(fh.readline() for _ in range(20))
    if not head.strip():
        raise ExportError(f"{path}: the file is empty")
    try:
        delim = csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        delim = ";" if head.count(";") > head.count(",") else ","
    # a decimal comma is only possible when the comma is not the delimiter
    decimal = ","
    if delim == ",":
        decimal = "."
    return delim, decimal


def read_table(path: str | Path, *, sheet: str | int = 0, id: str | None = None) -> pd.DataFrame:
    """Read a CSV, Excel or SPSS file into a DataFrame.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.txt`` (delimiter and decimal mark sniffed), ``.xlsx``/``.xls``, ``.sav``.
    sheet : str or int
        The Excel sheet.
    id : str, optional
        A column read as text (ids such as ``007`` keep their leading zeros).

    Returns
    -------
    DataFrame
        In file order, with a default RangeIndex; ``attrs["source"]`` names the file.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.csv")
    >>> _ = open(p, "w").write("id;q1;q2\\n007;1;2,5\\n")
    >>> read_table(p, id="id")
        id  q1   q2
    0  007   1  2.5
    """
    p = Path(path)
    if not p.exists():
        raise ExportError(f"{p}: no such file")
    suffix = p.suffix.lower()
    dtype = {id: str} if id else None
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            delim, decimal = _sniff_csv(p)
            df = pd.read_csv(p, sep=delim, decimal=decimal, dtype=dtype, encoding="utf-8-sig",
                             keep_default_na=True)
        elif suffix in (".xlsx", ".xlsm", ".xls"):
            df = pd.read_excel(p, sheet_name=sheet, dtype=dtype)
        elif suffix == ".sav":
            import pyreadstat
            df, _meta = pyreadstat.read_sav(str(p), user_missing=False)
            if id and id in df:
                df[id] = df[id].astype(str).str.replace(r"\.0$", "", regex=True)
        else:
            raise ExportError(f"{p}: unknown file type {suffix!r} (use .csv, .xlsx or .sav)")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, ExportError):
            raise
        raise ExportError(f"{p}: cannot be read: {exc}") from None
    if id and id not in df.columns:
        raise ExportError(f"{p}: no column {id!r}; columns: {', '.join(map(str, df.columns[:15]))}")
    df.attrs["source"] = str(p)
    return df


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a result table as CSV, Excel, SPSS or JSON, by the file's extension.

    The index is written only when it is not a plain 0..n-1 range, so respondent labels are
    never lost.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    keep_index = not isinstance(df.index, pd.RangeIndex)
    if suffix == ".csv":
        df.to_csv(p, index=keep_index)
    elif suffix in (".xlsx", ".xlsm"):
        df.to_excel(p, index=keep_index)
    elif suffix == ".sav":
        import pyreadstat
        out = df.reset_index() if keep_index else df
        pyreadstat.write_sav(out, str(p))
    elif suffix == ".json":
        df.to_json(p, orient="records", force_ascii=False, indent=2)
    else:
        raise ExportError(f"{p}: unknown output type {suffix!r} (use .csv, .xlsx, .sav or .json)")
    return p
