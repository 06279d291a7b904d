"""Profile and criteria speed: psychometrics.classify (profile, classify) vs straightforward pandas.

100,000 respondents with MBI-HSS sum scores and a HAMD-17 total. The baseline bands each score
with ``pd.cut`` and combines plain booleans (no labels in three languages, no three-valued logic
for missing scores, no long table, no reasons). The criteria part classifies the Dutch
overspanning/burnout checklist for the same respondents with the rule engine vs a pandas
expression of the criteria. Prints both times and the ratios.

    python bench/bench_profile.py [n_respondents]
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
from _timing import best_of  # bench/_timing.py, beside this script

import psychometrics as pm
from psychometrics.classify import profile


def naive_profile(mbi: pd.DataFrame, hamd: pd.DataFrame) -> pd.DataFrame:
    ee = pd.cut(mbi["EE"], [-np.inf, 16.5, 26.5, np.inf], labels=["low", "moderate", "high"])
    dp = pd.cut(mbi["DP"], [-np.inf, 6.5, 12.5, np.inf], labels=["low", "moderate", "high"])
    pa = pd.cut(mbi["PA"], [-np.inf, 31.5, 38.5, np.inf], labels=["low", "moderate", "high"])
    dep = pd.cut(hamd["total"], [-np.inf, 7.5, 16.5, 23.5, np.inf],
                 labels=["none", "mild", "moderate", "severe"])
    burnout = (ee == "high") | (dp == "high") | (pa == "low")
    out = pd.DataFrame({"EE": ee, "DP": dp, "PA": pa, "HAMD": dep, "burnout_high": burnout,
                        "depression_elevated": dep != "none"})
    out["overlap"] = out["burnout_high"] & out["depression_elevated"]
    return out


def naive_criteria(d: pd.DataFrame) -> pd.Series:
    ovs = (d[[f"ovs{i}" for i in range(1, 9)]].sum(axis=1) >= 3) & (d.ovs9 == 1) & \
        (d.ovs10 == 1) & (d.ovs11 == 1)
    return ovs & (d.ovs12 > 6) & (d.ovs13 == 1)




def main(n: int = 100_000) -> None:
    rng = np.random.default_rng(0)
    items = pd.DataFrame(rng.integers(0, 7, size=(n, 22)), columns=[f"mbi{i}" for i in range(1, 23)])
    mbi = pm.score(items, "mbi-hss", method="sum")
    hamd_items = pd.DataFrame({f"hamd{i}": rng.integers(0, 3, n) for i in range(1, 18)})
    hamd = pm.score(hamd_items, "hamd-17")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = best_of(lambda: profile({"mbi-hss": mbi, "hamd-17": hamd},
                                       norms={"mbi-hss": "mbi-hss-overall"}))
    base = best_of(lambda: naive_profile(mbi, hamd))
    print(f"profile {n:,} respondents (MBI-HSS + HAMD-17): psychometrics {ours:.3f} s "
          f"(long + wide tables, labels, three-valued flags), naive pandas {base:.3f} s; "
          f"ratio ours/naive = {ours / base:.2f}")
    nl = pd.DataFrame({f"ovs{i}": rng.integers(0, 2, n) for i in range(1, 14)})
    nl["ovs12"] = rng.integers(0, 13, n)
    s = pm.score(nl, "overspanning-nl-2011")
    ours = best_of(lambda: pm.classify(s, "nl-2011-burnout"))
    base = best_of(lambda: naive_criteria(nl))
    assert (pm.classify(s, "nl-2011-burnout")["positive"].to_numpy(dtype=bool)
            == naive_criteria(nl).to_numpy()).all()
    print(f"classify {n:,} respondents (nl-2011-burnout): psychometrics {ours:.3f} s "
          f"(with reasons), naive pandas {base:.3f} s (verdict only); ratio ours/naive = {ours / base:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
