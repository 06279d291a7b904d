"""Tables for the pages: a DataFrame as rows of display strings, each with its exact value."""

from __future__ import annotations

import pandas as pd

from . import tasks

#: Beyond this magnitude a whole float is shown with its digits, not as an integer.
WHOLE_LIMIT = 1e15


def table(df: pd.DataFrame, digits: int = 3, max_rows: int = tasks.PAGE_ROWS,
          index: bool = False) -> dict:
    """A DataFrame as rows of display strings, each with its unrounded value (the pages put it
    in ``data-value``, so a test or a careful reader gets every digit)."""
    if index:
        df = df.reset_index()
    shown = df.head(max_rows)
    rows = []
    for rec in shown.itertuples(index=False):
        cells = []
        for v in rec:
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                cells.append(("", ""))
            elif isinstance(v, float):
                text = f"{v:.0f}" if v.is_integer() and abs(v) < WHOLE_LIMIT else f"{v:.{digits}f}"
                cells.append((text, repr(v)))
            else:
                cells.append((str(v), str(v)))
        rows.append(cells)
    return {"columns": [str(c) for c in df.columns], "rows": rows, "n": len(df),
            "shown": len(shown)}
