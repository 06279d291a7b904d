"""Shared timing helper for the benchmark scripts (not a test: run the scripts by hand)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Minimum wall time of ``repeat`` calls: the least disturbed run on a shared machine.

    With ``BENCH_BUSY=N`` in the environment, the calls run with N cores kept busy (see
    :class:`busy`), so any script here can be run idle and busy: ``BENCH_BUSY=2 python ...``.
    """
    import os
    n_busy = int(os.environ.get("BENCH_BUSY", "0") or 0)
    if n_busy:
        with busy(n_busy):
            return _best_of(fn, repeat)
    return _best_of(fn, repeat)


def _times(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def _best_of(fn: Callable[[], object], repeat: int) -> float:
    return min(_times(fn, repeat))


def median_of(fn: Callable[[], object], repeat: int = 7) -> float:
    """Median wall time of ``repeat`` calls (in the current load: idle or inside ``busy``)."""
    return sorted(_times(fn, repeat))[repeat // 2]


def semopy_fit_time(data, model: str, obj: str) -> float:
    """One semopy fit of ``model`` with objective ``obj`` (MLW, DWLS, FIML); NaN without semopy."""
    try:
        import semopy
    except ImportError:  # pragma: no cover
        return float("nan")
    import warnings

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            semopy.Model(model).fit(data, obj=obj)
    return best_of(run, repeat=1)  # a single run: semopy's slower fits take minutes


def ratio_row(label: str, ours: float, peer: float, width: int = 10) -> None:
    """One benchmark line: our time, semopy's, and their ratio."""
    ratio = peer / ours if peer == peer else float("nan")
    print(f"{label:<{width}} ours {ours:8.3f} s   semopy {peer:8.3f} s   semopy/ours {ratio:6.1f}x")


# ---- contention mode ------------------------------------------------------------------------
# Researchers' machines are rarely idle (a browser, a sync client, other jobs on a shared
# server or CI box). `busy(n)` keeps n cores spinning in background processes while a block
# runs, so a benchmark can print its idle and busy times side by side (issue 15).

_SPIN = "import os\nos.nice(0)\nwhile True:\n    pass\n"


class busy:
    """Context manager: ``n`` background processes each spinning one core (n=0: nothing)."""

    def __init__(self, n: int):
        self.n = int(n)
        self.procs: list = []

    def __enter__(self):
        import subprocess
        import sys
        self.procs = [subprocess.Popen([sys.executable, "-c", _SPIN]) for _ in range(self.n)]
        time.sleep(0.5 if self.n else 0)  # let them reach the scheduler
        return self

    def __exit__(self, *exc):
        for p in self.procs:  # only the processes started here, by their handle
            p.kill()
        for p in self.procs:
            p.wait()
        self.procs = []
        return False


def busy_arg(default: int = 2) -> int:
    """``--busy N`` from the command line (default 2 = both cores of the reference machine);
    ``--busy 0`` times only the idle run."""
    import sys
    if "--busy" in sys.argv:
        i = sys.argv.index("--busy")
        value = int(sys.argv[i + 1])
        del sys.argv[i:i + 2]
        return value
    return default


def idle_and_busy(fn: Callable[[], object], n_busy: int, repeat: int = 1) -> tuple[float, float]:
    """Best-of-``repeat`` wall time of ``fn`` idle, then with ``n_busy`` cores kept busy."""
    idle = _best_of(fn, repeat)
    if not n_busy:
        return idle, float("nan")
    with busy(n_busy):
        loaded = _best_of(fn, repeat)
    return idle, loaded
