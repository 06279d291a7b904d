"""Benchmark: FIML CFA (lavaan missing = "ml") on simulated incomplete data, ours vs semopy.

Run: ``python bench/bench_fiml.py [n_rows] [missing_rate]`` (default 2,000 x 22 items, 5% of
the cells missing completely at random, which gives hundreds of missing-data patterns).
Prints our time (ML and MLR with FIML: estimates, SEs, EM saturated model, baseline, all fit
measures) beside semopy's ``obj="FIML"`` fit (estimates only, no SEs, no saturated model)
and the ratio; also our time for the bfi MLR_fiml reference fit (2,800 x 25, 87 patterns;
R/lavaan is not installed here, so no lavaan timing is printed).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import best_of, ratio_row, semopy_fit_time  # bench/_timing.py

from psychometrics.factor.cfa import cfa

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
RATE = float(sys.argv[2]) if len(sys.argv) > 2 else 0.05
SIZES = (8, 7, 7)
MODEL = "\n".join(f"F{k + 1} =~ " + " + ".join(f"y{j}" for j in range(sum(SIZES[:k]) + 1,
                                                                     sum(SIZES[:k + 1]) + 1))
                  for k in range(3))
ROOT = Path(__file__).resolve().parents[1]


def simulate(n: int, rate: float, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    phi = np.array([[1, .5, .3], [.5, 1, .4], [.3, .4, 1]])
    f = rng.multivariate_normal(np.zeros(3), phi, size=n)
    cols = []
    for k, size in enumerate(SIZES):
        lam = rng.uniform(0.5, 0.8, size)
        cols.append(f[:, [k]] * lam + rng.standard_normal((n, size)) * np.sqrt(1 - lam ** 2))
    X = np.hstack(cols)
    X[rng.random(X.shape) < rate] = np.nan
    return pd.DataFrame(X, columns=[f"y{j}" for j in range(1, X.shape[1] + 1)])


def semopy_time(data: pd.DataFrame) -> float:
    return semopy_fit_time(data, MODEL, "FIML")


def row(label: str, ours: float, peer: float) -> None:
    ratio_row(label, ours, peer)


def main() -> None:
    data = simulate(N, RATE)
    n_pat = len(np.unique(data.isna().to_numpy(), axis=0))
    print(f"three-factor CFA with FIML, {N} x {data.shape[1]} items, {RATE:.0%} missing cells, "
          f"{n_pat} missing-data patterns")
    peer = semopy_time(data)
    row("ML-FIML", best_of(lambda: cfa(data, MODEL, missing="fiml")), peer)
    row("MLR-FIML", best_of(lambda: cfa(data, MODEL, estimator="MLR", missing="fiml")), peer)
    ref = json.loads((ROOT / "tests/data/reference/bfi_cfa.json").read_text())
    bfi = pd.read_csv(ROOT / "tests/data/bfi.csv")
    t = best_of(lambda: cfa(bfi, ref["model"], estimator="MLR", missing="ml"))
    print(f"bfi MLR_fiml (2800 x 25, 87 patterns) ours {t:.3f} s")


if __name__ == "__main__":
    main()
