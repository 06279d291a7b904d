"""The report's status line on stderr (a terminal only)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["Progress"]


class Progress:
    """A one-line progress indicator on stderr, only on a terminal (never in logs or CI)."""

    def __init__(self, steps: Sequence[str], enabled: bool | None):
        self.steps = list(steps)
        self.i = 0
        self.enabled = enabled is not False and sys.stderr.isatty()

    def step(self, text: str) -> None:
        self.i += 1
        if self.enabled:
            bar = "#" * self.i + "." * (len(self.steps) - self.i)
            sys.stderr.write(f"\r[{bar}] {self.i}/{len(self.steps)} {text:<60.60}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 90 + "\r")
            sys.stderr.flush()
