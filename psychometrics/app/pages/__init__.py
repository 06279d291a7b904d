"""The app's pages, one module per journey; :func:`register` adds them all to an app.

* :mod:`.common` - what every page uses (the language, rendering, the app's state);
* :mod:`.hooks` - host/origin/CSRF guards, security headers, the error pages;
* :mod:`.upload` - the screens every journey shares: home, language, upload, the mapping
  (suggested instrument and items, editable, saved as YAML) and what was found;
* :mod:`.run` - start a journey's job; its progress page, status, cancel, result page and
  downloads, each handed to the journey's module by the job's kind;
* :mod:`.score`, :mod:`.norms`, :mod:`.validate`, :mod:`.sample` - each journey's options,
  result page and downloads (journeys 1-4: score an export, build norms, validate a cut-off,
  check a sample);
* :mod:`.report` - the report made from a scoring result (HTML or Word).

Endpoints keep plain names (``mapping``, ``job_page``, ``download`` ...): the routes are
added with ``app.add_url_rule``, not through blueprints, so templates and links did not change.
"""

from __future__ import annotations

from flask import Flask

from . import hooks, run, upload


def register(app: Flask) -> None:
    """Add every guard, error handler and route of the app."""
    hooks.register(app)
    upload.register(app)
    run.register(app)


__all__ = ["register"]
