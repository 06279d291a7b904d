"""Running the report's sections side by side in forked worker processes.

The sections are independent: each reads the same prepared :class:`~.context.Context` and
returns a :class:`~.results.Section`. On the 800-respondent example they take ~2.3 s of CPU one
after another (omega bootstraps, the CFA, six figures), mostly Python-level work that threads
cannot share because of the GIL. Forked processes start with the data, the imports and the
caches of the parent already in memory (copy-on-write), so a worker costs a few milliseconds;
only the finished sections (HTML and numbers) are sent back. Two workers take the bundled
report from ~4 s to ~3 s on a two-core machine, and on a machine whose cores are busy the
workers' fair share of the CPU adds up (the README, "Speed").

Workers are used only where forking is safe and the result is the same:

* on Linux (``fork`` elsewhere is either missing or unsafe with system frameworks);
* when the calling process runs a single Python thread: forking a multi-threaded process
  (a web server, the local app) can copy a lock another thread holds, so those callers run
  the sections one after another;
* when more than one section is left to run and ``n_jobs`` asks for more than one process.

The numbers do not depend on it: every random draw is seeded per section, so ``n_jobs=2``
gives the same report byte for byte as ``n_jobs=1`` (``tests/test_report_parallel.py``).
Workers draw no progress bars (two would overwrite each other); the parent's status line
advances as sections finish. If a worker dies (out of memory, a signal), the sections it had
not returned are run again in the parent, so a report is never lost to the parallelism.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from .._checks import check_positive_int
from ..progress import show_progress
from .context import Context, run_section
from .results import Section

__all__ = ["Job", "run_sections", "can_fork"]

#: One section to run: (id, title, builder, status text for the progress line).
Job = tuple[str, str, Callable, str]

# The jobs and context of the current parallel run, inherited by the forked workers (a
# builder is a closure, which cannot be pickled; an index into this list can).
_CURRENT: tuple[Sequence[Job], Context] | None = None


def can_fork() -> bool:
    """Whether sections may run in forked workers here (Linux, one Python thread)."""
    return (sys.platform.startswith("linux")
            and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


def _run_one(i: int) -> Section:
    """In a worker: run job ``i`` of the inherited list, without progress bars."""
    assert _CURRENT is not None  # set by run_sections before any worker is forked
    jobs, ctx = _CURRENT
    sid, title, fn, _ = jobs[i]
    with show_progress(False):
        return run_section(sid, title, fn, ctx)


def run_sections(jobs: Sequence[Job], ctx: Context, *, n_jobs: int | None = 1,
                 step: Callable[[str], None] | None = None) -> list[Section]:
    """Run every job and return their sections in the order of ``jobs``.

    Parameters
    ----------
    jobs : list of (id, title, builder, status text)
    ctx : Context
    n_jobs : int or None
        Worker processes (None or 1: one after another in this process). More workers than
        jobs are never started; where :func:`can_fork` is False the sections run here.
    step : callable, optional
        Called with a job's status text when it starts (one by one) or finishes (workers).
    """
    global _CURRENT
    n_jobs = 1 if n_jobs is None else check_positive_int(n_jobs, "n_jobs")
    step = step or (lambda text: None)
    done: dict[int, Section] = {}
    workers = min(n_jobs, len(jobs))
    if workers > 1 and can_fork():
        _CURRENT = (jobs, ctx)
        try:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                futures = {pool.submit(_run_one, i): i for i in range(len(jobs))}
                for fut in as_completed(futures):
                    done[futures[fut]] = fut.result()
                    step(jobs[futures[fut]][3])
        except (BrokenProcessPool, OSError):
            pass  # a worker died or could not be forked: the rest run below, in this process
        finally:
            _CURRENT = None
    for i, (sid, title, fn, text) in enumerate(jobs):
        if i not in done:
            step(text)
            done[i] = run_section(sid, title, fn, ctx)
    return [done[i] for i in range(len(jobs))]
