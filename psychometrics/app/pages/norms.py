"""Journey 2, build norms: options (strata, margins for raking, bootstrap), the result page,
the norm file's download (applied to another upload through the score journey)."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import send_file

from psychometrics._checks import check_choice

from .. import display, forms
from ..jobs import Job
from .common import Upload, page, state

#: The options form's defaults: as ``build_norms`` (1000 bootstrap resamples, seed 1, at
#: least 50 respondents per stratum).
DEFAULT_BOOTSTRAP, DEFAULT_SEED, DEFAULT_MIN_N = 1000, 1, 50


def start(up: Upload, form, base: dict, meta: dict) -> Job:
    by = [check_choice(c, up.columns, "by") for c in form.getlist("by")]
    margins = forms.margins(form.get("margins", ""))
    out = up.path.parent / f"norms-{secrets.token_hex(4)}.yaml"
    opts = {"by": by, "margins": margins,
            "bootstrap": forms.whole_number(form, "bootstrap", DEFAULT_BOOTSTRAP, 0),
            "seed": forms.whole_number(form, "seed", DEFAULT_SEED, 0),
            "min_n": forms.whole_number(form, "min_n", DEFAULT_MIN_N, 1),
            "population": form.get("population", ""),
            "country": form.get("country", "")}
    return state().jobs.start("norms", "run_build_norms", {**base, "output": str(out), **opts},
                              {**meta, "by": by})


def result(job: Job, up: Upload | None):
    r = job.result
    return page("result_norms.html", job=job, up=up, r=r, table=display.table(r["table"]))


def download(job: Job, up: Upload | None, name: str, folder: Path, stem: str):
    """``norms.yaml``: the norm file as ``load_norms`` and ``--norms`` read it."""
    if name != "norms.yaml":
        return None
    return send_file(Path(job.result["output"]), as_attachment=True,
                     download_name=f"{job.result['id']}.yaml", mimetype="application/x-yaml")
