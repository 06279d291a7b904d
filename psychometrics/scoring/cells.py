"""Reading response cells: one export column -> numeric codes, with what cannot be read.

A cell is a number (a code), a missing marker (blank, ``NA``, ``.``, ...: :data:`MISSING_MARKERS`)
or a response label of the instrument in any of its languages (``"Nooit"``, ``"Jamais"``,
``"Never"``: :meth:`~psychometrics.instruments.Instrument.label_codes`, case-folded);
anything else is *unreadable* text. Decimal commas are resolved when the file is read
(:func:`psychometrics.io.read_table`), so cells arrive here as numbers or text. This is the
one cell parser: :func:`~psychometrics.scoring.score` and
:func:`~psychometrics.scoring.match_items` both read cells with :func:`cell_values`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Cell texts read as "not answered" (after stripping white space).
MISSING_MARKERS = frozenset({"", "NA", "N/A", "n/a", "na", "NaN", "nan", "#N/A", "NULL", "null",
                             "None", "."})


def cell_values(col: pd.Series, labels: dict[str, int]) -> tuple[np.ndarray, np.ndarray, bool]:
    """One export column -> (float values with NaN for missing, bool mask of text cells that
    are neither numbers, missing markers nor response labels, whether all values are integers
    by type)."""
    no_text = np.zeros(len(col), bool)
    if pd.api.types.is_bool_dtype(col):  # a TRUE/FALSE column is not codes 1 and 0
        return np.full(len(col), np.nan), col.notna().to_numpy(dtype=bool), False
    if pd.api.types.is_integer_dtype(col) and isinstance(col.dtype, np.dtype):
        return col.to_numpy(), no_text, True  # converted to float by the caller, in place
    if pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=float, na_value=np.nan), no_text, False
    text = col.astype("string").str.strip()
    missing = text.isna() | text.isin(MISSING_MARKERS)
    num = pd.to_numeric(text.where(~missing), errors="coerce")
    values = num.to_numpy(dtype=float, na_value=np.nan).copy()  # pandas may hand out read-only views
    unparsed = (num.isna() & ~missing).to_numpy().copy()
    if unparsed.any() and labels:
        mapped = text[unparsed].str.casefold().map(labels)
        values[unparsed] = mapped.to_numpy(dtype=float, na_value=np.nan)
        unparsed[unparsed] = mapped.isna().to_numpy()
    return values, unparsed, False
