"""The web app through Flask's test client: journeys, downloads against the public API,
security (other hosts and origins, CSRF, upload size, escaping), errors, cancel.

The browser walk-through of the same journeys is in ``test_app_browser.py``.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

pytest.importorskip("flask", reason="the web app needs the [app] extra (Flask)")

import psychometrics as pm  # noqa: E402
from psychometrics.app import i18n  # noqa: E402
from psychometrics.app.web import create_app, state_of  # noqa: E402

EX = Path(pm.example_path("mbi-hss-qualtrics.csv")).parent
QUALTRICS = EX / "mbi-hss-qualtrics.csv"
VALIDATION = EX / "validation-sample.csv"
MARGINS = EX / "population-margins.yaml"
APP_DIR = Path(__file__).parent.parent / "psychometrics" / "app"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    a = create_app(workdir=tmp_path_factory.mktemp("app"))
    yield a
    state_of(a).jobs.shutdown()


@pytest.fixture()
def client(app):
    return app.test_client()


def token(app) -> str:
    return app.config["CSRF_TOKEN"]


def upload(app, client, path: Path, journey: str = "score", name: str | None = None,
           extra: dict | None = None):
    data = {"csrf": token(app), "journey": journey, "source": "auto",
            "file": (io.BytesIO(Path(path).read_bytes()), name or Path(path).name), **(extra or {})}
    return client.post("/upload", data=data, content_type="multipart/form-data")


def selected_mapping(html: str) -> dict:
    """item -> column as the mapping page pre-selects it."""
    out = {}
    for item, body in re.findall(r'<select name="item-([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        m = re.search(r'<option value="([^"]*)" selected>', body)
        out[item] = m.group(1) if m else ""
    return out


def to_check(app, client, path: Path, journey: str, instrument: str, id: str | None,
             extra_upload: dict | None = None):
    """Upload, accept the suggested mapping of ``instrument``, land on the check page."""
    r = upload(app, client, path, journey, extra=extra_upload)
    assert r.status_code == 302, r.get_data(as_text=True)
    uid = r.location.split("/")[2]
    html = client.get(f"/u/{uid}/map?instrument={instrument}").get_data(as_text=True)
    mapping = selected_mapping(html)
    form = {"csrf": token(app), "instrument": instrument, "id": id or "", "action": "check",
            **{f"item-{k}": v for k, v in mapping.items()}}
    r = client.post(f"/u/{uid}/map", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)
    return uid, mapping, client.get(r.location)


def run_job(app, client, uid: str, options: dict):
    r = client.post(f"/u/{uid}/run", data={"csrf": token(app), **options})
    assert r.status_code == 302, r.get_data(as_text=True)
    jid = r.location.rsplit("/", 1)[-1]
    job = state_of(app).jobs.wait(jid)
    return jid, job, client.get(f"/job/{jid}")


# ---- journey 1: score ---------------------------------------------------------------------

def test_suggests_the_instrument_and_mapping_of_the_qualtrics_example(app, client):
    r = upload(app, client, QUALTRICS)
    html = client.get(r.location).get_data(as_text=True)
    assert 'id="suggestion"' in html and "<strong>mbi-hss</strong>" in html
    mapping = selected_mapping(html)
    assert mapping == {f"mbi{n}": f"Q1_{n}" for n in range(1, 23)}
    assert re.search(r'<option value="ResponseId" selected>', html)


def test_check_page_shows_invalid_cells_with_rows_and_incomplete_responses(app, client):
    _, _, r = to_check(app, client, QUALTRICS, "score", "mbi-hss", "ResponseId")
    html = r.get_data(as_text=True)
    df = pm.read_export(QUALTRICS, id="ResponseId")
    scores = pm.score(df, "mbi-hss", items="Q1_{n}", id="ResponseId", on_invalid="missing")
    invalid = scores.attrs["psychometrics"]["invalid"]
    table = re.search(r'<table id="invalid-cells">(.*?)</table>', html, re.S).group(1)
    for cell in invalid:
        assert f"<td>{cell['row']}</td><td>{cell['respondent']}</td><td>{cell['column']}</td>" in table
    assert re.search(r'id="kpi-invalid">3<', html)
    incomplete = df["ResponseId"].iloc[df.attrs["export"]["incomplete"]].tolist()
    assert incomplete and all(i in html for i in incomplete)


def test_score_downloads_equal_score_and_apply_norms(app, client, tmp_path):
    uid, mapping, _ = to_check(app, client, QUALTRICS, "score", "mbi-hss", "ResponseId")
    jid, job, page = run_job(app, client, uid, {"norms": "mbi-hss-overall", "norm_by": "",
                                                "rule": "mbi-hss-overall-ee-or-dp"})
    assert job.state == "done", job.error
    html = page.get_data(as_text=True)
    assert 'id="scores-table"' in html and html.count('src="data:image/png;base64,') >= 1
    df = pm.read_export(QUALTRICS, id="ResponseId")
    scores = pm.score(df, "mbi-hss", items=mapping, id="ResponseId", on_invalid="missing")
    expected = pm.apply_norms(scores, "mbi-hss-overall", data=df)
    rule = pm.classify(scores, "mbi-hss-overall-ee-or-dp", data=df)
    for ext in ("csv", "xlsx", "sav", "json"):
        r = client.get(f"/job/{jid}/download/scores.{ext}")
        assert r.status_code == 200, ext
        path = tmp_path / f"scores.{ext}"
        path.write_bytes(r.data)
        got = pm.read_table(path, id="ResponseId") if ext != "json" else \
            pd.read_json(path, orient="records", dtype={"ResponseId": str})
        assert got["ResponseId"].tolist() == df["ResponseId"].tolist(), ext
        for s in ("EE", "DP", "PA"):
            np.testing.assert_allclose(got[s].to_numpy(float), expected[s].to_numpy(float),
                                       rtol=0, atol=1e-9, err_msg=ext)
        if ext != "sav":  # .sav stores bands as value-labelled codes
            assert got["EE_band"].fillna("").astype(str).tolist() == \
                expected["EE_band"].fillna("").astype(str).tolist(), ext
            assert got["mbi-hss-overall-ee-or-dp_level"].fillna("").astype(str).tolist() == \
                rule["level"].fillna("").astype(str).tolist(), ext


def test_saved_mapping_yaml_is_what_the_cli_reads_and_loads_back(app, client, tmp_path):
    uid, mapping, _ = to_check(app, client, QUALTRICS, "score", "mbi-hss", "ResponseId")
    form = {"csrf": token(app), "instrument": "mbi-hss", "id": "ResponseId", "action": "yaml",
            **{f"item-{k}": v for k, v in mapping.items()}}
    r = client.post(f"/u/{uid}/map", data=form)
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    path = tmp_path / "items.yaml"
    path.write_bytes(r.data)
    assert yaml.safe_load(path.read_text())["items"] == mapping
    df = pm.read_export(QUALTRICS, id="ResponseId")
    a = pm.score(df, "mbi-hss", items=str(path), id="ResponseId", on_invalid="missing")
    b = pm.score(df, "mbi-hss", items="Q1_{n}", id="ResponseId", on_invalid="missing")
    pd.testing.assert_frame_equal(a, b)
    # reused: the shipped example mapping, loaded on the mapping page of an upload
    r = client.post(f"/u/{uid}/map", data={
        "csrf": token(app), "action": "load", "instrument": "mbi-hss", "id": "ResponseId",
        "mapping": (io.BytesIO((EX / "mbi-hss-items.yaml").read_bytes()), "mbi-hss-items.yaml")},
        content_type="multipart/form-data")
    assert r.status_code == 200
    assert selected_mapping(r.get_data(as_text=True)) == mapping


def test_unmapped_item_is_refused_with_its_name(app, client):
    uid, mapping, _ = to_check(app, client, QUALTRICS, "score", "mbi-hss", "ResponseId")
    form = {"csrf": token(app), "instrument": "mbi-hss", "id": "ResponseId", "action": "check",
            **{f"item-{k}": v for k, v in mapping.items() if k != "mbi7"}}
    r = client.post(f"/u/{uid}/map", data=form)
    assert r.status_code == 400 and "mbi7" in r.get_data(as_text=True)


def test_html_report_download(app, client):
    uid, _, _ = to_check(app, client, QUALTRICS, "score", "mbi-hss", "ResponseId")
    jid, job, _ = run_job(app, client, uid, {"norms": "mbi-hss-overall"})
    r = client.post(f"/job/{jid}/report", data={"csrf": token(app), "by": "department"})
    rid = r.location.rsplit("/", 1)[-1]
    rep = state_of(app).jobs.wait(rid)
    assert rep.state == "done", rep.error
    r = client.get(f"/job/{rid}/download/report.html")
    assert r.status_code == 200 and r.data.startswith(b"<!DOCTYPE html>")
    assert b"tbl-reliability" in r.data
    r = client.get(f"/job/{rid}/download/report.docx")
    assert r.status_code == 200 and r.data.startswith(b"PK")  # a Word (zip) file, not HTML
    import docx

    doc = docx.Document(io.BytesIO(r.data))
    assert len(doc.tables) > 0


# ---- journey 2: build norms, then apply them to another upload -----------------------------

def test_build_norms_download_equals_build_norms_and_applies_to_another_upload(app, client,
                                                                                tmp_path):
    uid, mapping, page = to_check(app, client, VALIDATION, "norms", "mbi-hss", "id")
    assert 'name="by" value="sex"' in page.get_data(as_text=True)
    margins = MARGINS.read_text()
    jid, job, res = run_job(app, client, uid, {"by": "sex", "margins": margins,
                                               "bootstrap": "200", "seed": "3", "min_n": "50"})
    assert job.state == "done", job.error
    assert 'id="norms-table"' in res.get_data(as_text=True)
    r = client.get(f"/job/{jid}/download/norms.yaml")
    path = tmp_path / "built.yaml"
    path.write_bytes(r.data)
    got = pm.load_norms(path)
    df = pm.read_export(VALIDATION, id="id")
    scores = pm.score(df, "mbi-hss", items=mapping, id="id", on_invalid="missing")
    want = pm.build_norms(scores, "mbi-hss", by=["sex"], margins=yaml.safe_load(margins),
                          data=df[["sex", "age_group", "region"]], bootstrap=200, seed=3)
    a, b = got.to_dict(), want.to_dict()
    for d in (a, b):
        d["created"].pop("date", None)
        d["source"].pop("ref", None)
    assert a["norms"] == b["norms"] and a["weighting"] == b["weighting"]
    # apply the built norms to another upload (journey 1 with the norm set of this session)
    r = client.get(f"/start/score?norms_job={jid}")
    assert 'id="apply-built"' in r.get_data(as_text=True)
    uid2, mapping2, page2 = to_check(app, client, QUALTRICS, "score", "mbi-hss", "ResponseId",
                                     extra_upload={"norms_job": jid})
    assert f'value="job:{jid}" selected' in page2.get_data(as_text=True)
    # the norms are by sex and this export has no sex column: refused until the user says
    # which column holds it, or that the overall norm is meant (never a silent fallback)
    jid2, job2, _ = run_job(app, client, uid2, {"norms": f"job:{jid}", "norm_by": ""})
    assert job2.state == "error" and "norm_by" in str(job2.error)
    jid2, job2, _ = run_job(app, client, uid2, {"norms": f"job:{jid}", "norm_by": "overall"})
    assert job2.state == "done", job2.error
    out = tmp_path / "applied.csv"
    out.write_bytes(client.get(f"/job/{jid2}/download/scores.csv").data)
    df2 = pm.read_export(QUALTRICS, id="ResponseId")
    s2 = pm.score(df2, "mbi-hss", items=mapping2, id="ResponseId", on_invalid="missing")
    want2 = pm.apply_norms(s2, path, norm_by={})
    got2 = pm.read_table(out, id="ResponseId")
    for c in ("EE_pr", "DP_t", "PA_stanine"):
        np.testing.assert_allclose(got2[c].to_numpy(float), want2[c].to_numpy(float),
                                   rtol=0, atol=1e-9, equal_nan=True)
    assert got2["EE_top_quartile"].fillna("").astype(str).tolist() == \
        want2["EE_top_quartile"].astype("object").fillna("").astype(str).tolist()


# ---- journey 3: validate a cut-off --------------------------------------------------------

def test_validate_shows_roc_cutoffs_and_delong_as_the_api(app, client):
    uid, mapping, page = to_check(app, client, VALIDATION, "validate", "mbi-hss", "id")
    html = page.get_data(as_text=True)
    idx = re.search(r'<option value="(\d+)">diagnosis = burnout</option>', html).group(1)
    r = client.post(f"/u/{uid}/run", data={"csrf": token(app), "scores": ["EE", "DP"],
                                           "criterion": idx, "prevalence": "0.05",
                                           "method": "youden", "n_boot": "200", "seed": "2"})
    jid = r.location.rsplit("/", 1)[-1]
    job = state_of(app).jobs.wait(jid)
    assert job.state == "done", job.error
    html = client.get(f"/job/{jid}").get_data(as_text=True)
    df = pm.read_export(VALIDATION, id="id")
    s = pm.score(df, "mbi-hss", items=mapping, id="id", on_invalid="missing")
    roc = pm.roc(s["EE"], df["diagnosis"], positive="burnout", n_boot=200, seed=2)
    cut = pm.cutoffs(s["EE"], df["diagnosis"], positive="burnout", prevalence=0.05,
                     n_boot=200, seed=2)
    test = pm.roc_test(s["EE"], s["DP"], df["diagnosis"], positive="burnout")
    auc = float(re.search(r'id="auc-1"><tbody>\s*<tr><th>[^<]*</th><td data-value="([^"]+)"',
                          html).group(1))
    assert auc == pytest.approx(roc.auc, abs=1e-12)
    assert f"{roc.boot_ci_low:.3f} – {roc.boot_ci_high:.3f}" in html
    assert f"{cut.best['ppv']:.3f} / {cut.best['npv']:.3f}" in html
    assert re.search(r'id="delong".*data-value="([^"]+)"', html, re.S).group(1) == repr(test.pvalue)
    assert html.count('src="data:image/png;base64,') == 2
    got = pd.read_csv(io.BytesIO(client.get(f"/job/{jid}/download/cutoffs-EE.csv").data))
    pd.testing.assert_frame_equal(got[["cutoff", "sensitivity", "specificity", "ppv", "npv"]],
                                  cut.table[["cutoff", "sensitivity", "specificity", "ppv",
                                             "npv"]].reset_index(drop=True),
                                  check_exact=False, rtol=0, atol=1e-12, check_dtype=False)
    assert client.get(f"/job/{jid}/download/cutoffs-nonsense.csv").status_code == 404


# ---- journey 4: check a sample ------------------------------------------------------------

def test_check_sample_reliability_cfa_and_invariance_as_the_api(app, client):
    uid, mapping, _ = to_check(app, client, VALIDATION, "check", "mbi-hss", "id")
    jid, job, page = run_job(app, client, uid, {"group": "sex", "estimator": "ML"})
    assert job.state == "done", job.error
    html = page.get_data(as_text=True)
    df = pm.read_export(VALIDATION, id="id")
    rel = pm.reliability(df, "mbi-hss", items=mapping, on_invalid="missing", id="id")
    for a in rel.table["alpha"]:
        assert f'data-value="{a!r}"' in html
    got = pd.read_csv(io.BytesIO(client.get(f"/job/{jid}/download/reliability.csv").data))
    np.testing.assert_allclose(got["alpha"], rel.table["alpha"], rtol=0, atol=1e-12)
    res = job.result
    assert res["cfa"].fit["chisq"] > 0 and res["invariance"] is not None
    assert 'id="invariance-table"' in html and "configural" in html and "scalar" in html
    assert 'id="irt"' not in html  # IRT only when asked for


def test_check_sample_with_irt_and_dif_as_the_api(app, client):
    uid, mapping, _ = to_check(app, client, VALIDATION, "check", "mbi-hss", "id")
    jid, job, page = run_job(app, client, uid, {"group": "sex", "estimator": "ML", "irt": "pcm"})
    assert job.state == "done", job.error
    df = pm.read_export(VALIDATION, id="id")
    want = pm.irt_analysis(df, "mbi-hss", model="pcm", dif="sex", items=mapping, id="id",
                           on_invalid="missing")
    got = job.result["irt"]
    assert set(got.subscales) == set(want.subscales)
    for sid, sub in want.subscales.items():
        pd.testing.assert_frame_equal(got.subscales[sid].model.item_params, sub.model.item_params,
                                      check_exact=False, rtol=0, atol=1e-12)
    html = page.get_data(as_text=True)
    assert 'id="irt-summary"' in html and "DIF by" in html
    r = client.post(f"/u/{uid}/run", data={"csrf": token(app), "irt": "2pl"})
    assert r.status_code == 400 and "irt must be one of" in r.get_data(as_text=True)


# ---- errors -------------------------------------------------------------------------------

def test_malformed_upload_shows_the_package_message_not_a_traceback(app, client, tmp_path):
    bad = tmp_path / "answers.pdf"
    bad.write_bytes(b"%PDF-1.4 not an export")
    r = upload(app, client, bad)
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "ExportError" in html and "answers.pdf: unknown file type" in html
    assert "Traceback" not in html and str(state_of(app).workdir) not in html


def test_a_file_that_is_not_a_spreadsheet_shows_the_package_message(app, client, tmp_path):
    bad = tmp_path / "answers.xlsx"
    bad.write_bytes(b"this is not a spreadsheet")
    r = upload(app, client, bad)
    assert r.status_code == 400 and "answers.xlsx" in r.get_data(as_text=True)


def test_a_package_error_in_a_job_is_shown_on_the_page(app, client):
    uid, _, _ = to_check(app, client, VALIDATION, "norms", "mbi-hss", "id")
    jid, job, page = run_job(app, client, uid, {"bootstrap": "0", "min_n": "5000"})
    assert job.state == "error"
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "min_n=5000" in html and "Traceback" not in html


def test_a_bug_gives_a_plain_page_and_no_traceback(app, client, monkeypatch):
    from psychometrics.app import tasks

    uid, _, _ = to_check(app, client, QUALTRICS, "score", "mbi-hss", "ResponseId")

    def broken(*a, **k):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(tasks, "found", broken)
    r = client.get(f"/u/{uid}/check")
    html = r.get_data(as_text=True)
    assert r.status_code == 500 and "secret internals" not in html and "Traceback" not in html
    assert i18n.translate("internal_error", "en") in html


def test_bad_option_is_a_clear_message(app, client):
    uid, _, _ = to_check(app, client, VALIDATION, "norms", "mbi-hss", "id")
    r = client.post(f"/u/{uid}/run", data={"csrf": token(app), "bootstrap": "many"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "bootstrap must be a whole number" in html


# ---- long steps: progress and cancel ------------------------------------------------------

def test_a_running_job_reports_progress_and_can_be_cancelled(app, client):
    uid, _, _ = to_check(app, client, VALIDATION, "norms", "mbi-hss", "id")
    r = client.post(f"/u/{uid}/run", data={"csrf": token(app), "bootstrap": "2000000",
                                           "min_n": "50"})
    jid = r.location.rsplit("/", 1)[-1]
    page = client.get(f"/job/{jid}").get_data(as_text=True)
    assert 'id="cancel"' in page and 'id="job-progress"' in page
    deadline = time.monotonic() + 30
    while "bootstrap" not in client.get(f"/job/{jid}/status").get_json()["progress"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    status = client.get(f"/job/{jid}/status").get_json()
    assert status["state"] == "running"
    r = client.post(f"/job/{jid}/cancel", data={"csrf": token(app)})
    job = state_of(app).jobs.wait(jid, timeout=10)
    assert job.state == "cancelled" and not job.process.is_alive()
    assert 'id="cancelled"' in client.get(f"/job/{jid}").get_data(as_text=True)


# ---- security -----------------------------------------------------------------------------

def test_other_hosts_are_refused(client):
    assert client.get("/", headers={"Host": "evil.example:5000"}).status_code == 403
    assert client.get("/", headers={"Host": "127.0.0.1:5000"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost"}).status_code == 200


def test_other_origins_are_refused(app, client):
    data = {"csrf": token(app), "journey": "score"}
    r = client.post("/upload", data=data, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and b"another origin" in r.data
    r = client.post("/upload", data=data, headers={"Origin": "http://127.0.0.1:9999"})
    assert r.status_code == 403  # another port is another origin
    r = client.post("/upload", data=data, headers={"Origin": "null"})
    assert r.status_code == 403
    r = client.get("/", headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    r = client.post("/upload", data={"journey": "score"})
    assert r.status_code == 403 and b"security token" in r.data
    r = client.post("/upload", data={"csrf": "forged", "journey": "score"})
    assert r.status_code == 403
    r = client.post("/upload", data=data, headers={"Origin": "http://localhost"})
    assert r.status_code == 400  # same origin: served (and says a file is missing)


def test_response_headers_forbid_foreign_scripts_and_framing(client):
    r = client.get("/")
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "cdn" not in r.get_data(as_text=True).lower()
    assert not re.search(r'(src|href)="(https?:)?//', r.get_data(as_text=True))


def test_upload_size_limit_gives_a_clear_message(tmp_path):
    small = create_app(workdir=tmp_path, max_upload_mb=0.01, warm=False)
    c = small.test_client()
    data = {"csrf": small.config["CSRF_TOKEN"], "journey": "score",
            "file": (io.BytesIO(b"a,b\n" + b"1,2\n" * 5000), "big.csv")}
    r = c.post("/upload", data=data, content_type="multipart/form-data")
    assert r.status_code == 413
    assert "larger than the upload limit of 0.01 MB" in r.get_data(as_text=True)


def test_user_strings_are_escaped(app, client, tmp_path):
    evil = "<script>alert(1)</script>"
    path = tmp_path / "evil.csv"
    cols = [f"mbi{n}" for n in range(1, 23)]
    rows = [[str((i + n) % 7) for n in range(22)] for i in range(30)]
    rows[0][4] = evil  # an invalid cell, shown on the check page
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", evil] + cols)
        for i, r in enumerate(rows):
            w.writerow([f"r{i}", evil] + r)
    r = upload(app, client, path, name=f"{evil}.csv")
    assert r.status_code == 302
    uid = r.location.split("/")[2]
    html = client.get(r.location).get_data(as_text=True)
    assert evil not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    mapping = selected_mapping(client.get(f"/u/{uid}/map?instrument=mbi-hss").get_data(as_text=True))
    form = {"csrf": token(app), "instrument": "mbi-hss", "id": "id", "action": "check",
            **{f"item-{k}": v for k, v in mapping.items()}}
    html = client.get(client.post(f"/u/{uid}/map", data=form).location).get_data(as_text=True)
    assert "invalid-cells" in html and evil not in html and "&lt;script&gt;" in html


# ---- languages ----------------------------------------------------------------------------

def test_language_switch(client):
    for code in ("nl", "fr", "en"):
        r = client.get(f"/lang/{code}?next=/start/score")
        assert r.status_code == 302 and r.location.endswith("/start/score")
        html = client.get("/start/score").get_data(as_text=True)
        assert f'<html lang="{code}">' in html
        assert i18n.translate("journey_score", code) in html
    assert client.get("/lang/nl?next=//evil.example").location == "/"
    assert client.get("/lang/nl?next=/%5Cevil.example").location == "/"


def test_every_interface_string_exists_in_three_languages():
    own = i18n.strings()
    assert all(set(v) == set(i18n.LANGS) and all(v.values()) for v in own.values())
    used = set()
    for p in (APP_DIR / "templates").glob("*.html"):
        used |= set(re.findall(r"t\('([a-z_]+)'", p.read_text()))
    for p in APP_DIR.rglob("*.py"):  # i18n.translate("key", ...) and pages' translate("key")
        used |= set(re.findall(r'translate\(\s*"([a-z_]+)"', p.read_text()))
    dynamic = {p for p in used if p.endswith("_")}
    used -= dynamic
    used |= {f"journey_{j}{s}" for j in ("score", "norms", "validate", "check")
             for s in ("", "_text")}
    used |= {f"run_{j}" for j in ("score", "norms", "validate", "check")}
    used |= {f"source_{s}" for s in ("auto", "qualtrics", "limesurvey", "spss", "csv", "excel")}
    for key in sorted(used):
        texts = {lang: i18n.translate(key, lang) for lang in i18n.LANGS}
        assert all(texts.values()), key
    with pytest.raises(KeyError):
        i18n.translate("no_such_key", "en")


# ---- speed and the command ----------------------------------------------------------------

def _start_app() -> tuple[float, Path]:
    """Start ``psychometrics app``; the time until its first page is served, and its
    private folder (checked to be gone once the app is stopped)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "psychometrics.cli", "app", "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", first).group(0)
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.status == 200
        elapsed = time.perf_counter() - t0
        workdir = Path(re.search(r"kept in (\S+) ", second).group(1))
        assert workdir.is_dir()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert not workdir.exists()
    return elapsed, workdir


def test_command_serves_pages_and_removes_its_private_folder():
    """The command serves its first page; its private folder is gone once it is stopped.
    (Start-up time is a benchmark, bench/bench_app.py, not a test.)"""
    _start_app()


# ---- other export formats -----------------------------------------------------------------

def test_spss_upload_asks_for_the_form_and_scores_as_the_api(app, client, tmp_path):
    path = EX / "cbi-spss.sav"
    r = upload(app, client, path)
    uid = r.location.split("/")[2]
    html = client.get(r.location).get_data(as_text=True)
    assert "<strong>cbi</strong>" in html and 'id="form"' in html
    mapping = selected_mapping(html)
    form = {"csrf": token(app), "instrument": "cbi", "id": "resp_id", "action": "check",
            **{f"item-{k}": v for k, v in mapping.items()}}
    r = client.post(f"/u/{uid}/map", data=form)  # the form is never guessed
    assert r.status_code == 400 and "form must be one of" in r.get_data(as_text=True)
    r = client.post(f"/u/{uid}/map", data={**form, "form": "never-first"})
    check = client.get(r.location).get_data(as_text=True)
    assert 'id="user-missing"' in check  # SPSS user-missing codes are reported
    jid, job, _ = run_job(app, client, uid, {})
    assert job.state == "done", job.error
    out = tmp_path / "cbi.sav"
    out.write_bytes(client.get(f"/job/{jid}/download/scores.sav").data)
    df = pm.read_export(path, id="resp_id")
    want = pm.score(df, "cbi", items=mapping, id="resp_id", form="never-first",
                    on_invalid="missing")
    got = pm.read_export(out, id="resp_id")
    assert got["resp_id"].tolist() == want["resp_id"].tolist()
    for s in ("PB", "WB", "CB"):
        np.testing.assert_allclose(got[s].to_numpy(float), want[s].to_numpy(float),
                                   rtol=0, atol=1e-9, equal_nan=True)


def test_xlsx_upload_scores_as_the_api(app, client, tmp_path):
    df = pm.read_export(VALIDATION, id="id")
    path = pm.write_table(df, tmp_path / "validation.xlsx", id="id")
    uid, mapping, _ = to_check(app, client, path, "score", "mbi-hss", "id")
    jid, job, _ = run_job(app, client, uid, {})
    assert job.state == "done", job.error
    want = pm.score(df, "mbi-hss", items=mapping, id="id", on_invalid="missing")
    got = job.result["table"]
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)


def test_command_refuses_a_busy_port_with_one_line(capsys):
    import socket

    from psychometrics.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["app", "--port", str(port), "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert f"error: cannot listen on 127.0.0.1:{port}" in err
    assert "Traceback" not in err


def test_every_template_static_and_strings_file_is_shipped():
    import configparser
    import fnmatch

    cfg = configparser.ConfigParser()
    cfg.read(APP_DIR.parent.parent / "setup.cfg")
    globs = [g.strip() for g in cfg["options.package_data"]["psychometrics.app"].split(",")]
    files = [p.relative_to(APP_DIR).as_posix() for p in APP_DIR.rglob("*")
             if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert files
    assert [f for f in files if not any(fnmatch.fnmatch(f, g) for g in globs)] == []
    assert "psychometrics.app" in cfg["options"]["packages"].split()
    assert "flask" in cfg["options.extras_require"]["app"]


def test_an_export_answered_with_dutch_labels_is_recognised_and_scored(app, client, tmp_path):
    df = pm.read_export(VALIDATION, id="id")
    labels = pm.load_instrument("mbi-hss", warn=False).scale.labels["nl"]
    items = [f"mbi{n}" for n in range(1, 23)]
    labelled = df.copy()
    labelled[items] = df[items].apply(lambda col: col.map(lambda v: labels[int(v)]))
    path = tmp_path / "gelabeld.csv"
    labelled.to_csv(path, index=False)
    uid, mapping, page = to_check(app, client, path, "score", "mbi-hss", "id")
    html = page.get_data(as_text=True)
    assert 'id="labelled"' in html and "mbi1" in html
    jid, job, _ = run_job(app, client, uid, {})
    assert job.state == "done", job.error
    want = pm.score(pm.read_export(path, id="id"), "mbi-hss", items=mapping, id="id",
                    on_invalid="missing")
    np.testing.assert_allclose(job.result["table"]["EE"], want["EE"], rtol=0, atol=1e-9)
    codes = pm.score(df, "mbi-hss", id="id", on_invalid="missing")
    np.testing.assert_allclose(want["EE"], codes["EE"], rtol=0, atol=1e-9)
