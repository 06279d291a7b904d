"""The web app: start-up time and scoring the 800-row export (issue 17: < 3 s and < 2 s).

Start-up: ``psychometrics app --no-browser`` in a fresh interpreter until its first page is
served. Scoring: the score journey's job (``psychometrics.app.tasks.run_score``: read the
export, score, apply the manual's norms, draw the histograms) on the bundled Qualtrics export
repeated four times (800 respondents with distinct ids). Best of three runs each; not a test,
because wall time on a shared machine says more about the machine than about the code.

    python bench/bench_app.py
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml
from _timing import best_of  # bench/_timing.py, beside this script

import psychometrics as pm
from psychometrics.app import tasks


def start_once() -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "psychometrics.cli", "app", "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+/", proc.stdout.readline()).group(0)
        with urllib.request.urlopen(url, timeout=30) as resp:
            assert resp.status == 200
        return time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def eight_hundred_rows(folder: Path) -> Path:
    rows = list(csv.reader(pm.example_path("mbi-hss-qualtrics.csv").read_text(encoding="utf-8")
                           .splitlines()))
    col = rows[0].index("ResponseId")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows[:3])                    # Qualtrics' three header rows
    for k in range(4):
        writer.writerows(r[:col] + [f"{r[col]}-{k}"] + r[col + 1:] for r in rows[3:])
    path = folder / "mbi-hss-800.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def main() -> None:
    starts = [start_once() for _ in range(3)]
    print(f"app start-up to the first page: best {min(starts):.2f} s of "
          f"{', '.join(f'{t:.2f}' for t in starts)} (target < 3 s)")
    items = yaml.safe_load(pm.example_path("mbi-hss-items.yaml").read_text())["items"]
    setup = tasks.Setup(instrument="mbi-hss", items=items, id="ResponseId")
    with tempfile.TemporaryDirectory() as tmp:
        path = str(eight_hundred_rows(Path(tmp)))
        tasks.warm_up()
        t = best_of(lambda: tasks.run_score(path, setup, norms="mbi-hss-overall"))
    print(f"score journey on 800 rows (read, score, norms, figures): {t:.2f} s (target < 2 s)")


if __name__ == "__main__":
    main()
