"""Shared timing helper for the benchmark scripts (not a test: run the scripts by hand)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Minimum wall time of ``repeat`` calls: the least disturbed run on a shared machine."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


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
