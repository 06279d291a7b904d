"""What every section builder is given (:class:`Context`), and how one section is run.

A section builder is a function ``ctx -> (data, html body, status, message)``;
:func:`run_section` turns an error of the package into a failed section and warnings into
notes, so one section that cannot be computed never stops the report.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import PsychometricsError
from ..i18n import pick
from .markup import esc, notes_html
from .results import Section

__all__ = ["Context", "sub_name", "norm_entry", "band_colours", "run_section"]

#: Band colours beyond the palettes of :func:`band_colours` (more than five bands), cycled.
_BAND_COLOURS = ("#d9ead3", "#fff2cc", "#f4cccc", "#f9cb9c", "#ea9999", "#cfe2f3")


@dataclass
class Context:
    data: pd.DataFrame
    inst: object
    mapping: dict
    id: str | None
    lang: str
    L: dict
    scores: pd.DataFrame
    raw: np.ndarray                      # respondents x items, raw codes, instrument order
    invalid: list
    respondents: list
    subscales: list                      # subscale ids in instrument order
    norms: object = None                 # NormSet
    normed: pd.DataFrame | None = None
    norm_by: dict | None = None


def sub_name(ctx: Context, sid: str) -> str:
    """A subscale's name in the report's language (else English, else its id)."""
    return pick(ctx.inst.subscales[sid].name, ctx.lang, sid)


def norm_entry(ctx: Context):
    """The norm entry whose bands are drawn: the overall one, or the only one."""
    ns = ctx.norms
    if ns is None:
        return None
    entry = ns.overall
    if entry is None and len(ns.entries) == 1:
        entry = ns.entries[0]
    return entry


def band_colours(ctx: Context, sid: str, k: int) -> list[str]:
    """Band colours from good (green) to bad (red), in the subscale's own direction."""
    palettes = {2: ["#d9ead3", "#f4cccc"], 3: ["#d9ead3", "#fff2cc", "#f4cccc"],
                4: ["#d9ead3", "#fff2cc", "#fce5cd", "#f4cccc"],
                5: ["#b6d7a8", "#d9ead3", "#fff2cc", "#fce5cd", "#f4cccc"]}
    cols = palettes.get(k) or [_BAND_COLOURS[i % len(_BAND_COLOURS)] for i in range(k)]
    return cols[::-1] if ctx.inst.subscales[sid].higher_is == "better" else cols


def run_section(sid: str, title: str, fn, ctx: Context) -> Section:
    """Run one section builder; an error becomes a failed section, warnings become notes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            data, body, status, message = fn(ctx)
        except PsychometricsError as exc:  # a bug is not a "failed section": it propagates
            msg = f"{type(exc).__name__}: {exc}"
            body = f'<p class="fail">{esc(ctx.L["failed"])}: {esc(msg)}</p>'
            data, status, message = {}, "failed", msg
    notes = list(dict.fromkeys(str(w.message) for w in caught
                               if not issubclass(w.category, (DeprecationWarning,
                                                              PendingDeprecationWarning))))
    html_ = ""
    if status != "skipped":
        html_ = (f'<section id="sec-{sid}" data-status="{status}"><h2>{esc(title)}</h2>'
                 f"{body}{notes_html(notes) if notes else ''}</section>")
    return Section(id=sid, title=title, status=status, message=message, data=data,
                   notes=notes, html=html_)
