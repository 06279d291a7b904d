"""A journey's long step: start its job, the progress page (cancellable), the status that
``app.js`` polls, the result page and the downloads, each by the job's kind."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, jsonify, redirect, request, url_for

from . import norms, report, sample, score, validate
from .common import lang, page, state, translate

#: The module of each journey (the upload's ``journey``), with its ``start``.
JOURNEYS = {"score": score, "norms": norms, "validate": validate, "check": sample}
#: The module of each job kind, with its ``result`` page and its ``download``.
KINDS = {**JOURNEYS, "report": report}


def run(uid: str):
    up = state().upload(uid)
    if up.setup is None:
        return redirect(url_for("mapping", uid=uid))
    base = {"path": str(up.path), "setup": up.setup}
    meta = {"upload": uid, "lang": lang()}
    job = JOURNEYS[up.journey].start(up, request.form, base, meta)
    return redirect(url_for("job_page", jid=job.id))


def job_page(jid: str):
    st = state()
    job = st.jobs.get(jid)
    if job is None:
        abort(404)
    if job.state in ("running", "cancelled"):
        return page("job.html", job=job)
    if job.state == "error":
        if job.error is None:
            return page("error.html", 500, kind="", message=translate("internal_error"))
        return page("error.html", 400, kind=job.error_type, message=st.clean(job.error),
                    back=url_for("check", uid=job.meta["upload"])
                    if "upload" in job.meta else None)
    if job.kind not in KINDS:
        abort(404)
    return KINDS[job.kind].result(job, st.uploads.get(job.meta.get("upload")))


def job_status(jid: str):
    st = state()
    job = st.jobs.get(jid)
    if job is None:
        abort(404)
    status = job.status()
    if status["error"]:
        status["error"] = st.clean(status["error"])
    return jsonify(status)


def job_cancel(jid: str):
    if state().jobs.cancel(jid) is None:
        abort(404)
    return redirect(url_for("job_page", jid=jid))


def download(jid: str, name: str):
    st = state()
    job = st.jobs.get(jid)
    if job is None or job.state != "done":
        abort(404)
    up = st.uploads.get(job.meta.get("upload"))
    stem = Path(up.name).stem if up is not None else "result"
    folder = st.workdir / "downloads" / jid
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    found = KINDS[job.kind].download(job, up, name, folder, stem) if job.kind in KINDS else None
    if found is None:
        abort(404)
    return found


def register(app: Flask) -> None:
    app.add_url_rule("/u/<uid>/run", "run", run, methods=["POST"])
    app.add_url_rule("/job/<jid>", "job_page", job_page, methods=["GET"])
    app.add_url_rule("/job/<jid>/status", "job_status", job_status, methods=["GET"])
    app.add_url_rule("/job/<jid>/cancel", "job_cancel", job_cancel, methods=["POST"])
    app.add_url_rule("/job/<jid>/report", "job_report", report.make_report, methods=["POST"])
    app.add_url_rule("/job/<jid>/download/<name>", "download", download, methods=["GET"])
