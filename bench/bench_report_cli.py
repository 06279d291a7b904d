"""The README's main command, timed as a user runs it (a fresh process, cold start included):
on the bundled Qualtrics export and on a 50,000-respondent export made by repeating its rows
with new response ids; idle and with ``--busy N`` cores kept busy.

Targets (issue 15): bundled export < 5 s, 50,000 rows < 30 s.

    python bench/bench_report_cli.py [--busy 2] [--rows 50000] [--repeat 3]
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

from _timing import busy, busy_arg  # bench/_timing.py, beside this script

import psychometrics as pm

ROOT = Path(__file__).resolve().parents[1]


def command(export: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "psychometrics.cli", "report", str(export), "--instrument", "mbi-hss",
            "--items", str(ROOT / "examples" / "mbi-hss-items.yaml"), "--id", "ResponseId",
            "--norms", "mbi-hss-overall", "--group", "department", "-o", str(out)]


def bigger(rows: int, path: Path) -> Path:
    """The bundled export's three header rows, then its respondents repeated to ``rows``."""
    with open(pm.example_path("mbi-hss-qualtrics.csv"), encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    head, body = lines[:3], lines[3:]
    rid = head[0].index("ResponseId")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerows(head)
        for i in range(rows):
            row = list(body[i % len(body)])
            row[rid] = f"R_{i:08d}"
            w.writerow(row)
    return path


# pip compiles an installed package's bytecode at install time; a developer's shell may set
# PYTHONDONTWRITEBYTECODE, which would add compiling every module (~0.2 s) to each run
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    before = os.times()
    subprocess.run(cmd, check=True, capture_output=True, env=ENV)
    after = os.times()
    return time.perf_counter() - t0, (after.children_user - before.children_user
                                      + after.children_system - before.children_system)


def median_of(cmd: list[str], repeat: int) -> tuple[float, float]:
    """The run with the median wall time of ``repeat`` (wall, CPU): a shared machine is noisy."""
    runs = sorted(timed(cmd) for _ in range(repeat))
    return runs[len(runs) // 2]


def main() -> None:
    n_busy = busy_arg(default=2)
    rows = int(sys.argv[sys.argv.index("--rows") + 1]) if "--rows" in sys.argv else 50_000
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 3
    tmp = Path("/tmp")
    bundled = pm.example_path("mbi-hss-qualtrics.csv")
    # the default (sections in one worker per core, at most 4), and one after another
    exports = [("bundled export", bundled, 5.0, []),
               ("  --n-jobs 1", bundled, 5.0, ["--n-jobs", "1"]),
               (f"{rows:,} rows", bigger(rows, tmp / f"mbi-hss-qualtrics-{rows}.csv"), 30.0, [])]
    subprocess.run(command(bundled, tmp / "warm.html"), check=True, capture_output=True,
                   env=ENV)  # the warm-up run also writes the bytecode
    print(f"median of {repeat} runs; busy = {n_busy} spinning processes")
    for label, path, target, extra in exports:
        idle = median_of(command(path, tmp / "report-idle.html") + extra, repeat)
        line = f"{label:<16} idle {idle[0]:6.1f} s wall ({idle[1]:5.1f} s CPU)"
        if n_busy:
            with busy(n_busy):
                loaded = median_of(command(path, tmp / "report-busy.html") + extra, repeat)
            line += f"   busy {n_busy}: {loaded[0]:6.1f} s wall ({loaded[1]:5.1f} s CPU)"
        print(line + f"   target < {target:.0f} s")


if __name__ == "__main__":
    main()
