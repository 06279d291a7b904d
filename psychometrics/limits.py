"""Size limits for the files the package reads (zip bombs, runaway exports, huge YAML).

A survey export is at most a few hundred thousand respondents by a few thousand columns, and
no answer is longer than Excel's own cell limit (32,767 characters). Files beyond that are
not exports but accidents or attacks (a 310 KB .xlsx that inflates to one 300 MB string), so
the readers check these limits *before* loading where the format allows it (zip members'
declared sizes, the longest run of bytes without a delimiter, SPSS metadata) and raise
:class:`~psychometrics.errors.LimitError` naming the limit and how to raise it.

Raise a limit for one call with ``limits={"max_bytes": 2_000_000_000}`` (every reader takes
``limits=``), for a block of code with :func:`use_limits`, or on the command line with
``--limit max_bytes=2e9`` (repeatable).
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace

from .errors import LimitError, OptionError


@dataclass(frozen=True)
class Limits:
    """Reading limits (all inclusive maxima).

    Attributes
    ----------
    max_bytes : int
        Size of a CSV file, of the uncompressed members of an .xlsx (zip) file, or of the
        uncompressed data of a .sav file (rows x columns x 8 bytes). Default 256 MiB.
    max_cell_chars : int
        Characters in one cell (Excel's own limit, 32,767).
    max_rows, max_columns : int
        Data rows and columns (Excel's own sheet limits: 1,048,576 and 16,384).
    max_cells : int
        Rows x columns (default 50 million).
    max_yaml_bytes : int
        Size of a YAML file (instrument, keys, norms, margins, items); default 5 MiB.

    Examples
    --------
    >>> Limits().max_cell_chars
    32767
    >>> resolve_limits({"max_rows": 10}).max_rows
    10
    """

    max_bytes: int = 256 * 1024 * 1024
    max_cell_chars: int = 32_767
    max_rows: int = 1_048_576
    max_columns: int = 16_384
    max_cells: int = 50_000_000
    max_yaml_bytes: int = 5 * 1024 * 1024

    def to_dict(self) -> dict:
        return asdict(self)


_DEFAULT = Limits()
_CURRENT: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("psychometrics_limits",
                                                                          default=None)

NAMES = tuple(f.name for f in fields(Limits))


def current_limits() -> Limits:
    """The limits in force (the defaults unless :func:`use_limits` changed them)."""
    return _CURRENT.get() or _DEFAULT


def resolve_limits(limits: Limits | Mapping | None = None) -> Limits:
    """The limits for one call: ``limits`` (a :class:`Limits` or a mapping of the names to
    change) over the limits in force.

    Raises
    ------
    OptionError
        An unknown limit name, or a value that is not a positive whole number.
    """
    base = current_limits()
    if limits is None:
        return base
    if isinstance(limits, Limits):
        return limits
    if not isinstance(limits, Mapping):
        raise OptionError(f"limits must be a dict such as {{'max_bytes': 1e9}}, not "
                          f"{type(limits).__name__}", "limits", limits)
    changes = {}
    for name, value in limits.items():
        if name not in NAMES:
            raise OptionError(f"limits: unknown limit {name!r}; limits: {', '.join(NAMES)}",
                              "limits", name)
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if isinstance(value, bool) or not (math.isfinite(number) and number >= 1
                                           and number.is_integer()):
            raise OptionError(f"limits: {name} must be a whole number >= 1; got {value!r}",
                              "limits", value)
        changes[name] = int(number)
    return replace(base, **changes)


def parse_limit_options(values: list[str] | None) -> dict:
    """``--limit max_bytes=2e9 --limit max_rows=5000000`` -> a mapping for :func:`resolve_limits`."""
    out = {}
    for v in values or []:
        name, sep, value = v.partition("=")
        if not sep:
            raise OptionError(f"--limit {v!r}: use NAME=VALUE, e.g. --limit max_bytes=1e9; "
                              f"limits: {', '.join(NAMES)}", "limit", v)
        out[name.strip()] = value.strip()
    resolve_limits(out)  # checks names and values
    return out


@contextmanager
def use_limits(**changes) -> Iterator[Limits]:
    """Change the reading limits within a ``with`` block (e.g. for a very large export).

    Examples
    --------
    >>> with use_limits(max_rows=5):
    ...     current_limits().max_rows
    5
    """
    token = _CURRENT.set(resolve_limits(changes))
    try:
        yield current_limits()
    finally:
        _CURRENT.reset(token)


def exceeded(what: str, limit: str, value, maximum) -> LimitError:
    """A :class:`LimitError` saying which limit ``what`` exceeds and how to raise it."""
    return LimitError(f"{what}: {value:,} is more than the limit {limit}={maximum:,} (a guard "
                      "against zip bombs and runaway files). If the file is genuine, raise it with "
                      f"limits={{{limit!r}: ...}} or --limit {limit}=...", limit, value)
