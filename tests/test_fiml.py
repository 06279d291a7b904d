"""FIML (lavaan missing = "ml") for the CFA engine: bfi MLR_fiml reference and properties."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _lavaan import assert_estimates_match
from hypothesis import given, settings
from hypothesis import strategies as st

from psychometrics.errors import DataError, ModelError
from psychometrics.factor.cfa import CFAResult, cfa
from psychometrics.factor.fiml import FIMLProblem, _first_order, _h1_observed
from psychometrics.factor.missing import em_moments, loglik, missing_patterns
from psychometrics.factor.model import Model, vech_indices

DATA = Path(__file__).parent / "data"
REF = DATA / "reference"
TOL = 1e-3
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
HS_ITEMS = [f"x{i}" for i in range(1, 10)]
_cache: dict = {}


def _bfi_ref() -> dict:
    if "ref" not in _cache:
        _cache["ref"] = json.loads((REF / "bfi_cfa.json").read_text())
    return _cache["ref"]


def _bfi_fit() -> tuple[CFAResult, dict]:
    if "fit" not in _cache:
        ref = _bfi_ref()
        opts = ref["fits"]["MLR_fiml"]["options"]
        assert opts == {"name": "MLR_fiml", "estimator": "MLR", "missing": "ml"}
        data = pd.read_csv(DATA / "bfi.csv")
        _cache["fit"] = cfa(data, ref["model"], estimator="MLR", missing="ml")
    return _cache["fit"], _bfi_ref()["fits"]["MLR_fiml"]


def _hs() -> pd.DataFrame:
    return pd.read_csv(DATA / "HolzingerSwineford1939.csv")


def _hs_missing(seed: int = 1, rate: float = 0.1) -> pd.DataFrame:
    hs = _hs()
    rng = np.random.default_rng(seed)
    for c in ("x1", "x4", "x5", "x7", "x9"):
        hs.loc[rng.random(len(hs)) < rate, c] = np.nan
    return hs


# ---------------------------------------------------------------- lavaan reference (bfi)
_REF_FIT = _bfi_ref()["fits"]["MLR_fiml"]["fit"]
# every fitMeasures value the engine computes (gfi/agfi/ecvi/cn/mfi/srmr_mplus are not)
FIT_KEYS = [k for k in _REF_FIT if k not in {
    "srmr_mplus", "srmr_mplus_nomean", "cn_05", "cn_01", "gfi", "agfi", "pgfi", "mfi", "ecvi"}]

# Compared at 1e-6 relative instead of 1e-3 absolute, and only these keys: lavaan fits the
# FIML baseline (independence) model with its own optimizer, which stops ~1e-7 relative
# from the optimum, so a chisq of ~16771 differs from ours by ~1.5e-3 in absolute terms.
REL_KEYS = {"baseline.chisq.scaled"}


@pytest.mark.parametrize("stat", FIT_KEYS, ids=[f"bfi-MLR_fiml-{k}" for k in FIT_KEYS])
def test_fit_measures_match_lavaan(stat):
    res, ref = _bfi_fit()
    expected = ref["fit"][stat]
    assert stat in res.fit, f"{stat} not computed"
    if stat in REL_KEYS:
        assert res.fit[stat] == pytest.approx(expected, rel=1e-6, abs=0)
    else:
        assert res.fit[stat] == pytest.approx(expected, abs=TOL, rel=0)


@pytest.mark.parametrize("col", ["est", "se", "z", "std.lv", "std.all"],
                         ids=lambda c: f"bfi-MLR_fiml-{c}")
def test_estimates_match_lavaan(col):
    res, ref = _bfi_fit()
    est = res.estimates
    assert len(est) == len(ref["estimates"]) == 95  # 85 free + 5 markers + 5 factor means
    assert_estimates_match(est, ref["estimates"], col)


def test_meta_matches_lavaan():
    res, ref = _bfi_fit()
    assert res.n == ref["nobs"] == 2800  # FIML keeps every respondent (listwise: 2436)
    assert res.npar == ref["npar"]
    assert res.converged and ref["converged"]
    assert (res.estimator, res.test, res.se) == (ref["estimator"], ref["test"], ref["se"])
    assert res.options["missing"] == "fiml"
    for f, items in ref["std_loadings"].items():
        for item, v in items.items():
            assert res.std_loadings.loc[item, f] == pytest.approx(v, abs=TOL)
    json.dumps(res.to_dict())
    assert "cfi.robust" in res.summary()


def test_fiml_uses_all_rows_listwise_does_not():
    data = pd.read_csv(DATA / "bfi.csv")
    items = _bfi_ref()["observed"]
    complete = int(data[items].notna().all(axis=1).sum())
    res, _ = _bfi_fit()
    assert complete == 2436 and res.n == len(data) == 2800
    # a respondent with no answered model item carries no information and is dropped
    hs = _hs_missing()
    hs.loc[[3, 7], HS_ITEMS] = np.nan
    fit = cfa(hs, HS_MODEL, missing="fiml")
    assert fit.n == len(hs) - 2
    lw = cfa(hs, HS_MODEL)
    assert lw.n == int(hs[HS_ITEMS].notna().all(axis=1).sum()) < fit.n


# ---------------------------------------------------------------- properties
def test_complete_data_fiml_equals_listwise_ml():
    """Without missing values FIML is the ML fit (plus saturated intercepts)."""
    hs = _hs()
    lw = cfa(hs, HS_MODEL)
    fi = cfa(hs, HS_MODEL, missing="fiml")
    for k in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
              "rmsea.ci.upper", "logl", "unrestricted.logl", "baseline.chisq", "nfi"):
        assert fi[k] == pytest.approx(lw[k], rel=1e-8, abs=1e-9), k
    assert fi["srmr_bentler_nomean"] == pytest.approx(lw["srmr"], abs=1e-8)
    # the intercepts add p parameters and p moments
    assert fi.npar == lw.npar + 9 and fi["aic"] == pytest.approx(lw["aic"] + 18, rel=1e-10)
    m = lw.estimates.merge(fi.estimates, on=["lhs", "op", "rhs"])
    np.testing.assert_allclose(m["est_y"], m["est_x"], atol=1e-6)
    icpt = fi.estimates[(fi.estimates["op"] == "~1") & fi.estimates["lhs"].isin(HS_ITEMS)]
    np.testing.assert_allclose(icpt["est"], hs[HS_ITEMS].mean().to_numpy(), atol=1e-6)


def test_complete_data_fiml_mlr_equals_listwise_mlr():
    """Same bread (observed Hessian) and meat: sandwich SEs and the YB test agree."""
    hs = _hs()
    lw = cfa(hs, HS_MODEL, estimator="MLR")
    fi = cfa(hs, HS_MODEL, estimator="MLR", missing="ml")
    for k in ("chisq", "chisq.scaled", "chisq.scaling.factor", "cfi.scaled", "rmsea.scaled"):
        assert fi[k] == pytest.approx(lw[k], rel=1e-6), k
    m = lw.estimates.merge(fi.estimates, on=["lhs", "op", "rhs"])
    np.testing.assert_allclose(m["se_y"], m["se_x"], atol=1e-6)


def test_complete_data_multigroup_fiml_equals_listwise():
    hs = _hs()
    lw = cfa(hs, HS_MODEL, group="school", group_equal=["loadings"])
    fi = cfa(hs, HS_MODEL, group="school", group_equal=["loadings"], missing="fiml")
    assert fi.nobs == lw.nobs and fi.npar == lw.npar
    for k in ("chisq", "df", "logl", "aic", "bic", "cfi", "rmsea", "srmr"):
        assert fi[k] == pytest.approx(lw[k], rel=1e-7), k


def test_multigroup_fiml_with_missing_values():
    hs = _hs_missing(3)
    res = cfa(hs, HS_MODEL, group="school", estimator="MLR", missing="fiml")
    assert res.n == len(hs) and sum(res.nobs) == len(hs)
    assert res["df"] == 48 and res.converged
    # chisq is twice the log-likelihood gap to the EM saturated model
    assert res["chisq"] == pytest.approx(2 * (res["unrestricted.logl"] - res["logl"]))
    # the saturated model is em_moments within each group
    ems = [em_moments(hs[hs["school"] == g], HS_ITEMS) for g in res.groups]
    assert [e.n for e in ems] == res.nobs
    assert res["unrestricted.logl"] == pytest.approx(sum(e.logl for e in ems), rel=1e-10)
    lw = cfa(hs, HS_MODEL, group="school", estimator="MLR")
    assert lw.n < res.n


def test_em_moments_complete_data_are_ml_sample_moments():
    hs = _hs()[HS_ITEMS]
    em = em_moments(hs)
    np.testing.assert_allclose(em.mean, hs.mean(), atol=1e-12)
    np.testing.assert_allclose(em.cov, np.cov(hs.T, bias=True), atol=1e-10)
    assert em.iterations <= 2
    json.dumps(em.to_dict())
    assert "Covariances" in em.summary()


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), rate=st.floats(0.05, 0.3))
def test_em_is_the_saturated_maximum(seed, rate):
    """At the EM estimates the casewise scores of the saturated model sum to zero."""
    hs = _hs_missing(seed, rate)
    X = hs[HS_ITEMS].to_numpy()
    gp = missing_patterns(X)
    em = em_moments(hs, HS_ITEMS)
    mu, S = em.mean.to_numpy(), em.cov.to_numpy()
    from psychometrics.factor.fiml import _scores
    total = sum(U.sum(axis=0) for U in _scores(gp, mu, S))
    assert np.max(np.abs(total)) < 1e-6 * len(X)
    assert em.logl == pytest.approx(loglik(gp, mu, S))
    rng = np.random.default_rng(seed)
    E = rng.normal(scale=0.02, size=S.shape)
    assert loglik(gp, mu + 0.05, S + (E + E.T) / 2) < em.logl


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_fiml_gradient_matches_finite_differences(seed):
    hs = _hs_missing(seed % 7)
    mdl = Model.from_syntax(HS_MODEL, HS_ITEMS, meanstructure=True)
    gp = missing_patterns(hs[HS_ITEMS].to_numpy())
    prob = FIMLProblem(mdl, [gp], [0.0])
    rng = np.random.default_rng(seed)
    th = mdl.start([np.cov(hs[HS_ITEMS].dropna().T)], [hs[HS_ITEMS].mean().to_numpy()])
    th = th * rng.uniform(0.9, 1.1, th.size)
    g = prob.grad(th)
    num = np.array([(prob.fun(th + e) - prob.fun(th - e)) / 2e-6
                    for e in np.eye(th.size) * 1e-6])
    np.testing.assert_allclose(g, num, atol=1e-6)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_h1_observed_information_is_the_hessian(seed):
    """lavaan's observed h1 information is the exact Hessian of -logl/N (at any point)."""
    rng = np.random.default_rng(seed)
    p = 4
    X = rng.multivariate_normal(np.zeros(p), np.eye(p) + 0.5, size=60)
    X[rng.random(X.shape) < 0.2] = np.nan
    X = X[~np.isnan(X).all(axis=1)]
    gp = missing_patterns(X)
    mu = rng.normal(scale=0.2, size=p)
    S = np.eye(p) + 0.4 + np.diag(rng.uniform(0, 0.5, p))
    r, c = vech_indices(p)

    def f(v):
        Sg = np.zeros((p, p))
        Sg[r, c] = v[:len(r)]
        Sg[c, r] = v[:len(r)]
        return -loglik(gp, v[len(r):], Sg) / gp.N

    x0 = np.r_[S[r, c], mu]
    h = 1e-4
    E = np.eye(x0.size) * h
    H = np.array([[(f(x0 + a + b) - f(x0 + a - b) - f(x0 - a + b) + f(x0 - a - b)) / (4 * h * h)
                   for b in E] for a in E])
    np.testing.assert_allclose(_h1_observed(gp, mu, S), H, atol=2e-5)
    B = _first_order(gp, mu, S)
    assert np.allclose(B, B.T) and np.all(np.linalg.eigvalsh(B) > -1e-10)


# ---------------------------------------------------------------- options and errors
def test_ml_alias_and_no_mutation():
    hs = _hs_missing()
    before = hs.copy()
    a = cfa(hs, HS_MODEL, missing="ml")
    b = cfa(hs, HS_MODEL, missing="FIML")
    pd.testing.assert_frame_equal(hs, before)
    assert a["chisq"] == b["chisq"] and a.options["missing"] == "fiml"
    # ML + FIML: observed-information SEs, standard test, FIML-corrected robust indices (V6)
    assert a.test == "standard" and a.se == "standard"
    assert "chisq.scaled" not in a.fit and np.isfinite(a["cfi.robust"])
    assert 0 < a["rmsea.robust"] < 0.2


def test_errors_name_the_problem():
    hs = _hs_missing()
    bad = hs.copy()
    bad["x2"] = np.nan
    with pytest.raises(DataError, match="x2"):
        cfa(bad, HS_MODEL, missing="fiml")
    bad = hs.copy()
    bad["x3"] = 4.0
    with pytest.raises(DataError, match="x3"):
        cfa(bad, HS_MODEL, missing="fiml")
    with pytest.raises(ModelError, match="missing"):
        cfa(hs, HS_MODEL, missing="pairwise")
    with pytest.raises(ModelError, match="listwise"):
        cfa(hs, HS_MODEL, ordered=True, missing="fiml")
