"""Journey 1, score an export: options (norms, strata, rule), the result page, the downloads
of the scores (CSV, xlsx, sav, JSON)."""

from __future__ import annotations

from pathlib import Path

from flask import send_file

import psychometrics as pm
from psychometrics._checks import check_choice
from psychometrics.errors import DataError

from .. import display, forms, tasks
from ..jobs import Job
from .common import Upload, lang, page, state

DOWNLOADS = ("csv", "xlsx", "sav", "json")


def norms_choice(up: Upload, value: str) -> str | None:
    """A shipped norm set, or ``job:<id>``: the norm file built in this session."""
    if not value:
        return None
    if value.startswith("job:"):
        job = state().jobs.get(value[4:])
        if job is None or not job.result:
            raise DataError("the norm set built in this session is no longer available")
        return job.result["output"]
    return check_choice(value, pm.list_norms(up.setup.instrument), "norms")


def start(up: Upload, form, base: dict, meta: dict) -> Job:
    rule = form.get("rule")
    opts = {"norms": norms_choice(up, form.get("norms", "")),
            "norm_by": forms.norm_by(form.get("norm_by", "")),
            "rule": (check_choice(rule, pm.list_rules(up.setup.instrument)["id"].tolist(),
                                  "rule") if rule else None),
            "lang": lang()}
    up.options["score"] = opts
    return state().jobs.start("score", "run_score", {**base, **opts}, meta)


def result(job: Job, up: Upload | None):
    r = job.result
    return page("result_score.html", job=job, up=up, r=r, downloads=DOWNLOADS,
                table=display.table(r["table"]), subscales=r["subscales"])


def download(job: Job, up: Upload | None, name: str, folder: Path, stem: str):
    """``scores.<ext>``: the scored (and normed) table, or None for another name."""
    ext = name.rsplit(".", 1)[-1]
    if ext not in DOWNLOADS or not name.startswith("scores."):
        return None
    path = tasks.write(job.result["table"], folder / f"{stem}-scores.{ext}",
                       id=up.setup.id if up and up.setup else None,
                       lang=job.meta.get("lang", "en"))
    return send_file(path, as_attachment=True, download_name=path.name)
