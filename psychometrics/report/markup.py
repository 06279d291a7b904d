"""HTML pieces of the report: escaped text, number cells, tables, figures, lists, key figures.

Every number cell carries its unrounded value in a ``data-value`` attribute (an interval:
``data-low``/``data-high``), so a page can be checked against the functions behind it.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .methods import readable_note

__all__ = ["esc", "is_number", "fmt", "html_table", "figure_html", "kpis", "notes_html",
           "LIST_CAP", "download_link", "capped_table"]


def esc(v) -> str:
    return html.escape(str(v), quote=True)


def is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def fmt(v, digits: int) -> str:
    if v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and np.isnan(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "✓" if v else ""
    if isinstance(v, (int, np.integer)):
        return f"{int(v)}"
    if isinstance(v, (float, np.floating)):
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
        if float(v).is_integer() and abs(v) < 1e15 and digits >= 0:
            return f"{int(v)}"
        return f"{v:.{digits}f}"
    return str(v)


def html_table(df: pd.DataFrame, *, table_id: str, digits: int | Mapping[str, int] = 3,
           index: bool = True, labels: Mapping[str, str] | None = None,
           row_class: Sequence[str] | None = None) -> str:
    """An HTML table; number cells carry their unrounded value in ``data-value``."""
    labels = labels or {}
    cols = list(df.columns)
    head = (f"<th>{esc(labels.get(str(df.index.name), df.index.name or ''))}</th>" if index else "")
    head += "".join(f'<th class="{"num" if pd.api.types.is_numeric_dtype(df[c]) else ""}" '
                    f'data-key="{esc(c)}">{esc(labels.get(str(c), c))}</th>' for c in cols)
    body = []
    for r, (idx, row) in enumerate(zip(df.index, df.itertuples(index=False, name=None))):
        cells = [f'<th data-key="{esc(idx)}">{esc(labels.get(str(idx), idx))}</th>'] if index else []
        for c, v in zip(cols, row):
            d = digits.get(str(c), 3) if isinstance(digits, Mapping) else digits
            if isinstance(v, tuple) and len(v) == 2 and all(is_number(u) for u in v):
                # an interval: shown "low - high", both bounds kept unrounded
                cells.append(f'<td class="num" data-key="{esc(c)}" data-low="{float(v[0])!r}" '
                             f'data-high="{float(v[1])!r}">{esc(fmt(v[0], d))} – '
                             f"{esc(fmt(v[1], d))}</td>")
            elif is_number(v) and not (isinstance(v, float) and np.isnan(v)):
                cells.append(f'<td class="num" data-key="{esc(c)}" data-value="{float(v)!r}">'
                             f"{esc(fmt(v, d))}</td>")
            else:
                cells.append(f'<td data-key="{esc(c)}">{esc(fmt(v, d))}</td>')
        cls = f' class="{row_class[r]}"' if row_class is not None and row_class[r] else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (f'<table id="{esc(table_id)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def figure_html(fig, alt: str, caption: str | None = None) -> str:
    """A matplotlib Figure as an embedded PNG (<img src="data:image/png;base64,...">)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96)  # laid out by tight_layout: one draw only
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{esc(alt)}" src="data:image/png;base64,{data}">{cap}</figure>'


def kpis(pairs: Sequence[tuple[str, object, str]]) -> str:
    parts = []
    for key, value, label in pairs:
        parts.append(f'<div data-key="{esc(key)}"><b>{esc(value)}</b><small>{esc(label)}</small></div>')
    return f'<div class="kpi">{"".join(parts)}</div>'


def notes_html(notes: Sequence[str]) -> str:
    return "".join(f'<p class="note">{esc(readable_note(n))}</p>' for n in notes)


#: Rows of a respondent list shown on the page; the full list is an embedded CSV download.
LIST_CAP = 25


def download_link(df: pd.DataFrame, filename: str, text: str) -> str:
    """A link that saves ``df`` as CSV from the page itself (a data: URI, works offline)."""
    data = base64.b64encode(df.to_csv(index=False).encode("utf-8")).decode("ascii")
    return (f'<p class="download"><a download="{esc(filename)}" '
            f'href="data:text/csv;charset=utf-8;base64,{data}">{esc(text)}</a></p>')


def capped_table(df: pd.DataFrame, table_id: str, filename: str, labels: Mapping[str, str],
            digits: int | Mapping[str, int] = 3) -> str:
    """A respondent list: the first :data:`LIST_CAP` rows, and the full list as a CSV link."""
    if len(df) <= LIST_CAP:
        return html_table(df, table_id=table_id, index=False, labels=labels, digits=digits)
    head = html_table(df.head(LIST_CAP), table_id=table_id, index=False, labels=labels,
                  digits=digits)
    shown = labels["showing_first"].format(shown=LIST_CAP, n=len(df))
    return (head + f'<p class="muted">{esc(shown)}</p>'
            + download_link(df, filename, f"{labels['download']} {filename} ({len(df)})"))
