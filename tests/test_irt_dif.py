"""DIF: ordinal logistic regression (lordif's models 1-3) against MASS::polr, purification,
planted DIF found and no DIF not flagged beyond the nominal rate (seeded simulations), the
Rasch family through the CML LR and Wald tests, plots and errors."""

import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.errors import DataError, MissingColumnError, OptionError

matplotlib.use("Agg")

DATA = Path(__file__).parent / "data"
POLR = json.loads((DATA / "dif_polr_bfi.json").read_text())["items"]
IRT = json.loads((DATA / "reference" / "bfi_irt.json").read_text())
ITEMS = ["N1", "N2", "N3", "N4", "N5"]


@pytest.fixture(scope="module")
def bfi():
    return pd.read_csv(DATA / "bfi.csv")


def test_logistic_models_match_polr(bfi):
    """No purification, total of N1-N5, complete cases: LR chi-squares, pseudo-R2 and the
    beta change from MASS::polr log-likelihoods (tests/data/dif_polr_bfi.json)."""
    d = bfi.dropna(subset=ITEMS + ["gender"])
    res = pm.dif(d[ITEMS + ["gender"]], "gender", purify=False)
    assert res.iterations == 1
    assert res.groups == {"1": int((d.gender == 1).sum()), "2": int((d.gender == 2).sum())}
    for item, ref in POLR.items():
        row = res.table.loc[item]
        l0, l1, l2, l3 = ref["loglik"]
        n = ref["n"]
        assert row["n"] == n
        assert row["chi12"] == pytest.approx(2 * (l2 - l1), abs=1e-4)
        assert row["chi23"] == pytest.approx(2 * (l3 - l2), abs=1e-4)
        assert row["chi13"] == pytest.approx(2 * (l3 - l1), abs=1e-4)
        assert (row["df12"], row["df23"], row["df13"]) == (1, 1, 2)
        assert row["mcfadden_13"] == pytest.approx((1 - l3 / l0) - (1 - l1 / l0), abs=1e-8)
        cs = [1 - np.exp(-2 * (ll - l0) / n) for ll in (l1, l3)]
        nk = [c / (1 - np.exp(2 * l0 / n)) for c in cs]
        assert row["nagelkerke_13"] == pytest.approx(nk[1] - nk[0], abs=1e-8)
        assert row["coxsnell_13"] == pytest.approx(cs[1] - cs[0], abs=1e-8)
        b1, b2 = ref["beta_tot_1"], ref["beta_tot_2"]
        assert row["beta12"] == pytest.approx(abs((b1 - b2) / b1), abs=1e-4)
        assert row["flagged"] == (min(row["p12"], row["p13"], row["p23"]) < 0.01)


def test_logistic_and_rasch_dif_agree_on_bfi_gender(bfi):
    X = bfi[ITEMS] - 1
    logistic = pm.dif(X, bfi["gender"])
    pcm = pm.dif(X, bfi["gender"], model="pcm")
    assert logistic.flagged == pcm.flagged == ["N1", "N4", "N5"]
    # the Rasch route is eRm's LR test by gender and Wald test (reference numbers)
    ref_lr = next(t for t in IRT["models"]["N_PCM"]["lrtest"] if t["split"] == "gender")
    assert pcm.global_test["lr"] == pytest.approx(ref_lr["lr"], rel=1e-2)
    assert pcm.global_test["df"] == ref_lr["df"]
    ref_w = next(t for t in IRT["models"]["N_PCM"]["waldtest"] if t["split"] == "gender")
    for lab, v in ref_w["table"].items():
        row = pcm.wald.loc[[i for i in pcm.wald.index if str(i).endswith(lab)][0]]
        assert row["z"] == pytest.approx(v["z"], abs=1e-3)
    zmax = {it: max((v for k, v in ref_w["table"].items() if k.startswith(it + ".")),
                    key=lambda v: abs(v["z"]))["z"] for it in ITEMS}
    for it in ITEMS:
        assert pcm.table.loc[it, "z_max"] == pytest.approx(zmax[it], abs=1e-3)
    assert "Andersen LR test" in pcm.summary()


def _two_groups(seed, n_per=500, shift=None, slope=None, n_items=8):
    a = np.full(n_items, 1.5)
    b = np.tile([-1.0, 0.0, 1.0], (n_items, 1))
    a2, b2 = a.copy(), b.copy()
    for j, s in (shift or {}).items():
        b2[j] += s
    for j, s in (slope or {}).items():
        # a different slope with the same intercepts d = -a b: the non-uniform DIF that a
        # proportional-odds model with a group x score interaction describes
        a2[j], b2[j] = s, b[j] * a[j] / s
    X1 = pm.simulate_grm(a, b, n_per, seed=seed)
    X2 = pm.simulate_grm(a2, b2, n_per, seed=seed + 1000)
    X = pd.concat([X1, X2], ignore_index=True)
    return X, pd.Series(np.repeat(["FR", "NL"], n_per), name="language")


def test_planted_dif_is_found_with_purification():
    """Uniform DIF (b + 0.6) in i3 and non-uniform DIF (a 1.5 -> 0.6) in i6, n = 2 x 600."""
    X, lang = _two_groups(7, n_per=600, shift={2: 0.6}, slope={5: 0.6})
    res = pm.dif(X, lang)
    assert set(res.flagged) == {"i3", "i6"}
    assert res.table.loc["i3", "p12"] < 1e-6
    assert res.table.loc["i6", "p23"] < 1e-3
    assert set(res.anchors) == {"i1", "i2", "i4", "i5", "i7", "i8"}
    assert res.options["purification_converged"]
    by_theta = pm.dif(X, lang, matching="theta")
    assert set(by_theta.flagged) == {"i3", "i6"}
    fig = res.plot()
    assert len([ax for ax in fig.axes if ax.lines]) == 2


def test_no_dif_is_flagged_at_the_nominal_rate():
    """30 seeded replications x 8 items without DIF: each LR test rejects at about alpha, and
    the flag rate (any of three tests at 0.01) stays within its nominal bound."""
    p12, p23, flags = [], [], 0
    for rep in range(30):
        X, lang = _two_groups(100 + rep, n_per=250)
        res = pm.dif(X, lang, purify=False)
        p12 += list(res.table["p12"])
        p23 += list(res.table["p23"])
        flags += len(res.flagged)
    n = len(p12)
    se = np.sqrt(0.05 * 0.95 / n)
    assert np.mean(np.array(p12) < 0.05) < 0.05 + 2.5 * se
    assert np.mean(np.array(p23) < 0.05) < 0.05 + 2.5 * se
    # three nested tests at 0.01: the union is at most 0.02 (13 and 23 add 12's complement)
    assert flags / n <= 0.02 + 2.5 * np.sqrt(0.02 * 0.98 / n)


def test_inputs_and_errors(bfi):
    X = bfi[ITEMS].iloc[:600]
    g = bfi["gender"].iloc[:600]
    before = X.copy()
    by_series = pm.dif(X, g, purify=False)
    by_column = pm.dif(bfi[ITEMS + ["gender"]].iloc[:600], "gender", purify=False)
    pd.testing.assert_frame_equal(by_series.table, by_column.table)
    by_array = pm.dif(X, g.to_numpy(), purify=False)
    pd.testing.assert_frame_equal(by_series.table, by_array.table)
    pd.testing.assert_frame_equal(X, before)
    json.dumps(by_series.to_dict())
    with pytest.raises(MissingColumnError):
        pm.dif(X, "language")
    with pytest.raises(DataError, match="two groups"):
        pm.dif(X, np.ones(600))
    with pytest.raises(DataError, match="group values"):
        pm.dif(X, np.ones(10))
    with pytest.raises(DataError, match="names a column"):
        pm.dif(X.to_numpy(), "gender")
    with pytest.raises(OptionError):
        pm.dif(X, g, model="mantel")
    with pytest.raises(OptionError):
        pm.dif(X, g, criterion="p")
    with pytest.raises(OptionError, match="r2_change"):
        pm.dif(X, g, criterion="r2", r2_change=-1)
    with pytest.raises(DataError):
        pm.dif(X, g.iloc[::-1].reset_index(drop=True).rename(lambda i: f"x{i}"))
