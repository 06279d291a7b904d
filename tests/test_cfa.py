"""CFA engine (ML, MLR) against lavaan 0.6-14 references, plus parser/model properties."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _lavaan import assert_estimates_match
from hypothesis import given, settings
from hypothesis import strategies as st

from psychometrics.errors import DataError, MissingColumnError, ModelError
from psychometrics.factor.cfa import CFAResult, cfa
from psychometrics.factor.model import Model, vech_indices
from psychometrics.factor.syntax import parse

DATA = Path(__file__).parent / "data"
REF = DATA / "reference"
TOL = 1e-3
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"

# fit measures we compute (lavaan names); the reference files hold more
FIT_KEYS = [
    "npar", "fmin", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
    "nnfi", "nfi", "rfi", "ifi", "rni", "pnfi", "logl", "unrestricted.logl", "aic", "bic",
    "bic2", "ntotal", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue",
    "rmsea.notclose.pvalue", "rmr", "rmr_nomean", "srmr", "srmr_bentler",
    "srmr_bentler_nomean", "crmr_nomean",
    "chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor",
    "baseline.chisq.scaled", "baseline.chisq.scaling.factor", "cfi.scaled", "tli.scaled",
    "cfi.robust", "tli.robust", "nnfi.scaled", "rfi.scaled", "nfi.scaled", "ifi.scaled",
    "rni.scaled", "nnfi.robust", "rni.robust", "scaling.factor.h1", "scaling.factor.h0",
    "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "rmsea.pvalue.scaled",
    "rmsea.notclose.pvalue.scaled", "rmsea.robust", "rmsea.ci.lower.robust",
    "rmsea.ci.upper.robust", "rmsea.pvalue.robust", "rmsea.notclose.pvalue.robust",
]
FITS = {  # reference fit name -> cfa() options
    "ML": {}, "MLR": {"estimator": "MLR"}, "ML_stdlv": {"std_lv": True},
}
DATASETS = {"hs": ("hs_cfa.json", "HolzingerSwineford1939.csv"),
            "bfi": ("bfi_cfa.json", "bfi.csv")}
_cache: dict = {}


def _ref(ds):
    return json.loads((REF / DATASETS[ds][0]).read_text())


def _data(ds):
    return pd.read_csv(DATA / DATASETS[ds][1])


def _fit(ds, name) -> tuple[CFAResult, dict]:
    key = (ds, name)
    if key not in _cache:
        ref = _ref(ds)
        _cache[key] = (cfa(_data(ds), ref["model"], **FITS[name]), ref["fits"][name])
    return _cache[key]


CASES = [(ds, name) for ds in DATASETS for name in FITS if name in _ref(ds)["fits"]]


@pytest.mark.parametrize("ds,name,stat", [
    pytest.param(ds, name, k, id=f"{ds}-{name}-{k}")
    for ds, name in CASES for k in FIT_KEYS if k in _ref(ds)["fits"][name]["fit"]])
def test_fit_measures_match_lavaan(ds, name, stat):
    res, ref = _fit(ds, name)
    expected = ref["fit"][stat]
    assert stat in res.fit, f"{stat} not computed"
    assert res.fit[stat] == pytest.approx(expected, abs=TOL, rel=0)


@pytest.mark.parametrize("ds,name,col", [
    pytest.param(ds, name, col, id=f"{ds}-{name}-{col}")
    for ds, name in CASES for col in ("est", "se", "z", "std.lv", "std.all")])
def test_estimates_match_lavaan(ds, name, col):
    res, ref = _fit(ds, name)
    est = res.estimates
    assert len(est) == len(ref["estimates"])
    assert_estimates_match(est, ref["estimates"], col)


@pytest.mark.parametrize("ds,name", [pytest.param(ds, n, id=f"{ds}-{n}") for ds, n in CASES])
def test_meta_matches_lavaan(ds, name):
    res, ref = _fit(ds, name)
    assert res.n == ref["nobs"]
    assert res.npar == ref["npar"]
    assert res.converged and ref["converged"]
    assert res.test == ref["test"] and res.se == ref["se"]
    for f, items in ref["std_loadings"].items():
        for item, v in items.items():
            assert res.std_loadings.loc[item, f] == pytest.approx(v, abs=TOL)


def test_to_dict_keys_and_json():
    res, ref = _fit("hs", "MLR")
    d = res.to_dict()
    for k in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high",
              "srmr", "aic", "bic", "n", "chisq_scaled", "cfi_scaled", "tli_scaled",
              "rmsea_scaled", "cfi_robust", "tli_robust", "rmsea_robust"):
        assert k in d
    json.dumps(d)
    assert "Fit" in res.summary()
    (vt,) = [e["std.all"] for e in ref["estimates"]
             if (e["lhs"], e["op"], e["rhs"]) == ("visual", "~~", "textual")]
    assert res.factor_correlations.loc["visual", "textual"] == pytest.approx(vt, abs=TOL)


def test_just_identified_model_has_rmsea_0_cfi_tli_1():
    hs = _data("hs")
    res = cfa(hs, "visual =~ x1 + x2 + x3")
    assert res["df"] == 0
    assert res["chisq"] == pytest.approx(0, abs=1e-8)
    assert res["rmsea"] == 0 and res["cfi"] == 1 and res["tli"] == 1
    assert res["rmsea.ci.lower"] == 0 and res["rmsea.ci.upper"] == 0
    # saturated: implied covariance equals the sample covariance
    X = hs[["x1", "x2", "x3"]].to_numpy()
    S = np.cov(X.T, bias=True)
    np.testing.assert_allclose(res.model.implied(res.theta)[0][0], S, atol=1e-7)


def test_equality_labels_and_fixed_values():
    hs = _data("hs")
    res = cfa(hs, "visual =~ x1 + a*x2 + a*x3\ntextual =~ x4 + x5 + 0.9*x6\nspeed =~ x7 + x8 + x9")
    e = res.estimates.set_index(["lhs", "op", "rhs"])["est"]
    assert e["visual", "=~", "x2"] == e["visual", "=~", "x3"]
    assert e["textual", "=~", "x6"] == 0.9
    assert res["df"] == 26  # one equality and one fixed loading: two more df than 24


def test_residual_covariance_improves_fit():
    hs = _data("hs")
    base, _ = _fit("hs", "ML")
    res = cfa(hs, HS_MODEL + "\nx7 ~~ x8")
    assert res["df"] == 23 and res["chisq"] < base["chisq"]


def test_instrument_like_object_and_no_mutation():
    hs = _data("hs")
    before = hs.copy()

    class Inst:
        def cfa_model(self):
            return HS_MODEL
    res = cfa(hs, Inst())
    pd.testing.assert_frame_equal(hs, before)
    assert res["chisq"] == pytest.approx(_ref("hs")["fits"]["ML"]["fit"]["chisq"], abs=TOL)


def test_listwise_deletion_counts_rows():
    hs = _data("hs")
    hs.loc[[0, 5, 9], "x3"] = np.nan
    res = cfa(hs, HS_MODEL)
    assert res.n == 298


def test_listwise_by_group_with_repeated_index_labels():
    """Rows are dropped by position: a frame whose index labels repeat (concatenated exports)
    fits as the same frame with a fresh index (it raised an IndexError)."""
    hs = _data("hs")
    hs.loc[[0, 5, 9], "x3"] = np.nan
    fresh = cfa(hs, HS_MODEL, group="school")
    repeated = cfa(hs.set_index(pd.Index(np.arange(len(hs)) // 2)), HS_MODEL, group="school")
    assert repeated.n == fresh.n == 298
    assert repeated["chisq"] == pytest.approx(fresh["chisq"], rel=1e-12)


def test_no_complete_respondent_is_an_error():
    hs = _data("hs")
    hs.loc[hs.index % 2 == 0, "x1"] = np.nan
    hs.loc[hs.index % 2 == 1, "x9"] = np.nan
    with pytest.raises(DataError, match="no respondent answered all"):
        cfa(hs, HS_MODEL)


def test_errors_name_the_problem():
    hs = _data("hs")
    with pytest.raises(MissingColumnError, match="x10"):
        cfa(hs, "f =~ x1 + x2 + x10")
    with pytest.raises(ModelError, match="estimator"):
        cfa(hs, HS_MODEL, estimator="GLS")
    with pytest.raises(ModelError, match="regressions"):
        cfa(hs, "f =~ x1 + x2 + x3\nx1 ~ x2")
    with pytest.raises(ModelError, match="not identified"):
        cfa(hs, "f =~ x1 + x2")
    with pytest.raises(DataError, match="non-numeric"):
        bad = hs.astype({"x1": object})
        bad.loc[3, "x1"] = "n/a"
        cfa(bad, HS_MODEL)


# ---------------------------------------------------------------- parser
def test_parser_modifiers_comments_and_continuation():
    m = parse("""# comment line
    F1 =~ NA*y1 + start(0.5)*y2 +
          c(a, b)*y3   ! trailing comment
    F1 ~~ 1*F1; y1 ~~ y2
    y1 ~ 1
    """)
    rows = {(s.lhs, s.op, s.rhs): s for s in m.statements}
    assert rows["F1", "=~", "y1"].free == (True,)
    assert rows["F1", "=~", "y3"].label == ("a", "b")
    assert rows["F1", "~~", "F1"].fixed == (1.0,)
    assert ("y1", "~1", "") in rows
    assert m.observed == ["y1", "y2", "y3"]


@pytest.mark.parametrize("bad,msg", [
    ("", "no latent"), ("F =~ ", "nothing right"), ("F =~ x1 + + x2", "empty term"),
    ("F =~ x1\nF =~ x1", "twice"), ("F =~ x1 + x2\nd := a*b", "not supported"),
    ("F =~ x1 + 2x*x2", "cannot read"),
], ids=["empty", "no-rhs", "double-plus", "duplicate", "defined", "bad-modifier"])
def test_parser_errors(bad, msg):
    with pytest.raises(ModelError, match=msg):
        parse(bad)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), ms=st.booleans(), std_lv=st.booleans())
def test_jacobian_matches_finite_differences(seed, ms, std_lv):
    mdl = Model.from_syntax(HS_MODEL + "\nx1 ~~ x4", n_groups=2, meanstructure=ms,
                            std_lv=std_lv,
                            group_equal=("loadings", "intercepts") if ms else ("loadings",))
    rng = np.random.default_rng(seed)
    th = rng.uniform(0.2, 1.2, mdl.n_free)
    J = mdl.jacobian(th)
    r, c = vech_indices(mdl.p)
    for g in range(2):
        def moments(t, g=g):
            S, mu = mdl.implied(t)[g]
            return np.r_[S[r, c], mu] if mu is not None else S[r, c]
        num = np.column_stack([(moments(th + e) - moments(th - e)) / 2e-6
                               for e in np.eye(mdl.n_free) * 1e-6])
        np.testing.assert_allclose(J[g], num, atol=1e-6)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_recovers_population_model_exactly(seed):
    """Fitting the model's own implied covariance gives chisq 0 and the true parameters."""
    mdl = Model.from_syntax(HS_MODEL)
    rng = np.random.default_rng(seed)
    th = mdl.start([np.eye(9) + 0.4] , None)
    th = th * rng.uniform(0.8, 1.2, th.size)
    Sigma = mdl.implied(th)[0][0]
    X = rng.multivariate_normal(np.zeros(9), Sigma, size=400)
    # rescale the sample so its covariance is exactly Sigma
    X = X - X.mean(0)
    L = np.linalg.cholesky(np.cov(X.T, bias=True))
    X = X @ np.linalg.inv(L).T @ np.linalg.cholesky(Sigma).T
    res = cfa(pd.DataFrame(X, columns=[f"x{i}" for i in range(1, 10)]), HS_MODEL)
    assert res["chisq"] == pytest.approx(0, abs=1e-6)
    np.testing.assert_allclose(res.theta, th, atol=1e-5)
