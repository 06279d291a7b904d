"""The report as a Word document (``report -o report.docx``), through python-docx.

The document is written from the report's own HTML sections, so it holds exactly what the page
shows: headings, the methods text, every table (as a Word table, numbers as printed) and every
figure (the same PNG). Only the embedded CSV download links are left out: a Word document
cannot carry them, and the lists they hold are in the page and in ``Report.to_dict()``.
"""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser
from pathlib import Path

from ..errors import ExportError

__all__ = ["write_docx", "html_blocks"]


class _Blocks(HTMLParser):
    """HTML of a report section -> a flat list of blocks (heading, paragraph, table, image)."""

    _TEXT = {"h1", "h2", "h3", "p", "li", "pre", "figcaption", "summary"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple] = []
        self._text: list[str] | None = None
        self._tag: str | None = None
        self._table: list[list[tuple[str, bool]]] | None = None
        self._cell: list[str] | None = None
        self._header = False
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "p" and "download" in (a.get("class") or ""):
            self._skip += 1
            return
        if self._skip:
            return
        if tag == "table":
            self._table = []
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell, self._header = [], tag == "th"
        elif tag == "img" and (a.get("src") or "").startswith("data:image/png;base64,"):
            self.blocks.append(("image", base64.b64decode(a["src"].split(",", 1)[1]),
                                a.get("alt", "")))
        elif tag == "div" and "data-key" in a and self._table is None:
            self._text, self._tag = [], "div"  # a key figure of the quality section
        elif tag == "small" and self._tag == "div" and self._text is not None:
            self._text.append(" ")
        elif tag in self._TEXT and self._table is None and self._tag != "div":
            self._text, self._tag = [], tag
        elif tag == "br" and self._text is not None:
            self._text.append("\n")

    def handle_endtag(self, tag):
        if self._skip:
            if tag == "p":
                self._skip -= 1
            return
        if tag in ("td", "th") and self._cell is not None and self._table:
            self._table[-1].append(("".join(self._cell).strip(), self._header))
            self._cell = None
        elif tag == "table" and self._table is not None:
            if self._table:
                self.blocks.append(("table", [r for r in self._table if r]))
            self._table = None
        elif tag == self._tag and self._text is not None:
            text = "".join(self._text).strip()
            if text:
                self.blocks.append((self._tag, text))
            self._text = self._tag = None

    def handle_data(self, data):
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif self._text is not None:
            self._text.append(data)


def html_blocks(html: str) -> list[tuple]:
    """The blocks of an HTML fragment: ``(tag, text)``, ``("table", rows)``, ``("image", png, alt)``.

    Examples
    --------
    >>> html_blocks('<h2>Fit</h2><table><tr><th>a</th></tr><tr><td>1</td></tr></table>')
    [('h2', 'Fit'), ('table', [[('a', True)], [('1', False)]])]
    """
    p = _Blocks()
    p.feed(html)
    p.close()
    return p.blocks


def write_docx(report, path: str | Path) -> Path:
    """Write a report as a Word document.

    Parameters
    ----------
    report : Report
        From :func:`psychometrics.render_report`.
    path : str or Path
        The ``.docx`` file to write.

    Returns
    -------
    Path

    Raises
    ------
    ExportError
        When the file cannot be written.
    """
    from docx import Document
    from docx.shared import Inches, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(10.5)
    meta = report.meta
    doc.add_heading(f"{meta.get('title') or 'Questionnaire report'}: {meta['instrument_name']}", 0)
    doc.add_paragraph(f"n = {meta['n']}"
                      + (f"; data: {Path(meta['file']).name}" if meta.get("file") else "")
                      + (f"; norm set: {meta['norms']}" if meta.get("norms") else "")
                      + f"; psychometrics {meta['psychometrics']}, {meta['date']}")
    for section in report.sections:
        if section.status == "skipped" or not section.html:
            continue
        for block in html_blocks(section.html):
            kind = block[0]
            if kind == "h2":
                doc.add_heading(block[1], 1)
            elif kind == "h3":
                doc.add_heading(block[1], 2)
            elif kind == "table":
                rows = block[1]
                width = max(len(r) for r in rows)
                table = doc.add_table(rows=len(rows), cols=width)
                table.style = "Table Grid"
                for i, row in enumerate(rows):
                    for j, (text, header) in enumerate(row):
                        cell = table.cell(i, j)
                        cell.text = text
                        for par in cell.paragraphs:
                            for run in par.runs:
                                run.font.size = Pt(9)
                                run.bold = header and i == 0
                doc.add_paragraph()
            elif kind == "image":
                doc.add_picture(io.BytesIO(block[1]), width=Inches(6.3))
            elif kind == "pre":
                par = doc.add_paragraph()
                run = par.add_run(block[1])
                run.font.name = "Consolas"
                run.font.size = Pt(9)
            elif kind == "li":
                doc.add_paragraph(block[1], style="List Bullet")
            elif kind == "div":
                value, _, label = block[1].partition(" ")
                par = doc.add_paragraph(style="List Bullet")
                par.add_run(f"{label}: ")
                par.add_run(value).bold = True
            elif kind in ("figcaption", "summary"):
                doc.add_paragraph().add_run(block[1]).italic = True
            else:
                doc.add_paragraph(block[1])
    p = Path(path)
    try:
        doc.save(str(p))
    except OSError as exc:
        raise ExportError(f"{p}: cannot write the Word document ({exc})") from exc
    return p
