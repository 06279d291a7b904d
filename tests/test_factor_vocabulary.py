"""The factor package's one vocabulary: ``pvalue`` (old ``p_value`` deprecated for one
release), one name per number in ``CFAResult.to_dict()``, and the shared ``smc``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from psychometrics.factor.adequacy import bartlett
from psychometrics.factor.cfa import cfa
from psychometrics.factor.correlation import smc
from psychometrics.factor.efa import efa

DATA = Path(__file__).parent / "data"
HS_ITEMS = [f"x{i}" for i in range(1, 10)]
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(DATA / "HolzingerSwineford1939.csv")


def test_bartlett_p_value_is_a_deprecated_alias_of_pvalue(hs):
    res = bartlett(hs[HS_ITEMS])
    with pytest.warns(DeprecationWarning, match="pvalue") as rec:
        old = res.p_value
    assert rec[0].filename == __file__  # the warning points at the caller
    assert old == res.pvalue
    assert "pvalue" in res.to_dict() and "p_value" not in res.to_dict()


def test_efa_fit_key_p_value_is_a_deprecated_alias_of_pvalue(hs):
    res = efa(hs[HS_ITEMS], 3, method="ml")
    with pytest.warns(DeprecationWarning, match="pvalue") as rec:
        old = res.fit["p_value"]
    assert rec[0].filename == __file__
    assert old == res.fit["pvalue"]
    assert "p_value" not in res.fit and "p_value" not in res.to_dict()["fit"]
    with pytest.raises(KeyError):
        res.fit["no_such_measure"]


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_cfa_to_dict_holds_each_number_once(hs, estimator):
    res = cfa(hs, HS_MODEL, estimator=estimator)
    d = res.to_dict()
    json.dumps(d)
    # every fit measure is in the dict exactly once: top-level (snake case) or in d["fit"]
    top = {k for k in d if k not in ("fit",) and isinstance(d[k], (int, float))}
    assert not set(d["fit"]) & {"chisq", "cfi", "rmsea.ci.lower", "npar", "ntotal", "nnfi"}
    assert d["rmsea_ci_low"] == res.fit["rmsea.ci.lower"]
    assert "rmsea.pvalue" in d["fit"] and "logl" in d["fit"]
    assert top >= {"chisq", "df", "pvalue", "cfi", "npar", "n"}
    covered = set(d["fit"]) | {"chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                               "rmsea.ci.upper", "srmr", "aic", "bic", "npar", "ntotal",
                               "nnfi", "chisq.scaled", "df.scaled", "pvalue.scaled",
                               "chisq.scaling.factor", "cfi.scaled", "tli.scaled",
                               "rmsea.scaled", "rmsea.ci.lower.scaled",
                               "rmsea.ci.upper.scaled", "cfi.robust", "tli.robust",
                               "rmsea.robust", "rmsea.ci.lower.robust",
                               "rmsea.ci.upper.robust", "nnfi.scaled", "nnfi.robust"}
    assert set(res.fit) <= covered  # nothing lost


def test_smc_is_psychs():
    r = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.4], [0.3, 0.4, 1.0]])
    expected = 1 - 1 / np.diag(np.linalg.inv(r))
    assert np.allclose(smc(r), expected, rtol=0, atol=1e-14)
    # a singular matrix (two identical items): psych's Pinv still gives values in [0, 1]
    s = np.array([[1.0, 1.0, 0.3], [1.0, 1.0, 0.3], [0.3, 0.3, 1.0]])
    out = smc(s)
    assert np.all((out >= 0) & (out <= 1))


def test_cfa_warnings_point_at_the_caller(hs):
    with pytest.warns(Warning) as rec:
        cfa(hs, "F1 =~ x1 + x2 + x3\nF2 =~ x4")
    assert rec.list and all(w.filename == __file__ for w in rec.list)
