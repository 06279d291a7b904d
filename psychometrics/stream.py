"""Files larger than memory: score and build norms in chunks, CSV and Parquet in and out.

:func:`score_file` reads a CSV or Parquet export a chunk of respondents at a time, scores each
chunk with :func:`~psychometrics.scoring.score` (the same code as in memory, so the same
numbers) and appends the scores to a CSV or Parquet file as it goes: memory is bounded by the
chunk size, not the file (a 10-million-respondent MBI export scores with a few hundred MB).
:func:`build_norms_file` builds norms from such a file in one pass: a subscale score takes few
distinct values, so the counts of each value per stratum are all the norms need (exact type-1
percentiles, mid-rank percentile ranks, mean, SD), and the bootstrap CIs come from multinomial
resampling of those counts.

On a terminal both print a progress line on stderr; piped or in a notebook they stay quiet
(``progress=True/False`` forces either). The output is written to a temporary file beside the
target and renamed at the end, so a failed run never leaves half a file under the final name.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._results import Result, jsonable
from .errors import DataError, DuplicateIdError, ExportError, OptionError, PsychometricsError

__all__ = ["StreamReport", "score_file", "build_norms_file", "read_parquet", "write_parquet",
           "iter_chunks", "DEFAULT_CHUNKSIZE"]

#: Respondents per chunk: ~20 MB of a 22-item export in memory at a time.
DEFAULT_CHUNKSIZE = 100_000

_CSV = (".csv", ".txt", ".tsv")
_PARQUET = (".parquet", ".pq")
_MAX_CELLS = 1000  # invalid cells kept in the report (all are counted)


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:  # pragma: no cover - pyarrow is in the "parquet" and "test" extras
        raise ExportError("Parquet needs pyarrow: pip install 'burnout-psychometrics[parquet]'") from None
    return pyarrow


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _CSV:
        return "csv"
    if suffix in _PARQUET:
        return "parquet"
    raise ExportError(f"{path}: unknown file type {suffix!r} for reading in chunks (use .csv or .parquet)")


def _existing(path) -> Path:
    p = Path(path)
    if not p.exists():
        raise ExportError(f"{p}: no such file")
    if p.is_dir():
        raise ExportError(f"{p}: is a folder, not a data file")
    return p


# --------------------------------------------------------------------------------------------
# Parquet in memory (for -o x.parquet and reading a .parquet export)
# --------------------------------------------------------------------------------------------

def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as Parquet; ``attrs["psychometrics"]`` (the scoring report) is kept in the
    file's metadata. The index is written only when it is not a plain 0..n-1 range."""
    pa = _pyarrow()
    p = Path(path)
    table = pa.Table.from_pandas(df, preserve_index=not isinstance(df.index, pd.RangeIndex))
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **_meta(df)})
    try:
        pa.parquet.write_table(table, p)
    except OSError as exc:
        raise ExportError(f"{p}: cannot be written: {exc}") from None
    return p


def read_parquet(path: str | Path, *, id: str | None = None) -> pd.DataFrame:
    """Read a Parquet file into a DataFrame (``attrs["psychometrics"]`` restored when the file
    was written by this package); ``id`` is read as text."""
    pa = _pyarrow()
    p = _existing(path)
    try:
        table = pa.parquet.read_table(p)
    except (OSError, pa.ArrowException) as exc:
        raise ExportError(f"{p}: cannot be read as Parquet: {exc}") from None
    df = table.to_pandas()
    meta = (table.schema.metadata or {}).get(b"psychometrics")
    if meta:
        df.attrs["psychometrics"] = json.loads(meta)
    if id is not None:
        if id not in df.columns:
            raise ExportError(f"{p}: no column {id!r}; columns: {', '.join(map(str, df.columns[:15]))}")
        df[id] = _id_text(df[id])
    df.attrs["source"] = str(p)
    return df


def _meta(df: pd.DataFrame) -> dict:
    report = df.attrs.get("psychometrics")
    if not report:
        return {}
    return {b"psychometrics": json.dumps(jsonable({k: v for k, v in report.items() if k != "invalid"}),
                                         ensure_ascii=False).encode()}


def _id_text(col: pd.Series) -> pd.Series:
    """Respondent ids as text, as :func:`~psychometrics.io.read_table` reads them (7.0 -> "7")."""
    if pd.api.types.is_string_dtype(col) or col.dtype == object:
        return col
    text = col.astype("string").str.replace(r"\.0$", "", regex=True)
    return text.astype(object).where(col.notna(), None)


# --------------------------------------------------------------------------------------------
# reading in chunks
# --------------------------------------------------------------------------------------------

def columns_of(path: str | Path) -> list[str]:
    """The column names of a CSV or Parquet file, without reading its rows."""
    p = _existing(path)
    if _kind(p) == "parquet":
        return list(_pyarrow().parquet.ParquetFile(p).schema_arrow.names)
    from .io import csv_format
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
    from ._checks import check_positive_int
    chunksize = check_positive_int(chunksize, "chunksize")
    p = _existing(path)
    usecols = list(dict.fromkeys(columns)) if columns is not None else None
    if _kind(p) == "parquet":
        pq = _pyarrow().parquet
        f = pq.ParquetFile(p)
        total, start = max(f.metadata.num_rows, 1), 0
        for batch in f.iter_batches(batch_size=chunksize, columns=usecols):
            df = batch.to_pandas()
            df.index = pd.RangeIndex(start, start + len(df))
            if id is not None and id in df.columns:
                df[id] = _id_text(df[id])
            start += len(df)
            yield df, start / total
        return
    from .io import csv_format
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


class _Progress:
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

class _Writer:
    """Appends chunks to a temporary CSV/Parquet file; :meth:`commit` renames it into place."""

    def __init__(self, path: Path, source: Path):
        self.kind = _kind(path)
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
                pa = _pyarrow()
                table = pa.Table.from_pandas(df, preserve_index=False)
                if self.parquet is None:
                    self.schema = table.schema.with_metadata({**(table.schema.metadata or {}), **_meta(df)})
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


# --------------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StreamReport(Result):
    """What :func:`score_file` did: rows, chunks, time, and the scoring report over all chunks."""

    input: str
    output: str | None
    instrument: str
    rows: int
    chunks: int
    seconds: float
    prorated: dict = field(default_factory=dict)
    invalid: int = 0
    invalid_cells: list = field(default_factory=list, repr=False)
    warnings: list = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"scored {self.rows:,} respondents of {self.input} with {self.instrument} "
                 f"in {self.chunks} chunk(s), {self.seconds:.1f} s"
                 + (f" -> {self.output}" if self.output else "")]
        if any(self.prorated.values()):
            lines.append(f"prorated sums: {self.prorated}")
        if self.invalid:
            lines.append(f"invalid responses scored as missing: {self.invalid:,}")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _score_options(options: Mapping) -> dict:
    allowed = {"on_invalid", "min_answered", "method", "missing_codes", "subscales"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise OptionError(f"unknown scoring option(s) {unknown}; allowed: {sorted(allowed)}",
                          option=unknown[0], value=options[unknown[0]])
    return dict(options)


def _with_rows(exc: PsychometricsError, path: Path, offset: int, n: int) -> PsychometricsError:
    """Re-word a chunk's error so its row numbers count from the file's first row."""
    for cell in getattr(exc, "cells", []) or []:
        if isinstance(cell, dict) and "row" in cell:
            cell["row"] += offset
    if exc.args:
        # describe_rows() writes "row 12" (1-based within the chunk): make it the file's row
        text = re.sub(r"\brow (\d+)\b", lambda m: f"row {int(m.group(1)) + offset}", str(exc.args[0]))
        exc.args = (f"{path}: {text}",) + exc.args[1:]
    return exc


class _Warnings:
    """Collects the warnings of every chunk and says each distinct one once."""

    def __init__(self):
        self.seen: dict[tuple, str] = {}

    def add(self, records) -> None:
        for w in records:
            text = str(w.message)
            if text.startswith("prorated sums"):
                continue  # summed over the chunks from the scoring reports instead
            self.seen.setdefault((w.category, text), text)

    def emit(self, stacklevel: int = 3) -> list[str]:
        out = []
        for (category, _), text in list(self.seen.items())[:20]:
            warnings.warn(text, category, stacklevel=stacklevel)
            out.append(text)
        return out


def _score_chunk(chunk: pd.DataFrame, inst, mapping, id, opts: dict, src: Path, offset: int,
                 said: _Warnings) -> pd.DataFrame:
    """Score one chunk; its warnings are collected (said once per file, not per chunk) and
    an error names the file's own rows (``offset`` rows came before this chunk)."""
    from .scoring import score

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            scores = score(chunk, inst, items=mapping, id=id, **opts)
        except PsychometricsError as exc:
            raise _with_rows(exc, src, offset, len(chunk)) from None
    said.add(caught)
    return scores


def _ids_hash(values: np.ndarray) -> np.ndarray:
    return pd.util.hash_array(np.asarray(values, dtype=object), categorize=False)


def _check_ids_across_chunks(hashes: list[np.ndarray], path: Path, id: str, chunksize: int) -> None:
    """Duplicate respondent ids in different chunks (within a chunk, score() checks)."""
    if not hashes:
        return
    allh = np.sort(np.concatenate(hashes))
    dup_h = np.unique(allh[1:][allh[1:] == allh[:-1]])
    if not dup_h.size:
        return
    # a 64-bit hash can collide: find the real duplicates in a second pass over the id column
    seen: dict[str, int] = {}
    dups: dict[str, list[int]] = {}
    for chunk, _ in iter_chunks(path, chunksize=chunksize, columns=[id], id=id):
        ids = chunk[id].to_numpy(dtype=object)
        hit = np.isin(_ids_hash(ids), dup_h)
        for pos, value in zip(chunk.index[hit], ids[hit]):  # only the few suspects
            key = str(value)
            if key in seen:
                dups.setdefault(key, [seen[key]]).append(int(pos) + 1)
            else:
                seen[key] = int(pos) + 1
    if dups:
        shown = "; ".join(f"{k!r} (rows {', '.join(map(str, v[:5]))})" for k, v in list(dups.items())[:5])
        raise DuplicateIdError(f"{path}: column {id!r}: {len(dups)} respondent id(s) occur more than "
                               f"once: {shown}")


def score_file(path: str | Path, instrument, output: str | Path | None = None, *, items=None,
               id: str | None = None, keep: Sequence[str] = (), keys=None, form: str | None = None,
               chunksize: int = DEFAULT_CHUNKSIZE, progress: bool | None = None,
               **options) -> StreamReport:
    """Score a CSV or Parquet export of any size in chunks, writing the scores as it goes.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (one header row; delimiter, decimal mark and encoding sniffed as
        :func:`~psychometrics.io.read_table` does) or ``.parquet``.
    instrument, items, id, keys, form
        As :func:`~psychometrics.scoring.score`; the id column is checked for duplicates across
        the whole file.
    output : str or Path, optional
        ``.csv`` or ``.parquet``: the scores (id first, subscales, ``<sub>_n``), in file order;
        the same table ``score`` returns for the whole file. Without it, the file is only
        scored and checked (the report says what was found).
    keep : list of str
        Further columns of the export to copy into the output (e.g. stratum columns).
    chunksize : int
        Respondents per chunk (memory grows with it, not with the file).
    progress : bool, optional
        A progress line on stderr; default: only when stderr is a terminal.
    **options
        ``on_invalid``, ``min_answered``, ``method``, ``missing_codes``, ``subscales`` of
        :func:`~psychometrics.scoring.score`.

    Returns
    -------
    StreamReport
        Rows, chunks, seconds, prorated sums and invalid cells over the whole file.

    Raises
    ------
    InvalidResponseError, DuplicateIdError, MissingColumnError, ExportError
        As ``score`` and the readers; row numbers count from the file's first data row. No
        output file is left behind.

    Examples
    --------
    >>> import tempfile, os, pandas as pd
    >>> d = tempfile.mkdtemp()
    >>> pd.DataFrame({"id": ["a", "b", "c"], **{f"mbi{i}": [1, 2, 3] for i in range(1, 23)}}
    ...              ).to_csv(os.path.join(d, "big.csv"), index=False)
    >>> rep = score_file(os.path.join(d, "big.csv"), "mbi-hss", os.path.join(d, "s.csv"), id="id",
    ...                  chunksize=2)
    >>> rep.rows, rep.chunks
    (3, 2)
    >>> pd.read_csv(os.path.join(d, "s.csv"))[["id", "EE", "EE_n"]]
      id    EE  EE_n
    0  a   9.0     9
    1  b  18.0     9
    2  c  27.0     9
    """
    from .instruments import load_instrument
    from .scoring import resolve_items

    t0 = time.perf_counter()
    src = _existing(path)
    opts = _score_options(options)
    inst = load_instrument(instrument, keys=keys, form=form)
    header = columns_of(src)
    mapping = resolve_items(header, inst, items, subscales=opts.get("subscales"))
    keep = list(keep or ())
    absent = [c for c in ([id] if id else []) + keep if c not in header]
    if absent:
        raise DataError(f"{src}: no column(s) {absent}; columns: {', '.join(header[:15])}")
    columns = ([id] if id else []) + list(mapping.values()) + keep
    writer = _Writer(Path(output), src) if output is not None else None
    bar = _Progress(f"scoring {src.name}", progress)
    said = _Warnings()
    prorated: dict[str, int] = {}
    cells: list[dict] = []
    n_invalid = rows = chunks = 0
    hashes: list[np.ndarray] = []
    try:
        for chunk, fraction in iter_chunks(src, chunksize=chunksize, columns=columns, id=id):
            scores = _score_chunk(chunk, inst, mapping, id, opts, src, rows, said)
            report = scores.attrs.get("psychometrics", {})
            for sid, k in (report.get("prorated") or {}).items():
                prorated[sid] = prorated.get(sid, 0) + int(k)
            invalid = report.get("invalid") or []
            n_invalid += len(invalid)
            for cell in invalid[:max(0, _MAX_CELLS - len(cells))]:
                cells.append({**cell, "row": cell["row"] + rows} if "row" in cell else dict(cell))
            if id is not None:
                hashes.append(_ids_hash(scores[id].to_numpy()))
            if keep:
                attrs = scores.attrs
                scores = pd.concat([scores, chunk[keep]], axis=1)
                scores.attrs = attrs  # concat drops attrs the parts do not share
            if writer is not None:
                writer.write(scores)
            rows += len(chunk)
            chunks += 1
            bar.update(rows, fraction)
        if id is not None:
            _check_ids_across_chunks(hashes, src, id, chunksize)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        bar.close()
    if writer is not None:
        writer.commit()
    if any(prorated.values()):
        warnings.warn(f"prorated sums (mean of answered items x number of items) for "
                      f"{ {k: v for k, v in prorated.items() if v} } respondents", stacklevel=2)
    texts = said.emit(stacklevel=2)
    return StreamReport(input=str(src), output=None if output is None else str(output),
                        instrument=inst.id, rows=rows, chunks=chunks,
                        seconds=time.perf_counter() - t0, prorated=prorated, invalid=n_invalid,
                        invalid_cells=cells, warnings=texts)


# --------------------------------------------------------------------------------------------
# norms in one pass
# --------------------------------------------------------------------------------------------

class _Counts:
    """Per (stratum, subscale): how many respondents have each distinct score; rows per stratum."""

    def __init__(self, subscales: list[str]):
        self.subscales = subscales
        self.values: dict[tuple, dict[str, dict[float, int]]] = {}
        self.rows: dict[tuple, int] = {}

    def add(self, keys: pd.DataFrame | None, scores: pd.DataFrame) -> None:
        groups = [((), np.ones(len(scores), dtype=bool))]
        if keys is not None:
            complete = keys.notna().all(axis=1).to_numpy()
            for combo, rows in keys[complete].groupby(list(keys.columns), sort=False).indices.items():
                mask = np.zeros(len(scores), dtype=bool)
                mask[np.flatnonzero(complete)[rows]] = True
                groups.append((combo if isinstance(combo, tuple) else (combo,), mask))
        for combo, mask in groups:  # loop over strata, not respondents
            self.rows[combo] = self.rows.get(combo, 0) + int(mask.sum())
            per = self.values.setdefault(combo, {s: {} for s in self.subscales})
            for sid in self.subscales:
                x = scores[sid].to_numpy(dtype=float)[mask]
                vals, cnt = np.unique(x[~np.isnan(x)], return_counts=True)
                acc = per[sid]
                for v, c in zip(vals.tolist(), cnt.tolist()):  # the few distinct scores
                    acc[v] = acc.get(v, 0) + c

    def arrays(self, combo: tuple, sid: str) -> tuple[np.ndarray, np.ndarray]:
        acc = self.values[combo][sid]
        vals = np.array(sorted(acc), dtype=float)
        return vals, np.array([acc[v] for v in vals.tolist()], dtype=float)


def _quantiles_from_counts(vals: np.ndarray, wt: np.ndarray, rows: int, probs: np.ndarray,
                           n_boot: int, level: float, g: np.random.Generator):
    """Type-1 quantiles of a count distribution, with multinomial-bootstrap percentile CIs.

    Resampling ``rows`` respondents with replacement from the stratum (those without a score
    included, as :func:`~psychometrics.norms.build_norms` does) is a multinomial draw over the
    distinct scores plus "no score"; the bootstrap distribution is the same as resampling the
    respondents themselves.
    """
    from .norms.weights import weighted_quantile_counts
    from .resample import percentile_ci

    est = weighted_quantile_counts(vals, wt[None, :], probs)[0]
    if not n_boot or n_boot <= 0:
        return est, np.full(est.shape, np.nan), np.full(est.shape, np.nan)
    p = np.concatenate([[rows - wt.sum()], wt]) / rows
    reps = []
    per_batch = max(1, 2_000_000 // (vals.size + 1))
    for start in range(0, n_boot, per_batch):  # batches of resamples, not single ones
        draws = g.multinomial(rows, p, size=min(per_batch, n_boot - start))
        reps.append(weighted_quantile_counts(vals, draws[:, 1:].astype(float), probs))
    reps = np.concatenate(reps)
    ok = ~np.isnan(reps).all(axis=1)
    lo, hi = percentile_ci(reps[ok], level) if ok.any() else (np.full(est.shape, np.nan),) * 2
    return est, lo, hi


def build_norms_file(path: str | Path, instrument, *, items=None, id: str | None = None,
                     by: Sequence[str] | str | None = None, bootstrap: int = 2000, seed=None,
                     min_n: int = 50, percentiles: Sequence[float] = (5, 25, 75, 95),
                     level: float = 0.95, keys=None, form: str | None = None,
                     chunksize: int = DEFAULT_CHUNKSIZE, progress: bool | None = None,
                     norm_id: str | None = None, name: str | None = None, population: str = "",
                     country: str = "", language: str = "", year: int | None = None,
                     source: str | None = None, **options):
    """Build norms from a CSV or Parquet export of any size in one pass.

    Each chunk is scored as :func:`score_file` does and only the counts of each distinct
    subscale score per stratum are kept. From those, the norm set is what
    :func:`~psychometrics.norms.build_norms` builds from the same scores in memory (unweighted):
    the same distributions, percentile-rank tables, type-1 quantiles, quartiles, bands and
    ``n``; mean and SD agree to rounding (1e-12). The bootstrap CIs resample the counts
    (multinomial), which has the same distribution as resampling respondents but other random
    draws than the in-memory builder, so CIs agree in distribution, not digit for digit.

    Parameters
    ----------
    path, instrument, items, id, keys, form, chunksize, progress, **options
        As :func:`score_file`.
    by, bootstrap, seed, min_n, percentiles, level
        As :func:`~psychometrics.norms.build_norms` (no survey weights, raking or smoothing:
        those need every respondent's row).
    norm_id, name, population, country, language, year, source
        Provenance of the norm set (``norm_id`` is ``build_norms``' ``id``).

    Returns
    -------
    NormSet

    References
    ----------
    Hyndman, R. J., & Fan, Y. (1996). Sample quantiles in statistical packages. The American
    Statistician, 50(4), 361-365.

    Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. Chapman & Hall.
    """
    from .instruments import load_instrument
    from .norms import norm_set_from_entries, stratum_text, subscale_norm_doc
    from .resample import rng as make_rng
    from .scoring import resolve_items

    src = _existing(path)
    opts = _score_options(options)
    by = [by] if isinstance(by, str) else list(by or [])
    inst = load_instrument(instrument, keys=keys, form=form)
    header = columns_of(src)
    mapping = resolve_items(header, inst, items, subscales=opts.get("subscales"))
    absent = [c for c in ([id] if id else []) + by if c not in header]
    if absent:
        raise DataError(f"{src}: no column(s) {absent}; columns: {', '.join(header[:15])}")
    probs = np.unique(np.concatenate([np.asarray(percentiles, dtype=float), [25.0, 75.0]])) / 100.0
    if probs.min() <= 0 or probs.max() >= 1:
        raise DataError("percentiles must be strictly between 0 and 100")
    bar = _Progress(f"norms from {src.name}", progress)
    said = _Warnings()
    counts = None
    rows = 0
    scoring: dict = {}
    version = inst.version
    hashes: list[np.ndarray] = []
    try:
        for chunk, fraction in iter_chunks(src, chunksize=chunksize, id=id,
                                           columns=([id] if id else []) + list(mapping.values()) + by):
            scores = _score_chunk(chunk, inst, mapping, id, opts, src, rows, said)
            report = scores.attrs.get("psychometrics", {})
            scoring = dict(report.get("scoring") or scoring)
            if counts is None:
                counts = _Counts([s for s in scoring if s in scores.columns])
            keys_ = pd.DataFrame({c: stratum_text(chunk[c]) for c in by}, index=chunk.index) if by else None
            counts.add(keys_, scores)
            if id is not None:
                hashes.append(_ids_hash(scores[id].to_numpy()))
            rows += len(chunk)
            bar.update(rows, fraction)
        if id is not None:
            _check_ids_across_chunks(hashes, src, id, chunksize)
    finally:
        bar.close()
    said.emit(stacklevel=2)
    if counts is None or rows == 0:
        raise DataError(f"{src}: no respondents")
    g = make_rng(seed)
    entries, suppressed = [], []
    combos = [()] + sorted(c for c in counts.rows if c != ())
    for combo in combos:  # loop over strata
        n_rows = counts.rows[combo]
        per = {sid: counts.arrays(combo, sid) for sid in counts.subscales}
        n_scored = min(int(wt.sum()) for _, wt in per.values())
        if n_scored < min_n:
            suppressed.append({"stratum": dict(zip(by, combo)), "n": n_scored})
            continue
        subs = {}
        for sid, (vals, wt) in per.items():
            est, lo, hi = _quantiles_from_counts(vals, wt, n_rows, probs, bootstrap, level, g)
            n = wt.sum()
            mean = float(np.sum(vals * wt) / n)
            var = float(np.sum(wt * (vals - mean) ** 2) / (n - 1)) if n > 1 else 0.0
            q = {float(p): (float(est[i]), float(lo[i]), float(hi[i])) for i, p in enumerate(probs)}
            subs[sid] = subscale_norm_doc(vals, wt, score=scoring[sid], n=int(n), mean=mean,
                                          sd=math.sqrt(var), quantiles=q)
        entries.append({"stratum": dict(zip(by, combo)), "n": int(n_rows), "subscales": subs})
    return norm_set_from_entries(entries, suppressed, inst_id=inst.id, version=version, n=rows,
                                 by=by, weighting={"method": "none"}, bootstrap=bootstrap, seed=seed,
                                 level=level, min_n=min_n, id=norm_id, name=name,
                                 population=population, country=country, language=language,
                                 year=year, source=source)
