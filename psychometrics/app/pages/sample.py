"""Journey 4, check a sample: options (invariance group, estimator, IRT model), the result
page (reliability, CFA fit, invariance, IRT per subscale with DIF), the reliability download."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from flask import send_file

from psychometrics._checks import check_choice

from .. import display, tasks
from ..jobs import Job
from .common import Upload, page, state

#: The fit measures shown (all of them are in the CFA result; these are the ones people report).
FIT_MEASURES = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                "rmsea.ci.upper", "srmr", "chisq.scaled", "pvalue.scaled", "cfi.robust",
                "tli.robust", "rmsea.robust", "aic", "bic")
RELIABILITY_COLUMNS = ["k", "n", "alpha", "ci_low", "ci_high", "std_alpha", "average_r", "sem"]
INVARIANCE_COLUMNS = ["chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "chisq_diff",
                      "df_diff", "p_diff", "delta_cfi", "delta_rmsea"]
ESTIMATORS = ("ML", "MLR")
IRT_MODELS = (None, "pcm", "rsm", "grm", "rasch")


def start(up: Upload, form, base: dict, meta: dict) -> Job:
    group = form.get("group") or None
    if group is not None:
        check_choice(group, up.columns, "group")
    opts = {"group": group,
            "estimator": check_choice(form.get("estimator", "ML"), ESTIMATORS, "estimator"),
            "irt": check_choice(form.get("irt") or None, IRT_MODELS, "irt")}
    return state().jobs.start("check", "run_check", {**base, **opts}, meta)


def _irt_tables(analysis) -> dict:
    """Per subscale: its item parameters (and DIF table) as page tables."""
    out = {}
    for sid, sub in analysis.subscales.items():
        model = sub.model
        params = (model.item_params[["a", "a_se"]] if hasattr(model, "link")
                  else model.item_params).join(model.thresholds)
        out[sid] = {"params": display.table(params, index=True, max_rows=len(params)),
                    "dif": display.table(sub.dif.table, index=True, max_rows=len(sub.dif.table))
                    if sub.dif is not None else None}
    return out


def result(job: Job, up: Upload | None):
    r = job.result
    rel = r["reliability"].table[RELIABILITY_COLUMNS]
    fit = pd.DataFrame({"value": pd.Series({k: r["cfa"].fit[k] for k in FIT_MEASURES
                                            if k in r["cfa"].fit}, dtype=float)})
    inv = r["invariance"]
    return page("result_check.html", job=job, up=up, r=r,
                rel=display.table(rel, index=True),
                fit=display.table(fit.rename_axis("measure"), index=True, max_rows=100),
                inv=display.table(inv.table[[c for c in INVARIANCE_COLUMNS
                                             if c in inv.table.columns]]
                                  .rename_axis("model"), index=True)
                if inv is not None else None,
                irt=_irt_tables(r["irt"]) if r.get("irt") is not None else None)


def download(job: Job, up: Upload | None, name: str, folder: Path, stem: str):
    """``reliability.csv``: the reliability table of every subscale."""
    if name != "reliability.csv":
        return None
    path = tasks.write(job.result["reliability"].table.reset_index(),
                       folder / f"{stem}-reliability.csv")
    return send_file(path, as_attachment=True, download_name=path.name)
