"""Benchmark: three-factor CFA on 200,000 x 22 simulated items, ours vs semopy.

Run: ``python bench/bench_cfa.py [n_rows]``. Prints our time beside semopy's and the ratio
for ML, MLR (ours only: semopy has no robust test; lavaan needs ~37 s) and WLSMV on the same
data cut into 6 ordered categories (semopy's DWLS on Pearson covariances as the peer; lavaan
needs ~55 s).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from _timing import best_of, ratio_row, semopy_fit_time  # bench/_timing.py

from psychometrics.factor.cfa import cfa

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
SIZES = (8, 7, 7)
MODEL = "\n".join(f"F{k + 1} =~ " + " + ".join(f"y{j}" for j in range(sum(SIZES[:k]) + 1,
                                                                     sum(SIZES[:k + 1]) + 1))
                  for k in range(3))


def simulate(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    phi = np.array([[1, .5, .3], [.5, 1, .4], [.3, .4, 1]])
    f = rng.multivariate_normal(np.zeros(3), phi, size=n)
    cols = []
    for k, size in enumerate(SIZES):
        lam = rng.uniform(0.5, 0.8, size)
        cols.append(f[:, [k]] * lam + rng.standard_normal((n, size)) * np.sqrt(1 - lam ** 2))
    X = np.hstack(cols)
    return pd.DataFrame(X, columns=[f"y{j}" for j in range(1, X.shape[1] + 1)])


def semopy_time(data: pd.DataFrame, obj: str) -> float:
    return semopy_fit_time(data, MODEL, obj)


def row(label: str, ours: float, peer: float) -> None:
    ratio_row(label, ours, peer, width=8)


def main() -> None:
    data = simulate(N)
    print(f"three-factor CFA, {N} x {data.shape[1]} items")
    row("ML", best_of(lambda: cfa(data, MODEL)), semopy_time(data, "MLW"))
    row("MLR", best_of(lambda: cfa(data, MODEL, estimator="MLR"), repeat=1), float("nan"))
    cats = pd.DataFrame(np.digitize(data.to_numpy(), [-1.5, -0.5, 0, 0.5, 1.5]) + 1,
                        columns=data.columns)
    try:
        t = best_of(lambda: cfa(cats, MODEL, estimator="WLSMV", ordered=True), repeat=1)
    except Exception as exc:  # the ordinal engine is another module; report, don't hide
        print(f"WLSMV    failed: {type(exc).__name__}: {exc}")
    else:
        row("WLSMV", t, semopy_time(cats, "DWLS"))


if __name__ == "__main__":
    main()
