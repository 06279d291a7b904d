"""Norms: percentile definitions, shipped norm files, apply, build, round trip, smoothing, summaries."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

import psychometrics as pm
from psychometrics.classify import instrument_roles
from psychometrics.errors import DataError, NormError
from psychometrics.instruments import data_dir, load_instrument
from psychometrics.norms import (
    NormSet,
    UncertainNormWarning,
    load_norms,
    norm_catalogue,
    percentile_rank,
    stanine_from_pr,
    t_from_pr,
)
from psychometrics.norms.continuous import continuous_z as _continuous_z

SHIPPED = pm.list_norms()


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UncertainNormWarning)
        return fn(*a, **k)


# --- percentile rank, T, stanine ---------------------------------------------------------------

def test_percentile_rank_hand_checked_table():
    sample = [1, 2, 2, 3, 5]
    # PR(x) = 100 * (W(< x) + W(= x) / 2) / W, worked by hand
    table = {0: 0.0, 1: 10.0, 1.5: 20.0, 2: 40.0, 2.5: 60.0, 3: 70.0, 4: 80.0, 5: 90.0, 6: 100.0}
    got = percentile_rank(list(table), sample)
    np.testing.assert_allclose(got, list(table.values()), atol=1e-12)


def test_weighted_percentile_rank_hand_checked():
    # weights 1, 3 (value 2), 4: W = 8; PR(2) = 100 * (1 + 3 / 2) / 8 = 31.25
    np.testing.assert_allclose(percentile_rank([2, 3], [1, 2, 3], weights=[1, 3, 4]), [31.25, 75.0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=60), st.lists(st.integers(-2, 22), min_size=1, max_size=10))
def test_percentile_rank_equals_scipy_kind_mean(sample, x):
    sample = np.array(sample, float) / 2
    x = np.array(x, float) / 2
    expected = [stats.percentileofscore(sample, v, kind="mean") for v in x]
    np.testing.assert_allclose(percentile_rank(x, sample), expected, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10), st.integers(1, 4)), min_size=1, max_size=30), st.floats(0.2, 5))
def test_percentile_rank_weights(pairs, c):
    s = np.array([p[0] for p in pairs], float)
    w = np.array([p[1] for p in pairs], float)
    x = np.arange(-1, 12) / 1.0
    rep = percentile_rank(x, np.repeat(s, w.astype(int)))
    np.testing.assert_allclose(percentile_rank(x, s, weights=w), rep, atol=1e-9)
    np.testing.assert_allclose(percentile_rank(x, s, weights=np.full(s.size, c)), percentile_rank(x, s), atol=1e-9)


def test_percentile_rank_float_means_match_sample_values():
    sample = np.array([11, 12, 13]) / 5  # 2.2, 2.4, 2.6 computed in floating point
    assert percentile_rank([2.2], sample)[0] == pytest.approx(100 / 6)


def test_t_and_stanine():
    np.testing.assert_allclose(t_from_pr([50, 84.1344746, 2.2750132]), [50, 60, 30], atol=1e-6)
    assert t_from_pr([0.0])[0] == pytest.approx(50 + 10 * stats.norm.ppf(0.001))
    # stanine boundaries at z = -1.75, -1.25, ..., 1.75
    z = np.array([-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2])
    np.testing.assert_array_equal(stanine_from_pr(100 * stats.norm.cdf(z)), np.arange(1, 10))
    assert stanine_from_pr([100 * stats.norm.cdf(0.25)])[0] == 6  # an edge goes up
    assert np.isnan(stanine_from_pr([np.nan])[0])


# --- shipped norm files --------------------------------------------------------------------------

def test_norm_folder_has_the_published_sets():
    expected = {"mbi-hss-overall", "mbi-es-teachers", "mbi-hss-medicine", "mbi-hss-french",
                "mbi-hss-mental-health", "mbi-hss-social-services", "mbi-gs-bands-sum",
                "mbi-gs-bands-mean", "mbi-gs-profiles", "olbi-peterson-2008", "olbi-total-swiss-patients-2021",
                "olbi-belgian-norms-not-public", "mbi-hss-profiles", "quartile-rule",
                "ubos-rules", "ubos-c-healthcare-kool", "cbi-50-borritz-2004", "cbi-bands-convention",
                "4dkl-terluin", "4dkl-terluin-legacy", "bat-23-flanders", "bat-12-pooled-sjweh2023",
                "smbm-sundstrom-2025", "uwes-17-manual", "uwes-9-manual"}
    assert expected <= set(SHIPPED)


@pytest.mark.parametrize("nid", SHIPPED)
def test_shipped_norm_file_is_valid_and_sourced(nid):
    ns = load_norms(nid)
    d = ns.doc
    assert ns.id == nid
    assert len(d["source"]["ref"]) > 20
    if d["source"]["confidence"] == "uncertain":
        assert ns.uncertain, "[U] norm sets must list what is unconfirmed"
    if d.get("partial"):
        assert d.get("partial_note")
    for r in ns.rules:
        assert r["source"]["ref"]
        if r["source"]["confidence"] == "uncertain":
            assert r.get("uncertain"), f"rule {r['id']} with an [U] source must be flagged uncertain"


@pytest.mark.parametrize("nid", SHIPPED)
def test_shipped_norm_instruments_and_subscales_exist(nid):
    ns = load_norms(nid)
    for iid in ns.applies_to:
        raw = yaml.safe_load((data_dir("instruments") / f"{iid}.yaml").read_text(encoding="utf-8"))
        form = next(iter(raw.get("forms") or {}), None)
        inst = load_instrument(iid, warn=False, form=form)
        for e in ns.entries:
            for sid, sn in e.subscales.items():
                assert sid in inst.subscales, f"{nid}: {sid} is not a subscale of {iid}"
                # a mean-based norm needs mean scores unless converted (and vice versa): the
                # file's scale must be the instrument's unless the file says otherwise
                if sn.score != inst.subscales[sid].scoring:
                    assert "convert" in (ns.doc.get("notes", "") + ns.doc.get("name", "")
                                         + open(ns.path, encoding="utf-8").read()), nid
        roles = instrument_roles(iid)
        for r in ns.rules:
            for sid in _subscales_in(r):
                sid = roles.get(sid[1:], sid) if sid.startswith("@") else sid  # a role: '@exhaustion'
                assert sid in inst.subscales, f"{nid}: rule {r['id']} reads {sid}, not in {iid}"


def _subscales_in(cond) -> set:
    out = set()
    if isinstance(cond, dict):
        for k, v in cond.items():
            if k in ("subscale", "band", "top_quartile", "bottom_quartile"):
                out.add(v)
            else:
                out |= _subscales_in(v)
    elif isinstance(cond, list):
        for c in cond:
            out |= _subscales_in(c)
    return out


def _score_range(instrument_id: str, sid: str, scoring: str):
    from psychometrics.instruments import data_dir, read_yaml
    forms = read_yaml(data_dir("instruments") / f"{instrument_id}.yaml").get("forms") or {}
    inst = pm.load_instrument(instrument_id, form=next(iter(forms), None), warn=False)
    return inst.score_range(sid, scoring) if sid in inst.subscales else (-np.inf, np.inf)


def _edge_cases():
    """(norm id, subscale, score, expected band) just below, at and just above every edge
    (a score the instrument cannot produce is refused, not banded: ``None``)."""
    cases = []
    for nid in SHIPPED:
        ns = load_norms(nid)
        for e in ns.entries:
            for sid, sn in e.subscales.items():
                step = 1.0 if sn.score == "sum" else 0.01
                lo, hi = _score_range(ns.instrument, sid, sn.score)
                for k, b in enumerate(sn.bands[1:], start=1):
                    below, above = sn.bands[k - 1].id, b.id
                    at = above if b.lower_inclusive else below
                    for x, band in ((b.lower - step / 2, below), (b.lower, at),
                                    (b.lower + step / 2, above)):
                        cases.append((nid, sid, x, band if lo <= x <= hi else None))
    return cases


@pytest.mark.parametrize("nid, sid, x, band", _edge_cases(),
                         ids=lambda v: str(v) if not isinstance(v, float) else f"{v:g}")
def test_every_shipped_band_edge(nid, sid, x, band):
    s = pd.DataFrame({sid: [x]})
    ns = load_norms(nid)
    scale = next(e.subscales[sid].score for e in ns.entries if sid in e.subscales)
    if band is None:
        with pytest.raises(DataError, match="outside the possible range"):
            _quiet(pm.apply_norms, s, nid, subscales=[sid], scale=scale, norm_by={})
        return
    out = _quiet(pm.apply_norms, s, nid, subscales=[sid], scale=scale, norm_by={})
    labels = {b.id: b.text() for b in ns.entries[0].subscales[sid].bands}
    assert out[f"{sid}_band"].iloc[0] == labels[band]


def test_printed_edges_and_gaps():
    # MBI EE: <= 16 low, 17-26 moderate, >= 27 high; a prorated 16.5 stays low, 26.5 moderate
    s = pd.DataFrame({"EE": [16, 16.5, 17, 26, 26.5, 27, np.nan]})
    out = pm.apply_norms(s, "mbi-hss-overall", subscales=["EE"], scale="sum")
    assert out["EE_band"].tolist()[:6] == ["low", "low", "average", "average", "average", "high"]
    assert out["EE_band"].isna().iloc[6]
    # BAT: "green <= 3.05": a mean of 3.0625 (8 items) is orange
    out = pm.apply_norms(pd.DataFrame({"EX": [3.05, 3.0625, 3.30, 3.3125]}), "bat-23-flanders",
                         subscales=["EX"], scale="mean")
    assert out["EX_band"].tolist() == ["green (no risk)", "orange (at risk)", "orange (at risk)", "red (very high risk)"]
    # a float mean lands on its published edge
    out = pm.apply_norms(pd.DataFrame({"EX": [18 / 8, 2.2499]}), "olbi-peterson-2008",
                         subscales=["EX"], scale="mean")
    assert out["EX_band"].tolist() == ["high", "not high"]


def test_band_labels_in_three_languages():
    s = pd.DataFrame({"DIS": [5.0, 15.0, 25.0]})
    for lang, want in [("en", "moderately elevated"), ("nl", "matig verhoogd"), ("fr", "modérément élevé")]:
        out = _quiet(pm.apply_norms, s, "4dkl-terluin", lang=lang, subscales=["DIS"], scale="sum")
        assert out["DIS_band"].iloc[1] == want


def test_catalogue_lists_every_norm():
    cat = norm_catalogue()
    assert sorted(cat["id"]) == sorted(SHIPPED)
    assert set(norm_catalogue("ubos-c")["id"]) == {"ubos-rules", "ubos-c-healthcare-kool"}
    assert pm.list_norms("cbi") == ["cbi-50-borritz-2004", "cbi-bands-convention"]


def test_unknown_norm_and_bad_file(tmp_path):
    with pytest.raises(NormError, match="unknown norm set"):
        load_norms("no-such-norm")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nname: x\ninstrument: {id: cbi}\npopulation: x\nsource: {ref: abc, confidence: sure}\n"
                   "method: published-cutoffs\nnorms: []\n")
    with pytest.raises(NormError, match="source/confidence"):
        load_norms(bad)


def test_overlapping_bands_rejected(tmp_path):
    doc = yaml.safe_load((data_dir("norms") / "cbi-50-borritz-2004.yaml").read_text(encoding="utf-8"))
    doc["norms"][0]["subscales"]["PB"] = {"score": "mean", "bands": [
        {"id": "low", "label": {"en": "low"}, "max": 50}, {"id": "high", "label": {"en": "high"}, "min": 50}]}
    with pytest.raises(NormError, match="overlap"):
        NormSet(doc)


# --- apply ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cbi_scores() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 300
    data = pd.DataFrame({f"cbi{i}": rng.integers(1, 6, n) for i in range(1, 20)})
    data.insert(0, "resp", [f"R{i:03d}" for i in range(n)])
    data["sex"] = rng.choice(["f", "m"], n)
    data["age"] = rng.integers(20, 65, n)
    scores = pm.score(data, "cbi", id="resp", form="always-first")
    scores["sex"] = data["sex"].to_numpy()
    scores["age"] = data["age"].to_numpy()
    return scores.set_axis([f"i{i}" for i in range(n)])


def test_apply_keeps_respondents_and_does_not_mutate(cbi_scores):
    before = cbi_scores.copy()
    shuffled = cbi_scores.sample(frac=1, random_state=1)
    out = pm.apply_norms(shuffled, "cbi-50-borritz-2004")
    pd.testing.assert_frame_equal(cbi_scores, before)
    assert out.index.equals(shuffled.index)
    assert out["resp"].tolist() == shuffled["resp"].tolist()
    assert list(out.columns[:len(shuffled.columns)]) == list(shuffled.columns)
    assert {"PB_band", "WB_band", "CB_band"} <= set(out.columns)
    assert "PB_pr" not in out  # cut-points only: no percentile rank


def test_apply_refuses_sum_norm_on_mean_scores():
    rng = np.random.default_rng(0)
    data = pd.DataFrame({f"mbigs{i}": rng.integers(0, 7, 20) for i in range(1, 17)})
    inst = load_instrument("mbi-gs", warn=False)
    data.columns = inst.item_ids
    scores = pm.score(data, "mbi-gs")
    with pytest.raises(NormError, match="sum scale but the scores are means"):
        pm.apply_norms(scores, "mbi-gs-bands-sum")
    conv = pm.apply_norms(scores, "mbi-gs-bands-sum", convert=True)
    sums = pm.score(data, "mbi-gs", method="sum")
    direct = pm.apply_norms(sums, "mbi-gs-bands-sum")
    assert conv["EX_band"].tolist() == direct["EX_band"].tolist()


def test_apply_refuses_other_instrument(cbi_scores):
    with pytest.raises(NormError, match="are of 'cbi'"):
        pm.apply_norms(cbi_scores, "bat-23-flanders")


def test_missing_scores_give_missing_outputs():
    ns = _built_simple()
    s = pd.DataFrame({"EX": [2.0, np.nan]})
    out = pm.apply_norms(s, ns, scale="mean")
    assert np.isnan(out["EX_pr"].iloc[1]) and pd.isna(out["EX_stanine"].iloc[1])
    assert pd.isna(out["EX_band"].iloc[1]) and pd.isna(out["EX_top_quartile"].iloc[1])
    assert out["EX_stanine"].dtype == "Int64" and out["EX_top_quartile"].dtype == "boolean"


def _built_simple(**kw) -> NormSet:
    rng = np.random.default_rng(2)
    s = pd.DataFrame({"EX": rng.integers(8, 33, 500) / 8, "sex": rng.choice(["f", "m"], 500)})
    s.attrs["psychometrics"] = {"instrument": "olbi", "scoring": {"EX": "mean"}}
    return pm.build_norms(s, bootstrap=kw.pop("bootstrap", 100), seed=kw.pop("seed", 1), **kw)


def test_published_table_and_mean_sd_norms():
    # a scale of the user's own (no shipped instrument): scores beyond the table extrapolate;
    # for a shipped instrument, scores it cannot produce are refused (test_hostile item 5)
    doc = {"id": "t", "name": "t", "instrument": {"id": "custom-scale"}, "population": "x",
           "source": {"ref": "hand-made", "confidence": "user"}, "method": "published-table",
           "norms": [{"stratum": {}, "subscales": {
               "EX": {"score": "mean", "table": {"score": [1, 2, 3, 4], "pr": [5, 30, 70, 99]}},
               "DI": {"score": "mean", "table": {"score": [1, 2, 3, 4], "pr": [5, 30, 70, 99],
                                                 "interpolation": "step"}},
               "total": {"score": "sum", "mean": 40.0, "sd": 8.0}}}]}
    ns = NormSet(doc)
    s = pd.DataFrame({"EX": [0.5, 2.5, 4.5], "DI": [0.5, 2.5, 4.5], "total": [40.0, 48.0, 32.0]})
    out = pm.apply_norms(s, ns, scale={"EX": "mean", "DI": "mean", "total": "sum"})
    np.testing.assert_allclose(out["EX_pr"], [5, 50, 99])
    np.testing.assert_allclose(out["DI_pr"], [0, 30, 99])
    np.testing.assert_allclose(out["total_pr"], [50, 100 * stats.norm.cdf(1), 100 * stats.norm.cdf(-1)])
    np.testing.assert_allclose(out["total_t"], [50, 60, 40], atol=1e-9)
    assert out["total_stanine"].tolist() == [5, 7, 3]
    # quartiles from mean/SD and from the table
    assert out["total_top_quartile"].tolist() == [False, True, False]
    assert out["EX_top_quartile"].tolist() == [False, False, True]


# --- strata --------------------------------------------------------------------------------------

def test_stratified_norms_and_errors(cbi_scores):
    ns = pm.build_norms(cbi_scores, by="sex", bootstrap=0, min_n=10)
    out = pm.apply_norms(cbi_scores, ns, by={"sex": "sex"})
    f = cbi_scores["sex"] == "f"
    exp = percentile_rank(cbi_scores.loc[f, "PB"], cbi_scores.loc[f, "PB"])
    np.testing.assert_allclose(out.loc[f, "PB_pr"], exp)
    odd = cbi_scores.copy()
    odd.loc[odd.index[3], "sex"] = "x"
    # named by the id column score() recorded, which a researcher can look up
    with pytest.raises(NormError, match=r"R003 \(row 4\).*'sex': 'x'"):
        pm.apply_norms(odd, ns, by={"sex": "sex"})
    # without the record (attrs dropped, e.g. by a concat of differing parts): the index
    bare = odd.copy()
    bare.attrs = {}
    with pytest.raises(NormError, match=r"i3 \(row 4\).*'sex': 'x'"):
        pm.apply_norms(bare, ns, norm_by={"sex": "sex"}, scale="mean")
    fb = pm.apply_norms(odd, ns, by={"sex": "sex"}, fallback="overall")
    np.testing.assert_allclose(fb["PB_pr"].iloc[3], percentile_rank([odd["PB"].iloc[3]], cbi_scores["PB"])[0])
    with pytest.raises(NormError, match="not strata"):
        pm.apply_norms(cbi_scores, ns, by={"region": "sex"})


def test_numeric_range_strata(cbi_scores):
    doc = {"id": "age-bands", "name": "age", "instrument": {"id": "cbi"}, "population": "x",
           "source": {"ref": "hand-made", "confidence": "user"}, "method": "published-cutoffs",
           "strata": ["age"],
           "norms": [{"stratum": {"age": {"min": 18, "max": 39}}, "subscales": {"PB": {"score": "mean", "quartiles": {"p25": 10, "p75": 20}}}},
                     {"stratum": {"age": {"min": 40, "max": 70}}, "subscales": {"PB": {"score": "mean", "quartiles": {"p25": 30, "p75": 60}}}}]}
    out = pm.apply_norms(pd.DataFrame({"PB": [25.0, 25.0], "age": [30, 50]}), NormSet(doc),
                         norm_by={"age": "age"}, scale="mean")
    assert out["PB_top_quartile"].tolist() == [True, False]
    assert out["PB_bottom_quartile"].tolist() == [False, True]


# --- build ---------------------------------------------------------------------------------------

def test_build_quantiles_match_numpy_type1(cbi_scores):
    ns = pm.build_norms(cbi_scores, by="sex", bootstrap=0, min_n=10)
    for e in ns.entries:
        mask = np.ones(len(cbi_scores), bool) if not e.stratum else (cbi_scores["sex"] == e.stratum["sex"]).to_numpy()
        x = cbi_scores.loc[mask, "WB"].dropna().to_numpy()
        q = ns.doc["norms"][ns.entries.index(e)]["subscales"]["WB"]["quantiles"]
        exp = np.quantile(x, [0.05, 0.25, 0.75, 0.95], method="inverted_cdf")
        np.testing.assert_array_equal([q[k]["value"] for k in ("p5", "p25", "p75", "p95")], exp)
        sn = e.subscales["WB"]
        assert (sn.p25, sn.p75) == (exp[1], exp[2])
        assert sn.mean == pytest.approx(x.mean()) and sn.sd == pytest.approx(x.std(ddof=1))


def test_build_bands_agree_with_quartile_flags(cbi_scores):
    ns = pm.build_norms(cbi_scores, bootstrap=0, min_n=10)
    out = pm.apply_norms(cbi_scores, ns)
    top = out["PB_band"].isin(["high", "very high"])
    bottom = out["PB_band"].isin(["low", "very low"])
    assert (top == out["PB_top_quartile"].astype(bool)).all()
    assert (bottom == out["PB_bottom_quartile"].astype(bool)).all()
    assert 0.15 < out["PB_top_quartile"].mean() < 0.45


def test_bootstrap_cis_seeded_and_sensible():
    a, b, c = _built_simple(seed=3), _built_simple(seed=3), _built_simple(seed=4)
    qa = a.doc["norms"][0]["subscales"]["EX"]["quantiles"]
    assert qa == b.doc["norms"][0]["subscales"]["EX"]["quantiles"]
    assert qa != c.doc["norms"][0]["subscales"]["EX"]["quantiles"]
    for q in qa.values():
        assert q["ci_low"] <= q["value"] <= q["ci_high"]
    assert qa["p5"]["ci_high"] < qa["p95"]["ci_low"]


def test_round_trip_exact(tmp_path, cbi_scores):
    """apply -> build -> save -> load -> apply gives identical results."""
    published = pm.apply_norms(cbi_scores, "cbi-50-borritz-2004")  # scores carrying earlier norm columns
    ns = pm.build_norms(published, by="sex", bootstrap=50, seed=9, min_n=10, population="test sample",
                        country="BE", language="nl", year=2025, id="cbi-test")
    assert ns.subscales == ["PB", "WB", "CB"]
    first = pm.apply_norms(cbi_scores, ns, by={"sex": "sex"})
    path = ns.to_file(tmp_path / "cbi-test.yaml")
    back = load_norms(path)
    again = pm.apply_norms(cbi_scores, back, by={"sex": "sex"})
    pd.testing.assert_frame_equal(first.drop(columns=[]), again)
    assert back.doc == ns.to_dict()
    d = back.doc
    assert d["instrument"]["id"] == "cbi" and d["n"] == len(cbi_scores) and d["country"] == "BE"
    assert d["created"]["seed"] == 9 and d["created"]["quantile"].startswith("inverted_cdf")
    json_path = ns.to_file(tmp_path / "cbi-test.json")
    pd.testing.assert_frame_equal(first, pm.apply_norms(cbi_scores, load_norms(json_path), by={"sex": "sex"}))


def test_continuous_scores_bootstrap_sparse_path():
    rng = np.random.default_rng(6)
    s = pd.DataFrame({"EX": rng.normal(3, 0.7, 3000)})
    s.attrs["psychometrics"] = {"instrument": "bat-23", "scoring": {"EX": "mean"}}
    ns = pm.build_norms(s, bootstrap=30, seed=1)
    q = ns.doc["norms"][0]["subscales"]["EX"]["quantiles"]
    exp = np.quantile(s["EX"], [0.05, 0.25, 0.75, 0.95], method="inverted_cdf")
    np.testing.assert_array_equal([q[k]["value"] for k in ("p5", "p25", "p75", "p95")], exp)
    assert all(v["ci_low"] <= v["value"] <= v["ci_high"] for v in q.values())


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(8, 32), min_size=60, max_size=120), st.lists(st.integers(8, 32), min_size=2, max_size=20))
def test_applied_norms_are_monotone(sample, new):
    assume(len(set(sample)) > 1)  # a constant sample gives no norms (an error, test_hostile)
    s = pd.DataFrame({"EX": np.array(sample, float) / 8})  # 0..3: not an olbi range
    s.attrs["psychometrics"] = {"instrument": "custom-scale", "scoring": {"EX": "mean"}}
    ns = pm.build_norms(s, bootstrap=0)
    x = np.sort(np.array(new, float) / 8)
    out = pm.apply_norms(pd.DataFrame({"EX": x}), ns, scale="mean")
    for col in ("EX_pr", "EX_t"):
        assert (np.diff(out[col].to_numpy()) >= 0).all()
    assert (np.diff(out["EX_stanine"].to_numpy(dtype=float)) >= 0).all()
    order = {b.id: i for i, b in enumerate(ns.entries[0].subscales["EX"].bands)}
    labels = {b.text(): b.id for b in ns.entries[0].subscales["EX"].bands}
    idx = [order[labels[v]] for v in out["EX_band"]]
    assert (np.diff(idx) >= 0).all()


def test_min_n_suppression(cbi_scores):
    s = cbi_scores.copy()
    s["site"] = ["a"] * 280 + ["b"] * 20
    with pytest.warns(UserWarning, match="fewer than 50"):
        ns = pm.build_norms(s, by="site", bootstrap=0)
    assert [e.stratum for e in ns.entries] == [{}, {"site": "a"}]
    assert ns.doc["partial"] and ns.doc["suppressed"] == [{"stratum": {"site": "b"}, "n": 20}]
    with pytest.raises(NormError):
        pm.apply_norms(s, ns, by={"site": "site"})
    with pytest.raises(DataError, match="no stratum"), pytest.warns(UserWarning):
        pm.build_norms(s.head(30), bootstrap=0)


def test_weights_and_raking(cbi_scores):
    unweighted = pm.build_norms(cbi_scores, bootstrap=0)
    equal = pm.build_norms(cbi_scores, weights=np.full(len(cbi_scores), 2.5), bootstrap=0)
    for sid in ("PB", "WB", "CB"):
        assert unweighted.entries[0].subscales[sid].p75 == equal.entries[0].subscales[sid].p75
    np.testing.assert_allclose(pm.apply_norms(cbi_scores, unweighted)["PB_pr"],
                               pm.apply_norms(cbi_scores, equal)["PB_pr"])
    margins = {"sex": {"f": 0.3, "m": 0.7}}
    raked = pm.build_norms(cbi_scores, margins=margins, bootstrap=0)
    w = pm.rake(cbi_scores, margins)
    exp = percentile_rank(cbi_scores["PB"], cbi_scores["PB"], weights=w)
    np.testing.assert_allclose(pm.apply_norms(cbi_scores, raked)["PB_pr"], exp)
    assert raked.doc["weighting"]["method"] == "raked"


def test_build_needs_instrument():
    with pytest.raises(DataError, match="instrument"):
        pm.build_norms(pd.DataFrame({"EX": [1.0, 2.0]}), bootstrap=0)


# --- smoothed (continuous) norms -------------------------------------------------------------------

def _population(rng, n):
    age = rng.uniform(20, 65, n)
    mu, sd = 2.0 + 0.03 * (age - 20), 0.5 + 0.006 * (age - 20)
    x = np.clip(mu + sd * rng.standard_normal(n), 1, 5)  # means of 1..5 answers
    frame = pd.DataFrame({"EX": x, "age": age,
                          "age_band": pd.cut(age, [19, 29, 39, 49, 59, 66]).astype(str)})
    # normal scores go beyond 1..5: a scale of the user's own, not bat-23
    frame.attrs["psychometrics"] = {"instrument": "custom-scale", "scoring": {"EX": "mean"}}
    return frame, 100 * stats.norm.cdf((x - mu) / sd)


def test_smoothed_age_norms_beat_age_band_norms_on_a_known_population(tmp_path):
    rng = np.random.default_rng(11)
    train, _ = _population(rng, 4000)
    test, true_pr = _population(rng, 2000)
    smooth = pm.build_norms(train, bootstrap=0, smooth="age")
    bands = pm.build_norms(train, by="age_band", bootstrap=0)
    pr_s = pm.apply_norms(test, smooth)["EX_pr"].to_numpy()
    pr_b = pm.apply_norms(test, bands, by={"age_band": "age_band"})["EX_pr"].to_numpy()
    rmse_s = np.sqrt(np.mean((pr_s - true_pr) ** 2))
    rmse_b = np.sqrt(np.mean((pr_b - true_pr) ** 2))
    assert rmse_s < 2.0 and rmse_s < rmse_b
    # the smoothed model survives the norm file
    back = load_norms(smooth.to_file(tmp_path / "s.yaml"))
    np.testing.assert_array_equal(pm.apply_norms(test, back)["EX_pr"].to_numpy(), pr_s)
    # quartile flags follow the age-specific P75
    top = pm.apply_norms(test, smooth)["EX_top_quartile"].astype(bool).to_numpy()
    assert abs(top.mean() - 0.25) < 0.04
    assert abs(top[test.age < 35].mean() - 0.25) < 0.06


def test_continuous_inversion_round_trips():
    model = {"variable": "age", "terms": [[0, 0], [1, 0], [1, 1]], "coef": [3.0, 0.5, 0.1],
             "center": 40.0, "scale": 10.0, "range": [20.0, 60.0], "z_range": [-3.09, 3.09]}
    z = np.array([-2.0, -0.5, 0.0, 1.3])
    age = np.array([25.0, 40.0, 55.0, 30.0])
    a = (age - 40) / 10
    raw = 3 + 0.5 * z + 0.1 * z * a
    np.testing.assert_allclose(_continuous_z(model, raw, age), z, atol=1e-3)


# --- summaries -----------------------------------------------------------------------------------

def test_summarise_groups_and_suppression(cbi_scores):
    s = cbi_scores.copy()
    s["dept"] = ["a"] * 150 + ["b"] * 145 + ["c"] * 5
    with pytest.warns(UserWarning, match="suppressed"):
        out = pm.summarise(s, "dept", cutoffs={"PB": 50}, norms="cbi-50-borritz-2004")
    assert set(out["subscale"]) == {"PB", "WB", "CB"}
    row = out[(out.dept == "a") & (out.subscale == "PB")].iloc[0]
    pb = s.loc[s.dept == "a", "PB"]
    assert row["n"] == pb.notna().sum() and row["mean"] == pytest.approx(pb.mean())
    assert row["sd"] == pytest.approx(pb.std(ddof=1))
    assert row["share_at_or_above"] == pytest.approx((pb.dropna() >= 50).mean())
    small = out[out.dept == "c"]
    assert small["suppressed"].all() and small[["n", "mean", "sd", "share_at_or_above"]].isna().all().all()
    assert out.attrs["suppressed"] == [{"dept": "c"}]


def test_summarise_top_quartile_share(cbi_scores):
    ns = pm.build_norms(cbi_scores, bootstrap=0)
    s = cbi_scores.copy()
    s["dept"] = "all"
    out = pm.summarise(s, "dept", norms=ns, subscales=["WB"])
    flags = pm.apply_norms(s, ns)["WB_top_quartile"]
    assert out["share_top_quartile"].iloc[0] == pytest.approx(flags.dropna().astype(float).mean())


# --- command line --------------------------------------------------------------------------------

def test_cli_build_show_classify_summarise(tmp_path, capsys):
    import json

    from psychometrics.cli import main
    rng = np.random.default_rng(8)
    n = 240
    d = pd.DataFrame({f"olbi{i}": rng.integers(1, 5, n) for i in range(1, 17)})
    d.insert(0, "resp", [f"R{i:03d}" for i in range(n)])
    d["sex"] = rng.choice(["f", "m"], n)
    d["dept"] = rng.choice(["a", "b"], n)
    src = tmp_path / "olbi.csv"
    d.to_csv(src, index=False)
    (tmp_path / "m.yaml").write_text("sex: {f: 0.5, m: 0.5}\n")
    out = tmp_path / "olbi-norms.yaml"
    assert main(["norms", "build", str(src), "-i", "olbi", "--form", "agree-low", "--id", "resp",
                 "--by", "sex", "--margins", str(tmp_path / "m.yaml"), "--bootstrap", "50",
                 "--seed", "2", "-o", str(out)]) == 0
    built = load_norms(out)
    scores = pm.score(d, "olbi", form="agree-low", id="resp")
    api = pm.build_norms(scores, by="sex", margins={"sex": {"f": 0.5, "m": 0.5}}, bootstrap=50, seed=2,
                         data=d[["sex"]])
    assert built.doc["norms"] == api.doc["norms"]
    capsys.readouterr()
    assert main(["norms", "list", "--json"]) == 0
    assert "bat-23-flanders" in {r["id"] for r in json.loads(capsys.readouterr().out)}
    assert main(["norms", "show", str(out), "--table", "EX", "--stratum", "sex=f"]) == 0
    assert "stanine" in capsys.readouterr().out
    assert main(["classify", str(src), "-i", "olbi", "--form", "agree-low", "--id", "resp",
                 "--rule", "olbi-peterson-both-high", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == n and rows[0]["resp"] == "R000" and isinstance(rows[0]["positive"], bool)
    assert main(["summarise", str(src), "-i", "olbi", "--form", "agree-low", "--by", "dept",
                 "--cutoff", "total=45", "--norms", str(out), "--norm-by", "sex=sex", "--json"]) == 0
    summ = json.loads(capsys.readouterr().out)
    assert {r["dept"] for r in summ} == {"a", "b"} and "share_top_quartile" in summ[0]
    assert main(["classify", str(src), "-i", "olbi", "--form", "agree-low", "--rule", "ubos-quartile"]) == 2
    assert "is for ubos-a" in capsys.readouterr().err


# --- respondents are matched by index, never by position or index union --------------------------

def test_data_is_matched_by_respondent_not_by_position(cbi_scores):
    scores = cbi_scores.drop(columns=["sex"])
    data = cbi_scores[["sex"]]
    rev = data.iloc[::-1]
    ns = pm.build_norms(cbi_scores, by="sex", bootstrap=0, min_n=10)
    assert pm.build_norms(scores, by="sex", bootstrap=0, min_n=10, data=rev).doc["norms"] == ns.doc["norms"]
    ref = pm.apply_norms(cbi_scores, ns, by={"sex": "sex"})
    out = pm.apply_norms(scores, ns, by={"sex": "sex"}, data=rev)
    assert list(out.index) == list(scores.index)
    pd.testing.assert_frame_equal(out[["PB_pr", "WB_pr", "CB_pr"]], ref[["PB_pr", "WB_pr", "CB_pr"]])
    pd.testing.assert_frame_equal(pm.summarise(scores, "sex", subscales=["PB"], data=rev),
                                  pm.summarise(cbi_scores, "sex", subscales=["PB"]))


def test_data_with_other_respondents_is_refused(cbi_scores):
    scores = cbi_scores.drop(columns=["sex"])
    ns = pm.build_norms(cbi_scores, by="sex", bootstrap=0, min_n=10)
    other = cbi_scores[["sex"]].reset_index(drop=True)
    with pytest.raises(DataError, match="i0 \\(row 1\\).* not in data"):
        pm.apply_norms(scores, ns, by={"sex": "sex"}, data=other)
    with pytest.raises(DataError, match="not of the same respondents"):
        pm.build_norms(scores, by="sex", bootstrap=0, min_n=10, data=other)
    with pytest.raises(DataError, match="not of the same respondents"):
        pm.summarise(scores, "sex", subscales=["PB"], data=other)
    with pytest.raises(DataError, match="not of the same respondents"):
        pm.summarise(scores, "sex", subscales=["PB"], data=cbi_scores[["sex"]].iloc[:-1])


def test_out_of_range_scores_are_named_by_the_recorded_id(cbi_scores):
    ns = pm.build_norms(cbi_scores, bootstrap=0, min_n=10)
    odd = cbi_scores.copy()
    odd.loc[odd.index[3], "PB"] = 1000.0
    with pytest.raises(DataError, match=r"1000 at R003 \(row 4\)"):
        pm.apply_norms(odd, ns)
