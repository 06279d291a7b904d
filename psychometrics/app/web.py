"""The web app: :func:`create_app` makes the Flask app over :mod:`psychometrics.app.tasks`.

Journeys share their first screens: upload -> mapping (suggested instrument and items,
editable) -> what was found (missing, invalid cells with rows, incomplete responses) plus the
journey's options -> a progress page (a background job, cancellable) -> the result with its
downloads. The pages are in :mod:`psychometrics.app.pages`, one module per journey; state
(:mod:`psychometrics.app.state`) lives in memory and in one private temporary folder
(uploads, files to download), deleted when the app stops.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from flask import Flask

from . import security
from .pages import register
from .pages.common import JOURNEYS
from .state import EXTENSION, State, state_of

#: Default upload limit (MB); ``create_app(max_upload_mb=...)`` / ``--max-upload-mb``.
MAX_UPLOAD_MB = 50
MB = 1024 * 1024


def create_app(*, workdir: str | Path | None = None, max_upload_mb: float = MAX_UPLOAD_MB,
               warm: bool = True) -> Flask:
    """The Flask app. ``workdir``: the private folder for uploads (default: a new one)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = int(max_upload_mb * MB)
    app.config["MAX_UPLOAD_MB"] = max_upload_mb
    app.config["CSRF_TOKEN"] = security.new_token()
    if workdir is None:  # a private folder of our own (mode 0700), removed at exit
        wd = Path(tempfile.mkdtemp(prefix="psychometrics-app-"))
        atexit.register(shutil.rmtree, wd, ignore_errors=True)
    else:
        wd = Path(workdir)
    state = State(wd)
    app.extensions[EXTENSION] = state
    if warm:  # once the first page is served: nobody starts a job within a second
        state.jobs.warm(delay=1.0)
    register(app)
    return app


__all__ = ["create_app", "state_of", "JOURNEYS", "MAX_UPLOAD_MB"]
