"""The report made from a scoring result (journey 1's last step): start it, its result page
and its download (HTML or Word, :func:`psychometrics.render_report`)."""

from __future__ import annotations

from pathlib import Path

from flask import abort, redirect, request, send_file, url_for

from psychometrics._checks import check_choice

from .. import tasks
from ..jobs import Job
from .common import Upload, lang, page, state


def make_report(jid: str):
    st = state()
    job = st.jobs.get(jid)
    if job is None or job.kind != "score" or job.state != "done":
        abort(404)
    up = st.upload(job.meta["upload"])
    opts = up.options.get("score", {})
    by = [check_choice(c, up.columns, "by") for c in request.form.getlist("by")]
    new = st.jobs.start("report", "run_report",
                        {"path": str(up.path), "setup": up.setup,
                         "norms": opts.get("norms"), "norm_by": opts.get("norm_by"),
                         "by": by, "lang": lang()},
                        {"upload": up.id, "lang": lang(), "from": jid})
    return redirect(url_for("job_page", jid=new.id))


def result(job: Job, up: Upload | None):
    return page("result_report.html", job=job, up=up, r=job.result,
                formats=tasks.REPORT_FORMATS)


def download(job: Job, up: Upload | None, name: str, folder: Path, stem: str):
    """``report.html`` or ``report.docx``."""
    ext = name.rsplit(".", 1)[-1]
    if name != f"report.{ext}" or ext not in tasks.REPORT_FORMATS:
        return None
    path = tasks.save_report(job.result["report"], folder / f"{stem}-report.{ext}")
    return send_file(path, as_attachment=True, download_name=Path(path).name)
