"""What every page uses: the journeys, the user's language, rendering, the app's state."""

from __future__ import annotations

from flask import render_template, request

from .. import i18n
from ..state import State, Upload, current_state

JOURNEYS = ("score", "norms", "validate", "check")
SOURCES = ("auto", "qualtrics", "limesurvey", "spss", "csv", "excel")
DEFAULT_LANG = "en"

__all__ = ["JOURNEYS", "SOURCES", "lang", "page", "state", "translate", "State", "Upload"]


def lang() -> str:
    """The interface language: ``?lang=``, else the ``lang`` cookie, else English."""
    code = request.args.get("lang") or request.cookies.get("lang") or DEFAULT_LANG
    return code if code in i18n.LANGS else DEFAULT_LANG


def translate(key: str, **values) -> str:
    """The app's text ``key`` in the user's language."""
    return i18n.translate(key, lang(), **values)


def page(template: str, status: int = 200, **ctx):
    """A rendered page and its HTTP status."""
    return render_template(template, **ctx), status


def state() -> State:
    """The app's uploads, jobs and private folder."""
    return current_state()
