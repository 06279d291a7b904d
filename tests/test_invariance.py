"""Measurement invariance (configural/metric/scalar/strict) against lavaan + lavTestLRT."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from psychometrics.cli import main
from psychometrics.errors import ModelError
from psychometrics.factor.invariance import invariance

DATA = Path(__file__).parent / "data"
REF = DATA / "reference"
TOL = 1e-3
DATASETS = {"hs": ("hs_cfa.json", "HolzingerSwineford1939.csv", "school"),
            "bfi": ("bfi_cfa.json", "bfi.csv", "gender")}
FIT_KEYS = ["npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
            "logl", "unrestricted.logl", "aic", "bic", "rmsea", "rmsea.ci.lower",
            "rmsea.ci.upper", "srmr", "srmr_bentler_nomean", "rmr", "rmr_nomean",
            "crmr_nomean"]
LEVELS = ["configural", "metric", "scalar", "strict"]
_cache: dict = {}


def _ref(ds):
    return json.loads((REF / DATASETS[ds][0]).read_text())


def _inv(ds):
    if ds not in _cache:
        ref = _ref(ds)
        data = pd.read_csv(DATA / DATASETS[ds][1])
        _cache[ds] = (invariance(data, ref["model"], group=DATASETS[ds][2]), ref["invariance"])
    return _cache[ds]


@pytest.mark.parametrize("ds,level,stat", [
    pytest.param(ds, lv, k, id=f"{ds}-{lv}-{k}") for ds in DATASETS for lv in LEVELS
    for k in FIT_KEYS])
def test_models_match_lavaan(ds, level, stat):
    res, ref = _inv(ds)
    assert res.fits[level].fit[stat] == pytest.approx(ref["models"][level]["fit"][stat],
                                                      abs=TOL, rel=0)


@pytest.mark.parametrize("ds,level", [pytest.param(ds, lv, id=f"{ds}-{lv}")
                                      for ds in DATASETS for lv in LEVELS])
def test_estimates_match_lavaan(ds, level):
    res, ref = _inv(ds)
    est = res.fits[level].estimates.set_index(["lhs", "op", "rhs", "group"])
    rows = ref["models"][level]["estimates"]
    assert len(est) == len(rows)
    for row in rows:
        e = est.loc[(row["lhs"], row["op"], row["rhs"] or "", row["group"])]
        for col in ("est", "se", "std.all"):
            assert e[col] == pytest.approx(row[col], abs=TOL), (row, col)


@pytest.mark.parametrize("ds,stat", [
    pytest.param(ds, k, id=f"{ds}-{k}") for ds in DATASETS
    for k in ("chisq_diff", "df_diff", "p_value", "rmsea_diff", "aic", "bic")])
def test_lrt_matches_lavTestLRT(ds, stat):
    res, ref = _inv(ds)
    col = {"p_value": "p_diff"}.get(stat, stat)
    for row in ref["lrt"]:
        ours = res.table.loc[row["model"], col]
        if row[stat] is None:
            assert np.isnan(ours)
        else:
            assert ours == pytest.approx(row[stat], abs=TOL, rel=1e-6), row["model"]


@pytest.mark.parametrize("ds,stat", [pytest.param(ds, k, id=f"{ds}-delta_{k}")
                                     for ds in DATASETS for k in ("cfi", "tli", "rmsea", "srmr")])
def test_deltas_match(ds, stat):
    res, ref = _inv(ds)
    for level, d in ref["delta"].items():
        assert res.table.loc[level, f"delta_{stat}"] == pytest.approx(d[stat], abs=TOL)


def test_group_metadata_and_dict():
    res, ref = _inv("hs")
    assert res.group_labels == ref["group_labels"]
    assert res.group_nobs == ref["group_nobs"]
    assert list(res.table.index) == LEVELS
    d = res.to_dict()
    json.dumps(d)
    assert d["table"]["metric"]["df_diff"] == 6
    assert "invariance" in res.summary().lower()


def test_metric_loadings_are_equal_across_groups():
    res, _ = _inv("hs")
    e = res.fits["metric"].estimates
    load = e[e["op"] == "=~"].pivot_table(index=["lhs", "rhs"], columns="group", values="est")
    np.testing.assert_allclose(load[1], load[2])
    conf = res.fits["configural"].estimates
    lc = conf[conf["op"] == "=~"].pivot_table(index=["lhs", "rhs"], columns="group",
                                               values="est")
    assert np.abs(lc[1] - lc[2]).max() > 0.01


def test_mlr_uses_scaled_difference():
    ref = _ref("hs")
    hs = pd.read_csv(DATA / "HolzingerSwineford1939.csv")
    res = invariance(hs, ref["model"], group="school", estimator="MLR",
                     levels=("configural", "metric"))
    f0, f1 = res.fits["metric"].fit, res.fits["configural"].fit
    cd = (f0["df"] * f0["chisq.scaling.factor"] - f1["df"] * f1["chisq.scaling.factor"]) / 6
    assert res.table.loc["metric", "chisq_diff"] == pytest.approx(
        (f0["chisq"] - f1["chisq"]) / cd)
    assert res.lrt_method.startswith("Satorra")


def test_bad_levels():
    hs = pd.read_csv(DATA / "HolzingerSwineford1939.csv")
    with pytest.raises(ModelError, match="levels"):
        invariance(hs, "f =~ x1 + x2 + x3", group="school", levels=("metric", "configural"))
    with pytest.raises(ModelError, match="estimator"):
        invariance(hs, "f =~ x1 + x2 + x3", group="school", estimator="WLSMV")


def test_cli_cfa_and_invariance(capsys):
    path = str(DATA / "HolzingerSwineford1939.csv")
    model = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
    assert main(["cfa", path, "--model", model, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = _ref("hs")
    assert out["chisq"] == pytest.approx(ref["fits"]["ML"]["fit"]["chisq"], abs=TOL)
    assert out["df"] == 24
    assert main(["invariance", path, "--model", model, "--group", "school",
                 "--levels", "configural,metric", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (lrt,) = [r for r in ref["invariance"]["lrt"] if r["model"] == "metric"]
    assert out["table"]["metric"]["chisq_diff"] == pytest.approx(lrt["chisq_diff"], abs=TOL)
    assert main(["cfa", path, "--model", "f =~ x1 + nope"]) == 2
    assert "nope" in capsys.readouterr().err
