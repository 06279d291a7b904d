"""Benchmark: reading survey exports and checking the item mapping on 20,000 respondents.

Ours (``read_export``: detection, header rows, incomplete flags, SPSS user-missing report)
beside what a pandas/pyreadstat user writes by hand for the same file:
``pd.read_csv(skiprows=[1, 2])`` for Qualtrics, ``pd.read_csv(sep=";", decimal=",")`` for
LimeSurvey and ``pyreadstat.read_sav`` for SPSS. ``match_items`` has no peer; its time is
shown beside the read. Plain script:

    /work/venv/bin/python bench/bench_io.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from _timing import best_of  # bench/_timing.py, beside this script


def _grow(path: Path, out: Path, header_rows: int, times: int) -> Path:
    """The example file with its data rows repeated ``times`` times."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(lines[:header_rows] + lines[header_rows:] * times), encoding="utf-8")
    return out


def main() -> None:
    import pyreadstat

    from psychometrics.io import example_path, read_export
    from psychometrics.scoring import match_items

    tmp = Path(tempfile.mkdtemp())
    q = _grow(example_path("mbi-hss-qualtrics.csv"), tmp / "q.csv", 3, 100)       # 20,000 rows
    lime = _grow(example_path("olbi-limesurvey.csv"), tmp / "l.csv", 1, 134)     # 20,100 rows
    sav = tmp / "s.sav"
    df, meta = pyreadstat.read_sav(str(example_path("cbi-spss.sav")), user_missing=True)
    big = pd.concat([df] * 167, ignore_index=True)                               # 20,040 rows
    pyreadstat.write_sav(big, str(sav), variable_value_labels=meta.variable_value_labels,
                         missing_ranges=meta.missing_ranges)

    rows = [
        ("Qualtrics CSV", lambda: read_export(q, id="ResponseId"),
         lambda: pd.read_csv(q, skiprows=[1, 2], dtype={"ResponseId": str})),
        ("LimeSurvey CSV", lambda: read_export(lime, id="id"),
         lambda: pd.read_csv(lime, sep=";", decimal=",", dtype={"id": str})),
        ("SPSS .sav", lambda: read_export(sav),
         lambda: pyreadstat.read_sav(str(sav), user_missing=False)),
    ]
    print(f"{'task':<34}{'ours (s)':>10}{'peer (s)':>10}{'ratio':>8}")
    for name, ours, peer in rows:
        t_ours, t_peer = best_of(ours), best_of(peer)
        print(f"{name + ' (20,000 rows)':<34}{t_ours:>10.3f}{t_peer:>10.3f}{t_ours / t_peer:>8.2f}")
    data = read_export(q, id="ResponseId")
    t = best_of(lambda: match_items(data, "mbi-hss", items="Q1_{n}", id="ResponseId"))
    print(f"{'match_items, MBI-HSS (no peer)':<34}{t:>10.3f}{'-':>10}{'-':>8}")


if __name__ == "__main__":
    main()
