"""The one-command report (:func:`render_report`): a self-contained HTML page, or a Word
document, from a survey export.

One module per section (``quality``, ``distributions``, ``reliability``, ``factor``,
``classification``, ``criterion``, ``groups``, ``profile``, ``irt_section``,
``methods_section``), the page assembly in ``page``, the HTML pieces in ``markup``, the page
template and style sheet in ``templates/``, the figures in ``figures``, the Word export in
``docx``, the methods text and readable notes in ``methods``, the words in
``psychometrics/strings/report.yaml`` (``labels``).

The careless-responding indices (:mod:`psychometrics.careless`) and the group effect sizes
(:mod:`psychometrics.effects`) are statistics of their own; they are re-exported here because
the report was their first home.
"""

from __future__ import annotations

from ..careless import careless_flags, irv, longstring
from ..effects import group_effects
from .criterion import complete_cutoff
from .docx import html_blocks, write_docx
from .figures import FONT, likert_bars, loadings_plot, new_figure, png_bytes, scree_plot
from .labels import LABELS, LANGS
from .markup import LIST_CAP
from .methods import (
                      FIT_LABELS,
                      apa_fit,
                      apa_number,
                      apa_p,
                      fit_label,
                      methods_text,
                      plain_number,
                      readable_note,
)
from .page import render_report
from .results import Report, Section

__all__ = ["render_report", "Report", "Section", "longstring", "irv", "careless_flags", "LABELS",
           "LANGS", "group_effects", "readable_note", "plain_number", "complete_cutoff",
           "LIST_CAP", "apa_number", "apa_p", "apa_fit", "fit_label", "methods_text",
           "FIT_LABELS", "write_docx", "html_blocks", "FONT", "new_figure", "png_bytes",
           "likert_bars", "scree_plot", "loadings_plot"]
