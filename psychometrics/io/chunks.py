"""Files larger than memory, read and written a chunk of rows at a time.

:func:`iter_chunks` reads a CSV or Parquet file ``chunksize`` rows at a time (a CSV is sniffed
as :func:`~psychometrics.io.read_table` sniffs it); :class:`ChunkWriter` appends chunks to a
temporary CSV or Parquet file beside the target and renames it at the end, so a failed run
never leaves half a file under the final name; :class:`Progress` is the progress line on
stderr (only on a terminal unless forced). :func:`psychometrics.score_file` and
:func:`psychometrics.build_norms_file` are built on these.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from .._checks import check_positive_int
from ..errors import ExportError, OptionError
from .parquet import PARQUET_SUFFIXES, ids_as_text, parquet_metadata, require_pyarrow
from .plain import CSV_SUFFIXES, csv_format, existing_file

#: Respondents per chunk: ~20 MB of a 22-item export in memory at a time.
DEFAULT_CHUNKSIZE = 100_000



def file_kind(path: Path) -> str:
    """"csv" or "parquet" by the file's suffix, else an :class:`ExportError`."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise ExportError(f"{path}: unknown file type {suffix!r} for reading in chunks (use .csv or .parquet)")



def columns_of(path: str | Path) -> list[str]:
    """The column names of a CSV or Parquet file, without reading its rows."""
    p = existing_file(path)
    if file_kind(p) == "parquet":
        return list(require_pyarrow().parquet.ParquetFile(p).schema_arrow.names)
    delim, decimal, encoding = csv_format(p)
    return [str(c) for c in pd.read_csv(p, sep=delim, decimal=decimal, encoding=encoding, nrows=0).columns]


def iter_chunks(path: str | Path, *, chunksize: int = DEFAULT_CHUNKSIZE,
                columns: Sequence[str] | None = None,
                id: str | None = None) -> Iterator[tuple[pd.DataFrame, float]]:
    """Yield ``(chunk, fraction read)`` from a CSV or Parquet file, ``chunksize`` rows at a time.

    Each chunk's index continues the file's row numbering (0-based), as one ``read_csv`` of the
    whole file would give. CSV files are read as :func:`~psychometrics.io.read_table` reads them
    (delimiter, decimal mark and encoding sniffed; ``NA``, ``n/a`` ... missing).
    """
    chunksize = check_positive_int(chunksize, "chunksize")
    p = existing_file(path)
    usecols = list(dict.fromkeys(columns)) if columns is not None else None
    if file_kind(p) == "parquet":
        pq = require_pyarrow().parquet
        f = pq.ParquetFile(p)
        total, start = max(f.metadata.num_rows, 1), 0
        for batch in f.iter_batches(batch_size=chunksize, columns=usecols):
            df = batch.to_pandas()
            df.index = pd.RangeIndex(start, start + len(df))
            if id is not None and id in df.columns:
                df[id] = ids_as_text(df[id])
            start += len(df)
            yield df, start / total
        return
    delim, decimal, encoding = csv_format(p)
    size = max(p.stat().st_size, 1)
    with open(p, "rb") as fh:
        try:
            reader = pd.read_csv(fh, sep=delim, decimal=decimal, encoding=encoding, chunksize=chunksize,
                                 usecols=usecols, dtype={id: str} if id else None, keep_default_na=True)
            for df in reader:
                yield df, min(fh.tell() / size, 1.0)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ExportError(f"{p}: cannot be read: {exc}") from None


class Progress:
    """One self-overwriting line on stderr, only on a terminal (or when forced)."""

    def __init__(self, label: str, enabled: bool | None):
        stream = sys.stderr
        self.on = bool(enabled) if enabled is not None else bool(getattr(stream, "isatty", lambda: False)())
        self.label, self.t0, self.last = label, time.perf_counter(), 0.0

    def update(self, rows: int, fraction: float) -> None:
        now = time.perf_counter()
        if self.on and (now - self.last > 0.2 or fraction >= 1):
            self.last = now
            print(f"\r{self.label}: {rows:,} rows ({100 * fraction:3.0f}%) {now - self.t0:6.1f} s",
                  end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.on:
            print(file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# writing as we go
# --------------------------------------------------------------------------------------------

class ChunkWriter:
    """Appends chunks to a temporary CSV/Parquet file; :meth:`commit` renames it into place."""

    def __init__(self, path: Path, source: Path):
        self.kind = file_kind(path)
        if path.resolve() == source.resolve():
            raise OptionError(f"output {path} is the input file; choose another name",
                              option="output", value=str(path))
        if path.exists() and path.is_dir():
            raise ExportError(f"{path}: is a folder")
        self.path = path
        self.tmp = path.with_name(f".{path.name}.part-{os.getpid()}")
        self.parquet = None
        self.schema = None
        self.first = True

    def write(self, df: pd.DataFrame) -> None:
        try:
            if self.kind == "csv":
                df.to_csv(self.tmp, mode="w" if self.first else "a", header=self.first, index=False)
            else:
                pa = require_pyarrow()
                table = pa.Table.from_pandas(df, preserve_index=False)
                if self.parquet is None:
                    self.schema = table.schema.with_metadata({**(table.schema.metadata or {}), **parquet_metadata(df)})
                    self.parquet = pa.parquet.ParquetWriter(self.tmp, self.schema)
                self.parquet.write_table(table.cast(self.schema))
        except OSError as exc:
            self.abort()
            raise ExportError(f"{self.path}: cannot be written: {exc}") from None
        self.first = False

    def commit(self) -> None:
        if self.parquet is not None:
            self.parquet.close()
        if self.first:  # no rows at all: still an empty table with no columns
            Path(self.tmp).write_text("")
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if self.parquet is not None:
            self.parquet.close()
        Path(self.tmp).unlink(missing_ok=True)


