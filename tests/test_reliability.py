"""Tests of psychometrics.reliability against psych::alpha (reference JSON) and by properties."""

from __future__ import annotations

import json
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psychometrics import resample
from psychometrics.errors import DataError, OptionError
from psychometrics.reliability import (
    alpha,
    feldt_ci,
    icc,
    item_analysis,
    rci,
    reliability,
    sem,
)
from psychometrics.reliability.cronbach import _boot_alpha_stat
from psychometrics.reliability.scale import pairwise_cov as _pairwise_cov

DATA = Path(__file__).parent / "data"
REF = DATA / "reference"
TOL = 1e-6
BFI_INSTRUMENT = DATA / "bfi-instrument.yaml"

DATASETS = {"bfi": ("bfi.csv", "bfi_reliability.json"),
            "hs": ("HolzingerSwineford1939.csv", "hs_reliability.json")}
MISSING = {"pairwise": "pairwise", "listwise": "complete_cases"}
# reference total key -> AlphaResult attribute
TOTAL = {"raw_alpha": "alpha", "std_alpha": "std_alpha", "G6_smc": "g6",
         "average_r": "average_r", "signal_noise": "signal_noise", "ase": "ase",
         "mean": "mean", "sd": "sd", "median_r": "median_r"}
# reference alpha_drop key -> item_analysis column
DROP = {"raw_alpha": "alpha_if_deleted", "std_alpha": "std_alpha_if_deleted",
        "G6_smc": "g6_if_deleted", "average_r": "average_r_if_deleted",
        "alpha_se": "alpha_se_if_deleted", "var_r": "var_r_if_deleted",
        "med_r": "median_r_if_deleted"}
ITEM_STATS = ["n", "raw_r", "std_r", "r_cor", "r_drop", "mean", "sd"]


@cache
def _ref(dataset: str) -> dict:
    return json.loads((REF / DATASETS[dataset][1]).read_text())


@cache
def _data(dataset: str) -> pd.DataFrame:
    return pd.read_csv(DATA / DATASETS[dataset][0])


def _reversed(spec) -> list[str]:
    rev = spec["reversed"]
    return [rev] if isinstance(rev, str) else list(rev)


def _keyed(dataset: str, scale: str) -> pd.DataFrame:
    """The scale's items reversed as the reference did: min + max - x (bfi: 1..6)."""
    spec = _ref(dataset)["scales"][scale]
    x = _data(dataset)[spec["items"]].copy()
    for c in _reversed(spec):
        x[c] = 7 - x[c]
    return x


@cache
def _fit(dataset: str, scale: str, missing: str, ci: str = "feldt"):
    return alpha(_keyed(dataset, scale), missing=missing, ci_method=ci)


@cache
def _items(dataset: str, scale: str, missing: str) -> pd.DataFrame:
    return item_analysis(_keyed(dataset, scale), missing=missing)


def _cases():
    out = []
    for ds in DATASETS:
        for scale in _ref(ds)["scales"]:
            for missing in MISSING:
                out.append((ds, scale, missing))
    return out


CASES = _cases()


def _ids(case) -> str:
    return "-".join(case)


def _close(ours, theirs, tol=TOL):
    if theirs is None:
        assert ours is None or np.isnan(ours)
    else:
        assert abs(ours - theirs) <= tol, (ours, theirs)


# --------------------------------------------------------------------------------------------
# psych::alpha reference numbers
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stat", list(TOTAL))
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_total_matches_psych(case, stat):
    ds, scale, missing = case
    ref = _ref(ds)["scales"][scale][MISSING[missing]]
    res = _fit(ds, scale, missing)
    assert res.n == ref["n_rows"]
    _close(getattr(res, TOTAL[stat]), ref["total"][stat])


@pytest.mark.parametrize("method", ["feldt", "duhachek"])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_ci_matches_psych(case, method):
    ds, scale, missing = case
    ref = _ref(ds)["scales"][scale][MISSING[missing]]["ci"][method]
    res = _fit(ds, scale, missing, method)
    assert res.ci_method == method
    _close(res.ci_low, ref["lower"])
    _close(res.ci_high, ref["upper"])


@pytest.mark.parametrize("stat", list(DROP))
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_alpha_if_deleted_matches_psych(case, stat):
    ds, scale, missing = case
    ref = _ref(ds)["scales"][scale][MISSING[missing]]["alpha_drop"]
    tab = _items(ds, scale, missing)
    for item, row in ref.items():
        _close(tab.at[item, DROP[stat]], row[stat])


@pytest.mark.parametrize("stat", ITEM_STATS)
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_item_stats_match_psych(case, stat):
    ds, scale, missing = case
    ref = _ref(ds)["scales"][scale][MISSING[missing]]["item_stats"]
    tab = _items(ds, scale, missing)
    assert list(tab.index) == list(ref)
    for item, row in ref.items():
        _close(tab.at[item, stat], row[stat])


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_response_frequencies_match_psych(case):
    ds, scale, missing = case
    ref = _ref(ds)["scales"][scale][MISSING[missing]]["response_freq"]
    tab = _items(ds, scale, missing)
    freq_cols = [c for c in tab.columns if c.startswith("freq_")]
    if ref is None:  # continuous items (HolzingerSwineford): psych gives none
        assert freq_cols == []
        return
    for item, row in ref.items():
        assert sorted(freq_cols) == sorted(f"freq_{code}" for code in row)
        for code, p in row.items():
            _close(tab.at[item, f"freq_{code}"], p)


@pytest.mark.parametrize("missing", list(MISSING))
def test_reliability_of_instrument_matches_psych(missing):
    """reliability() keys each bfi scale from the instrument file, as psych's keys do."""
    ref = _ref("bfi")["scales"]
    res = reliability(_data("bfi"), BFI_INSTRUMENT, missing=missing)
    assert list(res.table.index) == list(ref)
    for scale, spec in ref.items():
        r = spec[MISSING[missing]]
        _close(res.table.at[scale, "alpha"], r["total"]["raw_alpha"])
        _close(res.table.at[scale, "g6"], r["total"]["G6_smc"])
        _close(res.table.at[scale, "ci_low"], r["ci"]["feldt"]["lower"])
        for item, row in r["item_stats"].items():
            _close(res.items[scale].at[item, "r_cor"], row["r_cor"])
            _close(res.items[scale].at[item, "r_drop"], row["r_drop"])
        for item, row in r["alpha_drop"].items():
            _close(res.items[scale].at[item, "alpha_if_deleted"], row["raw_alpha"])
    assert res.table["n_negative"].sum() == 0


def test_reverse_keying_is_per_subscale(tmp_path):
    """An item reversed in one subscale and not in another is keyed separately in each."""
    text = BFI_INSTRUMENT.read_text()
    text = text.replace(
        "  C: {name:",
        "  Araw: {name: {en: A unkeyed}, items: [A1, A2, A3, A4, A5], reverse: [], scoring: mean, "
        "min_answered: 1, higher_is: neutral}\n  C: {name:")
    path = tmp_path / "bfi-two-keys.yaml"
    path.write_text(text)
    data = _data("bfi")
    with pytest.warns(UserWarning, match="A1"):
        res = reliability(data, path)
    ref = _ref("bfi")["scales"]["A"]["pairwise"]["total"]
    _close(res.table.at["A", "alpha"], ref["raw_alpha"])
    raw = alpha(data[["A1", "A2", "A3", "A4", "A5"]])
    _close(res.table.at["Araw", "alpha"], raw.alpha, 1e-12)
    assert res.items["Araw"].at["A1", "negative"]
    assert not res.items["A"].at["A1", "negative"]
    assert res.table.at["Araw", "n_negative"] == 1


def test_reliability_result_dict_and_summary():
    res = reliability(_data("bfi"), BFI_INSTRUMENT, ci_method="duhachek")
    d = json.loads(json.dumps(res.to_dict()))
    assert set(d) == {"instrument", "missing", "ci_method", "level", "subscales", "items",
                      "n_boot", "seed"}
    assert set(d["subscales"]) == set("ACENO")
    assert d["subscales"]["N"]["k"] == 5
    _close(d["items"]["A"]["A2"]["r_drop"],
           _ref("bfi")["scales"]["A"]["pairwise"]["item_stats"]["A2"]["r_drop"])
    text = res.summary()
    assert "Items of O" in text and "duhachek" in text


def test_reliability_does_not_mutate_data():
    data = _data("bfi").copy()
    before = data.copy()
    reliability(data, BFI_INSTRUMENT, ci_method=None)
    pd.testing.assert_frame_equal(data, before)


# --------------------------------------------------------------------------------------------
# alpha(): result object, CIs, bootstrap
# --------------------------------------------------------------------------------------------

def test_alpha_to_dict_keys():
    d = _fit("bfi", "N", "pairwise").to_dict()
    for key in ("alpha", "std_alpha", "g6", "average_r", "n", "k", "ci_low", "ci_high",
                "ci_method", "missing"):
        assert key in d
    assert d["missing"] == "pairwise" and d["ci_method"] == "feldt" and d["k"] == 5
    json.dumps(d)
    assert "Cronbach" in _fit("bfi", "N", "pairwise").summary()


def test_no_ci():
    res = alpha(_keyed("bfi", "A"), ci_method=None)
    assert res.ci_method is None and np.isnan(res.ci_low) and np.isnan(res.ci_high)
    assert res.to_dict()["ci_low"] is None


def test_feldt_level_widens_interval():
    a90 = alpha(_keyed("bfi", "A"), level=0.90)
    a99 = alpha(_keyed("bfi", "A"), level=0.99)
    assert a99.ci_low < a90.ci_low < a90.alpha < a90.ci_high < a99.ci_high


def test_feldt_ci_formula():
    # 1 - (1 - a) F quantiles: the interval is the F interval mapped through 1 - (1 - a) x
    lo, hi = feldt_ci(0.75, 101, 6, 0.9)
    from scipy.stats import f
    assert lo == pytest.approx(1 - 0.25 * f.ppf(0.95, 100, 500), abs=1e-12)
    assert hi == pytest.approx(1 - 0.25 * f.ppf(0.05, 100, 500), abs=1e-12)


def test_duhachek_other_level_uses_normal_quantile():
    res = alpha(_keyed("bfi", "A"), ci_method="duhachek", level=0.9)
    assert res.ci_high - res.alpha == pytest.approx(1.6448536269514722 * res.ase, rel=1e-12)


@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_bootstrap_statistic_equals_direct_computation(missing):
    """The batched weighted-sum alpha equals alpha of each resample computed directly."""
    x = _keyed("bfi", "C").to_numpy()[:400]
    if missing == "listwise":
        x = x[~np.isnan(x).any(axis=1)]
    assert np.isnan(x).any() == (missing == "pairwise")
    stat = _boot_alpha_stat(x)
    idx = resample.bootstrap_indices(x.shape[0], 7, seed=3)
    got = stat(idx)
    k = x.shape[1]
    for b in range(idx.shape[0]):  # the reference computation, one resample at a time
        c, _ = _pairwise_cov(x[idx[b]])
        want = k / (k - 1) * (1 - np.trace(c) / c.sum())
        assert got[b] == pytest.approx(want, abs=1e-12)
    assert stat(np.arange(x.shape[0])[None, :])[0] == pytest.approx(
        alpha(x, missing=missing, ci_method=None).alpha, abs=1e-12)


def test_bootstrap_ci_seeded_and_reproducible():
    x = _keyed("bfi", "E").iloc[:800]
    a = alpha(x, ci_method="bootstrap", n_boot=300, seed=11)
    b = alpha(x, ci_method="bootstrap", n_boot=300, seed=11)
    c = alpha(x, ci_method="bootstrap", n_boot=300, seed=12)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)
    assert a.ci_low < a.alpha < a.ci_high
    assert a.n_boot == 300 and a.seed == 11 and a.n_failed == 0
    # close to the Feldt interval on a sample this size
    f = alpha(x)
    assert abs(a.ci_low - f.ci_low) < 0.03 and abs(a.ci_high - f.ci_high) < 0.03


def test_bootstrap_listwise_resamples_complete_cases():
    x = _keyed("bfi", "O")
    res = alpha(x, ci_method="bootstrap", n_boot=200, seed=5, missing="listwise")
    assert res.n == _ref("bfi")["scales"]["O"]["complete_cases"]["n_rows"]
    assert res.ci_low < res.alpha < res.ci_high


def test_bootstrap_counts_undefined_resamples():
    # two items answered together by only 3 respondents: some resamples have < 2 such rows
    rng = np.random.default_rng(0)
    t = rng.normal(size=40)
    x = np.column_stack([t + rng.normal(size=40) for _ in range(3)])
    x[3:22, 0] = np.nan
    x[22:, 1] = np.nan
    res = alpha(x, ci_method="bootstrap", n_boot=400, seed=2)
    assert 0 < res.n_failed < 400
    assert np.isfinite(res.ci_low) and np.isfinite(res.ci_high)


# --------------------------------------------------------------------------------------------
# item analysis
# --------------------------------------------------------------------------------------------

def test_item_analysis_columns_and_negative_warning():
    raw = _data("bfi")[["A1", "A2", "A3", "A4", "A5"]]  # A1 not reversed
    with pytest.warns(UserWarning, match=r"A1 \(-0\.\d\d\).*reverse key"):
        tab = item_analysis(raw)
    assert tab["negative"].tolist() == [True, False, False, False, False]
    for col in ("mean", "sd", "n", "raw_r", "std_r", "r_cor", "r_drop", "alpha_if_deleted",
                "freq_1", "freq_6", "freq_miss"):
        assert col in tab.columns
    assert tab.index.name == "item"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        item_analysis(raw, warn=False)


def test_item_analysis_two_items_if_deleted_is_nan():
    tab = item_analysis(_keyed("bfi", "A")[["A2", "A3"]])
    assert tab["alpha_if_deleted"].isna().all()
    assert tab["r_drop"].notna().all()


def test_max_codes_controls_frequencies():
    x = _keyed("bfi", "A")
    assert not any(c.startswith("freq_") for c in item_analysis(x, max_codes=5).columns)


def test_item_analysis_keeps_order_and_does_not_mutate():
    x = _keyed("bfi", "C")[["C3", "C1", "C5", "C2", "C4"]]
    before = x.copy()
    tab = item_analysis(x)
    assert list(tab.index) == ["C3", "C1", "C5", "C2", "C4"]
    pd.testing.assert_frame_equal(x, before)


# --------------------------------------------------------------------------------------------
# degenerate input
# --------------------------------------------------------------------------------------------

def test_one_item_is_an_error():
    with pytest.raises(DataError, match="at least 2 items.*A2"):
        alpha(_keyed("bfi", "A")[["A2"]])


def test_zero_variance_item_is_an_error_naming_it():
    x = _keyed("bfi", "A").iloc[:100].copy()
    x["A4"] = 3.0
    with pytest.raises(DataError, match=r"'A4' has no variance \(every answer is 3\)"):
        alpha(x)
    with pytest.raises(DataError, match="A4"):
        item_analysis(x)


def test_all_missing_is_an_error():
    x = pd.DataFrame(np.nan, index=range(10), columns=["a", "b", "c"])
    with pytest.raises(DataError, match="respondent"):
        alpha(x)


def test_all_missing_item_is_an_error():
    x = _keyed("bfi", "A").iloc[:50].copy()
    x["A3"] = np.nan
    with pytest.raises(DataError, match="'A3' has 0 answer"):
        alpha(x)


def test_listwise_with_no_complete_row_is_an_error():
    x = pd.DataFrame({"a": [1, 2, np.nan, 4], "b": [np.nan, 1, 2, 3], "c": [1, np.nan, 2, 2]})
    with pytest.raises(DataError):
        alpha(x, missing="listwise")


def test_fewer_respondents_than_items_is_an_error():
    x = _keyed("bfi", "A").iloc[:4]
    with pytest.raises(DataError, match="4 respondent.*5 items"):
        alpha(x)
    with pytest.raises(DataError, match="5 respondent.*5 items"):
        alpha(_keyed("bfi", "A").iloc[:5])


def test_items_never_answered_together_is_an_error():
    x = pd.DataFrame({"a": [1, 2, 3, 4, np.nan, np.nan, np.nan],
                      "b": [np.nan, np.nan, np.nan, 2, 3, 1, 4],
                      "c": [1, 3, 2, 4, 2, 3, 1]})
    with pytest.raises(DataError, match="'a' and 'b'"):
        alpha(x)


def test_non_numeric_is_an_error():
    x = pd.DataFrame({"a": [1, 2, 3, 4], "b": ["1", "x", "2", "3"], "c": [1, 2, 2, 3]})
    with pytest.raises(DataError, match="'b'.*'x'"):
        alpha(x)


def test_bad_options():
    x = _keyed("bfi", "A")
    with pytest.raises(ValueError, match="missing"):
        alpha(x, missing="fiml")
    with pytest.raises(ValueError, match="ci"):
        alpha(x, ci_method="exact")
    with pytest.raises(ValueError, match="level"):
        alpha(x, level=95)


def test_blank_rows_are_not_counted():
    x = _keyed("bfi", "N").iloc[:300]
    blank = pd.DataFrame(np.nan, index=range(1000, 1010), columns=x.columns)
    with_blank = alpha(pd.concat([x, blank]))
    plain = alpha(x)
    assert with_blank.n == plain.n == 300
    assert with_blank.ci_low == plain.ci_low


# --------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------

@st.composite
def item_matrices(draw):
    n = draw(st.integers(8, 40))
    k = draw(st.integers(2, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    load = rng.uniform(0.3, 1.5, size=k)
    x = rng.normal(size=(n, 1)) * load + rng.normal(size=(n, k))
    return np.round(x * 2) / 2 + 3


_settings = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(item_matrices(), st.floats(0.1, 10), st.floats(-50, 50))
def test_alpha_invariant_to_common_linear_transform(x, scale, shift):
    a = alpha(x, ci_method=None)
    b = alpha(x * scale + shift, ci_method=None)
    assert b.alpha == pytest.approx(a.alpha, abs=1e-9)
    assert b.std_alpha == pytest.approx(a.std_alpha, abs=1e-9)


@_settings
@given(item_matrices(), st.data())
def test_std_alpha_is_spearman_brown_of_average_r(x, data):
    # per-item positive rescaling changes raw alpha but not the standardised statistics
    k = x.shape[1]
    w = np.array(data.draw(st.lists(st.floats(0.2, 5), min_size=k, max_size=k)))
    a = alpha(x, ci_method=None)
    b = alpha(x * w, ci_method=None)
    assert b.std_alpha == pytest.approx(a.std_alpha, abs=1e-9)
    assert b.g6 == pytest.approx(a.g6, abs=1e-9)
    r = a.average_r
    assert a.std_alpha == pytest.approx(k * r / (1 + (k - 1) * r), abs=1e-9)


@_settings
@given(item_matrices(), st.integers(0, 2**32 - 1))
def test_pairwise_equals_listwise_without_missing_and_order_invariant(x, seed):
    a = alpha(x, ci_method="feldt")
    b = alpha(x, ci_method="feldt", missing="listwise")
    perm = np.random.default_rng(seed).permutation(x.shape[0])
    c = alpha(x[perm], ci_method="feldt")
    for other in (b, c):
        assert other.alpha == pytest.approx(a.alpha, abs=1e-9)
        assert other.ci_low == pytest.approx(a.ci_low, abs=1e-9)


@_settings
@given(item_matrices())
def test_alpha_if_deleted_is_alpha_without_the_item(x):
    if x.shape[1] < 3:
        return
    tab = item_analysis(x, warn=False)
    for j, item in enumerate(tab.index):
        rest = np.delete(x, j, axis=1)
        assert tab.at[item, "alpha_if_deleted"] == pytest.approx(alpha(rest, ci_method=None).alpha,
                                                                 abs=1e-9)


@_settings
@given(item_matrices(), st.integers(0, 2**32 - 1))
def test_pairwise_covariance_equals_pandas(x, seed):
    x = x.copy()
    rng = np.random.default_rng(seed)
    x[rng.random(x.shape) < 0.2] = np.nan
    c, npair = _pairwise_cov(x)
    want = pd.DataFrame(x).cov(min_periods=2).to_numpy()
    assert np.allclose(c, want, atol=1e-10, equal_nan=True)
    assert np.array_equal(npair, (~np.isnan(x)).astype(int).T @ (~np.isnan(x)).astype(int))


def test_alpha_known_values():
    # hand computation: var(b) = 65/30, var(c) = 53/30, cov(b, c) = 37/30
    # alpha = 2 (1 - 118/192) = 148/192
    x = pd.DataFrame({"b": [2, 2, 3, 5, 4, 1], "c": [1, 3, 3, 4, 5, 3]})
    assert alpha(x, ci_method=None).alpha == pytest.approx(148 / 192, abs=1e-12)
    # four orthogonal +-1 items: every covariance 0, alpha 0
    z = np.array([[1, 1, 1, 1], [1, 1, -1, -1], [1, -1, 1, -1], [1, -1, -1, 1],
                  [-1, 1, 1, -1], [-1, 1, -1, 1], [-1, -1, 1, 1], [-1, -1, -1, -1]], float)
    res = alpha(z, ci_method=None)
    assert res.alpha == pytest.approx(0.0, abs=1e-12)
    assert res.average_r == pytest.approx(0.0, abs=1e-12)
    assert res.g6 == pytest.approx(0.0, abs=1e-12)


# --------------------------------------------------------------------------------------------
# SEM, RCI, ICC
# --------------------------------------------------------------------------------------------

def test_sem():
    assert sem(0.91, sd=15) == pytest.approx(4.5, abs=1e-12)
    scores = np.array([10.0, 12, 14, 16, np.nan])
    assert sem(0.75, scores=scores) == pytest.approx(np.std([10, 12, 14, 16], ddof=1) * 0.5)
    res = _fit("bfi", "N", "pairwise")
    assert sem(res, sd=res.sd) == pytest.approx(res.sd * np.sqrt(1 - res.alpha))
    with pytest.raises(DataError, match="between 0 and 1"):
        sem(1.2, sd=1)
    with pytest.raises(ValueError, match="exactly one"):
        sem(0.8)
    with pytest.raises(ValueError, match="exactly one"):
        sem(0.8, sd=1, scores=[1, 2])


def test_rci_jacobson_truax():
    # Jacobson & Truax (1991): S_diff = sqrt(2 SEM^2), RC = (x2 - x1) / S_diff
    s1 = pd.Series([40.0, 40, 40, np.nan], index=["r1", "r2", "r3", "r4"])
    s2 = pd.Series([30.0, 36, 48, 30], index=["r1", "r2", "r3", "r4"])
    out = rci(s1, s2, 0.88, sd=7.5)
    s_diff = np.sqrt(2 * (7.5 * np.sqrt(0.12)) ** 2)
    assert out.attrs["s_diff"] == pytest.approx(s_diff)
    assert out["rci"].iloc[:3].tolist() == pytest.approx([-10 / s_diff, -4 / s_diff, 8 / s_diff])
    assert list(out.index) == ["r1", "r2", "r3", "r4"]
    assert out["direction"].iloc[:3].tolist() == ["decrease", "no reliable change", "increase"]
    assert pd.isna(out["direction"].iloc[3]) and np.isnan(out["rci"].iloc[3])
    # default sd: the pre-test SD
    out2 = rci([1.0, 2, 3, 4], [2.0, 2, 3, 5], 0.5)
    assert out2.attrs["sd"] == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
    with pytest.raises(DataError, match="same respondents"):
        rci([1, 2], [1, 2, 3], 0.8, sd=1)


# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges, and their Table 4 values
SF_RATINGS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
                       [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
SF_PUBLISHED = {"ICC1": 0.17, "ICC2": 0.29, "ICC3": 0.71, "ICC1k": 0.44, "ICC2k": 0.62,
                "ICC3k": 0.91}


@pytest.mark.parametrize("kind", list(SF_PUBLISHED))
def test_icc_shrout_fleiss_published_values(kind):
    res = icc(pd.DataFrame(SF_RATINGS), kind=kind)
    assert res.kind == kind and res.n == 6 and res.k == 4
    assert res.icc == pytest.approx(SF_PUBLISHED[kind], abs=0.005)
    assert res.ci_low < res.icc < res.ci_high
    assert res.table.loc[kind, "icc"] == res.icc


def test_icc_confidence_interval_full_precision():
    # Shrout & Fleiss case 1: F = BMS / WMS, bounds (F_L - 1) / (F_L + k - 1), F_L = F / F_.975
    from scipy.stats import f

    res = icc(SF_RATINGS, kind="ICC1")
    n, k = SF_RATINGS.shape
    fl = res.f / f.ppf(0.975, n - 1, n * (k - 1))
    fu = res.f * f.ppf(0.975, n * (k - 1), n - 1)
    assert res.ci_low == pytest.approx((fl - 1) / (fl + k - 1), abs=1e-12)
    assert res.ci_high == pytest.approx((fu - 1) / (fu + k - 1), abs=1e-12)


def _icc_case(case):
    if case.startswith("shrout_fleiss"):
        return pd.DataFrame(SF_RATINGS)
    if case == "hs_x456":
        return pd.read_csv(DATA / "HolzingerSwineford1939.csv")[["x4", "x5", "x6"]]
    return pd.read_csv(DATA / "bfi.csv")[["A2", "A3", "A4"]]


@pytest.mark.parametrize("case", ["shrout_fleiss", "shrout_fleiss_90", "hs_x456", "bfi_a234"])
def test_icc_matches_psych(case):
    ref = json.loads((DATA / "reference" / "icc_psych.json").read_text())[case]
    table = icc(_icc_case(case), level=1 - ref["alpha"]).table
    assert len(table) == len(ref["table"]) == 6
    for row in ref["table"].values():
        got = table.loc[row["type"]]
        assert (got["df1"], got["df2"]) == (row["df1"], row["df2"])
        for ours, theirs in [("icc", "icc"), ("f", "f"), ("pvalue", "p"),
                             ("ci_low", "lower"), ("ci_high", "upper")]:
            assert got[ours] == pytest.approx(row[theirs], abs=1e-9), (row["type"], ours)
    with pytest.raises(OptionError, match="level"):
        icc(_icc_case(case), level=1.5)


def test_icc_vectors_missing_and_output():
    t1 = pd.Series([9, 6, 8, 7, 10, 6, np.nan])
    t2 = pd.Series([8, 5, 8, 6, 9, 7, 3])
    res = icc(t1, t2)
    assert res.n == 6 and res.k == 2 and res.kind == "ICC2"
    d = json.loads(json.dumps(res.to_dict()))
    assert d["icc"] == pytest.approx(res.icc) and set(d["table"]) == set(SF_PUBLISHED)
    assert "ICC2" in res.summary()
    with pytest.raises(ValueError, match="kind"):
        icc(t1, t2, kind="ICC4")
    with pytest.raises(DataError, match="2 administrations"):
        icc(pd.DataFrame({"a": [1, 2, 3]}))


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------

def test_cli_reliability_json(capsys):
    from psychometrics.cli import main

    rc = main(["reliability", str(DATA / "bfi.csv"), "--instrument", str(BFI_INSTRUMENT),
               "--missing", "listwise", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    ref = _ref("bfi")["scales"]["C"]["complete_cases"]
    _close(out["subscales"]["C"]["alpha"], ref["total"]["raw_alpha"])
    assert out["subscales"]["C"]["n"] == ref["n_rows"]
    assert out["missing"] == "listwise"


def test_cli_reliability_table_and_error(capsys):
    from psychometrics.cli import main

    assert main(["reliability", str(DATA / "bfi.csv"), "--instrument", str(BFI_INSTRUMENT),
                 "--ci", "none"]) == 0
    assert "Items of A" in capsys.readouterr().out
    assert main(["reliability", str(DATA / "bfi.csv"), "--instrument", "no-such-thing"]) == 2
    assert "no-such-thing" in capsys.readouterr().err
