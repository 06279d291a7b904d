"""Rasch, partial credit and rating scale models by CML against eRm 1.0-2 (R 4.2.2).

References: tests/data/reference/{raschdat1,pcmdat2,bfi}_irt.json (copies of
../shared/reference, made by irt.R; see their ``notes``). Tolerances from the developers'
guide and issue 18: CML parameters and SEs 1e-3 absolute, conditional log-likelihood 1e-3
relative, fit mean squares 1e-3, LR statistics 1e-2 relative, non-extreme thetas 1e-3.
"""

from __future__ import annotations

import functools
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import psychometrics as pm
from psychometrics.errors import DataError, ModelError, OptionError

DATA = Path(__file__).parent / "data"
REF = DATA / "reference"

# dataset -> (reference file, csv, item columns or None for all, items_min)
DATASETS = {"raschdat1": ("raschdat1_irt.json", "raschdat1.csv", None),
            "pcmdat2": ("pcmdat2_irt.json", "pcmdat2.csv", None),
            "bfi": ("bfi_irt.json", "bfi.csv", ["N1", "N2", "N3", "N4", "N5"])}
FIT = {"RM": pm.rasch, "PCM": pm.pcm, "RSM": pm.rsm}

PAR_TOL = 1e-3      # CML parameters and SEs (absolute)
LL_REL = 1e-3       # conditional log-likelihood (relative)
FIT_TOL = 1e-3      # fit mean squares (and their t, personfit summaries)
LR_REL = 1e-2       # LR statistics (relative)
THETA_TOL = 1e-3    # person parameters


@functools.cache
def _ref(ds: str) -> dict:
    return json.loads((REF / DATASETS[ds][0]).read_text())


@functools.cache
def _frame(ds: str) -> pd.DataFrame:
    return pd.read_csv(DATA / DATASETS[ds][1])


def _items(ds: str) -> pd.DataFrame:
    ref, df, cols = _ref(ds), _frame(ds), DATASETS[ds][2]
    return (df[cols] if cols else df) - ref["items_min"]


@functools.cache
def _fit(ds: str, name: str):
    model = _ref(ds)["models"][name]["model"]
    return FIT[model](_items(ds))


CASES = [(ds, name) for ds in DATASETS for name in _ref(ds)["models"]]
IDS = [f"{ds}-{name}" for ds, name in CASES]


def _split(ds: str, split: str):
    return split if split in ("median", "mean") else _frame(ds)[split]


@pytest.mark.parametrize(("ds", "name"), CASES, ids=IDS)
def test_cml_loglik_and_parameters(ds, name):
    ref, res = _ref(ds)["models"][name], _fit(ds, name)
    assert res.loglik == pytest.approx(ref["loglik"], rel=LL_REL)
    assert res.npar == ref["npar"]
    assert res.converged
    assert res.items == ref["items_fitted"]
    assert res.items_excluded == ref["items_excluded"]
    assert res.n_rows == ref["n_rows_used"]
    assert [int(r) + 1 for r in np.flatnonzero(~res.kept)] == ref["rows_dropped"]
    assert res.person_params()["missing"].nunique() == ref["n_missing_patterns"]
    assert int(res.data.isna().sum().sum()) == ref["n_missing_cells"]
    assert res.data.max().astype(int).to_dict() == ref["categories_max"]
    beta_labels = [k.removeprefix("beta ") for k in ref["betapar"]]
    assert list(res.betas.index) == beta_labels
    np.testing.assert_allclose(res.betas["easiness"], list(ref["betapar"].values()), atol=PAR_TOL)
    np.testing.assert_allclose(res.betas["se"], list(ref["se_beta"].values()), atol=PAR_TOL)
    assert list(res.etas.index) == list(ref["etapar"])
    np.testing.assert_allclose(res.etas["eta"], list(ref["etapar"].values()), atol=PAR_TOL)
    np.testing.assert_allclose(res.etas["se"], list(ref["se_eta"].values()), atol=PAR_TOL)


@pytest.mark.parametrize(("ds", "name"), [c for c in CASES if c[1] == "RM"])
def test_rasch_difficulties(ds, name):
    ref, res = _ref(ds)["models"][name], _fit(ds, name)
    want = pd.DataFrame(ref["item_params"]).T
    np.testing.assert_allclose(res.item_params["difficulty"], want["difficulty"].astype(float),
                               atol=PAR_TOL)
    np.testing.assert_allclose(res.item_params["se"], want["se"].astype(float), atol=PAR_TOL)
    assert abs(res.item_params["difficulty"].sum()) < 1e-9


@pytest.mark.parametrize(("ds", "name"), [c for c in CASES if c[1] != "RM"],
                         ids=[i for c, i in zip(CASES, IDS) if c[1] != "RM"])
def test_thresholds_and_locations(ds, name):
    ref, res = _ref(ds)["models"][name], _fit(ds, name)
    for item, want in ref["thresholds"].items():
        k = want["n_thresholds"]
        np.testing.assert_allclose(res.thresholds.loc[item].to_numpy()[:k], want["thresholds"],
                                   atol=PAR_TOL)
        np.testing.assert_allclose(res.thresholds_se.loc[item].to_numpy()[:k],
                                   want["thresholds_se"], atol=PAR_TOL)
        assert res.item_params.loc[item, "location"] == pytest.approx(want["location"],
                                                                      abs=PAR_TOL)
        assert res.item_params.loc[item, "se"] == pytest.approx(want["location_se"],
                                                                abs=PAR_TOL)


@pytest.mark.parametrize(("ds", "name"), CASES, ids=IDS)
def test_person_parameters(ds, name):
    ref, res = _ref(ds)["models"][name]["person_parameters"], _fit(ds, name)
    patterns = ref["missing_patterns"] or [ref["complete"]]
    table = res.person_params()
    assert table["n"].sum() == ref["n_persons"]
    assert int(table.loc[table["interpolated"], "n"].sum()) == ref["n_extreme"]
    assert table["missing"].nunique() == len(patterns)
    for pattern in patterns:
        got = table[table["missing"] == ",".join(pattern["missing"])].set_index("raw_score")
        assert list(got.index) == [s["raw_score"] for s in pattern["scores"]]
        assert (got["max_score"] == pattern["max_score"]).all()
        for s in pattern["scores"]:
            row = got.loc[s["raw_score"]]
            assert row["n"] == s["n"]
            assert bool(row["interpolated"]) == s["interpolated"]
            if s["theta"] is None:
                assert np.isnan(row["theta"])
            else:
                assert row["theta"] == pytest.approx(s["theta"], abs=THETA_TOL)
            if s["se"] is None:
                assert np.isnan(row["se"])
            else:
                assert row["se"] == pytest.approx(s["se"], abs=PAR_TOL)


@pytest.mark.parametrize(("ds", "name"), CASES, ids=IDS)
def test_itemfit(ds, name):
    ref, res = _ref(ds)["models"][name]["itemfit"], _fit(ds, name)
    got = res.itemfit()
    assert list(got.index) == list(ref["table"])
    assert len(res.personfit()) == ref["n_persons"]
    want = pd.DataFrame(ref["table"]).T
    for col in ("outfit_msq", "infit_msq", "outfit_t", "infit_t"):
        np.testing.assert_allclose(got[col], want[col].astype(float), atol=FIT_TOL, err_msg=col)
    np.testing.assert_allclose(got["chisq"], want["chisq"].astype(float), rtol=1e-4)
    np.testing.assert_array_equal(got["df"], want["df"].astype(int))
    np.testing.assert_array_equal(got["n"], want["n_responses"].astype(int))
    np.testing.assert_allclose(got["pvalue"], want["p_value"].astype(float), atol=1e-3)
    np.testing.assert_allclose(got["discrim"], want["discrim"].astype(float), atol=1e-6)


@pytest.mark.parametrize(("ds", "name"), CASES, ids=IDS)
def test_personfit_and_separation(ds, name):
    ref, res = _ref(ds)["models"][name], _fit(ds, name)
    pf = res.personfit()
    want = ref["personfit"]
    assert len(pf) == want["n_persons"]
    for col in ("outfit_msq", "infit_msq", "outfit_t", "infit_t"):
        for stat, got in (("mean", pf[col].mean()), ("sd", pf[col].std()),
                          ("min", pf[col].min()), ("max", pf[col].max())):
            assert got == pytest.approx(want[col][stat], abs=FIT_TOL), (col, stat)
    assert int((pf["infit_t"] > 1.96).sum()) == want["n_infit_t_above_1.96"]
    sep = res.separation_reliability()
    want = ref["separation_reliability"]
    assert sep["reliability"] == pytest.approx(want["sep_rel"], abs=1e-3)
    assert sep["var_theta"] == pytest.approx(want["var_theta"], abs=1e-3)
    assert sep["mean_se2"] == pytest.approx(want["mean_se2"], abs=1e-3)


LR_CASES = [(ds, name, i) for ds, name in CASES
            for i in range(len(_ref(ds)["models"][name]["lrtest"]))]


@pytest.mark.parametrize(("ds", "name", "i"), LR_CASES,
                         ids=[f"{ds}-{n}-{_ref(ds)['models'][n]['lrtest'][i]['split']}"
                              for ds, n, i in LR_CASES])
def test_lr_test(ds, name, i):
    want = _ref(ds)["models"][name]["lrtest"][i]
    got = _fit(ds, name).lr_test(_split(ds, want["split"]))
    assert got.lr == pytest.approx(want["lr"], rel=LR_REL)
    assert got.df == want["df"]
    assert got.pvalue == pytest.approx(want["p_value"], abs=1e-4)
    assert got.loglik_full == pytest.approx(want["loglik_full"], rel=LL_REL)
    assert got.loglik_groups == pytest.approx(want["loglik_groups_sum"], rel=LL_REL)
    assert got.items_excluded == want["items_excluded"]
    assert list(got.groups.index) == [g["label"] for g in want["groups"]]
    for g in want["groups"]:
        assert got.groups.loc[g["label"], "n"] == g["n_persons"]
        assert got.groups.loc[g["label"], "loglik"] == pytest.approx(g["loglik"], rel=LL_REL)
        np.testing.assert_allclose(got.betas[(g["label"], "easiness")],
                                   list(g["betapar"].values()), atol=PAR_TOL)
        np.testing.assert_allclose(got.betas[(g["label"], "se")], g["se_beta"], atol=PAR_TOL)


WALD_CASES = [(ds, name, i) for ds, name in CASES
              for i in range(len(_ref(ds)["models"][name]["waldtest"]))]


@pytest.mark.parametrize(("ds", "name", "i"), WALD_CASES,
                         ids=[f"{ds}-{n}-{_ref(ds)['models'][n]['waldtest'][i]['split']}"
                              for ds, n, i in WALD_CASES])
def test_wald_test(ds, name, i):
    want = _ref(ds)["models"][name]["waldtest"][i]
    got = _fit(ds, name).wald_test(_split(ds, want["split"]))
    assert (got.group_1, got.group_2) == (want["group_1"], want["group_2"])
    assert got.items_excluded == want["items_excluded"]
    table = pd.DataFrame(want["table"]).T
    assert list(got.table.index) == list(table.index)
    for col, ref_col in (("z", "z"), ("pvalue", "p_value"), ("beta_1", "beta_1"),
                         ("se_1", "se_1"), ("beta_2", "beta_2"), ("se_2", "se_2")):
        np.testing.assert_allclose(got.table[col], table[ref_col].astype(float), atol=PAR_TOL,
                                   err_msg=col)


# ----------------------------------------------------------------------------- behaviour

def test_public_api_and_results_serialise():
    res = _fit("pcmdat2", "PCM")
    d = res.to_dict()
    json.dumps(d)
    assert d["loglik"] == res.loglik and "item_params" in d and "data" not in d
    assert "partial credit model" in res.summary()
    lr = res.lr_test()
    json.dumps(lr.to_dict())
    assert "LR = " in lr.summary()
    wald = res.wald_test()
    json.dumps(wald.to_dict())
    assert "Wald test" in wald.summary()


def test_person_scores_keep_respondent_ids_and_order():
    items = _items("bfi")
    items.index = _frame("bfi")["id"].astype(str)
    res = pm.pcm(items)
    scores = res.person_scores()
    assert list(scores.index) == list(items.index)
    table = res.person_params().set_index(["missing", "raw_score"])
    row = scores.iloc[10]
    assert row["theta"] == pytest.approx(table.loc[(row["missing"], row["raw_score"]), "theta"])
    np.testing.assert_array_equal(scores["raw_score"], items.sum(axis=1).astype(int))


def test_split_series_is_aligned_on_index():
    items = _items("bfi")
    gender = _frame("bfi")["gender"]
    res = _fit("bfi", "N_PCM")
    by_array = res.lr_test(gender.to_numpy())
    shuffled = gender.sample(frac=1.0, random_state=3)  # same values, other order
    by_series = res.lr_test(shuffled)
    assert by_series.lr == pytest.approx(by_array.lr, rel=1e-12)
    assert list(res.data.index) == list(items.index)


@settings(max_examples=8, deadline=None)
@given(perm=st.permutations(range(4)))
def test_item_order_permutes_parameters(perm):
    items = _items("pcmdat2")
    base = _fit("pcmdat2", "PCM")
    cols = [items.columns[j] for j in perm]
    res = pm.pcm(items[cols])
    pd.testing.assert_frame_equal(res.thresholds.loc[base.items], base.thresholds,
                                  atol=1e-7, check_exact=False)
    pd.testing.assert_frame_equal(res.item_params.loc[base.items], base.item_params,
                                  atol=1e-7, check_exact=False)
    assert res.loglik == pytest.approx(base.loglik, rel=1e-12)


@settings(max_examples=8, deadline=None)
@given(perm=st.permutations(range(10)))
def test_rasch_item_order_permutes_difficulties(perm):
    items = _items("raschdat1").iloc[:, :10]
    base = pm.rasch(items)
    res = pm.rasch(items.iloc[:, list(perm)])
    pd.testing.assert_frame_equal(res.item_params.loc[base.items], base.item_params,
                                  atol=1e-7, check_exact=False)


def test_data_are_not_mutated():
    items = _items("bfi")
    items.iloc[0, 0] = np.nan
    before = items.copy()
    res = pm.rsm(items)
    res.person_params(), res.itemfit(), res.personfit(), res.lr_test(), res.wald_test()
    pd.testing.assert_frame_equal(items, before)


def test_rows_with_fewer_than_two_answers_are_left_out():
    items = _items("pcmdat2").astype(float)
    items.iloc[[3, 7], 1:] = np.nan
    with pytest.warns(UserWarning, match="fewer than two answered items"):
        res = pm.pcm(items)
    assert res.rows_dropped == [3, 7]
    assert res.n_rows == len(items) - 2
    # a respondent answering one item carries no conditional information: same estimates
    ref = pm.pcm(items.drop(index=[3, 7]))
    assert res.loglik == pytest.approx(ref.loglik, rel=1e-12)
    # a split given for every original row is reduced to the rows used
    split = np.arange(len(items)) % 2
    assert res.lr_test(split).lr == pytest.approx(
        ref.lr_test(split[np.r_[0:3, 4:7, 8:len(items)]]).lr, rel=1e-12)


def test_constant_item_is_excluded_as_erm_does():
    items = _items("raschdat1").iloc[:, :6].copy()
    items["I6"] = 0
    with pytest.warns(UserWarning, match="excluded"):
        res = pm.rasch(items)
    assert res.items_excluded == ["I6"]
    assert res.items == ["I1", "I2", "I3", "I4", "I5"]


@functools.cache
def _extra() -> dict:
    """eRm results for cases the shared references lack (tests/data/r/erm_extra_irt.R)."""
    return json.loads((DATA / "r" / "erm_extra_irt.json").read_text())


def test_lr_test_drops_items_not_estimable_in_a_group():
    want = _extra()["rm_excluded"]
    items = _items("raschdat1").iloc[:, :8].copy()
    group = np.r_[np.zeros(50, int), np.ones(50, int)]
    items.loc[group == 1, "I3"] = 0   # I3 is never 1 in group 1
    res = pm.rasch(items)
    assert res.loglik == pytest.approx(want["loglik_full"], rel=LL_REL)
    with pytest.warns(UserWarning, match="not estimable"):
        lr = res.lr_test(group)
    assert lr.items_excluded == ["I3"]
    refit = pm.rasch(items.drop(columns="I3"))
    assert lr.loglik_full == pytest.approx(refit.loglik, rel=1e-12)
    assert lr.lr == pytest.approx(want["lr"], rel=LR_REL)
    assert lr.df == want["df"]
    np.testing.assert_allclose(lr.groups["loglik"], want["loglik_groups"], rtol=LL_REL)


def test_pcm_tests_drop_an_item_missing_a_category_in_a_group():
    want = _extra()["pcm_excluded"]
    items = _items("pcmdat2").copy()
    group = np.tile([1, 2], 150)
    items.loc[(group == 2) & (items["I1"] == 2), "I1"] = 1
    res = pm.pcm(items)
    with pytest.warns(UserWarning, match="not estimable"):
        lr = res.lr_test(group)
    assert lr.items_excluded == ["I1"]
    assert lr.lr == pytest.approx(want["lr"], rel=LR_REL)
    assert lr.df == want["df"]
    np.testing.assert_allclose(lr.groups["loglik"], want["loglik_groups"], rtol=LL_REL)
    with pytest.warns(UserWarning, match="not estimable"):
        wald = res.wald_test(group)
    assert list(wald.table.index) == want["wald_names"]
    np.testing.assert_allclose(wald.table["z"], want["wald_z"], atol=PAR_TOL)


def test_mean_split_with_missing_answers_is_within_pattern():
    want = _extra()["bfi_rsm_mean"]
    lr = _fit("bfi", "N_RSM").lr_test("mean")
    assert lr.lr == pytest.approx(want["lr"], rel=LR_REL)
    assert lr.df == want["df"]
    np.testing.assert_allclose(lr.groups["loglik"], want["loglik_groups"], rtol=LL_REL)


@pytest.mark.parametrize(("fit", "values", "match"), [
    (pm.rasch, {"a": [0, 1, 2, 0], "b": [1, 0, 1, 0]}, "0/1 answers"),
    (pm.pcm, {"a": [0, 1.5, 2, 0], "b": [1, 0, 1, 0]}, "whole numbers"),
    (pm.pcm, {"a": [0, -1, 2, 0], "b": [1, 0, 1, 0]}, "whole numbers"),
    (pm.pcm, {"a": [0, 2, 2, 0], "b": [1, 0, 1, 0]}, r"category \[1\]"),
    (pm.pcm, {"a": [1, 2, 3, 2], "b": [1, 0, 1, 0]}, "recode every item to start at 0"),
    (pm.rsm, {"a": [0, 1, 2, 0], "b": [1, 0, 1, 0]}, "same highest category"),
    (pm.pcm, {"a": [0, 1, "x", 0], "b": [1, 0, 1, 0]}, "non-numeric"),
    (pm.rasch, {"a": [np.nan] * 4, "b": [1, 0, 1, 0]}, "no answers at all"),
    (pm.rasch, {"a": [0, 1, 0, 1]}, "at least 2 item"),
])
def test_bad_input_is_refused(fit, values, match):
    with pytest.raises(DataError, match=match):
        fit(pd.DataFrame(values))


def test_ill_conditioned_data_are_refused():
    # a and b are never answered below c or d: no common scale for {a, b} and {c, d}
    x = pd.DataFrame({"a": [1, 1, 0, 1, 1], "b": [1, 0, 1, 1, 1],
                      "c": [0, 0, 0, 1, 0], "d": [0, 0, 0, 0, 1]})
    with pytest.raises(DataError, match="ill-conditioned"):
        pm.rasch(x)
    # Guttman-perfect answers: every item is its own group
    guttman = pd.DataFrame((np.arange(6)[:, None] > np.arange(4)[None, :]).astype(int),
                           columns=list("abcd"))
    with pytest.raises(DataError, match=r"4 groups .*\['a'\]"):
        pm.rasch(guttman)


def test_polytomous_items_that_never_cross_can_still_be_estimated():
    # nobody scores b above a, but points can be traded within a raw score: the PCM
    # estimates exist (eRm 1.0-2: loglik -7.524125, betapar below, code 1)
    x = pd.DataFrame({"a": [2, 1, 0, 1, 2, 1, 0, 2], "b": [1, 1, 0, 0, 0, 1, 0, 1],
                      "c": [1, 2, 0, 1, 2, 0, 1, 1]})
    res = pm.pcm(x)
    assert res.loglik == pytest.approx(-7.524125, abs=1e-6)
    np.testing.assert_allclose(res.betas["easiness"],
                               [0.7424384, -0.2781583, -0.5282293, 0.8342794, -0.7703303],
                               atol=PAR_TOL)
    np.testing.assert_allclose(res.betas["se"],
                               [0.9797209, 1.0009314, 0.8895470, 0.9417578, 1.0111238],
                               atol=PAR_TOL)


def test_nonexistent_polytomous_estimates_are_a_model_error():
    # a, b are never answered below c, d: no finite CML estimates; with 0/1 answers fitted
    # as a PCM the divergence is caught by the optimiser, not by eRm's RM-only check
    x = pd.DataFrame({"a": [1, 1, 0, 1, 1], "b": [1, 0, 1, 1, 1],
                      "c": [0, 0, 0, 1, 0], "d": [0, 0, 0, 0, 1]})
    with pytest.raises(ModelError, match="estimates do not exist"):
        pm.pcm(x)


def test_bad_split_is_refused():
    res = _fit("pcmdat2", "PCM")
    with pytest.raises(OptionError) as err:
        res.lr_test("quartile")
    assert err.value.option == "split"
    with pytest.raises(DataError, match="300 respondents"):
        res.lr_test([0, 1, 0])
    with pytest.raises(DataError, match="missing group"):
        res.lr_test(np.r_[np.zeros(299), np.nan])
    with pytest.raises(DataError, match="exactly two groups"):
        res.wald_test(np.arange(300) % 3)
    with pytest.raises(DataError, match="two groups"):
        res.lr_test(np.zeros(300))
    with pytest.raises(DataError, match="mixes numbers and text"):
        res.lr_test(np.r_[np.zeros(150), np.full(150, "fr", dtype=object)].astype(object))
    dup = pm.pcm(_items("pcmdat2").set_axis(np.arange(300) % 150))
    with pytest.raises(DataError, match="duplicated respondent ids"):
        dup.lr_test(pd.Series(np.arange(300) % 2, index=np.arange(300) % 150))


def test_categorical_split_keeps_its_level_order():
    res = _fit("pcmdat2", "PCM")
    lang = pd.Series(np.where(np.arange(300) % 3 == 0, "nl", "fr"), index=res.data.index)
    ordered = lang.astype(pd.CategoricalDtype(["nl", "fr"]))
    plain, cat = res.wald_test(lang), res.wald_test(ordered)
    assert (plain.group_1, plain.group_2) == ("fr", "nl")   # sorted, as R's factor()
    assert (cat.group_1, cat.group_2) == ("nl", "fr")
    np.testing.assert_allclose(cat.table["z"], -plain.table["z"], rtol=1e-12)


def test_no_warnings_on_clean_data():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pm.rasch(_items("raschdat1"))


# ----------------------------------------------------------------------------- engine

def _simulated_pcm(seed: int, n: int = 300, k: int = 5, m: int = 3, missing: float = 0.1):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=(n, 1))
    cum = np.concatenate([np.zeros((k, 1)), -np.cumsum(np.sort(rng.normal(size=(k, m)), 1), 1)],
                         axis=1)
    logit = theta[:, :, None] * np.arange(m + 1) + cum[None]
    p = np.exp(logit - logit.max(axis=2, keepdims=True))
    p /= p.sum(axis=2, keepdims=True)
    x = (p.cumsum(axis=2) < rng.random((n, k, 1))).sum(axis=2).astype(float)
    x[rng.random(x.shape) < missing] = np.nan
    return pd.DataFrame(x, columns=[f"q{j + 1}" for j in range(k)])


@pytest.mark.parametrize("model", ["PCM", "RSM"])
def test_analytic_gradient_and_hessian_match_finite_differences(model):
    from psychometrics.irt import cml

    x = _simulated_pcm(5).to_numpy()
    m = np.full(x.shape[1], 3)
    pat = cml.prepare(x, m)
    assert len(pat.answered) > 5  # several missing-value patterns
    beta = cml.design_matrix(model, m) @ np.random.default_rng(1).normal(
        scale=0.5, size=cml.design_matrix(model, m).shape[1])
    ll, grad, info = cml.loglik_derivatives(beta, pat)
    step = 1e-5
    eye = np.eye(len(beta))
    num_grad = np.array([(cml.loglik_derivatives(beta + step * e, pat, False)[0]
                          - cml.loglik_derivatives(beta - step * e, pat, False)[0]) / (2 * step)
                         for e in eye])
    num_hess = np.array([(cml.loglik_derivatives(beta + step * e, pat, False)[1]
                          - cml.loglik_derivatives(beta - step * e, pat, False)[1]) / (2 * step)
                         for e in eye])
    np.testing.assert_allclose(grad, num_grad, atol=1e-5)
    np.testing.assert_allclose(info, -num_hess, atol=1e-5)
    # the gradient-only path (forward-backward) gives the same gradient
    np.testing.assert_allclose(cml.loglik_derivatives(beta, pat, False)[1], grad, atol=1e-9)
    # the cheap approximation that steers the iterations is positive semi-definite and
    # close to the exact information (it only chooses directions; SEs use the exact one)
    approx = cml.approx_information(beta, pat)
    assert np.linalg.eigvalsh(approx).min() > -1e-8
    assert np.linalg.norm(approx - info) < 0.25 * np.linalg.norm(info)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_row_order_does_not_matter_and_gradient_vanishes(seed):
    from psychometrics.irt import cml

    items = _simulated_pcm(seed)
    shuffled = items.sample(frac=1.0, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # rows with < 2 answers are left out
        res, res2 = pm.pcm(items), pm.pcm(shuffled)
    assert sorted(res.rows_dropped) == sorted(res2.rows_dropped)
    pd.testing.assert_frame_equal(res.thresholds, res2.thresholds, atol=1e-8, check_exact=False)
    pd.testing.assert_frame_equal(res2.person_scores().loc[res.data.index],
                                  res.person_scores(), atol=1e-8, check_exact=False)
    pat = cml.prepare(res.data.to_numpy(), res.data.max().astype(int).to_numpy())
    _, grad, _ = cml.loglik_derivatives(res.betas["easiness"].to_numpy(), pat, False)
    w = cml.design_matrix("PCM", res.data.max().astype(int).to_numpy())
    assert np.max(np.abs(w.T @ grad)) < 1e-6
    assert abs(res.betas["easiness"].sum()) < 1e-9   # eRm's sum-zero normalisation


def test_two_items_work_and_degenerate_discrimination_is_nan_without_warnings():
    rng = np.random.default_rng(3)
    x = (rng.normal(size=(300, 1)) + rng.logistic(size=(300, 2)) > [-0.5, 0.5]).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = pm.rasch(x)
        fit = res.itemfit()
    assert res.item_params["difficulty"].iloc[0] == pytest.approx(
        -res.item_params["difficulty"].iloc[1])
    assert fit["discrim"].isna().all()     # every estimable person has raw score 1
    assert pm.rsm(x).loglik == pytest.approx(res.loglik, rel=1e-12)  # RSM with m = 1 is RM
    with pytest.raises(DataError, match="no items with appropriate response patterns"):
        res.lr_test("median")            # the high group answered both items 1, as eRm
