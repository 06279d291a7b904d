"""A local web app for researchers who do not write code: ``psychometrics app``.

The same journeys as the command line (score an export, build norms, validate a cut-off,
check a sample), in a browser on the user's own machine: the server listens on 127.0.0.1
only and every computation is a call into the package's public API (:mod:`.tasks`).

Install with ``pip install "burnout-psychometrics[app]"`` (Flask). Modules:

* :mod:`.web` - the Flask app (``create_app``); its pages are :mod:`.pages`, one module per
  journey (score, norms, validate, sample), the shared upload and mapping screens, the job
  pages and the request hooks;
* :mod:`.state` - uploads and jobs in memory; :mod:`.forms` - form fields as options;
  :mod:`.display` - tables for the pages;
* :mod:`.tasks` - every call into psychometrics, in one place;
* :mod:`.jobs` - long steps in a worker process, with progress and cancel;
* :mod:`.security` - localhost-only host/origin checks, CSRF token, response headers;
* :mod:`.i18n` - the interface in English, Dutch and French (its words are
  ``psychometrics/strings/app.yaml``, read through :mod:`psychometrics.i18n`);
* :mod:`.server` - start it: a free port, the browser, the private folder removed at exit.
"""

from __future__ import annotations


def create_app(**kwargs):
    """The Flask app (see :func:`psychometrics.app.web.create_app`)."""
    from .web import create_app as _create

    return _create(**kwargs)


def serve(**kwargs):
    """Start the app (see :func:`psychometrics.app.server.serve`)."""
    from .server import serve as _serve

    return _serve(**kwargs)


__all__ = ["create_app", "serve"]
