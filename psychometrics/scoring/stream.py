"""Score a CSV or Parquet export of any size in chunks, writing the scores as they come.

:func:`score_file` reads the export a chunk of respondents at a time
(:func:`psychometrics.io.chunks.iter_chunks`), scores each chunk with :func:`score` (the same
code as in memory, so the same numbers) and appends the scores to a CSV or Parquet file: memory
is bounded by the chunk size, not the file (a 10-million-respondent MBI export scores with a
few hundred MB). The helpers that score one chunk, say each warning once per file and check
respondent ids across chunks are shared with :func:`psychometrics.build_norms_file`.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._results import Result
from ..errors import DataError, DuplicateIdError, OptionError, PsychometricsError
from ..instruments import load_instrument
from ..io.chunks import DEFAULT_CHUNKSIZE, ChunkWriter, Progress, columns_of, iter_chunks
from ..io.plain import existing_file
from .mapping import resolve_items
from .scores import score

#: Invalid cells kept in a :class:`StreamReport` (all are counted): enough to show what is
#: wrong, bounded so a file of bad cells cannot fill memory.
MAX_CELLS = 1000


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


def score_options(options: Mapping) -> dict:
    """The scoring options of ``score_file``/``build_norms_file``'s ``**options`` (those
    :func:`score` takes per chunk), else an :class:`OptionError` naming the unknown ones."""
    allowed = {"on_invalid", "min_answered", "method", "missing_codes", "subscales"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise OptionError(f"unknown scoring option(s) {unknown}; allowed: {sorted(allowed)}",
                          option=unknown[0], value=options[unknown[0]])
    return dict(options)


def with_file_rows(exc: PsychometricsError, path: Path, offset: int, n: int) -> PsychometricsError:
    """Re-word a chunk's error so its row numbers count from the file's first row."""
    for cell in getattr(exc, "cells", []) or []:
        if isinstance(cell, dict) and "row" in cell:
            cell["row"] += offset
    if exc.args:
        # describe_rows() writes "row 12" (1-based within the chunk): make it the file's row
        text = re.sub(r"\brow (\d+)\b", lambda m: f"row {int(m.group(1)) + offset}", str(exc.args[0]))
        exc.args = (f"{path}: {text}",) + exc.args[1:]
    return exc


class ChunkWarnings:
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


def score_chunk(chunk: pd.DataFrame, inst, mapping, id, opts: dict, src: Path, offset: int,
                 said: ChunkWarnings) -> pd.DataFrame:
    """Score one chunk; its warnings are collected (said once per file, not per chunk) and
    an error names the file's own rows (``offset`` rows came before this chunk)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            scores = score(chunk, inst, items=mapping, id=id, **opts)
        except PsychometricsError as exc:
            raise with_file_rows(exc, src, offset, len(chunk)) from None
    said.add(caught)
    return scores


def check_columns(src: Path, header: list[str], needed: list[str]) -> None:
    """A :class:`DataError` naming the ``needed`` columns (id, kept or stratum columns) that
    the file's ``header`` lacks."""
    absent = [c for c in needed if c not in header]
    if absent:
        raise DataError(f"{src}: no column(s) {absent}; columns: {', '.join(header[:15])}")


def ids_hash(values: np.ndarray) -> np.ndarray:
    """64-bit hashes of respondent ids, to find duplicates across chunks without keeping ids."""
    return pd.util.hash_array(np.asarray(values, dtype=object), categorize=False)


def check_ids_across_chunks(hashes: list[np.ndarray], path: Path, id: str, chunksize: int) -> None:
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
        hit = np.isin(ids_hash(ids), dup_h)
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
    # Over 80 lines only by its numpydoc docstring (51 lines); the code is 27 lines.
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

    t0 = time.perf_counter()
    src = existing_file(path)
    opts = score_options(options)
    inst = load_instrument(instrument, keys=keys, form=form)
    header = columns_of(src)
    mapping = resolve_items(header, inst, items, subscales=opts.get("subscales"))
    keep = list(keep or ())
    check_columns(src, header, ([id] if id else []) + keep)
    writer = ChunkWriter(Path(output), src) if output is not None else None
    said = ChunkWarnings()
    try:
        tally = _score_chunks(src, inst, mapping, id, keep, opts, chunksize=chunksize,
                              writer=writer, said=said, progress=progress)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.commit()
    if any(tally.prorated.values()):
        warnings.warn(f"prorated sums (mean of answered items x number of items) for "
                      f"{ {k: v for k, v in tally.prorated.items() if v} } respondents", stacklevel=2)
    texts = said.emit(stacklevel=2)
    return StreamReport(input=str(src), output=None if output is None else str(output),
                        instrument=inst.id, rows=tally.rows, chunks=tally.chunks,
                        seconds=time.perf_counter() - t0, prorated=tally.prorated,
                        invalid=tally.n_invalid, invalid_cells=tally.cells, warnings=texts)


class _Tally:
    """What :func:`score_file` adds up over the chunks: rows, chunks, prorated sums, invalid
    cells (the first :data:`MAX_CELLS` kept, with the file's row numbers; all counted)."""

    def __init__(self):
        self.prorated: dict[str, int] = {}
        self.cells: list[dict] = []
        self.n_invalid = self.rows = self.chunks = 0

    def add(self, scores: pd.DataFrame, n_rows: int) -> None:
        report = scores.attrs.get("psychometrics", {})
        for sid, k in (report.get("prorated") or {}).items():
            self.prorated[sid] = self.prorated.get(sid, 0) + int(k)
        invalid = report.get("invalid") or []
        self.n_invalid += len(invalid)
        for cell in invalid[:max(0, MAX_CELLS - len(self.cells))]:
            self.cells.append({**cell, "row": cell["row"] + self.rows} if "row" in cell else dict(cell))
        self.rows += n_rows
        self.chunks += 1


def _score_chunks(src: Path, inst, mapping: dict[str, str], id: str | None, keep: list[str],
                  opts: dict, *, chunksize: int, writer: ChunkWriter | None, said: ChunkWarnings,
                  progress: bool | None) -> _Tally:
    """Score the file chunk by chunk, writing each chunk's scores (and ``keep`` columns)."""
    columns = ([id] if id else []) + list(mapping.values()) + keep
    bar = Progress(f"scoring {src.name}", progress)
    tally = _Tally()
    hashes: list[np.ndarray] = []
    try:
        for chunk, fraction in iter_chunks(src, chunksize=chunksize, columns=columns, id=id):
            scores = score_chunk(chunk, inst, mapping, id, opts, src, tally.rows, said)
            tally.add(scores, len(chunk))
            if id is not None:
                hashes.append(ids_hash(scores[id].to_numpy()))
            if keep:
                attrs = scores.attrs
                scores = pd.concat([scores, chunk[keep]], axis=1)
                scores.attrs = attrs  # concat drops attrs the parts do not share
            if writer is not None:
                writer.write(scores)
            bar.update(tally.rows, fraction)
        if id is not None:
            check_ids_across_chunks(hashes, src, id, chunksize)
    finally:
        bar.close()
    return tally


