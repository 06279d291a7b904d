"""Start the web app: 127.0.0.1 only, a free port, the default browser, clean-up at exit."""

from __future__ import annotations

import atexit
import shutil
import signal
import socket
import sys
import tempfile
import threading
import webbrowser
from pathlib import Path

from psychometrics.errors import OptionError

HOST = "127.0.0.1"  # never another interface: the app serves this computer only


def serve(*, port: int = 0, open_browser: bool = True, max_upload_mb: float | None = None,
          ready=None) -> None:
    """Run the app until interrupted (Ctrl+C).

    Parameters
    ----------
    port : int
        The port on 127.0.0.1; 0 takes a free one.
    open_browser : bool
        Open the app in the default browser once it listens.
    max_upload_mb : float, optional
        The upload size limit (default :data:`psychometrics.app.web.MAX_UPLOAD_MB`).
    ready : callable, optional
        Called with the app's URL once it listens (tests).

    Notes
    -----
    Uploads live in a private temporary folder (mode 0700) that is deleted when the app
    stops, and running jobs are stopped with it.
    """
    from werkzeug.serving import make_server

    from .web import MAX_UPLOAD_MB, create_app, state_of

    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise OptionError(f"port must be a whole number from 0 to 65535; got {port!r}", "port",
                          port)
    workdir = Path(tempfile.mkdtemp(prefix="psychometrics-app-"))
    app = None

    def cleanup() -> None:
        if app is not None:
            state_of(app).jobs.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)

    atexit.register(cleanup)
    try:
        app = create_app(workdir=workdir, max_upload_mb=max_upload_mb or MAX_UPLOAD_MB,
                         warm=False)
        # bind here, not in werkzeug (which prints and exits on a busy port): a busy port is
        # the CLI's one-line error
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((HOST, port))
            sock.listen(128)
        except OSError as exc:
            sock.close()
            raise OptionError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}", "port",
                              port) from None
        server = make_server(HOST, sock.getsockname()[1], app, threaded=True, fd=sock.fileno())
        state_of(app).jobs.warm(delay=1.0)  # the job worker, once the app listens
        url = f"http://{HOST}:{sock.getsockname()[1]}/"
        print(f"psychometrics app: {url}\n  uploads are kept in {workdir} and deleted when "
              f"the app stops (Ctrl+C)", flush=True)
        if threading.current_thread() is threading.main_thread():
            # a plain `kill` stops the app like Ctrl+C does: jobs ended, uploads deleted
            signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        if ready is not None:
            ready(url)
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
        finally:
            server.server_close()
            sock.close()
    finally:
        cleanup()
