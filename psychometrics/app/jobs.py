"""Long steps in a worker process: progress, a status endpoint and a real cancel.

Each job runs one function of :mod:`psychometrics.app.tasks` in its own process, forked from
a ``forkserver`` that has already imported pandas, scipy and psychometrics (so a job starts in
milliseconds, and forking never happens from the web server's threads). Cancelling a job
terminates its process: a bootstrap or a CFA stops at once instead of running on unseen.
A package error raised in the job comes back as its message; any other failure (a bug)
prints its traceback in the terminal that started the app and the page says so, without it.
"""

from __future__ import annotations

import multiprocessing as mp
import secrets
import threading
import time
from dataclasses import dataclass, field

from psychometrics.errors import PsychometricsError

_PRELOAD = ["psychometrics.app.worker"]


def _context():
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def _child(name: str, kwargs: dict, conn) -> None:  # runs in the worker process
    from . import tasks

    def progress(text: str) -> None:
        conn.send(("progress", str(text)))

    try:
        result = getattr(tasks, name)(progress=progress, **kwargs)
    except PsychometricsError as exc:
        conn.send(("error", type(exc).__name__, str(exc)))
    else:
        conn.send(("done", result))
    finally:
        conn.close()


@dataclass
class Job:
    """One long step. ``state`` is ``running``, ``done``, ``error`` or ``cancelled``."""

    id: str
    kind: str
    task: str
    meta: dict
    state: str = "running"
    progress: str = ""
    result: object = None
    error: str | None = None
    error_type: str | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    process: object = field(default=None, repr=False)

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def status(self) -> dict:
        """What the status endpoint returns (JSON)."""
        return {"id": self.id, "kind": self.kind, "state": self.state,
                "progress": self.progress, "elapsed": round(self.elapsed, 1),
                "error": self.error}


class Jobs:
    """The jobs of one app: start, look up, cancel. Thread-safe."""

    def __init__(self):
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._ctx = _context()

    def warm(self, delay: float = 0.0) -> threading.Thread:
        """Start the forkserver (imports pandas, scipy, psychometrics) in the background after
        ``delay`` seconds, so the first real job does not wait for it (and the first page is
        not slowed by it)."""
        def run() -> None:
            time.sleep(delay)
            self.wait(self.start("warm", "warm_up", {}).id)

        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t

    def start(self, kind: str, task: str, kwargs: dict, meta: dict | None = None) -> Job:
        """Run ``tasks.<task>(**kwargs)`` in a worker process."""
        job = Job(id=secrets.token_urlsafe(12), kind=kind, task=task, meta=dict(meta or {}))
        recv, send = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(target=_child, args=(task, kwargs, send), daemon=True)
        job.process = proc
        proc.start()  # registered only once started, so that cancel() can always terminate it
        send.close()  # the parent keeps only the reading end: EOF when the child dies
        with self._lock:
            self._jobs[job.id] = job
        threading.Thread(target=self._watch, args=(job, recv), daemon=True).start()
        return job

    def _watch(self, job: Job, conn) -> None:
        try:
            while True:
                msg = conn.recv()
                if msg[0] == "progress":
                    job.progress = msg[1]
                    continue
                if msg[0] == "done":
                    job.result = msg[1]
                    job.state = "done"
                else:
                    job.error_type, job.error = msg[1], msg[2]
                    job.state = "error"
                break
        except (EOFError, OSError):  # the process ended without an answer
            if job.state == "running":
                job.state = "error"
                job.error_type = "crash"
        finally:
            conn.close()
            job.finished = time.monotonic()
            job.process.join(timeout=5)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """Stop a running job (its process is terminated)."""
        job = self.get(job_id)
        if job is not None and job.state == "running":
            job.state = "cancelled"
            job.process.terminate()
        return job

    def wait(self, job_id: str, timeout: float = 600.0) -> Job | None:
        """Block until the job has finished (for tests and the warm-up)."""
        job = self.get(job_id)
        end = time.monotonic() + timeout
        while job is not None and job.finished is None and time.monotonic() < end:
            time.sleep(0.02)
        return job

    def shutdown(self) -> None:
        """Terminate every running job (at exit)."""
        with self._lock:
            running = [j for j in self._jobs.values() if j.state == "running"]
        for j in running:
            self.cancel(j.id)
