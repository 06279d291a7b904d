"""The reliability package after issue 11: names stay functions, renamed keywords still work,
and lambda 6 with the package's one ``smc`` (psych::smc) still equals psych::alpha."""

from __future__ import annotations

import importlib
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.reliability import alpha, icc, omega, reliability
from psychometrics.reliability.scale import fit_scale, prepare_items

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "reference" / "bfi_reliability.json").read_text())
SUBMODULES = ["scale", "cronbach", "items", "omegas", "change", "intraclass", "instrument",
              "deprecation"]


def _keyed(scale: str) -> pd.DataFrame:
    spec = REF["scales"][scale]
    rev = spec["reversed"]
    x = pd.read_csv(DATA / "bfi.csv")[spec["items"]].copy()
    for c in [rev] if isinstance(rev, str) else rev:
        x[c] = 7 - x[c]
    return x


def test_public_names_stay_functions_after_every_submodule_is_imported():
    for name in SUBMODULES:
        importlib.import_module(f"psychometrics.reliability.{name}")
    # ``import psychometrics.reliability as p`` gives pm.reliability, the function (the guard
    # in psychometrics/__init__.py); the package itself is in sys.modules
    package = sys.modules["psychometrics.reliability"]

    for name in ("omega", "reliability", "alpha", "icc", "item_analysis", "sem", "rci",
                 "omega_cfa", "feldt_ci"):
        assert callable(getattr(pm, name)), name
        assert callable(getattr(package, name)), name
    assert pm.omega is package.omega is omega
    assert pm.reliability is package.reliability is reliability


def test_old_omega_module_is_gone():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("psychometrics.omega")


@pytest.mark.parametrize("scale", ["A", "C", "E", "N", "O"])
@pytest.mark.parametrize("missing", ["pairwise", "complete_cases"])
def test_g6_with_the_shared_smc_equals_psych(scale, missing):
    # G6 now takes its smc from psychometrics.factor.efa (pseudo-inverse, as psych::smc),
    # bounded to [0, 1]; the removed copy used an exact inverse. On the bfi scales both equal
    # psych::alpha's G6(smc) to 1e-6, and each other to 1e-10.
    ours = "pairwise" if missing == "pairwise" else "listwise"
    fit = fit_scale(prepare_items(_keyed(scale), ours))
    want = REF["scales"][scale][missing]["total"]["G6_smc"]
    assert fit.total["g6"] == pytest.approx(want, abs=1e-6)
    r, k = fit.cor, fit.k
    exact = 1 - (k - np.minimum(1 - 1 / np.diag(np.linalg.inv(r)), 1.0).sum()) / r.sum()
    assert fit.total["g6"] == pytest.approx(exact, abs=1e-10)


def test_g6_of_identical_items_is_finite_as_psych():
    # a singular R: the removed exact-inverse smc gave NaN; psych::smc's pseudo-inverse,
    # bounded to [0, 1], gives a number (alpha warns about the identical items either way)
    rng = np.random.default_rng(1)
    t = rng.normal(size=100)
    x = pd.DataFrame({"a": t + rng.normal(size=100), "b": t + rng.normal(size=100)})
    x["c"] = x["a"]
    with pytest.warns(UserWarning, match="identical items"):
        res = alpha(x)
    fit = fit_scale(prepare_items(x, "pairwise"))
    s = np.clip(1 - 1 / np.diag(np.linalg.pinv(fit.cor)), 0, 1)
    assert res.g6 == pytest.approx(1 - (3 - s.sum()) / fit.cor.sum(), abs=1e-12)


def _deprecated(call):
    with pytest.warns(DeprecationWarning, match="renamed|replaced") as rec:
        out = call()
    assert any(Path(w.filename).name == Path(__file__).name for w in rec
               if issubclass(w.category, DeprecationWarning))
    return out


@pytest.mark.parametrize("method", ["feldt", "duhachek", "bootstrap", None])
def test_alpha_ci_is_renamed_ci_method(method):
    x = _keyed("A")
    new = alpha(x, ci_method=method, n_boot=50, seed=3)
    old = _deprecated(lambda: alpha(x, ci=method, n_boot=50, seed=3))
    assert old.to_dict() == new.to_dict()


def test_alpha_both_spellings_must_agree():
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="not both"):
        alpha(_keyed("A"), ci="feldt", ci_method="duhachek")


def test_reliability_ci_is_renamed_ci_method():
    data = pd.read_csv(DATA / "bfi.csv")
    inst = DATA / "bfi-instrument.yaml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        new = reliability(data, inst, ci_method="duhachek")
        old = _deprecated(lambda: reliability(data, inst, ci="duhachek"))
    pd.testing.assert_frame_equal(old.table, new.table)
    assert old.ci_method == new.ci_method == "duhachek"


def test_omega_ci_level_is_ci_method_and_level():
    x = _keyed("C")
    new = omega(x, n_factors=1, ci_method="bootstrap", level=0.9, n_boot=20, seed=4, cfa=False)
    old = _deprecated(lambda: omega(x, n_factors=1, ci=0.9, n_boot=20, seed=4, cfa=False))
    assert old.ci == new.ci and old.ci["level"] == 0.9
    none = _deprecated(lambda: omega(x, n_factors=1, ci=None, cfa=False))
    assert none.ci is None and none.omega_total == new.omega_total


def test_icc_p_value_is_renamed_pvalue():
    res = icc([9, 6, 8, 7, 10, 6], [2, 1, 4, 1, 5, 2])
    assert "pvalue" in res.to_dict() and "p_value" not in res.to_dict()
    assert "pvalue" in res.table.columns
    assert _deprecated(lambda: res.p_value) == res.pvalue


def test_scale_warnings_name_the_users_call_not_the_package():
    # the BLAS decorator and shared helpers add frames: a fixed stacklevel pointed at threads.py
    g = np.random.default_rng(0)
    f = g.normal(size=300)
    x = pd.DataFrame({"a": f + g.normal(size=300), "b": f + g.normal(size=300),
                      "c": -f + g.normal(size=300), "d": f + g.normal(size=300)})
    twice = x.assign(e=x["a"])
    for call in (lambda: pm.alpha(x), lambda: pm.item_analysis(x), lambda: pm.alpha(twice),
                 lambda: pm.alpha(-x[["a", "b"]].assign(c=x["c"]))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert caught and all(w.filename == __file__ for w in caught), \
            [(w.filename, str(w.message)[:40]) for w in caught]
