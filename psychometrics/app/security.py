"""The app's guards: this machine only, this page only.

* Host check: a request must name ``127.0.0.1``, ``localhost`` or ``[::1]`` as its host, so a
  web page whose domain is re-pointed at 127.0.0.1 (DNS rebinding) is refused.
* Origin check: a request sent by another site (``Origin`` of another host, or the browser's
  ``Sec-Fetch-Site: cross-site``) is refused, whatever its method.
* CSRF token: every form carries the app's secret token (made at start-up, never sent to
  another origin), checked on every POST.
* Response headers: a Content-Security-Policy that allows only the app's own scripts, styles
  and images (and ``data:`` images, the figures), no framing, no referrer to other sites, no sniffing.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # the error page's "Back" link; never sent elsewhere
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def new_token() -> str:
    """A fresh CSRF token (one per app)."""
    return secrets.token_urlsafe(32)


def host_name(host: str) -> str:
    """``127.0.0.1:5000`` -> ``127.0.0.1``; ``[::1]:80`` -> ``[::1]``."""
    host = (host or "").strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if ":" in host else host


def refusal(method: str, host: str, origin: str | None, fetch_site: str | None,
            form_token: str | None, token: str) -> str | None:
    """Why a request must be refused (a reason naming the problem), or None to serve it."""
    if host_name(host) not in LOCAL_HOSTS:
        return f"host {host!r} is not this computer (only 127.0.0.1 and localhost are served)"
    if fetch_site and fetch_site.lower() == "cross-site":
        return "a request from another web site"
    if origin == "null":  # a sandboxed frame or a local file: never one of the app's pages
        return "a request from a page without an origin (a local file or sandboxed frame)"
    if origin:
        parts = urlsplit(origin)
        if parts.scheme != "http" or host_name(parts.netloc) not in LOCAL_HOSTS or \
                parts.netloc.lower() != host.lower():
            return f"a request from another origin ({origin})"
    if method == "POST" and not (form_token and hmac.compare_digest(form_token, token)):
        return "the form's security token is missing or wrong (reload the page and try again)"
    return None
