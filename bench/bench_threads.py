"""Why the package runs BLAS with one thread (issue 15): a 200,000 x 22 cross-product and an
EFA with the BLAS's default threads and with the package's one thread, idle and with ``--busy
N`` cores kept busy by spinning processes.

    python bench/bench_threads.py [--busy 2] [--rows 200000]

Multi-threaded OpenBLAS threads spin while they wait for a core: on a tall and thin matrix they
buy almost nothing idle and lose a great deal when another program holds a core.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from _timing import busy, busy_arg, median_of  # bench/_timing.py, beside this script
from threadpoolctl import threadpool_info, threadpool_limits


def main() -> None:
    n_busy = busy_arg(default=2)
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    a = ap.parse_args()
    import psychometrics as pm
    x = np.random.default_rng(0).integers(0, 7, size=(a.rows, 22)).astype(float)
    default = max((p.get("num_threads", 1) for p in threadpool_info() if p["user_api"] == "blas"),
                  default=1)
    tasks = {
        "X'X": lambda: x.T @ x,
        "EFA": lambda: pm.efa(x, 3, method="minres", rotation="oblimin"),
    }
    warnings.simplefilter("ignore")
    rows = []
    for name, fn in tasks.items():
        fn()
        out = {}
        for label, n in [("idle", 0)] + ([("busy", n_busy)] if n_busy else []):
            with busy(n):
                # pm's own calls limit BLAS inside; blas_threads(None) leaves it to this block
                with pm.blas_threads(None), threadpool_limits(default, user_api="blas"):
                    out[label, "default"] = median_of(fn)
                with pm.blas_threads(None), threadpool_limits(1, user_api="blas"):
                    out[label, "one"] = median_of(fn)
        rows.append((name, out))
    print(f"{a.rows:,} x 22; BLAS default threads = {default}; busy = {n_busy} spinning processes;"
          " median of 7 runs, seconds")
    print(f"{'task':<6}{'idle default':>14}{'idle one':>10}{'busy default':>14}{'busy one':>10}")
    for name, out in rows:
        print(f"{name:<6}{out['idle', 'default']:14.4f}{out['idle', 'one']:10.4f}"
              f"{out.get(('busy', 'default'), np.nan):14.4f}{out.get(('busy', 'one'), np.nan):10.4f}")


if __name__ == "__main__":
    main()
