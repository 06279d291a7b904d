"""The package's words in English, Dutch and French, as data.

Every translated text lives in a YAML file of ``psychometrics/strings/`` (one file per
concern: ``report.yaml``, ``rules.yaml``, ``app.yaml`` ...), each a mapping of key ->
``{en: ..., nl: ..., fr: ...}``. Labels that come with an instrument or a norm set (a
subscale's name, a band's label) are mappings of the same shape inside those data files.
:func:`pick` is the one language fallback the package uses for both: the requested language,
else English, else the first language the text has.

A foundation module: it imports nothing from the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

import yaml

LANGS = ("en", "nl", "fr")
LANG_NAMES = {"en": "English", "nl": "Nederlands", "fr": "Français"}
FALLBACK = "en"

_STRINGS = Path(__file__).parent / "strings"


def pick(texts: Mapping[str, str] | str | None, lang: str, default: str | None = None) -> str | None:
    """The text of ``texts`` in ``lang``: the requested language, else English, else the first
    language given, else ``default``. A plain string is language-neutral and returned as is.

    Examples
    --------
    >>> pick({"en": "exhaustion", "nl": "uitputting"}, "nl")
    'uitputting'
    >>> pick({"en": "exhaustion", "nl": "uitputting"}, "fr")
    'exhaustion'
    >>> pick({}, "fr", default="EE")
    'EE'
    """
    if isinstance(texts, str):
        return texts
    if not texts:
        return default
    return texts.get(lang) or texts.get(FALLBACK) or next(iter(texts.values()), default)


@cache
def strings(domain: str) -> Mapping[str, Mapping[str, str]]:
    """key -> {lang: text} of ``psychometrics/strings/<domain>.yaml`` (read once, safely)."""
    path = _STRINGS / f"{domain}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise TypeError(f"{path}: expected a mapping of key -> {{en, nl, fr}}")
    return data


def table(domain: str, lang: str) -> dict[str, str]:
    """Every key of ``domain`` in ``lang`` (with the fallback of :func:`pick`)."""
    return {key: pick(texts, lang, key) for key, texts in strings(domain).items()}


def text(domain: str, key: str, lang: str, **values) -> str:
    """One text of ``domain`` in ``lang``; ``{name}`` placeholders are filled from ``values``.
    An unknown key raises ``KeyError``, so a missing translation is found by the tests rather
    than shown as a raw key."""
    found = pick(strings(domain)[key], lang)
    return found.format(**values) if values else found
