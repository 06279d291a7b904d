"""Parquet in memory: ``-o scores.parquet`` and reading a ``.parquet`` export (pyarrow, an
optional dependency: the "parquet" extra)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .._results import jsonable
from ..errors import ExportError
from .plain import existing_file

#: File suffixes read and written as Parquet.
PARQUET_SUFFIXES = (".parquet", ".pq")


def require_pyarrow():
    """The pyarrow module (with ``pyarrow.parquet`` loaded), or an :class:`ExportError` saying
    which extra installs it."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:  # pragma: no cover - pyarrow is in the "parquet" and "test" extras
        raise ExportError("Parquet needs pyarrow: pip install 'burnout-psychometrics[parquet]'") from None
    return pyarrow


def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as Parquet; ``attrs["psychometrics"]`` (the scoring report) is kept in the
    file's metadata. The index is written only when it is not a plain 0..n-1 range."""
    pa = require_pyarrow()
    p = Path(path)
    table = pa.Table.from_pandas(df, preserve_index=not isinstance(df.index, pd.RangeIndex))
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **parquet_metadata(df)})
    try:
        pa.parquet.write_table(table, p)
    except OSError as exc:
        raise ExportError(f"{p}: cannot be written: {exc}") from None
    return p


def read_parquet(path: str | Path, *, id: str | None = None) -> pd.DataFrame:
    """Read a Parquet file into a DataFrame (``attrs["psychometrics"]`` restored when the file
    was written by this package); ``id`` is read as text."""
    pa = require_pyarrow()
    p = existing_file(path)
    try:
        table = pa.parquet.read_table(p)
    except (OSError, pa.ArrowException) as exc:
        raise ExportError(f"{p}: cannot be read as Parquet: {exc}") from None
    df = table.to_pandas()
    meta = (table.schema.metadata or {}).get(b"psychometrics")
    if meta:
        # the record is data from the file: a file not written by the package must fail here,
        # naming it, not later where norms read the record
        try:
            record = json.loads(meta)
        except (ValueError, RecursionError):
            record = None
        if not isinstance(record, dict):
            raise ExportError(f"{p}: its 'psychometrics' metadata is not the scoring report "
                              "this package writes (a JSON object); remove it or rescore")
        df.attrs["psychometrics"] = record
    if id is not None:
        if id not in df.columns:
            raise ExportError(f"{p}: no column {id!r}; columns: {', '.join(map(str, df.columns[:15]))}")
        df[id] = ids_as_text(df[id])
    df.attrs["source"] = str(p)
    return df


def parquet_metadata(df: pd.DataFrame) -> dict:
    """The scoring report of ``df.attrs`` as Parquet schema metadata (invalid cells left out)."""
    report = df.attrs.get("psychometrics")
    if not report:
        return {}
    return {b"psychometrics": json.dumps(jsonable({k: v for k, v in report.items() if k != "invalid"}),
                                         ensure_ascii=False).encode()}


def ids_as_text(col: pd.Series) -> pd.Series:
    """Respondent ids as text, as :func:`~psychometrics.io.read_table` reads them (7.0 -> "7")."""
    if pd.api.types.is_string_dtype(col) or col.dtype == object:
        return col
    text = col.astype("string").str.replace(r"\.0$", "", regex=True)
    return text.astype(object).where(col.notna(), None)

