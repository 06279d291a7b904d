"""A progress bar with a percentage on stderr for long steps, shown only on a terminal.

Foundation module (it imports nothing from the package), so any layer may report progress.
A long step wraps its work in :func:`progress` and calls the returned ``update(n)`` after
each piece of work (one call per batch, never per resample: the bar costs nothing in the
loop). The bar is drawn only when progress is switched on *and* stderr is a terminal, so
piped output, logs, CI and library callers stay quiet:

* ``progress(total, label, enabled=True)`` switches it on for one step;
* :func:`show_progress` switches it on for every step run inside it (the CLI does this on a
  terminal, so every bootstrap of every command reports progress without a keyword).

Examples
--------
>>> with progress(4, "bootstrap") as update:   # quiet: not switched on
...     for _ in range(4):
...         update(1)
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TextIO

#: Cells of the bar between the brackets.
BAR_WIDTH = 30
#: Characters of the label shown before the percentage.
LABEL_WIDTH = 40

_SWITCHED_ON: ContextVar[bool] = ContextVar("psychometrics_progress", default=False)


@contextmanager
def show_progress(on: bool = True) -> Iterator[None]:
    """Switch progress bars on (or off) for every :func:`progress` step inside the block."""
    token = _SWITCHED_ON.set(bool(on))
    try:
        yield
    finally:
        _SWITCHED_ON.reset(token)


def progress_enabled() -> bool:
    """Whether :func:`show_progress` switched progress bars on for the current context."""
    return _SWITCHED_ON.get()


def render(label: str, done: int, total: int) -> str:
    """One bar: ``\\r label  42% [============                  ]``.

    Examples
    --------
    >>> render("bootstrap", 1, 2)[-BAR_WIDTH - 2:]
    '[===============               ]'
    """
    share = 1.0 if total <= 0 else min(max(done / total, 0.0), 1.0)
    filled = int(round(share * BAR_WIDTH))
    return (f"\r{label:<{LABEL_WIDTH}.{LABEL_WIDTH}} {int(share * 100):3d}% "
            f"[{'=' * filled}{' ' * (BAR_WIDTH - filled)}]")


@contextmanager
def progress(total: int, label: str, *, enabled: bool | None = None,
             stream: TextIO | None = None) -> Iterator[Callable[[int], None]]:
    """A progress bar for ``total`` units of work; yields ``update(n)`` (n units more done).

    Parameters
    ----------
    total : int
        Units of work (e.g. bootstrap resamples).
    label : str
        What is being done, shown before the percentage.
    enabled : bool, optional
        True draws the bar, False never does; None (default) follows :func:`show_progress`.
        Either way nothing is drawn unless ``stream`` is a terminal.
    stream : file, optional
        Where to draw (default ``sys.stderr``, looked up when the step starts).

    Yields
    ------
    callable
        ``update(n=1)``: records ``n`` more units done and redraws the bar. When the block
        ends without an error the bar shows 100 % and the line is cleared, so the next output
        starts on a clean line.
    """
    out = sys.stderr if stream is None else stream
    on = (progress_enabled() if enabled is None else bool(enabled)) and _is_terminal(out)
    done = 0

    def update(n: int = 1) -> None:
        nonlocal done
        done += n
        if on:
            out.write(render(label, done, total))
            out.flush()

    if on:
        out.write(render(label, 0, total))
        out.flush()
    try:
        yield update
        if on and done < total:  # e.g. work that finished early: the step is complete
            out.write(render(label, total, total))
    finally:
        if on:
            out.write("\r" + " " * (LABEL_WIDTH + BAR_WIDTH + 8) + "\r")
            out.flush()


def _is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except ValueError:  # a closed stream
        return False
