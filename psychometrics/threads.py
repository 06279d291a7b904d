"""BLAS thread control for the package's numerical work, scoped to each call.

The package's matrices are tall and thin (respondents x at most ~100 items). For those shapes
a multi-threaded BLAS buys almost nothing on an idle machine and costs a great deal on a busy
one: OpenBLAS threads spin while they wait for a core, so a 200,000 x 22 cross-product that
takes 9 ms with one thread takes 0.2-0.5 s with two threads when both cores are busy, and an
EFA goes from 0.1 s to 20 s. R's reference BLAS is single-threaded and does not suffer this.

So every public numerical entry point runs under :func:`limit_blas` (via the
:func:`blas_limited` decorator): BLAS is limited to ``PSYCHOMETRICS_BLAS_THREADS`` threads
(default 1) for the duration of the call and restored afterwards, with threadpoolctl. The
user's own setting outside the package's calls is never changed. Nested calls (``report``
calling ``cfa`` calling ``em_moments``) limit once, at the outermost call.

Set ``PSYCHOMETRICS_BLAS_THREADS=0`` (or ``none``) to leave BLAS alone, or use
:func:`blas_threads` as a context manager to choose another number for a block of code.

The limit is process-wide while it is in force (OpenBLAS has one thread setting per process),
so another thread of your own program that runs BLAS at the same moment also gets the limit.

References
----------
threadpoolctl: https://github.com/joblib/threadpoolctl
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from .errors import OptionError

F = TypeVar("F", bound=Callable)

ENV = "PSYCHOMETRICS_BLAS_THREADS"

_state = threading.local()      # depth of nested limited calls in this thread
_controller = None              # threadpoolctl.ThreadpoolController, built on first use
_controller_key = -1            # len(sys.modules) when it was built
_explicit: list[int | None] = []  # stack of blas_threads(n) choices


def _parse(value: str) -> int | None:
    text = value.strip().lower()
    if text in ("", "0", "none", "off"):
        return None
    try:
        n = int(text)
    except ValueError:
        raise OptionError(f"environment variable {ENV}={value!r}: give a whole number of threads "
                          "(1 is best for the package's matrices) or 0 to leave BLAS alone",
                          option=ENV, value=value) from None
    if n < 0:
        raise OptionError(f"environment variable {ENV}={value!r} is negative", option=ENV, value=value)
    return n


def wanted_threads() -> int | None:
    """The number of BLAS threads the package's calls use (None: BLAS left alone)."""
    if _explicit:
        return _explicit[-1]
    return _parse(os.environ.get(ENV, "1"))


def _get_controller():
    """A ThreadpoolController that knows every BLAS loaded so far.

    Building one scans the loaded shared libraries (~1.5 ms), so it is kept; a BLAS can only
    arrive with an import (scipy brings its own OpenBLAS), so it is rebuilt when
    ``sys.modules`` has grown.
    """
    global _controller, _controller_key
    key = len(sys.modules)
    if _controller is None or key != _controller_key:
        from threadpoolctl import ThreadpoolController
        _controller = ThreadpoolController()
        _controller_key = len(sys.modules)
    return _controller


@contextlib.contextmanager
def limit_blas(n: int | None = None) -> Iterator[None]:
    """Limit BLAS to ``n`` threads (default: :func:`wanted_threads`) inside the block.

    Re-entrant: inside an outer limited block, an inner one does nothing. The previous
    thread counts are restored on exit, also when the block raises.
    """
    depth = getattr(_state, "depth", 0)
    limit = wanted_threads() if n is None else n
    if depth or limit is None:
        _state.depth = depth + 1
        try:
            yield
        finally:
            _state.depth = depth
        return
    # the numerical modules import numpy/scipy first, so their BLAS libraries are loaded
    with _get_controller().limit(limits=limit, user_api="blas"):
        _state.depth = 1
        try:
            yield
        finally:
            _state.depth = 0


def blas_limited(fn: F) -> F:
    """Decorator: run ``fn`` under :func:`limit_blas` (the package's numerical entry points)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with limit_blas():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@contextlib.contextmanager
def blas_threads(n: int | None) -> Iterator[None]:
    """Choose how many BLAS threads the package's calls use inside the block.

    Parameters
    ----------
    n : int or None
        Threads for the package's numerical calls; ``None`` leaves BLAS as you set it.

    Examples
    --------
    >>> import psychometrics as pm
    >>> with pm.blas_threads(None):   # use BLAS as configured outside the package
    ...     pass
    """
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise OptionError(f"blas_threads: n must be a positive whole number or None, not {n!r}",
                          option="n", value=n)
    _explicit.append(n)
    try:
        yield
    finally:
        _explicit.pop()


def blas_info() -> list[dict]:
    """The BLAS libraries loaded in this process and their current thread counts."""
    return [{"library": d["internal_api"], "threads": d["num_threads"], "path": d["filepath"]}
            for d in _get_controller().info() if d["user_api"] == "blas"]
