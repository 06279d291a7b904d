"""The result types of a report: :class:`Report` (the page and its numbers) and its sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .._results import Result, format_table, jsonable

__all__ = ["Section", "Report"]


@dataclass(frozen=True)
class Section(Result):
    """One section of a report.

    Attributes
    ----------
    id : str
        ``quality``, ``distributions``, ``reliability``, ``factor``, ``classification``,
        ``criterion``, ``groups`` or ``profile``.
    title : str
        In the report's language.
    status : {"ok", "failed", "skipped"}
        ``failed``: an error was caught (``message`` says which); ``skipped``: the section
        does not apply (no norms, no criterion...).
    message : str or None
    data : dict
        The numbers shown, unrounded, as the functions returned them.
    notes : list of str
        Warnings raised while computing the section.
    html : str
        The section's HTML (not in ``to_dict``).
    """

    id: str
    title: str
    status: str
    message: str | None = None
    data: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    html: str = field(default="", repr=False)


@dataclass(frozen=True)
class Report(Result):
    """A rendered report (see :func:`render_report`).

    Attributes
    ----------
    meta : dict
        Instrument, file, language, norm set, number of respondents, package version.
    sections : tuple of Section
        In report order, skipped sections included.
    html : str
        The self-contained HTML page.
    """

    meta: dict
    sections: tuple
    html: str = field(repr=False)

    def section(self, id: str) -> Section:
        """The section with this id."""
        for s in self.sections:
            if s.id == id:
                return s
        raise KeyError(f"no section {id!r}; sections: {[s.id for s in self.sections]}")

    def save(self, path: str | Path) -> Path:
        """Write the HTML page (UTF-8), or a Word document when ``path`` ends in ``.docx``.

        The Word document holds the same headings, text, tables and figures as the page
        (:func:`psychometrics.report.docx.write_docx`), so the tables go into a manuscript
        without retyping.
        """
        p = Path(path)
        if p.suffix.lower() == ".docx":
            from .docx import write_docx
            return write_docx(self, p)
        p.write_text(self.html, encoding="utf-8")
        return p

    def to_dict(self) -> dict:
        return {"meta": jsonable(self.meta),
                "sections": {s.id: {"title": s.title, "status": s.status, "message": s.message,
                                    "notes": list(s.notes), "data": jsonable(s.data)}
                             for s in self.sections}}

    def summary(self) -> str:
        m = self.meta
        rows = pd.DataFrame({"status": [s.status for s in self.sections],
                             "message": [s.message or "" for s in self.sections]},
                            index=pd.Index([s.id for s in self.sections], name="section"))
        head = f"Report on {m['instrument']} ({m['n']} respondents, {m['lang']})"
        if m.get("output"):
            head += f" written to {m['output']}"
        return format_table(rows, head)

    def __repr__(self) -> str:
        return (f"Report({self.meta['instrument']!r}, n={self.meta['n']}, sections="
                f"{[s.id for s in self.sections if s.status == 'ok']})")
