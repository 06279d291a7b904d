"""Ordinal CFA: polychoric correlations, NACOV, DWLS/WLSMV against lavaan 0.6-14.

Reference: tests/data/reference/bfi_cfa.json, fit ``WLSMV`` (bfi, 25 items ordered, six
categories, five factors, A1 the marker of A, listwise: n = 2436).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from scipy.stats import multivariate_normal, norm

from psychometrics.errors import DataError, MissingColumnError, ModelError
from psychometrics.factor.bivariate import bvn_cdf
from psychometrics.factor.cfa import cfa
from psychometrics.factor.ordinal import ordinal_stats, polychoric, thresholds
from psychometrics.factor.wls import fit_wls

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "reference" / "bfi_cfa.json").read_text())
WLSMV = REF["fits"]["WLSMV"]
TOL = 1e-3


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(DATA / "bfi.csv")


@pytest.fixture(scope="module")
def fitted(bfi):
    return cfa(bfi, REF["model"], estimator="WLSMV", ordered=True)


@pytest.fixture(scope="module")
def merged(fitted):
    ref = pd.DataFrame(WLSMV["estimates"])
    return ref.merge(fitted.estimates, on=["lhs", "op", "rhs"], how="left",
                     suffixes=("_ref", ""))


# ------------------------------------------------------------------ lavaan reference
def test_reference_meta(fitted):
    assert WLSMV["estimator"] == fitted.estimator == "DWLS"
    assert WLSMV["test"] == fitted.test == "scaled.shifted"
    assert WLSMV["se"] == fitted.se == "robust.sem"
    assert fitted.n == WLSMV["nobs"] == 2436
    assert fitted.npar == WLSMV["npar"] == 160
    assert fitted.converged


def test_estimate_rows_as_lavaan(fitted):
    ref = pd.DataFrame(WLSMV["estimates"])
    ours = fitted.estimates[["lhs", "op", "rhs"]]
    assert ours.to_numpy().tolist() == ref[["lhs", "op", "rhs"]].to_numpy().tolist()


_OPS = {"loadings": "=~", "thresholds": "|", "variances": "~~", "scaling": "~*~",
        "intercepts": "~1"}


@pytest.mark.parametrize("column", ["est", "se", "std.lv", "std.all"])
@pytest.mark.parametrize("kind", list(_OPS))
def test_bfi_wlsmv_estimates(merged, kind, column):
    rows = merged[merged["op"] == _OPS[kind]]
    assert len(rows) > 0
    np.testing.assert_allclose(rows[column].to_numpy(float),
                               rows[column + "_ref"].to_numpy(float), atol=TOL, rtol=0)


def test_bfi_wlsmv_markers_negative_agreeableness(fitted):
    load = fitted.loadings
    assert load.loc["A1", "A"] == 1.0
    assert (load.loc[["A2", "A3", "A4", "A5"], "A"] < 0).all()


_FIT_KEYS = [k for k, v in WLSMV["fit"].items() if v is not None]


@pytest.mark.parametrize("key", _FIT_KEYS)
def test_bfi_wlsmv_fit_measures(fitted, key):
    ref = WLSMV["fit"][key]
    ours = fitted.fit[key]
    # chi-squares are large numbers: 1e-3 relative; indices: 1e-3 absolute
    tol = TOL * max(1.0, abs(ref))
    assert ours == pytest.approx(ref, abs=tol), key


def test_bfi_wlsmv_to_dict_keys(fitted):
    d = fitted.to_dict()
    for k in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high",
              "srmr", "n", "chisq_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled",
              "cfi_robust", "rmsea_robust"):
        assert k in d, k
    assert d["chisq_scaled"] == pytest.approx(WLSMV["fit"]["chisq.scaled"], rel=1e-6)
    json.dumps(d)  # plain JSON types


def test_reference_thresholds_are_sample_thresholds(bfi):
    """lavaan's threshold estimates are the univariate probit estimates (qnorm of cum. prop.)."""
    ref = pd.DataFrame(WLSMV["estimates"])
    ref = ref[ref["op"] == "|"]
    items = bfi[REF["observed"]].dropna()
    ours = thresholds(items)
    np.testing.assert_allclose(ours.to_numpy(), ref["est"].to_numpy(), atol=1e-12)
    assert list(ours.index) == [f"{a}|{b}" for a, b in zip(ref["lhs"], ref["rhs"])]


def test_polychoric_threshold_se_match_lavaan(bfi):
    """NACOV's threshold block gives lavaan's SEs (lavaan divides by N - 1)."""
    ref = pd.DataFrame(WLSMV["estimates"])
    ref = ref[ref["op"] == "|"]
    res = polychoric(bfi[REF["observed"]])
    se = res.se[res.thresholds.index].to_numpy() * np.sqrt(res.n / (res.n - 1))
    np.testing.assert_allclose(se, ref["se"].to_numpy(), atol=1e-6)


# ------------------------------------------------------------------ bivariate normal
@settings(max_examples=60, deadline=None)
@given(h=st.floats(-4, 4), k=st.floats(-4, 4), r=st.floats(-0.999, 0.999))
def test_bvn_cdf_matches_scipy(h, k, r):
    expect = multivariate_normal(mean=[0, 0], cov=[[1, r], [r, 1]]).cdf([h, k])
    assert float(bvn_cdf(h, k, r)) == pytest.approx(expect, abs=2e-7)


def test_bvn_cdf_limits_and_vectorised():
    assert float(bvn_cdf(50.0, 0.3, 0.5)) == pytest.approx(0.6179114221889527, abs=1e-15)
    assert float(bvn_cdf(-50.0, 0.3, 0.5)) == 0.0
    assert float(bvn_cdf(0.0, 0.0, 0.0)) == pytest.approx(0.25)
    h = np.linspace(-2, 2, 7)
    r = np.array([-0.99, -0.95, -0.5, 0.0, 0.5, 0.95, 0.99])
    out = bvn_cdf(h, h[::-1], r)
    assert out.shape == (7,)
    one = [float(bvn_cdf(a, b, c)) for a, b, c in zip(h, h[::-1], r)]
    np.testing.assert_allclose(out, one, rtol=0, atol=1e-15)


# ------------------------------------------------------------------ polychoric properties
def _simulate(n, rho, cuts, seed):
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
    return pd.DataFrame({"x": np.digitize(z[:, 0], cuts[0]) + 1,
                         "y": np.digitize(z[:, 1], cuts[1]) + 1})


def _naive_polychoric(x, y):
    """Independent check: per-pair ML with scipy's bivariate normal cdf and a bounded search."""
    tx, ty = thresholds(pd.DataFrame({"x": x})).to_numpy(), thresholds(pd.DataFrame({"y": y}))
    ty = ty.to_numpy()
    lx, ly = np.unique(x), np.unique(y)
    tab = pd.crosstab(pd.Categorical(x, lx), pd.Categorical(y, ly)).to_numpy()
    ax = np.r_[-np.inf, tx, np.inf]
    ay = np.r_[-np.inf, ty, np.inf]

    def negll(r):
        mvn = multivariate_normal(mean=[0, 0], cov=[[1, r], [r, 1]])

        def F(a, b):
            if a == -np.inf or b == -np.inf:
                return 0.0
            a, b = min(a, 30.0), min(b, 30.0)
            return mvn.cdf([a, b])
        ll = 0.0
        for i in range(len(lx)):
            for j in range(len(ly)):
                p = (F(ax[i + 1], ay[j + 1]) - F(ax[i], ay[j + 1]) - F(ax[i + 1], ay[j])
                     + F(ax[i], ay[j]))
                ll += tab[i, j] * np.log(max(p, 1e-300))
        return -ll
    return optimize.minimize_scalar(negll, bounds=(-0.99, 0.99), method="bounded",
                                    options={"xatol": 1e-7}).x


@pytest.mark.parametrize("rho", [0.45, 0.96, -0.97])
def test_polychoric_matches_naive_ml(rho):
    df = _simulate(800, rho, ([-1.0, 0.2, 1.1], [-0.5, 0.7]), seed=11)
    ours = polychoric(df, nacov=False).correlation.loc["x", "y"]
    assert ours == pytest.approx(_naive_polychoric(df["x"].to_numpy(), df["y"].to_numpy()),
                                 abs=1e-5)


def test_polychoric_recovers_latent_correlation():
    df = _simulate(20000, -0.7, ([-1.2, -0.3, 0.4, 1.3], [-0.8, 0.0, 0.9]), seed=5)
    res = polychoric(df)
    r = res.correlation.loc["x", "y"]
    se = res.se["y~~x"]
    assert abs(r + 0.7) < 4 * se
    assert 0 < se < 0.02


@settings(max_examples=15, deadline=None)
@given(rho=st.floats(-0.9, 0.9), seed=st.integers(0, 10_000),
       scale=st.sampled_from([1.0, 2.5, 10.0]))
def test_polychoric_invariant_to_monotone_recoding_and_flips_sign(rho, seed, scale):
    df = _simulate(400, rho, ([-0.7, 0.1, 0.9], [-0.4, 0.6]), seed=seed)
    base = polychoric(df)
    recoded = df.assign(x=df["x"] ** 2 * scale + 7)          # same order of categories
    assert polychoric(recoded).correlation.loc["x", "y"] == pytest.approx(
        base.correlation.loc["x", "y"], abs=1e-10)
    flipped = polychoric(df.assign(x=-df["x"]))               # reversed item
    assert flipped.correlation.loc["x", "y"] == pytest.approx(
        -base.correlation.loc["x", "y"], abs=1e-8)
    np.testing.assert_allclose(flipped.thresholds.iloc[:3].to_numpy(),
                               -base.thresholds.iloc[:3].to_numpy()[::-1], atol=1e-12)
    # the SE of a reversed item's correlation is unchanged
    assert flipped.se["y~~x"] == pytest.approx(base.se["y~~x"], rel=1e-6)


def test_nacov_symmetric_psd_and_names(bfi):
    items = bfi[["A1", "A2", "C1", "N1"]]
    res = polychoric(items)
    g = res.nacov.to_numpy()
    assert np.allclose(g, g.T)
    assert np.linalg.eigvalsh((g + g.T) / 2).min() > -1e-8
    assert list(res.nacov.index[-6:]) == ["A2~~A1", "C1~~A1", "N1~~A1", "C1~~A2", "N1~~A2",
                                          "N1~~C1"]


def test_polychoric_listwise_and_no_mutation(bfi):
    items = bfi[["A1", "C1", "E1"]].copy()
    before = items.copy()
    res = polychoric(items)
    pd.testing.assert_frame_equal(items, before)
    assert res.n == int(items.notna().all(axis=1).sum())
    assert res.levels["A1"] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    text = res.summary()
    assert "Polychoric" in text and "A1|t1" in text
    json.dumps(res.to_dict())


def test_binary_items_special_cases():
    # one empty cell: lavaan adds 0.5 keeping the margins; finite correlation
    x = np.array([0] * 30 + [1] * 30 + [1] * 40)
    y = np.array([0] * 30 + [0] * 30 + [1] * 40)
    r = polychoric(pd.DataFrame({"x": x, "y": y})).correlation.loc["x", "y"]
    # a 2 x 2 table is fitted exactly: P(x=0, y=0) = (30 - 0.5) / 100 after the correction
    a, b = norm.ppf(0.3), norm.ppf(0.6)
    assert float(bvn_cdf(a, b, r)) == pytest.approx(0.295, abs=1e-9)
    # ad == bc: zero correlation
    x = np.array([0] * 10 + [0] * 20 + [1] * 30 + [1] * 60)
    y = np.array([0] * 10 + [1] * 20 + [0] * 30 + [1] * 60)
    assert polychoric(pd.DataFrame({"x": x, "y": y})).correlation.loc["x", "y"] == 0.0


def test_single_category_item_is_an_error():
    df = pd.DataFrame({"x": [1, 2, 3, 2], "y": [2, 2, 2, 2]})
    with pytest.raises(DataError, match="'y'"):
        polychoric(df)


def test_ordinal_stats_order_is_lavaan_vech():
    df = _simulate(300, 0.3, ([-0.5, 0.5], [0.0]), seed=2).assign(z=lambda d: d["x"])
    s = ordinal_stats(df[["x", "y", "z"]])
    assert s.names[-3:] == ["y~~x", "z~~x", "z~~y"]
    assert s.stats[-2] == pytest.approx(1.0, abs=1e-6)   # z is a copy of x


# ------------------------------------------------------------------ WLS engine
def _one_factor_data(n=1500, seed=3):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    z = f * lam + rng.normal(size=(n, 4)) * np.sqrt(1 - lam ** 2)
    return pd.DataFrame(np.digitize(z, [-1.0, -0.2, 0.6, 1.4]) + 1,
                        columns=["a", "b", "c", "d"]), lam


def test_wlsmv_recovers_loadings():
    df, lam = _one_factor_data(n=4000)
    res = fit_wls(df, "F =~ a + b + c + d", std_lv=True)
    load = res.estimates[res.estimates["op"] == "=~"]
    se = load["se"].to_numpy()
    assert np.all(np.abs(load["est"].to_numpy() - lam) < 4 * se)
    assert res.fit["df"] == 2 and res.npar == 16 + 4


def test_identification_invariance():
    """std_lv=True loadings equal the marker solution's std.lv; fit is identical."""
    df, _ = _one_factor_data()
    a = fit_wls(df, "F =~ a + b + c + d")
    b = fit_wls(df, "F =~ a + b + c + d", std_lv=True)
    la = a.estimates[a.estimates["op"] == "=~"]["std.lv"].to_numpy()
    lb = b.estimates[b.estimates["op"] == "=~"]["est"].to_numpy()
    np.testing.assert_allclose(la, lb, atol=1e-7)
    for k in ("chisq", "chisq.scaled", "cfi.scaled", "rmsea.scaled", "srmr"):
        assert a.fit[k] == pytest.approx(b.fit[k], rel=1e-7, abs=1e-10)


def test_dwls_estimator_same_estimates_standard_test():
    df, _ = _one_factor_data()
    a = fit_wls(df, "F =~ a + b + c + d", estimator="WLSMV")
    b = fit_wls(df, "F =~ a + b + c + d", estimator="DWLS")
    np.testing.assert_allclose(a.estimates["est"], b.estimates["est"], atol=1e-9)
    assert b.test == "standard" and b.se == "standard"
    assert "chisq.scaled" not in b.fit and b.fit["chisq"] == pytest.approx(a.fit["chisq"])


def test_just_identified_model_fits_exactly():
    df, _ = _one_factor_data()
    res = fit_wls(df[["a", "b", "c"]], "F =~ a + b + c")
    assert res.fit["df"] == 0
    assert res.fit["chisq"] == pytest.approx(0.0, abs=1e-8)
    assert res.fit["rmsea"] == 0.0 and res.fit["cfi"] == 1.0


def test_wls_errors(bfi):
    with pytest.raises(ModelError, match="not ordered"):
        fit_wls(bfi, "F =~ A1 + A2 + A3", ordered=["A1", "A2"])
    with pytest.raises(MissingColumnError, match="Z9"):
        fit_wls(bfi, "F =~ A1 + A2 + Z9")
    with pytest.raises(ModelError, match="estimator"):
        fit_wls(bfi, "F =~ A1 + A2 + A3", estimator="ULS")


def test_residual_covariance_and_thresholds_syntax(bfi):
    res = fit_wls(bfi, "A =~ A1 + A2 + A3 + A4 + A5\nA1 ~~ A2")
    e = res.estimates.set_index(["lhs", "op", "rhs"])
    cov = e.loc[("A1", "~~", "A2")]
    t1, t2 = e.loc[("A1", "~~", "A1"), "est"], e.loc[("A2", "~~", "A2"), "est"]
    assert cov["se"] > 0
    assert cov["std.all"] == pytest.approx(cov["est"] / np.sqrt(t1 * t2), rel=1e-12)
    # implied correlations of the latent responses have a unit diagonal
    load = res.loadings["A"].to_numpy()
    psi = e.loc[("A", "~~", "A"), "est"]
    assert np.allclose(load ** 2 * psi + e.loc[[(v, "~~", v) for v in res.observed], "est"], 1)
    assert res.fit["df"] == 4
    with pytest.raises(ModelError, match="t6"):
        fit_wls(bfi, "A =~ A1 + A2 + A3\nA1 | t1 + t2 + t3 + t4 + t5 + t6")
