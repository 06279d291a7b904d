"""The one-command HTML report: sections, embedded plots and tables, numbers equal to the
functions' own results, languages, graceful failure, the CLI, and a headless-Chromium check."""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import psychometrics as pm
from psychometrics.cli import main
from psychometrics.errors import DataError
from psychometrics.io import example_path, read_export
from psychometrics.report import LABELS, Report, careless_flags, irv, longstring, render_report
from psychometrics.scoring import keyed_items

QUALTRICS = example_path("mbi-hss-qualtrics.csv")
MAPPING = str(example_path("mbi-hss-items.yaml"))
VALIDATION = example_path("validation-sample.csv")
N_BOOT = 200


# ---------------------------------------------------------------------------- HTML parsing

class _Page(HTMLParser):
    """Collects tags, images, tables (cells with their data-* attributes) and links."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.tables: dict[str, list[list[dict]]] = {}
        self._table: str | None = None
        self._cell: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "table":
            self._table = a.get("id", f"table{len(self.tables)}")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = {**a, "text": ""}
            self.tables[self._table][-1].append(self._cell)

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


def parse(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    return p


def cell_values(page: _Page, table: str, key: str) -> dict[str, float]:
    """Row key -> unrounded value (data-value) of one column of a report table."""
    out = {}
    for row in page.tables[table][1:]:
        head = row[0].get("data-key")
        for c in row:
            if c.get("data-key") == key and "data-value" in c:
                out[head] = float(c["data-value"])
    return out


# ---------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def qualtrics() -> pd.DataFrame:
    return read_export(QUALTRICS, id="ResponseId")


@pytest.fixture(scope="module")
def report_q(qualtrics) -> Report:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return render_report(qualtrics, "mbi-hss", items=MAPPING, id="ResponseId",
                             norms="mbi-hss-overall", by="department")


@pytest.fixture(scope="module")
def validation() -> pd.DataFrame:
    return pd.read_csv(VALIDATION)


@pytest.fixture(scope="module")
def report_v(validation) -> Report:
    return render_report(validation, "mbi-hss", id="id", norms="mbi-hss-overall",
                         by=["sex", "region"], criterion="diagnosis", positive="burnout",
                         lang="nl", n_boot=N_BOOT, seed=1)


@pytest.fixture(scope="module")
def scores_q(qualtrics):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pm.score(qualtrics, "mbi-hss", items=MAPPING, id="ResponseId",
                        on_invalid="missing")


# ---------------------------------------------------------------------------- structure

def test_sections_and_statuses(report_q, report_v):
    assert [s.id for s in report_q.sections] == ["methods", "quality", "distributions", "reliability",
                                                 "factor", "classification", "criterion",
                                                 "groups", "profile"]
    q = {s.id: s.status for s in report_q.sections}
    assert q == {"methods": "ok", "quality": "ok", "distributions": "ok", "reliability": "ok", "factor": "ok",
                 "classification": "ok", "criterion": "skipped", "groups": "ok",
                 "profile": "skipped"}
    v = {s.id: s.status for s in report_v.sections}
    assert v["criterion"] == "ok" and v["groups"] == "ok"
    page = parse(report_q.html)
    ids = {a.get("id") for t, a in page.tags if t == "section"}
    assert ids == {"sec-methods", "sec-quality", "sec-distributions", "sec-reliability", "sec-factor",
                   "sec-classification", "sec-groups"}


def test_self_contained(report_v):
    page = parse(report_v.html)
    tags = [t for t, _ in page.tags]
    assert "script" not in tags and "link" not in tags and "iframe" not in tags
    imgs = [a for t, a in page.tags if t == "img"]
    # histograms, item responses, loadings, scree, band shares, ROC curves
    assert len(imgs) == 6
    assert all(a["src"].startswith("data:image/png;base64,") for a in imgs)
    for _, a in page.tags:  # nothing is fetched from anywhere
        for attr in ("src", "href"):
            v = a.get(attr, "")
            assert not v.startswith(("http:", "https:", "//")), v
    assert "url(" not in report_v.html and "@import" not in report_v.html
    # every figure is a real PNG
    import base64
    png = base64.b64decode(imgs[0]["src"].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_to_dict_is_json(report_q):
    d = json.loads(json.dumps(report_q.to_dict()))
    assert set(d) == {"meta", "sections"}
    assert d["meta"]["instrument"] == "mbi-hss" and d["meta"]["n"] == 200
    assert d["sections"]["criterion"]["status"] == "skipped"
    assert "Report on mbi-hss" in report_q.summary()


def test_save(report_q, tmp_path):
    p = report_q.save(tmp_path / "r.html")
    assert p.read_text(encoding="utf-8") == report_q.html


# ---------------------------------------------------------------------------- numbers

def test_quality_numbers(report_q, qualtrics, scores_q):
    d = report_q.section("quality").data
    assert d["n"] == len(qualtrics) == 200
    assert d["invalid_cells"] == 3
    assert [(c["column"], c["row"]) for c in d["invalid"]] == \
        [(c["column"], c["row"]) for c in scores_q.attrs["psychometrics"]["invalid"]]
    # missing per item, counted independently: blank cells and "N/A" texts
    mapping = pm.load_instrument("mbi-hss")
    import yaml
    cols = yaml.safe_load(open(MAPPING))["items"]
    for item in mapping.item_ids:
        raw = pd.to_numeric(qualtrics[cols[item]], errors="coerce")
        row = d["missing_per_item"][item]
        assert row["missing"] == int(raw.isna().sum())
        assert row["invalid"] == int((raw > 6).sum())
    assert d["n_incomplete"] == 1 and d["incomplete_rows"] == [191]
    no_score = int(scores_q[["EE", "DP", "PA"]].isna().any(axis=1).sum())
    assert d["no_score"] == no_score
    # incomplete is not careless: the respondent who answered 6 of 22 items is listed as
    # incomplete (with the subscales left without a score), not flagged as careless
    flagged = {r["respondent"] for r in d["flagged"]}
    incomplete = {r["respondent"]: r for r in d["incomplete"]}
    who = scores_q.loc[64, "ResponseId"]
    assert who not in flagged and incomplete[who]["answered"] == "6/22"
    assert who in d["no_score_respondents"] and incomplete[who]["no_score"]
    answered = qualtrics_answered(qualtrics)
    assert set(incomplete) == set(qualtrics["ResponseId"][answered < 22]) | {
        qualtrics["ResponseId"].iloc[190]}
    page = parse(report_q.html)
    assert len(page.tables.get("tbl-flagged", [[]])) - 1 == len(d["flagged"]) \
        == d["careless"]["n_flagged"]
    assert len(page.tables["tbl-incomplete"]) - 1 == len(d["incomplete"])


def qualtrics_answered(qualtrics):
    import yaml
    cols = list(yaml.safe_load(open(MAPPING))["items"].values())
    x = qualtrics[cols].apply(pd.to_numeric, errors="coerce")
    return x.isin(range(7)).sum(axis=1).to_numpy()  # valid answers: codes 0..6


def test_distribution_numbers(report_q, scores_q):
    d = report_q.section("distributions").data
    page = parse(report_q.html)
    shown = cell_values(page, "tbl-distributions", "mean")
    for sid in ("EE", "DP", "PA"):
        assert d["stats"][sid]["mean"] == scores_q[sid].mean()
        assert d["stats"][sid]["sd"] == scores_q[sid].std(ddof=1)
        assert d["stats"][sid]["n"] == scores_q[sid].notna().sum()
        label = next(k for k in shown if k.endswith(f"({sid})"))
        assert shown[label] == scores_q[sid].mean()
    # the norm bands drawn are the norm file's lower edges
    assert d["bands"]["EE"]["edges"] == [17, 27]
    assert d["bands"]["PA"]["bands"] == ["low", "average", "high"]  # the MBI manual calls it average


def test_reliability_numbers(report_q, qualtrics):
    res = pm.reliability(qualtrics, "mbi-hss", items=MAPPING, on_invalid="missing",
                         id="ResponseId")
    d = report_q.section("reliability").data
    page = parse(report_q.html)
    shown = cell_values(page, "tbl-reliability", "alpha")
    for sid in ("EE", "DP", "PA"):
        assert d["subscales"][sid]["alpha"] == res.table.loc[sid, "alpha"]
        assert d["subscales"][sid]["ci_low"] == res.table.loc[sid, "ci_low"]
        label = next(k for k in shown if k.endswith(f"({sid})"))
        assert shown[label] == res.table.loc[sid, "alpha"]
        items = cell_values(page, f"tbl-items-{sid}", "r_drop")
        assert items == res.items[sid]["r_drop"].to_dict()


def test_factor_numbers(report_q, qualtrics):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        blocks = keyed_items(qualtrics, "mbi-hss", items=MAPPING, on_invalid="missing")
    frame = pd.concat(list(blocks.values()), axis=1)
    inst = pm.load_instrument("mbi-hss")
    # the report's default: MLR with full-information ML, so every respondent counts
    res = pm.cfa(frame, inst.cfa_model(), estimator="MLR", missing="ml")
    d = report_q.section("factor").data
    assert d["n"] == res.n == 200 and d["missing"] == "fiml"
    for k in ("chisq", "df", "cfi", "tli", "rmsea", "srmr", "chisq.scaled", "cfi.robust"):
        assert d["fit"][k] == res.fit[k]
    page = parse(report_q.html)
    assert cell_values(page, "tbl-fit", "value")["cfi"] == res.fit["cfi"]
    load = cell_values(page, "tbl-loadings", "std")
    assert load == {i: res.std_loadings.loc[i, f] for f in inst.subscales
                    for i in inst.subscales[f].items}
    r2 = cell_values(page, "tbl-loadings", "r2")
    assert r2 == pytest.approx({i: v ** 2 for i, v in load.items()}, abs=1e-12)
    # the APA line states the robust (scaled) test and indices
    f = res.fit
    assert d["fit_line"] == (
        f"χ²({f['df']:g}) = {f['chisq.scaled']:.2f}, p = {f['pvalue.scaled']:.3f}"[:-5]
        + f"{f['pvalue.scaled']:.3f}".lstrip("0") + f", CFI = {f['cfi.robust']:.3f}".replace("0.", ".")
        + f", RMSEA = {f['rmsea.robust']:.3f} [{f['rmsea.ci.lower.robust']:.3f}, "
          f"{f['rmsea.ci.upper.robust']:.3f}]".replace("0.", ".")
        + f", SRMR = {f['srmr']:.3f}".replace("0.", "."))
    assert "FIML" in report_q.section("methods").data["paragraphs"][3]


def test_classification_numbers(report_q, scores_q):
    normed = pm.apply_norms(scores_q, "mbi-hss-overall")
    d = report_q.section("classification").data
    for sid in ("EE", "DP", "PA"):
        counts = normed[f"{sid}_band"].value_counts().to_dict()
        assert d["bands"][sid]["counts"] == {k: counts.get(k, 0) for k in d["bands"][sid]["counts"]}
        assert sum(d["bands"][sid]["counts"].values()) == normed[sid].notna().sum()
    from psychometrics.classify import classify
    for rid, r in d["rules"].items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = classify(scores_q, rid, norms="mbi-hss-overall")
        assert r["n_positive"] == int(res["positive"].sum())
        for level, lv in r["levels"].items():
            assert lv["count"] == int((res["level"] == level).sum())
    assert len(d["rules"]) == 3


def test_criterion_numbers(report_v, validation):
    scores = pm.score(validation, "mbi-hss", id="id")
    d = report_v.section("criterion").data
    page = parse(report_v.html)
    auc_shown = cell_values(page, "tbl-roc", "auc")
    for sid, direction in (("EE", ">="), ("DP", ">="), ("PA", "<=")):
        r = pm.roc(scores[sid], validation["diagnosis"], positive="burnout", direction=direction,
                   n_boot=N_BOOT, seed=1)
        c = pm.cutoffs(scores[sid], validation["diagnosis"], positive="burnout",
                       direction=direction, n_boot=N_BOOT, seed=1)
        row = d["subscales"][sid]
        assert row["auc"] == r.auc and row["auc_ci_low"] == r.auc_ci_low
        assert row["boot_ci_low"] == r.boot_ci_low and row["boot_ci_high"] == r.boot_ci_high
        assert row["cutoff"] == c.best["cutoff"] and row["youden"] == c.best["youden_j"]
        assert row["direction"] == direction
        label = next(k for k in auc_shown if k.endswith(f"({sid})"))
        assert auc_shown[label] == r.auc
        assert len(page.tables[f"tbl-cutoffs-{sid}"]) - 1 == len(c.table)
    assert d["subscales"]["EE"]["cases"] == int((validation["diagnosis"] == "burnout").sum())


def test_group_numbers_and_suppression(report_q, scores_q, qualtrics):
    frame = scores_q[["EE", "DP", "PA"]].assign(department=qualtrics["department"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = pm.summarise(frame, "department", min_group=10, subscales=["EE", "DP", "PA"])
    d = report_q.section("groups").data
    got = pd.DataFrame(d["rows"])
    pd.testing.assert_series_equal(got["mean"], res["mean"], check_names=False)
    assert {"department": "Palliative care"} in d["suppressed"]
    assert got.loc[got["department"] == "Palliative care", "mean"].isna().all()
    page = parse(report_q.html)
    rows = page.tables["tbl-groups"][1:]
    pall = [r for r in rows if r[0]["text"] == "Palliative care"]
    assert pall and all(c.get("data-value") is None for c in pall[0][2:-1])  # nothing shown
    assert "suppressed" in pall[0][-1]["text"]


# ---------------------------------------------------------------------------- languages

@pytest.mark.parametrize("lang", ["en", "nl", "fr"])
def test_labels_complete(lang):
    assert set(LABELS[lang]) == set(LABELS["en"])


def test_language(report_v):
    html = report_v.html
    assert '<html lang="nl">' in html
    assert LABELS["nl"]["reliability"] in html and LABELS["nl"]["criterion"] in html
    assert "Emotionele uitputting" in html  # subscale names from the instrument file
    assert "gemiddeld" in html  # band labels from the norm file
    assert report_v.section("reliability").title == "Betrouwbaarheid"


def test_french_and_bad_language(validation):
    small = validation.iloc[:60]
    rep = render_report(small, "mbi-hss", id="id", lang="fr", n_boot=0)
    assert "Épuisement émotionnel" in rep.html and "Fidélité" in rep.html
    with pytest.raises(DataError, match="lang"):
        render_report(small, "mbi-hss", id="id", lang="de")


# ---------------------------------------------------------------------------- degrading

def test_failing_sections_do_not_stop_the_report(validation):
    small = validation.iloc[:80]
    rep = render_report(small, "mbi-hss", id="id", estimator="NOPE", criterion="no_such_column",
                        positive="x", by="no_such_group", n_boot=0)
    st_ = {s.id: s.status for s in rep.sections}
    assert st_["factor"] == "failed" and "estimator" in rep.section("factor").message
    assert st_["criterion"] == "failed" and "no_such_column" in rep.section("criterion").message
    assert st_["groups"] == "failed"
    assert st_["reliability"] == "ok" and st_["quality"] == "ok"
    assert rep.html.count('class="fail"') == 3
    assert rep.section("classification").status == "skipped"  # no norm set, no norm-free rule


def test_unknown_norms_fail_only_classification(validation):
    rep = render_report(validation.iloc[:50], "mbi-hss", id="id", norms="no-such-norms", n_boot=0)
    assert rep.section("classification").status == "failed"
    assert rep.section("distributions").status == "ok"


def test_unmapped_items_stop_with_advice(qualtrics):
    with pytest.raises(DataError, match=r"Q1_\{n\}"):
        render_report(qualtrics, "mbi-hss", id="ResponseId")


def test_data_not_modified(validation):
    before = validation.copy()
    render_report(validation.iloc[:40], "mbi-hss", id="id", n_boot=0)
    pd.testing.assert_frame_equal(validation, before)


# ---------------------------------------------------------------------------- careless indices

def _naive_longstring(row) -> int:
    best = cur = 0
    prev = None
    for v in row:
        if np.isnan(v):
            cur, prev = 0, None
            continue
        cur = cur + 1 if prev is not None and v == prev else 1
        prev = v
        best = max(best, cur)
    return best


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.integers(0, 3), st.just(None)), min_size=1, max_size=12),
                min_size=1, max_size=8).filter(lambda rows: len({len(r) for r in rows}) == 1))
def test_longstring_and_irv_match_row_by_row(rows):
    x = np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=float)
    assert longstring(x).tolist() == [_naive_longstring(r) for r in x]
    want = pd.DataFrame(x).std(axis=1, ddof=1).to_numpy()  # R's sd(na.rm = TRUE) per row
    np.testing.assert_allclose(irv(x), want, equal_nan=True, atol=1e-12)


def test_careless_flags_thresholds():
    items = pd.DataFrame([[1, 1, 1, 1, 1, 1], [0, 4, 1, 3, 2, 4], [2, 2, 2, 3, 1, 4]],
                         index=["a", "b", "c"])
    f = careless_flags(items, scale_range=4)
    assert f.attrs["thresholds"] == {"longstring_min": 3, "irv_max": 0.4}
    assert f["flag_longstring"].tolist() == [True, False, True]
    assert f["flag_irv"].tolist() == [True, False, False]
    assert list(f.index) == ["a", "b", "c"]


# ---------------------------------------------------------------------------- progress and CLI

def test_progress_silent_without_tty(validation, capsys):
    render_report(validation.iloc[:40], "mbi-hss", id="id", n_boot=0, progress=True)
    assert capsys.readouterr().err == ""


def test_progress_line_on_a_terminal(monkeypatch, capsys):
    from psychometrics.report import progress as rmod
    monkeypatch.setattr(rmod.sys.stderr, "isatty", lambda: True, raising=False)
    bar = rmod.Progress(["a", "b"], None)
    bar.step("reading")
    bar.close()
    assert "1/2 reading" in capsys.readouterr().err
    off = rmod.Progress(["a"], False)
    off.step("x")
    assert capsys.readouterr().err == ""


def test_cli_report(tmp_path, capsys):
    out = tmp_path / "report.html"
    rc = main(["report", str(VALIDATION), "--instrument", "mbi-hss", "--id", "id",
               "--norms", "mbi-hss-overall", "--by", "sex", "region", "--criterion", "diagnosis",
               "--positive", "burnout", "--lang", "fr", "--n-boot", "50", "-o", str(out)])
    assert rc == 0
    html = out.read_text(encoding="utf-8")
    assert "Validation du seuil" in html and "data:image/png;base64," in html
    assert "written to" in capsys.readouterr().out


def test_cli_report_json_and_errors(tmp_path, capsys):
    out = tmp_path / "numbers.json"
    rc = main(["report", str(QUALTRICS), "-i", "mbi-hss", "--items", MAPPING, "--id",
               "ResponseId", "--n-boot", "0", "-o", str(out)])
    assert rc == 0
    d = json.loads(out.read_text())
    assert d["sections"]["quality"]["data"]["invalid_cells"] == 3
    capsys.readouterr()
    assert main(["report", str(QUALTRICS), "-i", "mbi-hss", "--id", "ResponseId",
                 "-o", str(tmp_path / "x.html")]) == 2
    assert "Q1_{n}" in capsys.readouterr().err
    assert main(["report", str(QUALTRICS), "-i", "mbi-hss", "-o", str(tmp_path / "x.csv")]) == 2


# ---------------------------------------------------------------------------- headless browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-extensions", "--disable-dev-shm-usage",
         f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, text=True, timeout=120)


def test_renders_in_headless_chromium(report_v, tmp_path):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    page = report_v.save(tmp_path / "report.html")
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    parsed = parse(dom.stdout)
    imgs = [a for t, a in parsed.tags if t == "img"]
    assert len(imgs) == 6 and all(a["src"].startswith("data:image/png;base64,") for a in imgs)
    for table in ("tbl-distributions", "tbl-reliability", "tbl-fit", "tbl-loadings", "tbl-roc",
                  "tbl-groups", "tbl-rules"):
        assert len(parsed.tables[table]) > 1, table
    shot = tmp_path / "report.png"
    res = _chromium(tmp_path, "--hide-scrollbars", "--window-size=1200,3000",
                    f"--screenshot={shot}", page.as_uri())
    assert res.returncode == 0 and shot.stat().st_size > 50_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_profile_section_when_the_data_hold_a_depression_scale(qualtrics, scores_q):
    data = qualtrics.copy()
    hamd = pm.load_instrument("hamd-17")
    rng = np.random.default_rng(3)
    for it in hamd.items:
        codes = hamd.item_codes(it)
        data[it.id] = rng.integers(min(codes), max(codes) + 1, len(data))
    rep = render_report(data, "mbi-hss", items=MAPPING, id="ResponseId", norms="mbi-hss-overall",
                        n_boot=N_BOOT, seed=1)
    section = rep.section("profile")
    assert section.status == "ok"
    expected = pm.profile({"mbi-hss": scores_q, "hamd-17": pm.score(data, "hamd-17", id="ResponseId")},
                          norms={"mbi-hss": "mbi-hss-overall"})
    prof = rep.to_dict()["sections"]["profile"]["data"]["profile"]
    assert prof == json.loads(json.dumps(expected.to_dict()))
    assert 'id="sec-profile"' in rep.html
    # no depression scale: the section is left out
    assert render_report(
        qualtrics, "mbi-hss", items=MAPPING, id="ResponseId", n_boot=N_BOOT, seed=1,
    ).section("profile").status == "skipped"
