"""The report's own words in English, Dutch and French (``psychometrics/strings/report.yaml``).

Subscale names come from the instrument file and band labels from the norm file; these are
the section titles and table labels. :data:`LABELS` (language -> key -> text) is what the
local web app shares (``psychometrics.app.i18n``), so the app and the report say the same.
"""

from __future__ import annotations

from .. import i18n

__all__ = ["LANGS", "LABELS"]

LANGS = i18n.LANGS

#: Section titles and table labels of the report, per language (every key in every language,
#: with :func:`psychometrics.i18n.pick`'s fallback).
LABELS: dict[str, dict[str, str]] = {lang: i18n.table("report", lang) for lang in LANGS}
