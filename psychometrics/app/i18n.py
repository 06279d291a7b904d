"""The interface's words in English, Dutch and French: what is app-specific about them.

The app's own strings are data, ``psychometrics/strings/app.yaml`` (key -> ``{en, nl, fr}``),
read through :mod:`psychometrics.i18n` like every other translated text of the package; words
the HTML report already translates (sensitivity, Cronbach's alpha, subscale, ...) are taken
from :data:`psychometrics.report.LABELS`, so the app and the report say the same thing. What
is left here is that order of look-up (the app's strings, then the report's labels) and the
column-heading rule of :func:`label`.
"""

from __future__ import annotations

from collections.abc import Mapping

from psychometrics import i18n as _package_i18n
from psychometrics.i18n import LANG_NAMES, LANGS, pick
from psychometrics.report import LABELS

DOMAIN = "app"  # psychometrics/strings/app.yaml

__all__ = ["LANGS", "LANG_NAMES", "strings", "translate", "label"]


def strings() -> Mapping[str, Mapping[str, str]]:
    """key -> {lang: text}: the app's own strings (``psychometrics/strings/app.yaml``)."""
    return _package_i18n.strings(DOMAIN)


def translate(key: str, lang: str, **values) -> str:
    """The text of ``key`` in ``lang`` (the app's strings first, then the report's labels);
    ``{name}`` placeholders are filled from ``values``. An unknown key raises ``KeyError``,
    so a missing translation is found by the tests, not shown as a raw key."""
    own = strings().get(key)
    if own is not None:
        text = pick(own, lang)
    else:
        if key not in LABELS["en"]:
            raise KeyError(key)
        text = pick({code: labels[key] for code, labels in LABELS.items() if key in labels},
                    lang)
    return text.format(**values) if values else text


def label(key: str, lang: str) -> str:
    """A column heading: its translation when there is one, else the name as it is
    (``EE_band``, ``chisq``: names the downloads and the R output use too)."""
    try:
        return translate(key, lang)
    except KeyError:
        return key
