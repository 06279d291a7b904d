"""Writing results to files: one place that decides the format, writes atomically and safely.

Every command's ``-o`` (:func:`write_result`) and :func:`write_table` end here, so the rules hold
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
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..errors import DataError, ExportError
from .formats import TABLE_FORMATS
from .parquet import PARQUET_SUFFIXES, write_parquet
from .plain import ID_HINTS

#: The extensions :func:`write_table` writes (``.txt`` is CSV, ``.pq`` Parquet).
WRITE_TABLE_FORMATS = (".csv", ".txt", ".xlsx", ".xlsm", ".sav", ".json", ".html", ".parquet", ".pq")

#: SPSS file notes are lines of at most 80 characters (the .sav document record's line length).
SPSS_NOTE_WIDTH = 80

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
    try:
        is_dir = p.is_dir()
    except OSError as exc:  # e.g. a name longer than the file system allows
        raise ExportError(f"-o {str(p)[:80]!r}: cannot be written ({exc.strerror})") from None
    if is_dir:
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
    from .. import __version__

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
            return write_table(result, path, id=id if id in result.columns else None,
                               neutralise=False)
        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str)
        return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    if suffix == ".html":
        page = html_page(result, Path(path).stem)
        return atomic_write(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    table = table_of(result)
    if table is not result:  # the result's table, with the result's provenance
        table = table.copy()
        table.attrs["psychometrics"] = {k: v for k, v in provenance(result).items()
                                        if k not in ("software", "date")}
    return write_table(table, path, id=id if (id in table.columns) else None,
                       neutralise=neutralise_formulas, options=options)


# ---- tables: CSV, Excel, SPSS, JSON, HTML, Parquet --------------------------------------------------------------------------------

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
        from ..errors import PsychometricsError
        from ..i18n import pick
        from ..instruments import load_instrument
        try:
            inst = load_instrument(info["instrument"], form=info.get("form"), warn=False)
        except PsychometricsError:
            return labels
        for sid, sub in inst.subscales.items():
            name = pick(sub.name, lang)
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
    # Over 80 lines only by its numpydoc docstring (57 lines); the code is 31 lines.
    """Write a result table as CSV, Excel, SPSS, JSON or HTML, by the file's extension.

    The write is atomic (a temporary file in the same folder, renamed when complete); see
    :mod:`psychometrics.io.writers` for the rules every output follows.

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
        (:func:`psychometrics.io.writers.neutralise`); False writes the raw values.
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
    check_format(p, WRITE_TABLE_FORMATS)
    prov = provenance(df, options=options)
    if suffix in (".csv", ".txt"):
        _write_csv(df, p, keep_index=keep_index, sep=sep, decimal=decimal, neutral=neutralise)
    elif suffix in (".xlsx", ".xlsm"):
        _write_xlsx(df, p, keep_index=keep_index, prov=prov, neutral=neutralise)
    elif suffix == ".sav":
        # SPSS file notes are lines of at most 80 characters
        note = [f"{k}: {v}"[:SPSS_NOTE_WIDTH] for k, v in prov.items() if k != "options"]
        atomic_write(p, lambda tmp: _write_sav(utc_naive(df), tmp, id=id, keep_index=keep_index,
                                               variable_labels=variable_labels,
                                               value_labels=value_labels, lang=lang, note=note))
    elif suffix == ".json":
        out = df.reset_index(names=[n or "respondent" for n in df.index.names]) \
            if keep_index else df  # respondent labels in the index are kept
        atomic_write(p, lambda tmp: out.to_json(tmp, orient="records", force_ascii=False,
                                                indent=2, date_format="iso"))
    elif suffix in PARQUET_SUFFIXES:
        atomic_write(p, lambda tmp: write_parquet(df, tmp))
    else:  # .html
        page = html_page(df, p.stem)
        atomic_write(p, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return p


def _write_csv(df: pd.DataFrame, p: Path, *, keep_index: bool, sep: str, decimal: str,
               neutral: bool) -> None:
    out = neutralise(df) if neutral else df
    # a bare carriage return inside a cell must be quoted, or a reader splits the row
    # there; the csv module quotes only the characters of the line terminator
    lineterminator = "\r\n" if _has_cr(out) else "\n"
    atomic_write(p, lambda tmp: out.to_csv(tmp, index=keep_index, sep=sep, decimal=decimal,
                                            lineterminator=lineterminator))


def _write_xlsx(df: pd.DataFrame, p: Path, *, keep_index: bool, prov: dict, neutral: bool) -> None:
    """The table on sheet ``data``, the provenance on sheet ``provenance``."""
    out = utc_naive(neutralise(df) if neutral else df)
    sheet = pd.DataFrame([(k, json.dumps(v, default=str, ensure_ascii=False)
                           if not isinstance(v, str) else v) for k, v in prov.items()],
                         columns=["field", "value"])

    def write_xlsx(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            out.to_excel(xw, index=keep_index, sheet_name="data")
            (neutralise(sheet) if neutral else sheet).to_excel(
                xw, index=False, sheet_name="provenance")
    atomic_write(p, write_xlsx)


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
        id_like = str(col).lower().replace(" ", "_") in ID_HINTS
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
