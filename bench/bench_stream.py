"""Files larger than memory: score a 10-million x 22 MBI-HSS CSV (~500 MB) to Parquet in
chunks, and build norms from it in one pass; peak memory, wall time, idle and busy.

Each run is a fresh process (so its peak RSS is its own). The output is checked against the
in-memory ``score`` on the first 100,000 respondents. Target (issue 15): peak < 1 GB.

    python bench/bench_stream.py [--rows 10000000] [--chunksize 200000] [--busy 2] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import busy, busy_arg  # bench/_timing.py, beside this script

CHILD = """
import resource, sys, time, warnings
warnings.simplefilter("ignore")
from psychometrics.norms_stream import build_norms_file
from psychometrics.scoring.stream import score_file
t0 = time.perf_counter()
if sys.argv[1] == "score":
    score_file(sys.argv[2], "mbi-hss", sys.argv[3], id="rid", chunksize=int(sys.argv[4]))
else:
    ns = build_norms_file(sys.argv[2], "mbi-hss", id="rid", by="sex", bootstrap=2000, seed=1,
                          chunksize=int(sys.argv[4]))
    ns.to_file(sys.argv[3])
print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def generate(path: Path, rows: int, block: int = 500_000) -> None:
    """Integer items 0-6 with 1% blanks, an id and a sex column, written block by block."""
    rng = np.random.default_rng(0)
    for start in range(0, rows, block):
        m = min(block, rows - start)
        x = pd.DataFrame(rng.integers(0, 7, size=(m, 22)), columns=[f"mbi{i}" for i in range(1, 23)],
                         dtype="Int8")
        x = x.mask(rng.random((m, 22)) < 0.01)
        x.insert(0, "rid", [f"R{i:08d}" for i in range(start, start + m)])
        x["sex"] = rng.choice(["f", "m"], m)
        x.to_csv(path, mode="w" if start == 0 else "a", header=start == 0, index=False)


def run(kind: str, src: Path, out: Path, chunksize: int) -> tuple[float, float]:
    res = subprocess.run([sys.executable, "-c", CHILD, kind, str(src), str(out), str(chunksize)],
                         capture_output=True, text=True, check=True)
    secs, rss = res.stdout.split()
    return float(secs), int(rss) / 2**20


def check_sample(src: Path, out: Path, n: int = 100_000) -> None:
    import warnings

    import pyarrow.parquet as pq

    import psychometrics as pm
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mem = pm.score(pd.read_csv(src, nrows=n, dtype={"rid": str}), "mbi-hss", id="rid")
    got = next(pq.ParquetFile(out).iter_batches(batch_size=n)).to_pandas()
    pd.testing.assert_frame_equal(got, mem, check_dtype=False)
    print(f"first {n:,} respondents of the Parquet output equal score() in memory: yes")


def main() -> None:
    n_busy = busy_arg(default=0)
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--chunksize", type=int, default=200_000)
    ap.add_argument("--dir", default="/tmp")
    a = ap.parse_args()
    src = Path(a.dir) / f"mbi-{a.rows}.csv"
    if not src.exists():
        t0 = time.perf_counter()
        generate(src, a.rows)
        print(f"generated {src} ({src.stat().st_size / 2**20:.0f} MB) in {time.perf_counter() - t0:.0f} s")
    print(f"{a.rows:,} x 22 items, {src.stat().st_size / 2**20:.0f} MB CSV, chunks of {a.chunksize:,}")
    for label, n in [("idle", 0)] + ([(f"busy {n_busy}", n_busy)] if n_busy else []):
        with busy(n):
            secs, rss = run("score", src, src.with_suffix(".scores.parquet"), a.chunksize)
            print(f"[{label}] score -> Parquet: {secs:7.1f} s, peak memory {rss:6.0f} MB (target < 1024 MB)")
            secs, rss = run("norms", src, src.with_suffix(".norms.yaml"), a.chunksize)
            print(f"[{label}] norms, one pass, by sex, 2000 bootstrap: {secs:7.1f} s, "
                  f"peak memory {rss:6.0f} MB")
    check_sample(src, src.with_suffix(".scores.parquet"))


if __name__ == "__main__":
    main()
