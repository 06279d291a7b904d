"""The differential-diagnosis profile: burnout scores beside depression and anxiety scales."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import psychometrics as pm
from psychometrics.classify import DISCLAIMER, ProfileResult, profile
from psychometrics.cli import main
from psychometrics.errors import DataError, NormError
from psychometrics.norms import UncertainNormWarning, list_norms, load_norms

# 4DKL items of each scale (Terluin 2006), to build answers with a given scale sum
DEP_ITEMS = [28, 30, 33, 34, 35, 46]
ANX_ITEMS = [18, 21, 23, 24, 27, 40, 42, 43, 44, 45, 49, 50]


def _mbi(ee: int, dp: int, pa: int, index=None) -> pd.DataFrame:
    """MBI-HSS sum scores from answers: EE items 1,2,3,6,8,13,14,16,20; DP 5,10,11,15,22; PA rest."""
    ee_items, dp_items = [1, 2, 3, 6, 8, 13, 14, 16, 20], [5, 10, 11, 15, 22]
    pa_items = [i for i in range(1, 23) if i not in ee_items + dp_items]
    rows = []
    for e, d, p in zip(np.atleast_1d(ee), np.atleast_1d(dp), np.atleast_1d(pa)):
        row = {}
        for items, total in ((ee_items, e), (dp_items, d), (pa_items, p)):
            for j, it in enumerate(items):  # spread the total over the items (max 6 each)
                row[f"mbi{it}"] = min(6, max(0, int(total) - 6 * j))
        rows.append(row)
    return pm.score(pd.DataFrame(rows, index=index), "mbi-hss", method="sum")


def _dkl(dep, anx, index=None) -> pd.DataFrame:
    rows = []
    for d, a in zip(np.atleast_1d(dep), np.atleast_1d(anx)):
        row = {f"dkl{i}": 0 for i in range(1, 51)}
        for items, total in ((DEP_ITEMS, d), (ANX_ITEMS, a)):
            for j, it in enumerate(items):  # 0-4 answers recoded 0,1,2,2,2: at most 2 per item
                row[f"dkl{it}"] = min(2, max(0, int(total) - 2 * j))
        rows.append(row)
    return pm.score(pd.DataFrame(rows, index=index), "4dkl")


def _hamd(totals, index=None) -> pd.DataFrame:
    rows = []
    for t in np.atleast_1d(totals):
        row, left = {}, int(t)
        for i in range(1, 18):
            cap = 2 if i in (4, 5, 6, 12, 13, 14, 16, 17) else 4
            row[f"hamd{i}"] = min(cap, left)
            left -= row[f"hamd{i}"]
        rows.append(row)
    return pm.score(pd.DataFrame(rows, index=index), "hamd-17")


def _profile(*a, **kw) -> ProfileResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UncertainNormWarning)
        return profile(*a, **kw)


MBI_NORMS = {"mbi-hss": "mbi-hss-overall"}  # EE >= 27, DP >= 13 high; PA <= 31 low


# --- the table ---------------------------------------------------------------------------------

def test_mbi_beside_hamd_bands_and_flags():
    idx = ["a", "b", "c", "d"]
    # a: EE and DP at their high edges; b: DP high but EE one below its edge; c: nothing high;
    # d: low personal accomplishment alone (the case that used to be flagged as burnout)
    mbi = _mbi([27, 26, 10, 10], [13, 13, 5, 5], [40, 40, 40, 31], index=idx)
    hamd = _hamd([8, 24, 7, 17], index=idx)
    p = _profile({"mbi-hss": mbi, "hamd-17": hamd}, norms=MBI_NORMS)
    t = p.table
    assert list(t.columns) == ["respondent", "instrument", "scale", "name", "role", "score", "band",
                               "band_id", "elevated", "flag", "norms", "reason"]
    assert list(t["respondent"]) == [r for r in idx for _ in range(4)]  # per respondent, in order
    ee = t[t.scale == "EE"].set_index("respondent")
    assert list(ee["band_id"]) == ["high", "average", "low", "low"]
    h = t[t.instrument == "hamd-17"].set_index("respondent")
    assert list(h["score"]) == [8, 24, 7, 17]
    assert list(h["band"]) == ["mild depression", "severe depression", "no depression",
                               "moderate depression"]
    assert list(h["elevated"]) == [True, True, False, True]
    w = p.wide
    # the MBI's rule is exhaustion + 1: only a is burnout; b (no exhaustion), d (PA alone) are not
    assert list(w["mbi-hss.burnout_high"]) == [True, False, False, False]
    assert list(w["burnout_high"]) == [True, False, False, False]
    assert p.burnout_rules["mbi-hss"]["id"] == "exhaustion-plus-one"
    assert "Brenninkmeijer" in p.burnout_rules["mbi-hss"]["source"]
    assert list(w["depression_elevated"]) == [True, True, False, True]
    assert list(w["overlap"]) == [True, False, False, False]
    # no anxiety scale: unknown where burnout is high, false where it is not (three-valued)
    assert list(w["overlap_anxiety"].astype(object).where(w["overlap_anxiety"].notna(), None)) == \
        [None, False, False, False]
    assert p.flagged == ["a"]
    assert list(h["flag"]) == [True, False, False, False]
    assert list(ee["flag"]) == [True, False, False, False]
    pa = t[t.scale == "PA"].set_index("respondent")
    assert list(pa["elevated"]) == [False, False, False, True]  # low accomplishment = burnout side
    assert list(pa["flag"]) == [False, False, False, False]     # ... but alone it is no burnout
    assert p.norms == {"mbi-hss": "mbi-hss-overall", "hamd-17": "hamd-17-zimmerman2013"}
    assert "Zimmerman" in p.sources["hamd-17-zimmerman2013"]
    assert p.has_comparison


@pytest.mark.parametrize(("ee", "dp", "pa", "high"), [
    (27, 13, 40, True),    # EE and DP at their edges
    (27, 12, 32, False),   # EE high, DP and PA one step short
    (27, 12, 31, True),    # EE high and PA at its low edge
    (26, 13, 31, False),   # everything but exhaustion: exhaustion is the core dimension
    (0, 0, 0, False),      # PA low alone
])
def test_mbi_burnout_flag_is_exhaustion_plus_one_at_its_edges(ee, dp, pa, high):
    p = _profile({"mbi-hss": _mbi([ee], [dp], [pa])}, norms=MBI_NORMS)
    assert bool(p.wide["mbi-hss.burnout_high"].iloc[0]) is high
    assert "burnout rule of mbi-hss: exhaustion high and (distance high or competence low)" in p.summary()
    nl = _profile({"mbi-hss": _mbi([ee], [dp], [pa])}, norms=MBI_NORMS, lang="nl")
    assert nl.burnout_rules["mbi-hss"]["name"] == "uitputting hoog en (distantie hoog of competentie laag)"


@pytest.mark.parametrize(("ex", "di", "high"), [(2.25, 2.10, True), (2.25, 2.0, False),
                                                (2.125, 4.0, False), (4.0, 2.125, True)])
def test_olbi_burnout_flag_needs_both_subscales(ex, di, high):
    # Peterson et al. 2008: high exhaustion (>= 2.25) AND high disengagement (>= 2.10)
    s = pd.DataFrame({"EX": [ex], "DI": [di]})
    s.attrs["psychometrics"] = {"instrument": "olbi", "form": "agree-low"}
    p = _profile({"olbi": s}, norms={"olbi": "olbi-peterson-2008"}, scale="mean")
    assert bool(p.wide["olbi.burnout_high"].iloc[0]) is high
    assert p.burnout_rules["olbi"]["id"] == "olbi-both-high"
    assert "Peterson" in p.burnout_rules["olbi"]["source"]


@pytest.mark.parametrize(("dep", "anx", "dep_el", "anx_el"),
                         [(2, 3, False, False), (3, 3, True, False), (2, 4, False, True),
                          (6, 10, True, True)], ids=["none", "dep-edge", "anx-edge", "both-strong"])
def test_4dkl_depression_and_anxiety_edges(dep, anx, dep_el, anx_el):
    mbi = _mbi([30, 10], [20, 0], [40, 40])  # respondent 0 burnout high, 1 not
    dkl = _dkl([dep, dep], [anx, anx])
    p = _profile([mbi, dkl], norms=MBI_NORMS)
    w = p.wide
    assert list(w["4dkl.DEP"]) == [dep, dep] and list(w["4dkl.ANX"]) == [anx, anx]
    assert list(w["depression_elevated"]) == [dep_el, dep_el]
    assert list(w["anxiety_elevated"]) == [anx_el, anx_el]
    assert list(w["overlap"]) == [dep_el, False]
    assert list(w["overlap_anxiety"]) == [anx_el, False]
    roles = p.table.drop_duplicates("scale").set_index("scale")["role"]
    assert roles[["DIS", "DEP", "ANX", "SOM"]].tolist() == ["distress", "depression", "anxiety",
                                                           "somatization"]
    assert p.norms["4dkl"] == "4dkl-terluin"


def test_bdi_ii_as_the_depression_scale():
    bdi = pm.score(pd.DataFrame([{f"bdi{i}": v for i in range(1, 22)} for v in (0, 1)]), "bdi-ii")
    p = _profile({"mbi-hss": _mbi([40, 40], [20, 20], [20, 20]), "bdi-ii": bdi}, norms=MBI_NORMS)
    rows = p.table[p.table.instrument == "bdi-ii"]
    assert list(rows["score"]) == [0, 21] and list(rows["band_id"]) == ["minimal", "moderate"]
    assert list(p.wide["overlap"]) == [False, True]


def test_respondents_matched_by_index_with_missing_and_reordered_frames():
    mbi = _mbi([30, 30, 5], [20, 20, 0], [40, 40, 40], index=["x", "y", "z"])
    hamd = _hamd([0, 20], index=["z", "x"])  # y has no HAMD, order differs
    p = _profile({"mbi-hss": mbi, "hamd-17": hamd}, norms=MBI_NORMS)
    w = p.wide
    assert list(w.index) == ["x", "y", "z"]
    assert w.loc["x", "hamd-17.total"] == 20 and np.isnan(w.loc["y", "hamd-17.total"])
    assert pd.isna(w.loc["y", "hamd-17.total_band"])
    # y: burnout high, depression unknown -> overlap unknown (three-valued)
    assert w.loc["x", "overlap"] and pd.isna(w.loc["y", "overlap"]) and not w.loc["z", "overlap"]
    assert pd.isna(p.respondent("y").set_index("scale").loc["total", "elevated"])


def test_missing_scores_give_kleene_results():
    mbi = _mbi([30, 5, 30], [20, 20, 0], [40, 40, 40])
    mbi.loc[1, "EE"] = np.nan  # burnout unknown for respondent 1 (DP high, exhaustion unknown)
    mbi.loc[2, "PA"] = np.nan  # ... and for 2 (EE high, DP not, accomplishment unknown)
    hamd = _hamd([10, 0, 10])
    w = _profile({"mbi-hss": mbi, "hamd-17": hamd}, norms=MBI_NORMS).wide
    assert w.loc[0, "burnout_high"] and pd.isna(w.loc[1, "burnout_high"])
    assert not w.loc[1, "overlap"]      # depression not elevated: no overlap whatever burnout is
    assert pd.isna(w.loc[2, "overlap"])  # depression elevated, burnout unknown


def test_id_column_matching():
    d = pd.DataFrame({"pid": ["p1", "p2"], **{f"hamd{i}": [0, 2] for i in range(1, 18)}})
    hamd = pm.score(d, "hamd-17", id="pid")
    m = pd.DataFrame({"pid": ["p2", "p1"], **{f"mbi{i}": [6, 0] for i in range(1, 23)}})
    mbi = pm.score(m, "mbi-hss", id="pid", method="sum")
    p = _profile({"hamd-17": hamd, "mbi-hss": mbi}, norms=MBI_NORMS, id="pid")
    assert list(p.wide.index) == ["p1", "p2"]
    assert p.wide.loc["p2", "mbi-hss.EE"] == 54 and p.wide.loc["p2", "hamd-17.total"] == 34
    assert p.wide.loc["p2", "overlap"] and not p.wide.loc["p1", "overlap"]
    with pytest.raises(DataError, match="pid"):
        profile({"hamd-17": hamd.drop(columns="pid")}, id="pid")


def test_criteria_checklists_in_the_profile():
    nl = pd.DataFrame([{**{f"ovs{i}": 1 for i in range(1, 14) if i != 12}, "ovs14": 40},
                       {**{f"ovs{i}": 1 for i in range(1, 14) if i != 12}, "ovs14": 26, "ovs9": 0}])
    s = pm.score(nl, "overspanning-nl-2011")
    p = _profile({"overspanning-nl-2011": s, "hamd-17": _hamd([20, 20])})
    crit = p.table[p.table.role == "criteria"]
    assert sorted(set(crit["scale"])) == ["nl-2011-burnout", "nl-2011-overspanning"]
    b = crit[crit.scale == "nl-2011-burnout"].set_index("respondent")
    assert list(b["elevated"]) == [True, False]
    assert b.loc[1, "reason"] == "loss_of_control=0 not == 1; duration_weeks=26 not > 26"
    assert b["norms"].iloc[0] == "overspanning-nl-2011-criteria"
    assert list(p.wide["overlap"]) == [True, False]
    assert "nl-2011-burnout" in p.sources and p.norms["overspanning-nl-2011"] is None


def test_default_norms_for_a_burnout_instrument_are_recorded():
    # issue 12 item 5: the default is marked in the data (the manual's overall row), never
    # picked by confidence with ties broken by file name (that chose mbi-hss-french, EE >= 30)
    p = _profile({"mbi-hss": _mbi([27], [5], [40])})
    assert p.norms["mbi-hss"] == "mbi-hss-overall"
    assert [n for n in list_norms("mbi-hss") if load_norms(n).doc.get("default")] == ["mbi-hss-overall"]
    assert set(p.table["norms"]) == {"mbi-hss-overall"}
    assert p.table.set_index("scale").loc["EE", "band_id"] == "high"


def test_norms_given_as_a_norm_set_and_none():
    ns = load_norms("hamd-17-five-level")
    p = _profile([_hamd([19])], norms=ns)
    assert p.table["band_id"].iloc[0] == "severe" and p.norms["hamd-17"] == "hamd-17-five-level"
    q = _profile([_hamd([19])], norms={"hamd-17": None})
    assert pd.isna(q.table["band"].iloc[0]) and pd.isna(q.table["elevated"].iloc[0])


def test_language_of_labels_and_disclaimer():
    p = _profile([_hamd([9])], lang="nl")
    assert p.table["band"].iloc[0] == "lichte depressie"
    assert p.table["name"].iloc[0] == "HAMD-17 totaal"
    assert p.disclaimer == DISCLAIMER["nl"] and "geen diagnose" in p.summary()


def test_uncertain_norms_warn():
    with pytest.warns(UncertainNormWarning, match="4dkl-terluin"):
        profile([_dkl([0], [0])])


# --- errors ------------------------------------------------------------------------------------

def test_input_errors_name_the_problem():
    hamd = _hamd([3])
    bare = hamd.copy()
    bare.attrs = {}
    with pytest.raises(DataError, match="which instrument"):
        profile(bare)
    with pytest.raises(DataError, match="'bdi-ii'.*'hamd-17'"):
        profile({"bdi-ii": hamd})
    with pytest.raises(NormError, match="not among the scores"):
        profile([hamd], norms={"bdi-ii": "bdi-ii-manual"})
    with pytest.raises(NormError, match="bdi-ii"):
        profile([hamd], norms="bdi-ii-manual")
    with pytest.raises(DataError, match="DataFrame"):
        profile({"hamd-17": [1, 2]})
    with pytest.raises(DataError, match="lang"):
        profile([hamd], lang="english")
    dup = _hamd([3, 4], index=["a", "a"])
    with pytest.raises(pm.errors.DuplicateIdError):
        profile([dup])


def test_inputs_are_not_modified():
    mbi, hamd = _mbi([30, 5], [20, 5], [40, 40]), _hamd([10, 2])
    before = (mbi.copy(deep=True), hamd.copy(deep=True), dict(mbi.attrs))
    _profile({"mbi-hss": mbi, "hamd-17": hamd}, norms=MBI_NORMS)
    pd.testing.assert_frame_equal(mbi, before[0])
    pd.testing.assert_frame_equal(hamd, before[1])
    assert mbi.attrs == before[2]


# --- result object -----------------------------------------------------------------------------

def test_to_dict_is_json_and_summary_reads():
    p = _profile({"mbi-hss": _mbi([30, 5], [20, 5], [40, 40]), "hamd-17": _hamd([10, 2])},
                 norms=MBI_NORMS)
    d = p.to_dict()
    assert list(d) == ["table", "wide", "norms", "sources", "burnout_rules", "flagged", "lang",
                       "disclaimer"]
    text = json.dumps(d)
    back = json.loads(text)
    assert back["flagged"] == [0] and back["wide"][0]["overlap"] is True
    assert back["table"][0] == {"respondent": 0, "instrument": "mbi-hss", "scale": "EE",
                                "name": "Emotional Exhaustion", "role": "burnout", "score": 30.0,
                                "band": "high", "band_id": "high", "elevated": True, "flag": True,
                                "norms": "mbi-hss-overall", "reason": None}
    s = p.summary()
    assert "no diagnosis" in s and "1 flagged" in s and "hamd-17.total" in s


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 25))
def test_wide_flags_agree_with_the_table_and_do_not_depend_on_order(seed, n):
    rng = np.random.default_rng(seed)
    idx = [f"r{i}" for i in range(n)]
    mbi = _mbi(rng.integers(0, 55, n), rng.integers(0, 31, n), rng.integers(0, 49, n), index=idx)
    hamd = _hamd(rng.integers(0, 53, n), index=idx)
    hamd.loc[hamd.index[rng.random(n) < 0.2], "total"] = np.nan
    p = _profile({"mbi-hss": mbi, "hamd-17": hamd}, norms=MBI_NORMS)
    t = p.table
    # independent reading of the table: burnout high = EE >= 27 and (DP >= 13 or PA <= 31)
    sc = t.pivot(index="respondent", columns="scale", values="score").loc[idx]
    burn = (sc["EE"] >= 27) & ((sc["DP"] >= 13) | (sc["PA"] <= 31))
    dep = sc["total"] >= 8
    known = sc["total"].notna()
    expect = (burn & dep).where(known | ~burn, other=np.nan)
    got = p.wide["overlap"].astype("float").to_numpy()
    np.testing.assert_array_equal(got, expect.astype(float).to_numpy())
    # reversing the order of one input changes nothing per respondent
    q = _profile({"hamd-17": hamd.iloc[::-1], "mbi-hss": mbi}, norms=MBI_NORMS)
    pd.testing.assert_frame_equal(q.wide.loc[idx, p.wide.columns].sort_index(),
                                  p.wide.sort_index(), check_like=True)


# --- command line ------------------------------------------------------------------------------

def test_cli_profile(tmp_path, capsys):
    d = pd.DataFrame({"pid": ["a", "b"]})
    for i in range(1, 23):
        d[f"MBI_{i}"] = [6, 0]
    for i in range(1, 18):
        d[f"hamd{i}"] = [1, 0]
    path = tmp_path / "export.csv"
    d.to_csv(path, index=False)
    argv = ["profile", str(path), "-i", "mbi-hss", "-i", "hamd-17", "--items", "mbi-hss=MBI_{n}",
            "--method", "mbi-hss=sum", "--norms", "mbi-hss=mbi-hss-overall", "--id", "pid"]
    assert main(argv + ["--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["flagged"] == ["a"] and out["norms"]["hamd-17"] == "hamd-17-zimmerman2013"
    assert main(argv + ["--table", "wide", "-o", str(tmp_path / "wide.csv")]) == 0
    wide = pd.read_csv(tmp_path / "wide.csv")
    assert list(wide["respondent"]) == ["a", "b"] and list(wide["overlap"]) == [True, False]
    capsys.readouterr()
    assert main(argv[:-2] + ["--norms", "nonsense"]) == 2
    assert "--norms 'nonsense'" in capsys.readouterr().err


def test_public_name():
    assert pm.profile is profile
