"""Guards every request passes, the headers every response gets, and the error pages.

Security (see :mod:`psychometrics.app.security`): a request naming another host, sent by
another origin, or a POST without the app's CSRF token is refused with 403. Errors: the
package's message on the page (without the private folder's path), never a traceback.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, make_response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from psychometrics.errors import PsychometricsError

from .. import i18n, security
from .common import lang, page, state, translate


def guard():
    """Refuse a request from another host or origin, or a POST without the CSRF token."""
    why = security.refusal(request.method, request.host, request.headers.get("Origin"),
                           request.headers.get("Sec-Fetch-Site"),
                           request.form.get("csrf") if request.method == "POST" else None,
                           current_app.config["CSRF_TOKEN"])
    if why is not None:
        return make_response(f"Refused: {why}.", 403, {"Content-Type": "text/plain"})
    return None


def headers(resp: Response) -> Response:
    for k, v in security.HEADERS.items():
        resp.headers.setdefault(k, v)
    return resp


def common() -> dict:
    """What every template may use: the language, the CSRF token, ``t`` and ``label``."""
    code = lang()
    return {"lang": code, "langs": i18n.LANG_NAMES, "csrf": current_app.config["CSRF_TOKEN"],
            "t": lambda key, **kw: i18n.translate(key, code, **kw),
            "label": lambda key: i18n.label(key, code),
            "max_upload_mb": current_app.config["MAX_UPLOAD_MB"]}


def back() -> str | None:
    """The page the user came from (same origin only), for the error page's Back link."""
    ref = request.referrer or ""
    return ref if ref.startswith(request.host_url) else None


def package_error(exc: PsychometricsError):
    return page("error.html", 400, kind=type(exc).__name__, message=state().clean(str(exc)),
                back=back())


def too_large(exc: RequestEntityTooLarge):
    return page("error.html", 413, kind="", message=translate(
        "too_large", mb=f"{current_app.config['MAX_UPLOAD_MB']:g}"), back=back())


def http_error(exc: HTTPException):
    return page("error.html", exc.code or 500, kind=str(exc.code), message=exc.description)


def server_error(exc):  # a bug: the traceback is in the terminal, not on the page
    return page("error.html", 500, kind="", message=translate("internal_error"))


def register(app: Flask) -> None:
    app.before_request(guard)
    app.after_request(headers)
    app.context_processor(common)
    app.register_error_handler(PsychometricsError, package_error)
    app.register_error_handler(RequestEntityTooLarge, too_large)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(500, server_error)
