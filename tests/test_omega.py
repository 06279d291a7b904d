"""omega against psych::omega and semTools::compRelSEM (tests/data/reference/*_reliability.json)."""

from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from psychometrics.errors import DataError, OptionError
from psychometrics.reliability import omega, omega_cfa

DATA = Path(__file__).parent / "data"
BFI_REL = json.loads((DATA / "reference" / "bfi_reliability.json").read_text())
HS_REL = json.loads((DATA / "reference" / "hs_reliability.json").read_text())


@pytest.fixture(scope="module")
def bfi():
    return pd.read_csv(DATA / "bfi.csv")


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(DATA / "HolzingerSwineford1939.csv")


def _keyed(df, spec):
    rev = spec["reversed"]
    rev = [rev] if isinstance(rev, str) else list(rev)
    x = df[spec["items"]].copy()
    for item in rev:
        x[item] = 7 - x[item]          # bfi items are 1..6: min + max - value
    return x


@pytest.fixture(scope="module")
def bfi25(bfi):
    spec = BFI_REL["omega_sets"]["bfi25"]
    return spec, omega(bfi[spec["items"]], n_factors=spec["nfactors"])


@pytest.mark.parametrize("ours,theirs", [("omega_h", "omega_h"), ("omega_total", "omega_t"),
                                         ("omega_lim", "omega_lim"), ("alpha", "alpha_std"),
                                         ("G6", "G6")])
def test_omega_bfi25_matches_psych(bfi25, ours, theirs):
    spec, res = bfi25
    tol = 1e-6 if ours in ("alpha", "G6") else 1e-3
    assert getattr(res, ours) == pytest.approx(spec[theirs], abs=tol, rel=0)


def test_omega_bfi25_schmid_leiman_loadings(bfi25):
    spec, res = bfi25
    sl = pd.DataFrame(spec["schmid_leiman"]).T
    # psych flips items with negative general loadings and marks them with "-"
    assert list(res.loadings.index) == list(sl.index)
    assert res.factor_model_df == spec["factor_model_df"]
    for col in ("g", "h2", "u2", "p2"):
        assert np.abs(res.loadings[col].to_numpy() - sl[col].to_numpy()).max() < 1e-3
    groups = [f"F{j}*" for j in range(1, spec["nfactors"] + 1)]
    ours, theirs = res.loadings[groups].to_numpy(), sl[groups].to_numpy()
    best = min(np.abs(ours[:, list(p)] - theirs).max()
               for p in itertools.permutations(range(len(groups))))
    assert best < 1e-3


SCALES = [("bfi", s) for s in BFI_REL["scales"]] + [("hs", s) for s in HS_REL["scales"]]


@pytest.mark.parametrize("ds,scale", SCALES, ids=[f"{d}-{s}" for d, s in SCALES])
def test_omega_one_factor_and_cfa_match_reference(bfi, hs, ds, scale):
    spec = (BFI_REL if ds == "bfi" else HS_REL)["scales"][scale]
    x = _keyed(bfi, spec) if ds == "bfi" else hs[spec["items"]]
    res = omega(x, n_factors=1)
    assert res.omega_total == pytest.approx(spec["omega_1factor"]["omega_t"], abs=1e-3)
    assert res.omega_h == pytest.approx(spec["omega_1factor"]["omega_h"], abs=1e-3)
    assert res.omega_1factor == res.omega_total
    assert res.omega_cfa == pytest.approx(spec["omega_cfa"]["omega"], abs=1e-3)
    cfa = omega_cfa(x)
    assert cfa["nobs"] == spec["omega_cfa"]["nobs"]
    assert cfa["df"] == spec["omega_cfa"]["df"]
    assert cfa["chisq"] == pytest.approx(spec["omega_cfa"]["chisq"], abs=1e-3)


def test_omega_refuses_negative_df_by_default(bfi):
    spec = BFI_REL["scales"]["N"]
    with pytest.raises(DataError, match="degrees of\\s+freedom"):
        omega(_keyed(bfi, spec))                 # psych's default: 3 factors on 5 items


def test_omega_negative_df_on_request_warns(bfi):
    spec = BFI_REL["scales"]["N"]
    with pytest.warns(RuntimeWarning, match="not identified"):
        res = omega(_keyed(bfi, spec), allow_negative_df=True, cfa=False)
    assert res.factor_model_df == spec["omega"]["factor_model_df"] == -2
    assert res.warnings
    # psych's number for a non-identified model: only roughly reproducible (documented)
    assert res.omega_total == pytest.approx(spec["omega"]["omega_t"], abs=0.01)


def test_omega_is_invariant_to_item_reversal(bfi):
    spec = BFI_REL["scales"]["C"]
    keyed = _keyed(bfi, spec)
    raw = bfi[spec["items"]]
    a, b = omega(keyed, n_factors=1, cfa=False), omega(raw, n_factors=1, cfa=False)
    assert a.omega_total == pytest.approx(b.omega_total, abs=1e-8)
    assert list(b.loadings.index) == ["C1", "C2", "C3", "C4-", "C5-"]


def test_omega_bootstrap_ci(hs):
    x = hs[["x4", "x5", "x6"]]
    res = omega(x, n_factors=1, ci_method="bootstrap", level=0.95, n_boot=40, seed=11)
    again = omega(x, n_factors=1, ci_method="bootstrap", level=0.95, n_boot=40, seed=11)
    assert res.ci == again.ci
    lo, hi = res.ci["omega_total"]["low"], res.ci["omega_total"]["high"]
    assert lo < res.omega_total < hi
    assert res.ci["n_boot"] == 40 and res.ci["n_failed"] == 0


def test_omega_to_dict_and_summary(hs):
    x = hs[[f"x{i}" for i in range(1, 10)]]
    before = x.copy()
    res = omega(x, n_factors=3)
    pd.testing.assert_frame_equal(x, before)
    d = res.to_dict()
    assert {"omega_total", "omega_h", "omega_lim", "alpha", "G6", "loadings",
            "omega_1factor", "omega_cfa"} <= set(d)
    json.dumps(d)
    assert "Schmid-Leiman" in res.summary()
    assert 0 < res.omega_h < res.omega_total < 1


def test_omega_two_factors_equal_general_loadings(hs):
    x = hs[[f"x{i}" for i in range(1, 7)]]
    res = omega(x, n_factors=2, cfa=False)
    assert 0 < res.omega_h < res.omega_total < 1


@pytest.mark.parametrize("kwargs", [{"fm": "pa"}, {"rotation": "varimax"},
                                    {"n_factors": 0}])
def test_omega_rejects_bad_arguments(hs, kwargs):
    with pytest.raises((DataError, OptionError)):
        omega(hs[[f"x{i}" for i in range(1, 10)]], **kwargs)


def test_omega_with_warnings_silenced_is_quiet(hs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        omega(hs[["x1", "x2", "x3"]], n_factors=1)
