"""The example exports bundled with the package (``examples/``), for the README, the notebooks
and the tests."""

from __future__ import annotations

from pathlib import Path

from ..errors import ExportError


def example_path(name: str) -> Path:
    """Path of a bundled example file (installed package or source checkout).

    Examples
    --------
    >>> example_path("mbi-hss-qualtrics.csv").name
    'mbi-hss-qualtrics.csv'
    """
    from ..instruments import data_dir

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
    from ..instruments import data_dir

    folder = data_dir("examples")
    return sorted(p.name for p in folder.iterdir()
                  if p.is_file() and p.suffix in (".csv", ".yaml", ".sav"))
