"""Classification rules: every shipped rule at its boundaries, the condition language, missing data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from _scales import rule_scale

import psychometrics as pm
from psychometrics.classify import Rule, describe, get_rule
from psychometrics.errors import DataError, NormError
from psychometrics.norms import NormSet, UncertainNormWarning, load_norms


def _levels(rule, rows: dict, **kw) -> list:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UncertainNormWarning)
        if "scale" not in kw and isinstance(rule, str):
            kw["scale"] = rule_scale(rule, kw.get("norms"))
        out = pm.classify(pd.DataFrame(rows), rule, **kw)
    return out["level"].tolist()


# --- every shipped rule at just below / at / just above each cut-off -----------------------------

def test_every_shipped_rule_has_boundary_cases():
    # the burnout norm/cut-off files of issue 3 (clinical criteria sets of other issues have
    # their own tests)
    tested = set(CASES) | {f"{nid}-{kind}" for nid in MBI for kind in ("ee-or-dp", "ee-plus-one", "all-three")} \
        | {"ubos-quartile", "mbi-hss-profile"}
    rules = pm.list_rules()
    mine = rules[rules["norms"].isin(BURNOUT_NORMS)]
    assert len(mine) >= 39
    assert set(mine["id"]) <= tested


BURNOUT_NORMS = {
    "mbi-hss-overall", "mbi-es-teachers", "mbi-hss-medicine", "mbi-hss-french", "mbi-hss-mental-health",
    "mbi-hss-social-services", "mbi-gs-bands-sum", "mbi-gs-bands-mean", "mbi-gs-profiles",
    "olbi-peterson-2008", "olbi-total-swiss-patients-2021", "ubos-rules", "ubos-c-healthcare-kool",
    "quartile-rule", "mbi-hss-profiles",
    "cbi-50-borritz-2004", "cbi-bands-convention", "4dkl-terluin", "4dkl-terluin-legacy", "bat-23-flanders",
    "bat-12-pooled-sjweh2023", "smbm-sundstrom-2025", "uwes-17-manual", "uwes-9-manual"}

CASES = {
    # Leiter & Maslach (2016): Burnout is high on all three (EX >= 2.90, CY >= 2.86, PE <= 4.30)
    "mbi-gs-profile": ({"EX": [2.90, 2.90, 2.89, 2.89, 2.89, 2.90, 2.90, 2.89],
                        "CY": [2.86, 2.85, 2.86, 2.85, 2.85, 2.86, 2.86, 2.86],
                        "PE": [4.30, 4.31, 4.31, 4.30, 4.31, 4.31, 5.0, 4.30]},
                       ["burnout", "overextended", "disengaged", "ineffective", "engaged", "mixed",
                        "mixed", "mixed"]),
    "mbi-gs-kleijweg-ex": ({"EX": [3.49, 3.50, 3.51]}, ["negative", "positive", "positive"]),
    "olbi-peterson-both-high": ({"EX": [2.24, 2.25, 2.25, 2.26], "DI": [2.5, 2.09, 2.10, 2.11]},
                                ["negative", "negative", "positive", "positive"]),
    "olbi-peterson-high-exhaustion": ({"EX": [2.24, 2.25, 2.26]}, ["negative", "positive", "positive"]),
    "olbi-total-severity": ({"total": [30, 30.5, 31, 44, 44.5, 45]}, ["none", "mild", "mild", "mild", "high", "high"]),
    "ubos-clinical-criterion": ({"U": [2.19, 2.20, 2.20, 2.20, 2.21],
                                 "D": [3.0, 1.99, 2.00, 1.99, 1.99],
                                 "C": [3.0, 3.67, 3.67, 3.66, 3.65]},
                                ["no_burnout", "no_burnout", "burnout", "burnout", "burnout"]),
    "cbi-pb-high": ({"PB": [49.99, 50.0, 50.01]}, ["low", "high", "high"]),
    "cbi-wb-high": ({"WB": [49.99, 50.0, 50.01]}, ["low", "high", "high"]),
    "cbi-cb-high": ({"CB": [49.99, 50.0, 50.01]}, ["low", "high", "high"]),
    "4dkl-distress": ({"DIS": [10, 11, 12, 20, 21, 22]},
                      ["not_elevated"] + ["moderately_elevated"] * 3 + ["strongly_elevated"] * 2),
    "4dkl-depression": ({"DEP": [2, 3, 4, 5, 6, 7]},
                        ["not_elevated"] + ["moderately_elevated"] * 3 + ["strongly_elevated"] * 2),
    "4dkl-anxiety": ({"ANX": [3, 4, 5, 9, 10, 11]},
                     ["not_elevated"] + ["moderately_elevated"] * 3 + ["strongly_elevated"] * 2),
    "4dkl-somatization": ({"SOM": [10, 11, 12, 20, 21, 22]},
                          ["not_elevated"] + ["moderately_elevated"] * 3 + ["strongly_elevated"] * 2),
    "bat-23-flanders-risk": ({"total": [2.58, 2.585, 2.59, 3.01, 3.015, 3.02]},
                             ["green", "orange", "orange", "orange", "red", "red"]),
    "bat-23-flanders-burnout": ({"total": [3.01, 3.02, 3.03]}, ["not_red", "red", "red"]),
    "bat-12-pooled-risk": ({"total": [2.53, 2.54, 2.55, 2.95, 2.96, 2.97]},
                           ["no_risk", "at_risk", "at_risk", "at_risk", "severe", "severe"]),
    "smbm-burnout": ({"total": [3.99, 4.0, 4.01]}, ["below", "burnout", "burnout"]),
    "uwes-9-manual-low-engagement": ({"total": [2.87, 2.88, 2.89]}, ["low", "low", "not_low"]),
    "uwes-17-manual-low-engagement": ({"total": [3.05, 3.06, 3.07]}, ["low", "low", "not_low"]),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_shipped_rule_boundaries(rule):
    rows, expected = CASES[rule]
    assert _levels(rule, rows) == expected


MBI = ["mbi-hss-overall", "mbi-es-teachers", "mbi-hss-medicine", "mbi-hss-french",
       "mbi-hss-mental-health", "mbi-hss-social-services"]


def _mbi_edges(nid):
    e = load_norms(nid).entries[0].subscales
    return e["EE"].bands[2].lower, e["DP"].bands[2].lower, e["PA"].bands[1].lower  # PA low = below this


@pytest.mark.parametrize("nid", MBI)
def test_mbi_rules_boundaries(nid):
    ee, dp, pa = _mbi_edges(nid)  # lowest high EE, lowest high DP, lowest non-low PA
    rows = {"EE": [ee - 1, ee, ee - 1, ee, ee, ee],
            "DP": [dp - 1, dp - 1, dp, dp - 1, dp, dp],
            "PA": [pa, pa, pa, pa - 1, pa, pa - 1]}
    assert _levels(f"{nid}-ee-or-dp", rows) == ["negative", "positive", "positive", "positive", "positive", "positive"]
    assert _levels(f"{nid}-ee-plus-one", rows) == ["negative", "negative", "negative", "positive", "positive", "positive"]
    assert _levels(f"{nid}-all-three", rows) == ["negative"] * 5 + ["positive"]


def test_mbi_published_numbers():
    # the numbers themselves, as printed: overall EE >= 27, DP >= 13, PA <= 31; physicians
    # EE >= 27, DP >= 10, PA <= 33 (instruments.md 1.4)
    assert _mbi_edges("mbi-hss-overall") == (27, 13, 32)
    assert _mbi_edges("mbi-hss-medicine") == (27, 10, 34)
    assert _mbi_edges("mbi-es-teachers") == (27, 14, 31)
    assert _mbi_edges("mbi-hss-french") == (30, 12, 34)


# --- the UBOS quartile rule with any norm set ---------------------------------------------------

def _ubos_norms(p25: dict, p75: dict) -> NormSet:
    return NormSet({"id": "ubos-test", "name": "t", "instrument": {"id": "ubos-a"}, "population": "x",
                    "source": {"ref": "hand-made", "confidence": "user"}, "method": "published-cutoffs",
                    "norms": [{"stratum": {}, "subscales": {
                        s: {"score": "mean", "quartiles": {"p25": p25[s], "p75": p75[s]}} for s in "UDC"}}]})


def test_ubos_quartile_rule_boundaries():
    ns = _ubos_norms({"U": 1.0, "D": 0.5, "C": 4.0}, {"U": 2.4, "D": 1.6, "C": 5.2})
    rows = {"U": [2.39, 2.40, 2.40, 2.40, 2.40, 2.41, 2.39],
            "D": [1.6, 1.59, 1.60, 1.59, 1.59, 1.61, 1.7],
            "C": [3.0, 4.01, 4.01, 4.00, 4.01, 5.0, 3.0]}
    assert _levels("ubos-quartile", rows, norms=ns) == [
        "no_burnout", "no_burnout", "burnout", "burnout", "no_burnout", "burnout", "no_burnout"]


def test_ubos_quartile_rule_with_built_norms():
    rng = np.random.default_rng(4)
    s = pd.DataFrame({k: rng.integers(0, 31, 600) / 5 for k in "UDC"})
    s.attrs["psychometrics"] = {"instrument": "ubos-a", "scoring": dict.fromkeys("UDC", "mean")}
    ns = pm.build_norms(s, bootstrap=0)
    out = pm.classify(s, "ubos-quartile", norms=ns)
    flags = pm.apply_norms(s, ns)
    exp = flags["U_top_quartile"] & (flags["D_top_quartile"] | flags["C_bottom_quartile"])
    assert (out["positive"] == exp).all()
    assert out.loc[out.positive, "reason"].str.contains("U in top quartile").all()
    # negatives say which condition failed
    neg = out[~out.positive.astype(bool) & ~flags["U_top_quartile"].astype(bool)]
    assert neg["reason"].str.contains("U not in top quartile").all()


def test_quartile_rule_needs_norms():
    with pytest.raises(NormError, match="norms="):
        pm.classify(pd.DataFrame({"U": [1.0], "D": [1.0], "C": [1.0]}), "ubos-quartile")


# --- the condition language -------------------------------------------------------------------------

CRITERIA = {
    "id": "criteria-demo", "name": {"en": "at least 3 of 5 complaints for 6 months"},
    "source": {"ref": "a made-up criteria set for the test", "confidence": "user"},
    "levels": [{"id": "case", "label": {"en": "case"}, "positive": True,
                "when": {"all": [{"at_least": 3, "of": [{"item": f"c{i}", "==": "yes"} for i in range(1, 6)]},
                                 {"column": "months", ">=": 6},
                                 {"not": {"column": "cause", "in": ["illness", "drugs"]}}]}}],
    "otherwise": {"id": "no_case", "label": {"en": "no case"}, "positive": False},
}


def test_count_items_durations_and_not():
    d = pd.DataFrame({"c1": ["yes", "yes", "yes", "yes", None], "c2": ["yes", "no", "yes", "yes", "yes"],
                      "c3": ["yes", "yes", "no", "yes", "yes"], "c4": ["no", "yes", "no", "yes", "no"],
                      "c5": ["no", "no", "no", "yes", "no"], "months": [6, 12, 24, 5, 8],
                      "cause": ["work", "work", "work", "work", "illness"]})
    out = pm.classify(d, CRITERIA)
    assert out["level"].tolist() == ["case", "case", "no_case", "no_case", "no_case"]
    assert "3 of 5 hold" in out["reason"].iloc[0]
    assert "months=5 not >= 6" in out["reason"].iloc[3]
    assert "cause=illness" in out["reason"].iloc[4]


def test_missing_values_use_three_valued_logic():
    rule = "olbi-peterson-both-high"
    out = pm.classify(pd.DataFrame({"EX": [np.nan, np.nan, 2.0], "DI": [2.5, 1.0, np.nan]}), rule,
                      scale="mean")
    # unknown EX and high DI: undetermined; unknown EX but low DI: negative; low EX: negative
    assert out["positive"].isna().tolist() == [True, False, False]
    assert out["positive"].iloc[1] == False  # noqa: E712 - nullable boolean
    assert out["reason"].iloc[0].startswith("undetermined") and "EX missing" in out["reason"].iloc[0]
    assert out["label"].iloc[0] == "not scored"  # a named level (issue 12 item 7), not '?'
    assert out["level"].iloc[0] == "not_scored"


def test_at_least_with_missing_parts():
    rule = {"id": "k", "name": {"en": "k"}, "source": {"ref": "test", "confidence": "user"},
            "levels": [{"id": "yes", "label": {"en": "yes"}, "positive": True,
                        "when": {"at_least": 2, "of": [{"column": "a", "==": 1}, {"column": "b", "==": 1},
                                                       {"column": "c", "==": 1}]}}],
            "otherwise": {"id": "no", "label": {"en": "no"}, "positive": False}}
    d = pd.DataFrame({"a": [1, 1, 0, 1], "b": [np.nan, np.nan, np.nan, 0],
                      "c": [1, 0, 0, np.nan]})
    out = pm.classify(d, rule)
    assert out["level"].tolist()[0] == "yes"
    assert out["level"].iloc[1] == "not_scored"  # 1 known + 1 unknown could still reach 2
    assert out["level"].tolist()[2] == "no"
    assert out["level"].iloc[3] == "not_scored" and pd.isna(out["positive"].iloc[3])


def test_float_means_reach_their_cut_off():
    with pytest.warns(UncertainNormWarning):
        out = pm.classify(pd.DataFrame({"U": [11 / 5], "D": [2.0], "C": [5.0]}), "ubos-clinical-criterion")
    assert out["positive"].iloc[0]


def test_invalid_rules_are_rejected_without_eval():
    bad = dict(CRITERIA, levels=[{"id": "x", "label": {"en": "x"}, "positive": True,
                                  "when": {"subscale": "EE", "=~": "__import__('os')"}}])
    with pytest.raises(NormError, match="rule 'criteria-demo'"):
        get_rule(bad)
    with pytest.raises(NormError, match="unknown rule"):
        get_rule("no-such-rule")


def test_rule_of_another_instrument_is_refused():
    s = pd.DataFrame({"PB": [60.0]})
    s.attrs["psychometrics"] = {"instrument": "cbi"}
    with pytest.raises(NormError, match="is for bat-12"):
        pm.classify(s, "bat-12-pooled-risk")


def test_missing_subscale_column_is_named():
    with pytest.raises(DataError, match="subscale 'DI'"):
        pm.classify(pd.DataFrame({"EX": [2.0]}), {"id": "x", "name": {"en": "x"},
                                                   "source": {"ref": "test", "confidence": "user"},
                                                   "levels": [{"id": "a", "label": {"en": "a"}, "positive": True,
                                                               "when": {"subscale": "DI", ">": 1}}],
                                                   "otherwise": {"id": "b", "label": {"en": "b"}, "positive": False}})


def test_uncertain_rules_warn_and_labels_translate():
    with pytest.warns(UncertainNormWarning, match="not confirmed"):
        out = pm.classify(pd.DataFrame({"U": [3.0], "D": [3.0], "C": [1.0]}), "ubos-clinical-criterion", lang="nl")
    assert out["label"].iloc[0] == "burn-out"


def test_classify_keeps_index_id_and_order():
    s = pd.DataFrame({"resp": ["a", "b", "c"], "total": [4.5, 1.0, 2.6]}, index=[10, 5, 7])
    out = pm.classify(s, "bat-12-pooled-risk", id="resp", scale="mean")
    assert out.index.tolist() == [10, 5, 7] and out["resp"].tolist() == ["a", "b", "c"]
    assert out.columns.tolist() == ["resp", "level", "label", "positive", "reason"]
    assert out.attrs["psychometrics"]["rule"] == "bat-12-pooled-risk"


def test_band_rule_with_another_norm_set():
    rows = {"EE": [26.0], "DP": [10.0], "PA": [40.0]}
    assert _levels("mbi-hss-overall-ee-or-dp", rows) == ["negative"]
    assert _levels("mbi-hss-overall-ee-or-dp", rows, norms="mbi-hss-medicine") == ["positive"]


def test_list_rules_and_describe():
    r = pm.list_rules("ubos-c")
    assert set(r["id"]) == {"ubos-quartile", "ubos-clinical-criterion"}
    assert r.set_index("id").loc["ubos-clinical-criterion", "uncertain"]
    rule = get_rule("ubos-quartile")
    assert isinstance(rule, Rule) and rule.uses_norms
    assert describe(rule.levels[0]["when"]) == ("(@exhaustion in top quartile and (@distance in top "
                                                "quartile or @competence in bottom quartile))")
    assert "ubos-quartile" in rule.summary()
    assert rule.to_dict()["id"] == "ubos-quartile"


def test_data_is_matched_by_respondent():
    d = pd.DataFrame({"c1": ["yes", "yes", "yes", "yes", None], "c2": ["yes", "no", "yes", "yes", "yes"],
                      "c3": ["yes", "yes", "no", "yes", "yes"], "c4": ["no", "yes", "no", "yes", "no"],
                      "c5": ["no", "no", "no", "yes", "no"], "months": [6, 12, 24, 5, 8],
                      "cause": ["work", "work", "work", "work", "illness"]}, index=list("abcde"))
    items = ["c1", "c2", "c3", "c4", "c5"]
    ref = pm.classify(d, CRITERIA)
    out = pm.classify(d[items], CRITERIA, data=d[["months", "cause"]].iloc[::-1])
    pd.testing.assert_frame_equal(out, ref)
    with pytest.raises(DataError, match="not of the same respondents"):
        pm.classify(d[items], CRITERIA, data=d[["months", "cause"]].reset_index(drop=True))
    with pytest.raises(DataError, match="not of the same respondents"):
        pm.classify(d[items], CRITERIA, data=d[["months", "cause"]].iloc[1:])
