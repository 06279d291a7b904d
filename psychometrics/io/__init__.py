"""Files in and out: reading exports, writing results, the bundled examples.

* :mod:`~psychometrics.io.readers`: :func:`read_table` (CSV, Excel, SPSS, Parquet) and
  :func:`read_export` (Qualtrics, LimeSurvey, SPSS user-missing codes), built on
  :mod:`~psychometrics.io.plain` (sniffing, Excel and SPSS reading, reading limits);
* :mod:`~psychometrics.io.writers`: :func:`write_table` and every command's ``-o``
  (:func:`~psychometrics.io.writers.write_result`): by extension, atomic, formulas
  neutralised, provenance;
* :mod:`~psychometrics.io.formats`: the output extensions (no imports, for the CLI's help);
* :mod:`~psychometrics.io.parquet` and :mod:`~psychometrics.io.chunks`: Parquet, and files
  larger than memory read and written in chunks;
* :mod:`~psychometrics.io.examples`: :func:`example_path`, :func:`list_examples`.

io sits below scoring and the statistics and imports none of them. Its names load lazily
(as the package's own do), so that ``psychometrics.io.formats`` stays free of pandas for the
CLI's ``--help``. Checking an export against an instrument (``match_items``) is scoring:
:mod:`psychometrics.scoring.mapping`.
"""

from __future__ import annotations

import importlib

#: Public name -> submodule of psychometrics.io that defines it.
_NAMES = {
    "read_table": "readers", "read_export": "readers", "SOURCES": "readers",
    "INCOMPLETE": "readers", "QUALTRICS_META": "readers", "LIMESURVEY_META": "readers",
    "NA_MARKERS": "plain", "csv_format": "plain",
    "write_table": "writers", "write_result": "writers",
    "read_parquet": "parquet", "write_parquet": "parquet",
    "example_path": "examples", "list_examples": "examples",
    "TABLE_FORMATS": "formats",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str):
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'psychometrics.io' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
