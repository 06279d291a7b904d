"""Scoring speed: psychometrics.score vs a straightforward pandas implementation.

1,000,000 respondents x 22 MBI-HSS items. The baseline reverse-keys (none for the MBI; we
reverse PA to give it the same work as a keyed instrument) and takes per-subscale
``mean(axis=1)``; it validates nothing. Ours validates every cell (range, integers, text),
applies the missing-data rule and counts answered items. Prints both times and the ratio.

    python bench/bench_score.py [n_respondents]
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from _timing import best_of  # bench/_timing.py, beside this script

import psychometrics as pm


def naive(df: pd.DataFrame, inst) -> pd.DataFrame:
    keyed = df.copy()
    rev = [i for s in inst.subscales.values() for i in s.items if s.id == "PA"]
    keyed[rev] = 6 - keyed[rev]
    return pd.DataFrame({sid: keyed[list(s.items)].mean(axis=1) for sid, s in inst.subscales.items()})




def main(n: int = 1_000_000) -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.integers(0, 7, size=(n, 22)), columns=[f"mbi{i}" for i in range(1, 23)])
    inst = pm.load_instrument("mbi-hss")
    ours = best_of(lambda: pm.score(df, inst, method="mean"))
    base = best_of(lambda: naive(df, inst))
    print(f"score {n:,} x 22 items: psychometrics {ours:.3f} s (validated), "
          f"naive pandas {base:.3f} s (unvalidated); ratio ours/naive = {ours / base:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
