"""Exception hierarchy.

Every user-facing error names where (file, field, column, row/respondent) and what (the value),
so a researcher can fix the export or the data file without reading a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence


class PsychometricsError(Exception):
    """Base class of every error raised on purpose by this package."""


class InstrumentError(PsychometricsError):
    """An instrument file is missing, unreadable or does not validate against the schema."""


class NormError(PsychometricsError):
    """A norm file is missing or invalid, or a respondent's stratum is not in the norm set."""


class DataError(PsychometricsError, ValueError):
    """The data passed in cannot be used as it is (wrong shape, columns, types)."""


class MissingColumnError(DataError):
    """Columns the instrument needs are not in the data."""


class DuplicateIdError(DataError):
    """Respondent ids are not unique."""


class InvalidResponseError(DataError):
    """Response values outside the instrument's scale, non-numeric text, or non-integers."""

    def __init__(self, message: str, cells: Sequence[dict] | None = None):
        super().__init__(message)
        #: one dict per invalid cell: column, row (position), respondent, value
        self.cells = list(cells or [])


class ExportError(DataError):
    """An export file cannot be read."""


class LimitError(DataError):
    """An input is larger than the reading limits allow (decompressed size, cell length,
    rows, columns): a guard against zip bombs and runaway files, raised before the data is
    loaded where possible. The message names the limit and how to raise it
    (``limits={...}`` in Python, ``--limit NAME=VALUE`` on the command line)."""

    def __init__(self, message: str, limit: str | None = None, value=None):
        super().__init__(message)
        self.limit = limit
        self.value = value


class ModelError(PsychometricsError, ValueError):
    """A factor model (lavaan syntax) cannot be parsed or identified."""


class OptionError(PsychometricsError, ValueError):
    """An argument (Python keyword or CLI option) has a value the function cannot use.

    ``option`` is the keyword name (``"on_invalid"``), so the CLI can restate the message in
    its own words (``--on-invalid``); ``value`` is the value that was given.
    """

    def __init__(self, message: str, option: str | None = None, value=None):
        super().__init__(message)
        self.option = option
        self.value = value


class ConvergenceError(PsychometricsError, RuntimeError):
    """An iterative estimator did not converge."""


class ImmutableError(PsychometricsError, TypeError):
    """A loaded instrument or norm set was changed in place.

    Loaded objects are cached and shared by every caller in the process, so they are
    read-only; build a changed copy instead (a YAML file of your own, ``keys=``, or
    ``copy.deepcopy(obj.doc)``, which returns plain, writable data).
    """


def describe_rows(respondents: Sequence, positions: Sequence[int], limit: int = 5) -> str:
    """Human-readable list of the first few offending rows: ``R12 (row 12), R40 (row 40)``.

    Rows are 1-based data rows as a spreadsheet user counts them (header excluded).
    """
    parts = [f"{r!s} (row {p + 1})" if str(r) != str(p) else f"row {p + 1}"
             for r, p in zip(respondents[:limit], positions[:limit])]
    more = len(positions) - limit
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")


_PACKAGE_DIR = __file__.rsplit("errors.py", 1)[0]


def warn_at_caller(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` attributed to the first frame outside the package.

    A fixed ``stacklevel`` breaks whenever a call passes through one more package frame (the
    BLAS-limiting decorator, a helper shared by two public functions), and the warning then
    names a line of the package instead of the user's own call.
    """
    import sys
    import warnings

    frame, level = sys._getframe(1), 2     # level 2: the caller of this function
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
