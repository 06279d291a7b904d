"""Writing results to files: one place that decides the format, writes atomically and safely.

Every command's ``-o`` and :func:`~psychometrics.io.write_table` end here, so the rules hold
for every output:

* the format is the file's extension, and only the formats a command lists are accepted
  (anything else is an :class:`~psychometrics.errors.ExportError` naming the supported ones);
* a write is atomic: the file is written to a temporary file in the same folder and renamed
  over the target (``os.replace``) only when complete, so an interrupted or failed write never
  leaves a half-written file or destroys the previous one;
* an output that names one of the command's input files is refused;
* spreadsheet-bound text (``.csv`` and ``.xlsx`` cells, column names and index labels) that
  starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``, so a
  spreadsheet never runs it as a formula (OWASP "CSV injection"); ``neutralise=False`` (CLI
  ``--raw-values``) writes the values as they are;
* ``.xlsx`` files get a second sheet ``provenance`` (package and version, date, instrument,
  norm set, options), ``.sav`` files carry it as a file note.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pandas as pd

from .errors import ExportError
from .formats import TABLE_FORMATS

#: First characters that make a spreadsheet read a cell as a formula (or a DDE payload).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def check_format(path: str | Path, formats: Iterable[str]) -> str:
    """The extension of ``path`` if it is one of ``formats``, else an :class:`ExportError`.

    Examples
    --------
    >>> check_format("scores.CSV", TABLE_FORMATS)
    '.csv'
    """
    formats = tuple(formats)
    p = Path(path)
    if p.is_dir():
        raise ExportError(f"-o {p}: is a folder; give a file name ending in {', '.join(formats)}")
    suffix = p.suffix.lower()
    if suffix not in formats:
        raise ExportError(f"-o {p}: cannot write {suffix or 'a file without extension'} here; "
                          f"supported: {', '.join(formats)}")
    return suffix


def check_not_input(path: str | Path, inputs: Iterable) -> None:
    """Refuse an output path that is one of the inputs (it would destroy the data read)."""
    out = Path(path)
    for item in inputs:
        if item is None or not isinstance(item, (str, os.PathLike)):
            continue
        src = Path(item)
        try:
            same = src.exists() and out.exists() and os.path.samefile(src, out)
        except OSError:
            same = False
        if same or (src.exists() and src.resolve() == out.resolve()):
            raise ExportError(f"-o {out}: is one of the input files; writing there would "
                              "overwrite your data. Choose another output file")


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it to ``path``.

    The temporary file has the same extension (writers that look at it choose the format)
    and lives in the same folder, so ``os.replace`` is an atomic rename. On any failure,
    including Ctrl-C, the temporary file is removed and ``path`` is left as it was.
    """
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"{p}: cannot be written: folder {str(folder)!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=p.suffix, dir=folder)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, _mode(p))  # mkstemp makes the file private; give it a normal file's mode
        os.replace(tmp, p)
    except OSError as exc:
        _remove(tmp)
        raise ExportError(f"{p}: cannot be written: {exc}") from None
    except BaseException:  # Ctrl-C or a writer's error: no half-written file is left behind
        _remove(tmp)
        raise
    return p


def _mode(p: Path) -> int:
    """The mode the file gets: the existing file's, else 0o666 less the umask."""
    if p.exists():
        return p.stat().st_mode & 0o7777
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


def _neutral_text(v):
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v
    return v


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells, column names and index labels cannot run as formulas.

    Text starting with ``= + - @``, a tab or a carriage return gets a leading ``'`` (the
    usual spreadsheet convention; the value is shown as typed). Numbers are not touched, so
    a negative score stays a number.

    Examples
    --------
    >>> neutralise(pd.DataFrame({"id": ["=1+2", "r2"], "x": [-1.0, 2.0]}))["id"].tolist()
    ["'=1+2", 'r2']
    """
    out = df.copy()
    for j in range(out.shape[1]):
        col = out.iloc[:, j]
        if col.dtype == object or pd.api.types.is_string_dtype(col) or \
                isinstance(col.dtype, pd.CategoricalDtype):
            if isinstance(col.dtype, pd.CategoricalDtype):
                col = col.cat.rename_categories([_neutral_text(c) for c in col.cat.categories])
            else:
                col = col.map(_neutral_text, na_action="ignore")
            out.isetitem(j, col)
    out.columns = [_neutral_text(c) for c in out.columns]
    if out.index.dtype == object:
        out.index = out.index.map(_neutral_text)
    return out


def provenance(result=None, *, options: Mapping | None = None) -> dict:
    """What an output file says about how it was made: package, date, instrument, norm set."""
    from . import __version__

    info: dict = {"software": f"burnout-psychometrics {__version__}",
                  "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    meta = {}
    if isinstance(result, pd.DataFrame):
        meta = result.attrs.get("psychometrics") or {}
    elif hasattr(result, "to_dict"):
        meta = {k: v for k, v in (_safe_dict(result)).items()
                if k in ("instrument", "norms", "estimator", "seed", "n_boot")}
    for key in ("instrument", "version", "form", "keys_source"):
        value = meta.get(key)
        if isinstance(value, Mapping):  # a norm file's {id, version}
            value = value.get("id")
        if value is not None:
            info[key] = value
    norms = meta.get("norms")
    if isinstance(norms, Mapping):
        for key in ("id", "source", "n", "by", "matched"):
            if norms.get(key) not in (None, {}, []):
                info[f"norm set {key}"] = norms[key]
    elif norms:
        info["norm set"] = norms
    for key in ("scoring", "min_answered", "prorated", "unscored", "seed", "n_boot", "estimator"):
        if meta.get(key) not in (None, {}, []):
            info[key] = meta[key]
    if options:
        info["options"] = {k: v for k, v in options.items() if v not in (None, False, [], "")}
    return info


def _safe_dict(result) -> dict:
    d = result.to_dict()
    return d if isinstance(d, dict) else {}


def table_of(result) -> pd.DataFrame:
    """The table a result is written as in .csv/.xlsx/.sav/.html.

    A DataFrame is itself; a result with a main table (``to_frame()``, ``table``,
    ``estimates``, an instrument's ``key()``) gives that; anything else is its ``to_dict()``
    flattened to ``field``/``value`` rows, so every number of the result is in the file.
    """
    if isinstance(result, pd.DataFrame):
        return result
    if callable(getattr(result, "to_frame", None)):
        return result.to_frame()
    for name in ("table", "estimates"):
        value = getattr(result, name, None)
        if isinstance(value, pd.DataFrame):
            return value
    if callable(getattr(result, "key", None)) and hasattr(result, "subscales"):
        return result.key()
    rows = _flatten(result.to_dict() if hasattr(result, "to_dict") else result)
    return pd.DataFrame(rows, columns=["field", "value"])


def _flatten(value, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(value, Mapping):
        out = []
        for k, v in value.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(value, (list, tuple)) and any(isinstance(v, (Mapping, list, tuple)) for v in value):
        out = []
        for i, v in enumerate(value):
            out += _flatten(v, f"{prefix}[{i}]")
        return out
    if isinstance(value, (list, tuple)):
        return [(prefix, ", ".join(map(str, value)))]
    return [(prefix, value)]


def utc_naive(df: pd.DataFrame) -> pd.DataFrame:
    """Time-zone aware datetimes as UTC wall times (Excel and SPSS have no time zones)."""
    tz_cols = [j for j in range(df.shape[1]) if isinstance(df.iloc[:, j].dtype, pd.DatetimeTZDtype)]
    if not tz_cols:
        return df
    out = df.copy()
    for j in tz_cols:
        out.isetitem(j, out.iloc[:, j].dt.tz_convert("UTC").dt.tz_localize(None))
    return out


def html_page(result, title: str = "psychometrics") -> str:
    """A small self-contained HTML page of a result: its table and its summary (escaped)."""
    import html

    table = table_of(result)
    keep_index = not isinstance(table.index, pd.RangeIndex)
    body = table.to_html(index=keep_index, na_rep="", escape=True, border=0)
    summary = "" if isinstance(result, pd.DataFrame) or not hasattr(result, "summary") else \
        f"<pre>{html.escape(result.summary())}</pre>"
    prov = html.escape(json.dumps(provenance(result), default=str, ensure_ascii=False))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:right}</style>"
            f"</head><body><h1>{html.escape(title)}</h1>{summary}{body}"
            f"<p><small>{prov}</small></p></body></html>")


def write_result(result, path: str | Path, *, formats: Iterable[str] = TABLE_FORMATS,
                 inputs: Iterable = (), options: Mapping | None = None,
                 neutralise_formulas: bool = True, id: str | None = None) -> Path:
    """Write a result (a DataFrame or a result object) to ``path`` in the format of its extension.

    Parameters
    ----------
    result : DataFrame or result object
        Tables are written as they are; results as their main table (:func:`table_of`) in
        .csv/.xlsx/.sav, as ``to_dict()`` in .json and as a page in .html.
    path : str or Path
    formats : list of str
        The extensions accepted (a command's list).
    inputs : list of paths
        Files the result was made from; ``path`` may not be one of them.
    options : dict, optional
        The call's options, recorded in the provenance.
    neutralise_formulas : bool
        Neutralise formula-like text in .csv/.xlsx (see :func:`neutralise`).
    id : str, optional
        Respondent id column of a table.

    Raises
    ------
    ExportError
        Unsupported extension, an input file as output, or a file that cannot be written.
    """
    check_not_input(path, inputs)
    suffix = check_format(path, formats)
    if suffix == ".json":
        if isinstance(result, pd.DataFrame):
            from .io import write_table
            return write_table(result, path, id=id if id in result.columns else None,
                               neutralise=False)
        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str)
        return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    if suffix == ".html":
        page = html_page(result, Path(path).stem)
        return atomic_write(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    from .io import write_table
    table = table_of(result)
    if table is not result:  # the result's table, with the result's provenance
        table = table.copy()
        table.attrs["psychometrics"] = {k: v for k, v in provenance(result).items()
                                        if k not in ("software", "date")}
    return write_table(table, path, id=id if (id in table.columns) else None,
                       neutralise=neutralise_formulas, options=options)
