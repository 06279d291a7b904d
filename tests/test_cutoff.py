"""Tests of psychometrics.diagnostic: pROC / cutpointr reference values on aSAH, properties, CLI."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from psychometrics import resample
from psychometrics.diagnostic import cutoffs, predictive_values, roc, roc_test
from psychometrics.diagnostic.counts import Counts as _Counts
from psychometrics.diagnostic.counts import class_count_batches as _class_count_batches
from psychometrics.diagnostic.curve import _roc_boot
from psychometrics.diagnostic.optimal import _cutoff_boot
from psychometrics.errors import DataError, OptionError

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "reference" / "asah_roc.json").read_text())
ASAH = pd.read_csv(DATA / "aSAH.csv")
PREDICTORS = sorted(REF["predictors"])
TOL = 1e-4  # the task's tolerance; the implementation agrees to ~1e-12
ROW_KEYS = ["threshold", "sensitivity", "specificity", "accuracy", "tn", "tp", "fn", "fp",
            "ppv", "npv", "youden_j"]


def _num(v):
    if v is None:
        return math.nan
    return {"-Inf": -math.inf, "Inf": math.inf}.get(v, v) if isinstance(v, str) else float(v)


def _close(ours, ref, tol=TOL):
    ours, ref = _num(ours), _num(ref)
    if math.isnan(ref) or math.isinf(ref):
        return (math.isnan(ours) and math.isnan(ref)) or ours == ref
    return abs(ours - ref) <= tol


@pytest.fixture(scope="module")
def rocs():
    return {p: roc(ASAH[p], ASAH["outcome"], positive="Poor", thresholds="midpoint",
                   n_boot=2000, seed=42) for p in PREDICTORS}


# --------------------------------------------------------------------------------------------
# reference values (pROC 1.18, cutpointr 1.1.2)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stat", ["n", "auc", "ci_delong", "var_delong"])
@pytest.mark.parametrize("pred", PREDICTORS)
def test_auc_delong_matches_proc(rocs, pred, stat):
    ref, res = REF["predictors"][pred], rocs[pred]
    if stat == "n":
        assert (res.n_cases, res.n_controls) == (ref["n_cases"], ref["n_controls"])
    elif stat == "auc":
        assert _close(res.auc, ref["auc"])
    elif stat == "ci_delong":
        assert _close(res.auc_ci_low, ref["ci_delong"]["lower"])
        assert _close(res.auc_ci_high, ref["ci_delong"]["upper"])
    else:
        assert _close(res.auc_var, ref["var_delong"], 1e-8)


@pytest.mark.parametrize("pred", PREDICTORS)
def test_bootstrap_ci_close_to_proc(rocs, pred):
    # R's random numbers differ from numpy's: Monte-Carlo agreement only (~0.01)
    ref, res = REF["predictors"][pred]["ci_bootstrap"], rocs[pred]
    assert abs(res.boot_ci_low - ref["lower"]) < 0.01
    assert abs(res.boot_ci_high - ref["upper"]) < 0.01
    assert res.n_boot == ref["boot_n"]


@pytest.mark.parametrize("pred", PREDICTORS)
def test_all_thresholds_match_proc(rocs, pred):
    ref = pd.DataFrame(REF["predictors"][pred]["all_thresholds"])
    cur = rocs[pred].curve
    assert len(cur) == len(ref)
    table = cutoffs(ASAH[pred], ASAH["outcome"], positive="Poor", thresholds="midpoint",
                    n_boot=0).table.rename(columns={"cutoff": "threshold"})
    for key in ROW_KEYS:
        ours = table[key].to_numpy(float)
        theirs = np.array([_num(v) for v in ref[key]])
        assert all(_close(a, b) for a, b in zip(ours, theirs)), key
        if key in cur:
            assert all(_close(a, b) for a, b in zip(cur[key].to_numpy(float), theirs)), key


@pytest.mark.parametrize("method,key", [("youden", "best_youden"),
                                        ("closest_topleft", "best_closest_topleft")])
@pytest.mark.parametrize("pred", PREDICTORS)
def test_best_rows_match_proc_coords(pred, method, key):
    ref = REF["predictors"][pred][key]
    res = cutoffs(ASAH[pred], ASAH["outcome"], positive="Poor", method=method,
                  thresholds="midpoint", n_boot=0)
    assert len(res.ties) == len(ref)
    row = ref[0]
    assert _close(res.best["cutoff"], row["threshold"])
    for k in ROW_KEYS[1:]:
        assert _close(res.best[k], row[k]), k


@pytest.mark.parametrize("stat", ["optimal_cutpoint", "sensitivity", "specificity", "youden",
                                  "acc", "AUC", "tied_optimal_cutpoints"])
@pytest.mark.parametrize("pred", PREDICTORS)
def test_cutpointr_youden(pred, stat):
    ref = REF["predictors"][pred]["cutpointr"]
    res = cutoffs(ASAH[pred], ASAH["outcome"], positive="Poor", method="youden", n_boot=0)
    ours = {"optimal_cutpoint": res.best["cutoff"], "sensitivity": res.best["sensitivity"],
            "specificity": res.best["specificity"], "youden": res.best["youden_j"],
            "acc": res.best["accuracy"], "AUC": res.auc}
    if stat == "tied_optimal_cutpoints":
        assert len(res.ties) == len(ref[stat])
        assert all(_close(a, b) for a, b in zip(res.ties, ref[stat]))
    else:
        assert _close(ours[stat], ref[stat])


@pytest.mark.parametrize("stat", ["statistic_z", "p_value", "auc_a", "auc_b"])
@pytest.mark.parametrize("pair", sorted(REF["roc_test"]))
def test_roc_test_matches_proc(pair, stat):
    ref = REF["roc_test"][pair]
    res = roc_test(ASAH[ref["a"]], ASAH[ref["b"]], ASAH["outcome"], positive="Poor")
    ours = {"statistic_z": res.z, "p_value": res.pvalue, "auc_a": res.auc_a, "auc_b": res.auc_b}
    assert _close(ours[stat], ref[stat])
    assert res.n == ref["n"]


def test_midpoint_and_observed_label_the_same_splits():
    obs = cutoffs(ASAH["s100b"], ASAH["outcome"], positive="Poor", n_boot=0)
    mid = cutoffs(ASAH["s100b"], ASAH["outcome"], positive="Poor", thresholds="midpoint",
                  n_boot=0)
    cols = ["tp", "fp", "tn", "fn"]
    pd.testing.assert_frame_equal(obs.table[cols], mid.table[cols])
    assert obs.best["cutoff"] == 0.22 and abs(mid.best["cutoff"] - 0.205) < 1e-12


# --------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------

_scores = st.lists(st.integers(0, 12), min_size=6, max_size=40)


def _sample(values, data):
    y = data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values)))
    if all(y) or not any(y):
        y[0] = not y[0]
    return np.array(values, float), np.array(y)


@settings(max_examples=40, deadline=None)
@given(_scores, st.data())
def test_auc_of_negated_score_is_one_minus_auc(values, data):
    x, y = _sample(values, data)
    a = roc(x, y, ci_method="delong").auc
    b = roc(-x, y, ci_method="delong").auc
    assert abs(a + b - 1) < 1e-12
    # and the DeLong variance is the same (NaN, as pROC's NA, with a single case or control)
    va, vb = roc(x, y, ci_method="delong").auc_var, roc(-x, y, ci_method="delong").auc_var
    assert np.isclose(va, vb, rtol=0, atol=1e-12, equal_nan=True)


@settings(max_examples=40, deadline=None)
@given(_scores, st.data())
def test_auc_invariant_to_monotone_transforms(values, data):
    x, y = _sample(values, data)
    base = roc(x, y, ci_method="delong")
    for f in (np.exp, lambda v: v ** 3 + 2 * v, lambda v: np.log1p(v)):
        res = roc(f(x), y, ci_method="delong")
        assert abs(res.auc - base.auc) < 1e-12
        assert np.isclose(res.auc_var, base.auc_var, rtol=0, atol=1e-12, equal_nan=True)


@settings(max_examples=40, deadline=None)
@given(_scores, st.data())
def test_auc_equals_mann_whitney(values, data):
    x, y = _sample(values, data)
    u = stats.mannwhitneyu(x[y], x[~y]).statistic
    assert abs(roc(x, y, ci_method="delong").auc - u / (y.sum() * (~y).sum())) < 1e-12


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-50, 50, allow_nan=False), min_size=1, max_size=15, unique=True),
       st.lists(st.floats(51, 100, allow_nan=False), min_size=1, max_size=15, unique=True))
def test_perfect_separator(controls, cases):
    x = np.array(controls + cases)
    y = np.array([False] * len(controls) + [True] * len(cases))
    assert roc(x, y, ci_method="delong").auc == 1.0
    res = cutoffs(x, y, n_boot=0)
    assert res.ties == [min(cases)]  # the only perfect split: lowest case score
    assert max(controls) < res.best["cutoff"] <= min(cases)
    assert res.best["sensitivity"] == res.best["specificity"] == 1.0
    mid = cutoffs(x, y, thresholds="midpoint", n_boot=0)
    assert max(controls) < mid.best["cutoff"] < min(cases)


def test_bootstrap_same_seed_same_result():
    x, y = ASAH["ndka"], ASAH["outcome"]
    a = roc(x, y, positive="Poor", n_boot=300, seed=7, partial=(0.8, 1), band=True)
    b = roc(x, y, positive="Poor", n_boot=300, seed=7, partial=(0.8, 1), band=True)
    assert a.to_dict() == b.to_dict()
    pd.testing.assert_frame_equal(a.band, b.band)
    c = cutoffs(x, y, positive="Poor", n_boot=300, seed=7)
    d = cutoffs(x, y, positive="Poor", n_boot=300, seed=7)
    assert (c.cutoff_ci_low, c.cutoff_ci_high) == (d.cutoff_ci_low, d.cutoff_ci_high)
    e = roc(x, y, positive="Poor", n_boot=300, seed=8)
    assert (e.boot_ci_low, e.boot_ci_high) != (a.boot_ci_low, a.boot_ci_high)


def _resamples(cnt, n_boot, seed):
    """Each stratified resample written out as respondents: (scores, is_case) per resample."""
    (c, d), = list(_class_count_batches(cnt, n_boot, seed))
    return [(np.r_[np.repeat(cnt.u, c[r]), np.repeat(cnt.u, d[r])],
             np.r_[np.ones(c[r].sum(), bool), np.zeros(d[r].sum(), bool)]) for r in range(n_boot)]


def test_vectorised_bootstrap_auc_equals_per_resample_auc():
    from sklearn.metrics import roc_auc_score
    x = ASAH["s100b"].to_numpy()
    y = (ASAH["outcome"] == "Poor").to_numpy()
    cnt = _Counts.of(x, y)
    reps = _roc_boot(cnt, 50, 3, None, "specificity", False, False)["auc"]
    for r, (xs, ys) in enumerate(_resamples(cnt, 50, 3)):
        assert (ys.sum(), (~ys).sum()) == (y.sum(), (~y).sum())   # class sizes kept
        assert abs(reps[r] - roc_auc_score(ys, xs)) < 1e-12


@pytest.mark.parametrize("method,kw", [("youden", {}), ("closest_topleft", {}),
                                       ("min_sensitivity", {"min_sensitivity": 0.8}),
                                       ("cost", {"cost_fn": 3.0})])
@pytest.mark.parametrize("thresholds", ["observed", "midpoint"])
def test_vectorised_cutoff_bootstrap_equals_per_resample_cutoffs(method, kw, thresholds):
    x = ASAH["wfns"].to_numpy(float)
    y = (ASAH["outcome"] == "Poor").to_numpy()
    opts = dict(min_sensitivity=None, min_specificity=None, cost_fp=1.0, cost_fn=1.0,
                prevalence=None) | kw
    cnt = _Counts.of(x, y)
    reps = _cutoff_boot(cnt, 20, 5, method, opts, ">=", thresholds, "median")
    for r, (xs, ys) in enumerate(_resamples(cnt, 20, 5)):
        one = cutoffs(xs, ys, method=method, thresholds=thresholds, n_boot=0, **kw)
        assert reps[r] == pytest.approx(one.best["cutoff"], abs=1e-12)


def _proc_partial_auc(sp, se, bounds, focus):
    """Literal transcription of pROC 1.18 auc.roc's partial-area code (an independent oracle)."""
    hi, lo = sorted(bounds, reverse=True)
    x, y = (se[::-1], sp[::-1]) if focus == "sensitivity" else (sp, se)
    inside = (x <= hi) & (x >= lo)
    xi, yi = x[inside], y[inside]
    auc = np.sum((yi[1:] + yi[:-1]) / 2 * np.diff(xi))
    if xi.size == 0:
        i_hi = np.flatnonzero(~(x < hi))[0]
        i_lo = i_hi - 1
        p_hi = (x[i_hi] - hi) / (x[i_hi] - x[i_lo])
        p_lo = (lo - x[i_lo]) / (x[i_hi] - x[i_lo])
        y_hi = y[i_hi] + p_hi * (y[i_lo] - y[i_hi])
        y_lo = y[i_lo] - p_lo * (y[i_lo] - y[i_hi])
        return (y_hi + y_lo) / 2 * (hi - lo)
    if hi not in xi:
        out = np.flatnonzero(~(x < hi))[0]
        inn = out - 1
        yint = y[out] + (hi - x[out]) / (x[inn] - x[out]) * (y[inn] - y[out])
        auc += (hi - x[inn]) * (y[inn] + yint) / 2
    if lo not in xi:
        out = np.flatnonzero(x > lo)[0] - 1
        inn = out + 1
        yint = y[inn] + (x[inn] - lo) / (x[inn] - x[out]) * (y[out] - y[inn])
        auc += (x[inn] - lo) * (y[inn] + yint) / 2
    return auc


@pytest.mark.parametrize("bounds", [(0.8, 1.0), (0.9, 1.0), (0.0, 0.35), (0.5, 0.75), (0, 1)])
@pytest.mark.parametrize("focus", ["specificity", "sensitivity"])
@pytest.mark.parametrize("pred", PREDICTORS)
def test_partial_auc_matches_proc_algorithm(pred, focus, bounds):
    res = roc(ASAH[pred], ASAH["outcome"], positive="Poor", ci_method="delong", partial=bounds,
              partial_focus=focus)
    c = res.curve
    expected = _proc_partial_auc(c["specificity"].to_numpy(), c["sensitivity"].to_numpy(),
                                 bounds, focus)
    assert res.partial_auc == pytest.approx(expected, abs=1e-12)
    if bounds == (0, 1):
        assert res.partial_auc == pytest.approx(res.auc, abs=1e-12)
    corr = roc(ASAH[pred], ASAH["outcome"], positive="Poor", ci_method="delong", partial=bounds,
               partial_focus=focus, partial_correct=True).partial_auc
    lo, hi = sorted(bounds)
    amin, amax = ((1 - lo) + (1 - hi)) * (hi - lo) / 2, hi - lo
    assert corr == pytest.approx((1 + (expected - amin) / (amax - amin)) / 2, abs=1e-12)


def test_partial_auc_bootstrap_ci_brackets_estimate():
    res = roc(ASAH["wfns"], ASAH["outcome"], positive="Poor", partial=(0.8, 1), n_boot=400,
              seed=1)
    assert res.partial_ci_low <= res.partial_auc <= res.partial_ci_high


# --------------------------------------------------------------------------------------------
# cutoffs: tables, CIs, methods, prevalence
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def s100b():
    return cutoffs(ASAH["s100b"], ASAH["outcome"], positive="Poor", n_boot=500, seed=3)


def test_table_rates_and_wilson_ci(s100b):
    t = s100b.table
    assert (t["tp"] + t["fn"] == 41).all() and (t["tn"] + t["fp"] == 72).all()
    row = t.iloc[10]
    ci = stats.binomtest(int(row.tp), 41).proportion_ci(0.95, method="wilson")
    assert row.sensitivity_ci_low == pytest.approx(ci.low, abs=1e-12)
    assert row.sensitivity_ci_high == pytest.approx(ci.high, abs=1e-12)
    ci = stats.binomtest(int(row.tp), int(row.tp + row.fp)).proportion_ci(0.95, method="wilson")
    assert row.ppv_ci_low == pytest.approx(ci.low, abs=1e-12)
    assert row.lr_pos == pytest.approx(row.sensitivity / (1 - row.specificity))
    assert row.lr_neg == pytest.approx((1 - row.sensitivity) / row.specificity)
    assert row.lr_pos_ci_low < row.lr_pos < row.lr_pos_ci_high
    assert t["optimal"].sum() == len(s100b.ties) == 1


def test_exact_ci_is_clopper_pearson():
    res = cutoffs(ASAH["wfns"], ASAH["outcome"], positive="Poor", ci_method="exact", n_boot=0)
    for _, row in res.table.iterrows():
        ci = stats.binomtest(int(row.tn), 72).proportion_ci(0.95, method="exact")
        assert row.specificity_ci_low == pytest.approx(ci.low, abs=1e-10)
        assert row.specificity_ci_high == pytest.approx(ci.high, abs=1e-10)


def test_lr_ci_log_method():
    res = cutoffs(ASAH["wfns"], ASAH["outcome"], positive="Poor", n_boot=0)
    b = res.best
    se = math.sqrt(1 / b["tp"] - 1 / 41 + 1 / b["fp"] - 1 / 72)
    assert b["lr_pos_ci_low"] == pytest.approx(b["lr_pos"] * math.exp(-1.959963984540054 * se))


def test_cutoff_bootstrap_ci_brackets_cutoff(s100b):
    assert s100b.cutoff_ci_low <= s100b.best["cutoff"] <= s100b.cutoff_ci_high


def test_prevalence_recomputes_ppv_npv():
    res = cutoffs(ASAH["s100b"], ASAH["outcome"], positive="Poor", prevalence=0.05, n_boot=0)
    b = res.best
    pv = predictive_values(b["sensitivity"], b["specificity"], 0.05)
    assert b["ppv"] == pytest.approx(pv["ppv"]) and b["npv"] == pytest.approx(pv["npv"])
    assert b["ppv_ci_low"] < b["ppv"] < b["ppv_ci_high"]
    assert b["npv_ci_low"] < b["npv"] < b["npv_ci_high"]
    # at the sample prevalence, Bayes gives back the sample PPV
    sample = cutoffs(ASAH["s100b"], ASAH["outcome"], positive="Poor", n_boot=0,
                     prevalence=41 / 113).best
    assert sample["ppv"] == pytest.approx(0.65) and sample["npv"] == pytest.approx(58 / 73)
    # logit CI: logit(PPV) +- z * se(log LR+)
    se = math.sqrt(1 / b["tp"] - 1 / 41 + 1 / b["fp"] - 1 / 72)
    logit = math.log(b["ppv"] / (1 - b["ppv"]))
    assert b["ppv_ci_low"] == pytest.approx(1 / (1 + math.exp(-(logit - 1.959963984540054 * se))))


def test_predictive_values_vectorised_and_validated():
    pv = predictive_values(np.array([0.9, 0.8]), 0.8, 0.5)
    assert pv["ppv"] == pytest.approx([0.9 / 1.1, 0.8])
    with pytest.raises(DataError, match="prevalence"):
        predictive_values(0.9, 0.8, 1.5)


def test_ties_reported_and_broken():
    x = [1, 2, 3, 4, 5, 6, 7, 8]
    y = [0, 0, 1, 0, 1, 0, 1, 1]
    med = cutoffs(x, y, n_boot=0)
    assert med.ties == [3.0, 5.0, 7.0] and med.best["cutoff"] == 5.0
    assert med.table["optimal"].sum() == 3
    assert cutoffs(x, y, n_boot=0, break_ties="min").best["cutoff"] == 3.0
    assert cutoffs(x, y, n_boot=0, break_ties="max").best["cutoff"] == 7.0
    # two ties: not their average 3 (whose split has J = 0) but the lower one
    even = cutoffs([1, 2, 3, 4], [0, 1, 0, 1], n_boot=0)
    assert even.ties == [2.0, 4.0] and even.best["cutoff"] == 2.0
    assert even.best["youden_j"] == 0.5
    rev = cutoffs([-1, -2, -3, -4], [0, 1, 0, 1], direction="<=", n_boot=0)
    assert rev.ties == [-4.0, -2.0] and rev.best["cutoff"] == -4.0
    assert "tied optimal" in med.summary()


def test_min_sensitivity_and_specificity():
    x, y = ASAH["s100b"], ASAH["outcome"]
    res = cutoffs(x, y, positive="Poor", method="min_sensitivity", min_sensitivity=0.9, n_boot=0)
    t = res.table
    ok = t[t.sensitivity >= 0.9]
    assert res.best["sensitivity"] >= 0.9
    assert res.best["specificity"] == pytest.approx(ok.specificity.max())
    res = cutoffs(x, y, positive="Poor", method="min_specificity", min_specificity=0.9, n_boot=0)
    ok = res.table[res.table.specificity >= 0.9]
    assert res.best["specificity"] >= 0.9
    assert res.best["sensitivity"] == pytest.approx(ok.sensitivity.max())
    with pytest.raises(DataError, match="min_sensitivity"):
        cutoffs(x, y, positive="Poor", method="min_sensitivity")


def test_cost_method_minimises_misclassification_cost():
    x, y = ASAH["ndka"], ASAH["outcome"]
    res = cutoffs(x, y, positive="Poor", method="cost", cost_fp=1, cost_fn=4, n_boot=0)
    t = res.table
    cost = t.fp + 4 * t.fn  # cutpointr's misclassification_cost at the sample prevalence
    assert res.best["fp"] + 4 * res.best["fn"] == cost.min()
    assert t.loc[t.optimal, "objective"].iloc[0] == pytest.approx(cost.min() / 113)


def test_direction_le_mirrors_ge():
    x, y = ASAH["s100b"], ASAH["outcome"]
    ge = cutoffs(x, y, positive="Poor", n_boot=0)
    le = cutoffs(-x, y, positive="Poor", direction="<=", n_boot=0)
    assert le.best["cutoff"] == -ge.best["cutoff"]
    assert le.best["sensitivity"] == ge.best["sensitivity"]
    assert le.table["cutoff"].is_monotonic_increasing
    r = roc(-x, y, positive="Poor", direction="<=", ci_method="delong")
    assert r.auc == pytest.approx(ge.auc)
    assert r.curve["threshold"].is_monotonic_increasing


def test_auto_direction_warns_and_says_so():
    x, y = -ASAH["s100b"], ASAH["outcome"]
    with pytest.warns(UserWarning, match="direction='auto' chose '<='"):
        res = roc(x, y, positive="Poor", direction="auto", ci_method="delong")
    assert res.direction == "<=" and res.direction_auto
    assert res.auc == pytest.approx(REF["predictors"]["s100b"]["auc"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not roc(-x, y, positive="Poor", ci_method="delong").direction_auto


def test_missing_values_dropped_and_counted():
    x = ASAH["s100b"].copy()
    x.iloc[[0, 5]] = np.nan
    before = x.copy()
    res = roc(x, ASAH["outcome"], positive="Poor", ci_method="delong")
    assert res.n_dropped == 2 and res.n_cases + res.n_controls == 111
    pd.testing.assert_series_equal(x, before)  # caller's data untouched


def test_input_errors():
    x, y = ASAH["s100b"], ASAH["outcome"]
    with pytest.raises(DataError, match="positive="):
        roc(x, y)
    with pytest.raises(DataError, match="no controls"):
        roc(x[y == "Poor"], y[y == "Poor"], positive="Poor")
    with pytest.raises(OptionError, match="method"):
        cutoffs(x, y, positive="Poor", method="best")
    with pytest.raises(OptionError, match="direction"):
        roc(x, y, positive="Poor", direction=">")
    with pytest.raises(DataError, match="not of the same respondents"):
        roc(x[:10], y, positive="Poor")
    with pytest.raises(DataError, match="same number of respondents"):
        roc(x.to_numpy()[:10], y, positive="Poor")


def test_results_to_dict_and_summary(rocs, s100b):
    d = rocs["s100b"].to_dict()
    for key in ("auc", "auc_ci_low", "auc_ci_high", "n_cases", "n_controls", "direction",
                "curve", "boot_ci_low"):
        assert key in d
    json.dumps(d)
    assert "AUC" in rocs["s100b"].summary()
    d = s100b.to_dict()
    for key in ("cutoff", "sensitivity", "specificity", "youden_j"):
        assert key in d["best"]
    assert len(d["table"]) == len(s100b.table)
    json.dumps(d)
    assert "0.22" in s100b.summary()
    t = roc_test(ASAH["s100b"], ASAH["wfns"], ASAH["outcome"], positive="Poor")
    assert {"auc_a", "auc_b", "z", "pvalue"} <= set(t.to_dict())
    assert "DeLong" in t.summary()
    assert t.ci_low < t.difference < t.ci_high


def test_roc_test_alternatives_and_identical_curves():
    x, y = ASAH["s100b"], ASAH["outcome"]
    two = roc_test(x, ASAH["wfns"], y, positive="Poor")
    less = roc_test(x, ASAH["wfns"], y, positive="Poor", alternative="less")
    assert less.pvalue == pytest.approx(two.pvalue / 2)
    with pytest.warns(UserWarning, match="identical"):
        same = roc_test(x, 2 * x, y, positive="Poor")
    assert math.isnan(same.z)


def test_band_covers_curve(rocs):
    res = roc(ASAH["wfns"], ASAH["outcome"], positive="Poor", n_boot=300, seed=2, band=True)
    band = res.band
    assert (band.sensitivity_low <= band.sensitivity_high).all()
    assert band.sensitivity_high.iloc[0] == 1.0


def test_plot_roc():
    import matplotlib
    matplotlib.use("Agg")
    from psychometrics.diagnostic import plot_roc
    res = roc(ASAH["s100b"], ASAH["outcome"], positive="Poor", n_boot=200, seed=1, band=True)
    cut = cutoffs(ASAH["s100b"], ASAH["outcome"], positive="Poor", n_boot=0)
    fig = plot_roc(res, cutoff=cut)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "1 - specificity" and len(ax.lines) >= 2
    import matplotlib.pyplot as plt
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------

def test_cli_cutoff_json(capsys):
    from psychometrics.cli import main
    code = main(["cutoff", str(DATA / "aSAH.csv"), "--score", "s100b", "--criterion", "outcome",
                 "--positive", "Poor", "--n-boot", "100", "--seed", "1", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["best"]["cutoff"] == 0.22
    assert abs(out["auc"] - REF["predictors"]["s100b"]["auc"]) < 1e-12


def test_cli_cutoff_text_prevalence_and_errors(capsys):
    from psychometrics.cli import main
    code = main(["cutoff", str(DATA / "aSAH.csv"), "--score", "wfns", "--criterion", "outcome",
                 "--positive", "Poor", "--prevalence", "0.1", "--method", "closest_topleft",
                 "--n-boot", "0"])
    out = capsys.readouterr().out
    assert code == 0 and "closest_topleft" in out and "prevalence of 0.1" in out
    code = main(["cutoff", str(DATA / "aSAH.csv"), "--score", "nope", "--criterion", "outcome"])
    assert code == 2 and "nope" in capsys.readouterr().err
    code = main(["cutoff", str(DATA / "aSAH.csv"), "--score", "wfns", "--criterion", "outcome"])
    assert code == 2 and "positive" in capsys.readouterr().err


@pytest.mark.parametrize("ratio", [0, 10**6])   # multinomial counts / counted respondents
def test_class_count_batches_have_the_distribution_of_resampled_respondents(monkeypatch, ratio):
    monkeypatch.setattr(resample, "MULTINOMIAL_RATIO", ratio)
    # counts per score of n1 cases drawn with replacement: multinomial(n1, cases / n1), the
    # same distribution as resampling respondents within each class (pROC stratified = TRUE)
    x = np.r_[np.repeat([1.0, 2, 3], [5, 3, 2]), np.repeat([1.0, 2, 3], [1, 6, 13])]
    y = np.r_[np.ones(10, bool), np.zeros(20, bool)]
    cnt = _Counts.of(x, y)
    c, d = (np.concatenate(v) for v in zip(*_class_count_batches(cnt, 40_000, 4)))
    assert (c.sum(axis=1) == 10).all() and (d.sum(axis=1) == 20).all()
    idx = resample.bootstrap_indices(30, 40_000, seed=5, strata=y)  # respondents resampled
    codes = cnt.code[idx]
    c_idx = np.stack([(codes[:, :10] == level).sum(axis=1) for level in range(3)], axis=1)
    np.testing.assert_allclose(c.mean(axis=0), [5, 3, 2], atol=0.03)       # n1 p
    np.testing.assert_allclose(c.var(axis=0), 10 * np.array([.25, .21, .16]), rtol=0.03)
    np.testing.assert_allclose(c.var(axis=0), c_idx.var(axis=0), rtol=0.04)
    sizes = [a.shape[0] for a, _ in _class_count_batches(_Counts.of(np.arange(5000.0), np.arange(5000) < 2000),
                                                         1000, 1)]
    assert sum(sizes) == 1000 and len(sizes) > 1  # bounded batches


# --------------------------------------------------------------------------------------------
# respondents are matched by index (pandas) or by position (arrays), never silently
# --------------------------------------------------------------------------------------------

def test_reversed_score_series_is_matched_by_respondent():
    ref = REF["predictors"]["s100b"]["auc"]
    rev = roc(ASAH["s100b"].iloc[::-1], ASAH["outcome"], positive="Poor", ci_method="delong")
    assert _close(rev.auc, ref)
    assert cutoffs(ASAH["s100b"].iloc[::-1], ASAH["outcome"], positive="Poor", n_boot=0).best == \
        cutoffs(ASAH["s100b"], ASAH["outcome"], positive="Poor", n_boot=0).best
    a = roc_test(ASAH["s100b"].iloc[::-1], ASAH["ndka"], ASAH["outcome"].sample(frac=1, random_state=1),
                 positive="Poor")
    b = roc_test(ASAH["s100b"], ASAH["ndka"], ASAH["outcome"], positive="Poor")
    assert (a.auc_a, a.auc_b, a.z, a.pvalue) == pytest.approx((b.auc_a, b.auc_b, b.z, b.pvalue))


def test_mismatched_indexes_and_lengths_are_refused():
    shifted = ASAH["outcome"].set_axis(ASAH.index + 1)
    with pytest.raises(DataError, match="not of the same respondents"):
        roc(ASAH["s100b"], shifted, positive="Poor")
    with pytest.raises(DataError, match="row 1"):
        cutoffs(ASAH["s100b"], shifted, positive="Poor")
    with pytest.raises(DataError, match="not of the same respondents"):
        roc_test(ASAH["s100b"], ASAH["ndka"].set_axis(ASAH.index + 5), ASAH["outcome"], positive="Poor")
    with pytest.raises(DataError, match="same number of respondents"):
        roc(ASAH["s100b"].to_numpy(), ASAH["outcome"].to_numpy()[:-1], positive="Poor")
    with pytest.raises(DataError, match="same number of respondents"):
        roc(ASAH["s100b"].to_list()[:-3], ASAH["outcome"], positive="Poor")


# --- renamed keywords (issue 11): the old names work for one release, with a warning ---------

def test_roc_ci_boot_is_a_deprecated_name_of_ci_method():
    x, y = ASAH["s100b"], ASAH["outcome"]
    for old, new in ((True, "bootstrap"), (False, "delong")):
        with pytest.warns(DeprecationWarning, match="ci_boot= is deprecated") as rec:
            a = roc(x, y, positive="Poor", ci_boot=old, n_boot=50, seed=4)
        assert rec[0].filename == __file__  # the warning points at the caller
        b = roc(x, y, positive="Poor", ci_method=new, n_boot=50, seed=4)
        assert a.to_dict() == b.to_dict()
    with pytest.raises(OptionError, match="not both"), pytest.warns(DeprecationWarning):
        roc(x, y, positive="Poor", ci_method="delong", ci_boot=True)
    with pytest.raises(OptionError, match="ci_method"):
        roc(x, y, positive="Poor", ci_method="wilson")


def test_cutoffs_ci_is_a_deprecated_name_of_ci_method():
    x, y = ASAH["wfns"], ASAH["outcome"]
    with pytest.warns(DeprecationWarning, match="ci= is deprecated") as rec:
        a = cutoffs(x, y, positive="Poor", ci="exact", n_boot=0)
    assert rec[0].filename == __file__
    b = cutoffs(x, y, positive="Poor", ci_method="exact", n_boot=0)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.best == b.best and b.ci_method == "exact"
    with pytest.warns(DeprecationWarning, match="use ci_method"):
        assert b.ci == "exact"
    with pytest.raises(OptionError, match="not both"), pytest.warns(DeprecationWarning):
        cutoffs(x, y, positive="Poor", ci_method="exact", ci="wilson", n_boot=0)
