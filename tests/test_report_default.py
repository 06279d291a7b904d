"""The default report of an MBI-HSS export (no norms, criterion or groups): figures, methods,
APA fit line and omega; drawn in headless Chromium; exported to Word."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.cli import main
from psychometrics.io import example_path, read_export
from psychometrics.report import group_effects, readable_note, render_report
from psychometrics.report.methods import apa_fit, apa_number, apa_p
from psychometrics.scoring import keyed_items

QUALTRICS = example_path("mbi-hss-qualtrics.csv")
MAPPING = str(example_path("mbi-hss-items.yaml"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
APA = re.compile(r"χ²\(\d+\) = \d+\.\d{2}, p [=<>] \.\d{3}, CFI = \.\d{3}, "
                 r"RMSEA = \.\d{3} \[\.\d{3}, \.\d{3}\], SRMR = \.\d{3}")


@pytest.fixture(scope="module")
def report():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return render_report(QUALTRICS, "mbi-hss", items=MAPPING, id="ResponseId",
                             omega_boot=50, seed=3)


def test_default_report_has_figures_methods_fit_line_and_omega(report):
    imgs = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([^"]+)"', report.html)
    # score distributions, item responses (Likert), standardised loadings, scree
    assert len(imgs) >= 3
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in imgs)
    methods = report.section("methods")
    assert methods.status == "ok" and len(methods.data["paragraphs"]) >= 4
    text = " ".join(methods.data["paragraphs"])
    for phrase in ("sums of their items", "prorated", "Feldt", "omega",
                   "(50 resamples, seed 3)", "FIML", "n = 200 of 200"):
        assert phrase in text, phrase
    fac = report.section("factor").data
    assert APA.fullmatch(fac["fit_line"]), fac["fit_line"]
    assert fac["fit_line"] in report.html and fac["fit_line"] in text
    rel = report.section("reliability").data
    assert set(rel["omega"]) == {"EE", "DP", "PA"}
    for o in rel["omega"].values():
        assert o["ci_low"] < o["omega"] < o["ci_high"]
    # no lavaan names as row labels in the fit table
    assert ">rmsea.ci.lower<" not in report.html and ">RMSEA 90% CI lower<" in report.html


def test_omega_in_the_report_is_psych_omega_of_the_keyed_items(report, tmp_path):
    data = read_export(QUALTRICS, id="ResponseId")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        blocks = keyed_items(data, "mbi-hss", items=MAPPING, on_invalid="missing")
    rel = report.section("reliability").data
    for sid in ("EE", "DP", "PA"):
        o = pm.omega(blocks[sid], n_factors=1, cfa=False)
        assert rel["omega"][sid]["omega"] == pytest.approx(o.omega_total, abs=1e-12)


def test_apa_formatting():
    fit = {"chisq": 244.271, "df": 206.0, "pvalue": 0.0349, "cfi": 0.9801, "rmsea": 0.0317,
           "rmsea.ci.lower": 0.0091, "rmsea.ci.upper": 0.0458, "srmr": 0.0311}
    assert apa_fit(fit) == ("χ²(206) = 244.27, p = .035, CFI = .980, RMSEA = .032 [.009, "
                            ".046], SRMR = .031")
    robust = {**fit, "chisq.scaled": 230.0, "df.scaled": 206, "pvalue.scaled": 0.12,
              "cfi.robust": 0.99, "rmsea.robust": 0.02, "rmsea.ci.lower.robust": 0.0,
              "rmsea.ci.upper.robust": 0.04}
    assert apa_fit(robust).startswith("χ²(206) = 230.00, p = .120, CFI = .990, RMSEA = .020 "
                                      "[.000, .040]")
    assert apa_fit(robust, robust=False) == apa_fit(fit)
    assert apa_p(0.0004) == "p < .001" and apa_number(float("nan")) == "NA"


def test_notes_hold_no_python_reprs():
    assert readable_note("prorated sums for {'EE': 7, 'DP': 4} respondents") == \
        "prorated sums for EE 7, DP 4 respondents"


def test_group_effect_sizes_match_scipy():
    from scipy import stats
    df = pd.DataFrame({"EE": [1.0, 2, 4, 4, 5, 6, 9, 3, 2, 8],
                       "g": list("aaaaabbbbb"), "h": list("xxxyyyzzzz")})
    eff = group_effects(df, ["g", "h"], ["EE"], min_group=3)
    f, p = stats.f_oneway(*[d["EE"] for _, d in df.groupby("h")])
    row = eff[eff["grouping"] == "h"].iloc[0]
    assert row["F"] == pytest.approx(f, abs=1e-12) and row["p"] == pytest.approx(p, abs=1e-12)
    a, b = df.loc[df.g == "a", "EE"], df.loc[df.g == "b", "EE"]
    sp = (((len(a) - 1) * a.var() + (len(b) - 1) * b.var()) / (len(df) - 2)) ** 0.5
    g = (1 - 3 / (4 * 8 - 1)) * (a.mean() - b.mean()) / sp
    assert eff[eff["grouping"] == "g"].iloc[0]["hedges_g"] == pytest.approx(g, abs=1e-12)


def test_docx_holds_the_tables(report, tmp_path):
    docx = pytest.importorskip("docx")
    path = report.save(tmp_path / "report.docx")
    doc = docx.Document(str(path))
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "Methods" in heads and "Reliability" in heads and "Factor structure" in heads
    first = {t.rows[0].cells[0].text: t for t in doc.tables}
    assert len(doc.tables) >= 8 and len(doc.inline_shapes) >= 3
    rel = next(t for t in doc.tables if "ω" in [c.text for c in t.rows[0].cells])
    assert [r.cells[0].text for r in rel.rows[1:]] == [
        "Emotional Exhaustion (EE)", "Depersonalization (DP)", "Personal Accomplishment (PA)"]
    fit_line = report.section("factor").data["fit_line"]
    assert any(fit_line in p.text for p in doc.paragraphs)
    assert "Measure" in first
    assert "Respondents: 200" in [p.text for p in doc.paragraphs]  # the key figures too


def test_cli_report_docx(tmp_path, capsys):
    docx = pytest.importorskip("docx")
    out = tmp_path / "report.docx"
    code = main(["report", str(QUALTRICS), "-i", "mbi-hss", "--items", MAPPING, "--id",
                 "ResponseId", "--group", "department", "--n-boot", "0", "--omega-boot", "0",
                 "--no-progress", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    doc = docx.Document(str(out))
    assert any("Group" in (p.text or "") for p in doc.paragraphs)
    assert len(doc.tables) >= 8


# ---------------------------------------------------------------------------- in a browser

_PROBE = """<script>
window.addEventListener('load', function () {
  var out = {images: [], sections: []};
  document.querySelectorAll('img').forEach(function (im) {
    var r = im.getBoundingClientRect();
    out.images.push({ok: im.complete && im.naturalWidth > 0, w: r.width, h: r.height});
  });
  document.querySelectorAll('section').forEach(function (s) {
    var r = s.getBoundingClientRect();
    out.sections.push({id: s.id, h: r.height, title: s.querySelector('h2').textContent});
  });
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-extensions", "--disable-dev-shm-usage",
         f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, text=True, timeout=180)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_default_report_in_headless_chromium(report, tmp_path):
    # the page itself has no script; a copy gets a probe that reports what the browser drew
    probe = tmp_path / "probe.html"
    probe.write_text(report.html.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    dom = _chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom.stdout, re.S)
    assert found, "the probe did not run"
    import html as _html
    seen = json.loads(_html.unescape(found.group(1)))
    assert len(seen["images"]) >= 3
    for im in seen["images"]:  # no broken image, each drawn at a readable size
        assert im["ok"] and im["w"] >= 300 and im["h"] >= 150, im
    ids = {s["id"]: s for s in seen["sections"]}
    for sid in ("sec-methods", "sec-quality", "sec-distributions", "sec-reliability",
                "sec-factor"):
        assert ids[sid]["h"] > 100, ids.get(sid)
    page = tmp_path / "report.html"
    report.save(page)
    shot = tmp_path / "report.png"
    res = _chromium(tmp_path, "--hide-scrollbars", "--window-size=1200,6000",
                    f"--screenshot={shot}", page.as_uri())
    assert res.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 150_000  # a page of figures and tables, not a blank one


def test_numeric_criterion_shown_as_its_label_and_prevalence(tmp_path):
    data = pd.read_csv(example_path("validation-sample.csv"))
    data["burnout_clinical"] = (data["diagnosis"] == "burnout").astype(float)  # 0.0 / 1.0
    rep = render_report(data, "mbi-hss", id="id", criterion="burnout_clinical", positive="1",
                        prevalence=0.1, n_boot=0, omega_boot=0, depression=None)
    crit = rep.section("criterion")
    assert crit.status == "ok", crit.message
    assert "burnout_clinical = 1:" in crit.html and "= 1.0" not in crit.html
    assert crit.data["prevalence"] == 0.1
    scores = pm.score(data, "mbi-hss", id="id")
    direct = pm.cutoffs(scores["EE"], data["burnout_clinical"], positive=1.0, prevalence=0.1,
                        n_boot=0)
    ee = crit.data["subscales"]["EE"]
    assert ee["ppv"] == direct.best["ppv"] and ee["npv"] == direct.best["npv"]
    assert ee["sensitivity_ci_low"] == direct.best["sensitivity_ci_low"]
    assert "stated prevalence of 10%" in rep.section("methods").data["paragraphs"][-1]
    assert rep.section("factor").data["requested_estimator"] == "MLR"


def test_bad_report_options_are_option_errors():
    from psychometrics.errors import OptionError
    with pytest.raises(OptionError, match="cfa_missing"):
        render_report(QUALTRICS, "mbi-hss", items=MAPPING, cfa_missing="pairwise")
    with pytest.raises(OptionError, match="prevalence"):
        render_report(QUALTRICS, "mbi-hss", items=MAPPING, prevalence=1.5)


def test_status_line_only_on_a_terminal(monkeypatch):
    import io
    import sys

    from psychometrics.commands.common import busy

    class Tty(io.StringIO):
        def isatty(self):
            return True
    term = Tty()
    monkeypatch.setattr(sys, "stderr", term)
    with busy("bootstrap (2000 resamples)"):
        pass
    assert "[working] bootstrap (2000 resamples)" in term.getvalue()
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    with busy("bootstrap"):
        pass
    assert piped.getvalue() == ""


def test_long_respondent_lists_are_capped_with_an_embedded_csv():
    data = pd.read_csv(example_path("validation-sample.csv"))
    data.loc[:39, "mbi3"] = float("nan")  # 40 incomplete responses
    rep = render_report(data, "mbi-hss", id="id", n_boot=0, omega_boot=0, depression=None)
    html = rep.section("quality").html
    table = re.search(r'<table id="tbl-incomplete">(.*?)</table>', html, re.S).group(1)
    assert table.count("<tr>") == 1 + 25  # header and the first 25
    link = re.search(r'<a download="incomplete-responses.csv" '
                     r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', html)
    assert link, "no download link"
    import io
    full = pd.read_csv(io.StringIO(base64.b64decode(link.group(1)).decode("utf-8")))
    assert full["respondent"].tolist() == data["id"].iloc[:40].tolist()
    assert len(rep.section("quality").data["incomplete"]) == 40


def test_group_section_has_effect_sizes():
    data = read_export(QUALTRICS, id="ResponseId")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = render_report(data, "mbi-hss", items=MAPPING, id="ResponseId", by="department",
                            n_boot=0, omega_boot=0, depression=None)
        scores = pm.score(data, "mbi-hss", items=MAPPING, id="ResponseId", on_invalid="missing")
    frame = scores[["EE", "DP", "PA"]].assign(department=data["department"].to_numpy())
    direct = group_effects(frame, ["department"], ["EE", "DP", "PA"], min_group=10)
    got = pd.DataFrame(rep.section("groups").data["effects"])
    assert got["eta2"].tolist() == pytest.approx(direct["eta2"].tolist(), abs=1e-12)
    assert '<table id="tbl-effects">' in rep.html and "η²" in rep.html
    # the small departments left out of the summaries are left out of the comparison too
    sizes = frame.groupby("department")["EE"].count()
    assert got["groups_n"].iloc[0] == int((sizes >= 10).sum())
