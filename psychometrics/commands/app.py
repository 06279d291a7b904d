"""``psychometrics app``: the local web app (needs the ``[app]`` extra: Flask).

    psychometrics app [--port N] [--no-browser] [--max-upload-mb MB]
"""

from __future__ import annotations

import argparse

from ..errors import PsychometricsError
from .common import add_command


def register(sub) -> None:
    p = add_command(
        sub, "app", help="the local web app: score, norm and validate in a browser",
        description="Start the web app on this computer (127.0.0.1 only) and open it in the "
                    "default browser: upload an export, check the item mapping, score, build "
                    "norms, validate a cut-off, check reliability and factor structure. "
                    "Needs the [app] extra: pip install \"burnout-psychometrics[app]\".",
        examples=["psychometrics app", "psychometrics app --port 8765 --no-browser"])
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--max-upload-mb", type=float, default=None,
                   help="largest upload in MB (default 50)")
    p.set_defaults(func=run_app)


def run_app(args: argparse.Namespace):
    try:
        import flask  # noqa: F401  (the extra's dependency, checked before anything starts)

        from ..app.server import serve
    except ModuleNotFoundError as exc:
        if exc.name in ("flask", "werkzeug", "jinja2"):
            raise PsychometricsError(
                f"the web app needs {exc.name}: pip install \"burnout-psychometrics[app]\"") from None
        raise
    serve(port=args.port, open_browser=not args.no_browser, max_upload_mb=args.max_upload_mb)
    return None
