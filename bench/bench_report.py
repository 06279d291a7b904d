"""Benchmark: render_report on the bundled examples vs calling the same functions directly.

There is no R peer for a whole report; the peer here is the analysis without the report
(score, reliability, CFA, norms, ROC/cut-offs, group summaries called one by one), so the
ratio is the cost of the careless indices, the plots and the HTML.

    python bench/bench_report.py
"""

from __future__ import annotations

import warnings

import pandas as pd
from _timing import best_of  # bench/_timing.py, beside this script

import psychometrics as pm
from psychometrics.io import example_path
from psychometrics.report import render_report

N_BOOT = 1000


def direct(data: pd.DataFrame) -> None:
    scores = pm.score(data, "mbi-hss", id="id")
    pm.reliability(data, "mbi-hss", id="id")
    items = pd.concat(list(pm.keyed_items(data, "mbi-hss", id="id").values()), axis=1)
    pm.cfa(items, pm.load_instrument("mbi-hss").cfa_model())
    pm.apply_norms(scores, "mbi-hss-overall")
    for sid, d in (("EE", ">="), ("DP", ">="), ("PA", "<=")):
        pm.roc(scores[sid], data["diagnosis"], positive="burnout", direction=d, n_boot=N_BOOT,
               seed=0, band=True)
        pm.cutoffs(scores[sid], data["diagnosis"], positive="burnout", direction=d,
                   n_boot=N_BOOT, seed=0)
    pm.summarise(scores.assign(sex=data["sex"]), "sex", subscales=["EE", "DP", "PA"])


def report(data: pd.DataFrame) -> None:
    render_report(data, "mbi-hss", id="id", norms="mbi-hss-overall", by="sex",
                  criterion="diagnosis", positive="burnout", n_boot=N_BOOT, seed=0)




def main() -> None:
    warnings.simplefilter("ignore")
    data = pd.read_csv(example_path("validation-sample.csv"))
    report(data)  # warm-up: imports, matplotlib font cache
    ours, peer = best_of(lambda: report(data)), best_of(lambda: direct(data))
    print(f"validation sample, n = {len(data)}, 22 items, {N_BOOT} bootstrap resamples")
    print(f"render_report: {ours:.2f} s   functions alone: {peer:.2f} s   ratio {ours / peer:.2f}")


if __name__ == "__main__":
    main()
