"""Cold start (issue 15): ``import psychometrics``, ``psychometrics --help`` and a second
``score(df, "mbi-hss")`` on 200 respondents; idle and with ``--busy N`` cores kept busy.

Targets: import < 0.3 s, --help < 0.5 s, second score < 5 ms.

    python bench/bench_startup.py [--busy 2]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from _timing import best_of, busy, busy_arg  # bench/_timing.py, beside this script

SECOND_SCORE = """
import time, warnings, numpy as np, pandas as pd
import psychometrics as pm
rng = np.random.default_rng(0)
df = pd.DataFrame(rng.integers(0, 7, size=(200, 22)), columns=[f"mbi{i}" for i in range(1, 23)])
pm.score(df, "mbi-hss")
times = []
for _ in range(50):
    t0 = time.perf_counter(); pm.score(df, "mbi-hss"); times.append(time.perf_counter() - t0)
print(min(times), sorted(times)[25])
"""


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def cpu(cmd: list[str]) -> float:
    """CPU seconds of the child: what the start costs, whatever the machine's load."""
    before = os.times()
    subprocess.run(cmd, check=True, capture_output=True)
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def measure() -> tuple[float, float, float, float]:
    imp = best_of(lambda: wall([sys.executable, "-c", "import psychometrics"]), 5)
    hlp = best_of(lambda: wall([sys.executable, "-m", "psychometrics.cli", "--help"]), 5)
    print(f"  CPU: import {min(cpu([sys.executable, '-c', 'import psychometrics']) for _ in range(5)):.3f} s, "
          f"--help {min(cpu([sys.executable, '-m', 'psychometrics.cli', '--help']) for _ in range(5)):.3f} s")
    out = subprocess.run([sys.executable, "-c", SECOND_SCORE], check=True, capture_output=True, text=True)
    best, median = map(float, out.stdout.split())
    return imp, hlp, best, median


def main() -> None:
    n_busy = busy_arg(default=2)
    base = best_of(lambda: wall([sys.executable, "-c", "pass"]), 5)
    print(f"(a bare Python start: {base:.3f} s)")
    for label, n in [("idle", 0)] + ([(f"busy {n_busy}", n_busy)] if n_busy else []):
        with busy(n):
            imp, hlp, best, median = measure()
        print(f"[{label}] import psychometrics {imp:.3f} s (< 0.3)   psychometrics --help {hlp:.3f} s (< 0.5)"
              f"   second score(df, 'mbi-hss'), 200 x 22: best {1e3 * best:.2f} ms, "
              f"median {1e3 * median:.2f} ms (< 5)")


if __name__ == "__main__":
    main()
