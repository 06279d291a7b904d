"""The interface's words in English, Dutch and French.

The app's own strings are data (``strings.yaml``: key -> ``{en, nl, fr}``); words the HTML
report already translates (sensitivity, Cronbach's alpha, subscale, ...) are taken from
:data:`psychometrics.report.LABELS`, so the app and the report say the same thing.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from psychometrics.report import LABELS

LANGS = ("en", "nl", "fr")
LANG_NAMES = {"en": "English", "nl": "Nederlands", "fr": "Français"}


@lru_cache(maxsize=1)
def strings() -> dict[str, dict[str, str]]:
    """key -> {lang: text} from ``strings.yaml``."""
    return yaml.safe_load((Path(__file__).parent / "strings.yaml").read_text(encoding="utf-8"))


def translate(key: str, lang: str, **values) -> str:
    """The text of ``key`` in ``lang`` (the app's strings first, then the report's labels);
    ``{name}`` placeholders are filled from ``values``. An unknown key raises ``KeyError``,
    so a missing translation is found by the tests, not shown as a raw key."""
    own = strings().get(key)
    if own is not None:
        text = own.get(lang) or own["en"]
    else:
        text = LABELS.get(lang, LABELS["en"]).get(key) or LABELS["en"][key]
    return text.format(**values) if values else text


def label(key: str, lang: str) -> str:
    """A column heading: its translation when there is one, else the name as it is
    (``EE_band``, ``chisq``: names the downloads and the R output use too)."""
    try:
        return translate(key, lang)
    except KeyError:
        return key
