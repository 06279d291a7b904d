"""Journey 3, validate a cut-off: options (scores, criterion, prevalence, method, bootstrap),
the result page (ROC, AUC, cut-off tables, DeLong test), the cut-off tables' downloads."""

from __future__ import annotations

from pathlib import Path

from flask import abort, send_file
from werkzeug.utils import secure_filename

from psychometrics._checks import check_choice
from psychometrics.errors import OptionError

from .. import display, forms, tasks
from ..jobs import Job
from .common import Upload, page, state, translate

#: The columns of a cut-off table shown on the page (the download has them all).
CUTOFF_COLUMNS = ("cutoff", "sensitivity", "specificity", "ppv", "npv", "youden_j")
#: Most rows of a cut-off table shown: every observed score of a subscale fits.
CUTOFF_ROWS = 200
#: The options form's defaults: as ``cutoffs`` (1000 bootstrap resamples, seed 1).
DEFAULT_N_BOOT, DEFAULT_SEED = 1000, 1


def start(up: Upload, form, base: dict, meta: dict) -> Job:
    choices = up.options.get("two_level", [])
    crit = form.get("criterion", "")
    if not crit.isdigit() or int(crit) >= len(choices):
        raise OptionError(translate("choose_criterion"), "criterion", crit)
    criterion, positive = choices[int(crit)]
    opts = {"scores": form.getlist("scores"), "criterion": criterion, "positive": positive,
            "prevalence": forms.level_or_none(form, "prevalence"),
            "method": check_choice(form.get("method", "youden"),
                                   ("youden", "closest_topleft"), "method"),
            "n_boot": forms.whole_number(form, "n_boot", DEFAULT_N_BOOT, 0),
            "seed": forms.whole_number(form, "seed", DEFAULT_SEED, 0)}
    return state().jobs.start("validate", "run_validate", {**base, **opts}, meta)


def result(job: Job, up: Upload | None):
    r = job.result
    tables = {s: display.table(c.table[[k for k in CUTOFF_COLUMNS if k in c.table.columns]],
                               max_rows=CUTOFF_ROWS)
              for s, c in r["cutoffs"].items()}
    return page("result_validate.html", job=job, up=up, r=r, tables=tables)


def download(job: Job, up: Upload | None, name: str, folder: Path, stem: str):
    """``cutoffs-<score>.csv``: one score's whole cut-off table."""
    if not (name.startswith("cutoffs-") and name.endswith(".csv")):
        return None
    c = job.result["cutoffs"].get(name[len("cutoffs-"):-len(".csv")])
    if c is None:
        abort(404)
    path = tasks.write(c.table, folder / secure_filename(f"{stem}-{name}"))
    return send_file(path, as_attachment=True, download_name=path.name)
