"""Depression scales (HAMD-17, BDI-II) with their bands, the 4DKL bands, and the clinical
criteria sets (Dutch LVE/NHG/NVAB 2011 overspanning/burnout, Swedish exhaustion disorder).

The expected band edges and criteria below are transcribed from the published sources (cited
in the norm and instrument files), not read from those files, so a wrong number in a file
fails here. Every rule is tested at its boundaries and on cases that fail exactly one criterion,
asserting on the reason text that names the failed criterion.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from _scales import norm_scale
from hypothesis import given, settings
from hypothesis import strategies as st

import psychometrics as pm
from psychometrics.classify import classify, list_rules
from psychometrics.instruments import data_dir, load_instrument, validate
from psychometrics.norms import UncertainNormWarning, load_norms

NORMS = data_dir("norms")
INSTRUMENTS = data_dir("instruments")

# --- published band tables: (norm set, subscale, rule, [(score, band id), ...]) ----------------
# each edge is tested from both sides (edge - 1 and edge) plus the ends of the range
ZIMMERMAN = [(0, "none"), (7, "none"), (8, "mild"), (16, "mild"), (17, "moderate"),
             (23, "moderate"), (24, "severe"), (52, "severe")]
FIVE_LEVEL = [(0, "none"), (7, "none"), (8, "mild"), (13, "mild"), (14, "moderate"),
              (18, "moderate"), (19, "severe"), (22, "severe"), (23, "very_severe"),
              (52, "very_severe")]
BDI = [(0, "minimal"), (13, "minimal"), (14, "mild"), (19, "mild"), (20, "moderate"),
       (28, "moderate"), (29, "severe"), (63, "severe")]
N, M, S = "not_elevated", "moderately_elevated", "strongly_elevated"
DKL = {  # Terluin: sum-score cut-offs; anxiety revised 2014 (8/13 before)
    "DIS": [(0, N), (10, N), (11, M), (20, M), (21, S), (32, S)],
    "DEP": [(0, N), (2, N), (3, M), (5, M), (6, S), (12, S)],
    "ANX": [(0, N), (3, N), (4, M), (9, M), (10, S), (24, S)],
    "SOM": [(0, N), (10, N), (11, M), (20, M), (21, S), (32, S)],
}
DKL_RULES = {"DIS": "4dkl-distress", "DEP": "4dkl-depression", "ANX": "4dkl-anxiety",
             "SOM": "4dkl-somatization"}
BANDS = ([("hamd-17-zimmerman2013", "total", "hamd-17-severity-zimmerman", ZIMMERMAN),
          ("hamd-17-five-level", "total", "hamd-17-severity-five-level", FIVE_LEVEL),
          ("bdi-ii-manual", "total", "bdi-ii-severity", BDI),
          ("4dkl-terluin-legacy", "ANX", None, [(7, N), (8, M), (12, M), (13, S)])]
         + [("4dkl-terluin", sid, DKL_RULES[sid], table) for sid, table in DKL.items()])


def _quiet(fn, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UncertainNormWarning)
        return fn(*a, **kw)


def _doc(kind: str, name: str) -> dict:
    folder = NORMS if kind == "norms" else INSTRUMENTS
    return yaml.safe_load((folder / f"{name}.yaml").read_text(encoding="utf-8"))


# ============================================================================ depression scales

@pytest.mark.parametrize("nid", ["hamd-17-zimmerman2013", "hamd-17-five-level", "bdi-ii-manual",
                                 "overspanning-nl-2011-criteria", "exhaustion-disorder-se-criteria"])
def test_norm_files_validate_and_cite_sources(nid):
    doc = _doc("norms", nid)
    validate(doc, "norms", nid)
    ns = load_norms(nid)
    assert ns.id == nid
    assert len(doc["source"]["ref"]) > 40 and doc["source"]["confidence"]
    for rule in doc.get("rules") or []:
        assert rule["source"]["ref"] and rule["source"]["confidence"]
        assert "not a diagnosis" in rule["description"].lower()


def test_hamd_band_sets_cite_their_sources():
    z = _doc("norms", "hamd-17-zimmerman2013")
    assert "Zimmerman" in z["source"]["ref"] and "10.1016/j.jad.2013.04.028" in z["source"]["ref"]
    assert z["source"]["confidence"] == "confirmed" and z["n"] == 627
    five = _doc("norms", "hamd-17-five-level")
    assert "CamCOPS" in five["source"]["ref"]
    # no validating study was found: it is a convention, and the file says so
    assert five["source"]["confidence"] == "convention"
    bdi = _doc("norms", "bdi-ii-manual")
    assert "Beck" in bdi["source"]["ref"] and bdi["year"] == 1996


@pytest.mark.parametrize(("nid", "sid", "rule", "table"), BANDS,
                         ids=[f"{b[0]}-{b[1]}" for b in BANDS])
def test_band_edges(nid, sid, rule, table):
    scores = pd.DataFrame({sid: [float(x) for x, _ in table]}, index=[f"r{i}" for i in range(len(table))])
    ns = load_norms(nid)
    bands = [b.id for b in ns.overall.subscales[sid].bands]
    got = np.array(bands, dtype=object)[ns.overall.subscales[sid].band_index(scores[sid].to_numpy())]
    assert list(got) == [b for _, b in table]
    applied = _quiet(pm.apply_norms, scores, nid, scale=norm_scale(nid))
    labels = {b.id: b.text("en") for b in ns.overall.subscales[sid].bands}
    assert list(applied[f"{sid}_band"]) == [labels[b] for _, b in table]
    if rule is not None:
        res = _quiet(classify, scores, rule, scale=norm_scale(nid))
        assert list(res["level"]) == [b for _, b in table]
        lowest = table[0][1]
        assert list(res["positive"]) == [b != lowest for _, b in table]
        assert res.index.equals(scores.index)


def _hamd_items(total: int) -> dict:
    """Item ratings with the given total, filling each item up to its own maximum in order."""
    inst = load_instrument("hamd-17", warn=False)
    out, left = {}, total
    for it in inst.items:
        v = min(left, max(it.codes))
        out[it.id] = v
        left -= v
    assert left == 0
    return out


def test_hamd17_loads_scores_and_bands_from_items():
    inst = load_instrument("hamd-17", warn=False)
    validate(_doc("instruments", "hamd-17"), "instrument", "hamd-17")
    assert len(inst.items) == 17 and inst.doc["rater"] == "clinician"
    assert sum(max(it.codes) for it in inst.items) == 52
    assert sum(max(it.codes) == 2 for it in inst.items) == 8  # items 4-6, 12-14, 16, 17
    totals = [x for x, _ in ZIMMERMAN]
    data = pd.DataFrame([_hamd_items(t) for t in totals], index=[f"p{t}" for t in totals])
    s = pm.score(data, "hamd-17")
    assert s["total"].tolist() == totals
    res = classify(s, "hamd-17-severity-zimmerman")
    assert list(res["level"]) == [b for _, b in ZIMMERMAN]
    assert res.loc["p16", "reason"] == "total=16 band mild depression (>= 8)"  # score, band, edge
    five = classify(s, "hamd-17-severity-five-level")
    assert list(five["level"]) == ["none", "none", "mild", "moderate", "moderate", "very_severe",
                                   "very_severe", "very_severe"]


def test_bdi_ii_loads_scores_and_bands_from_items():
    assert len(load_instrument("bdi-ii", warn=False).items) == 21
    validate(_doc("instruments", "bdi-ii"), "instrument", "bdi-ii")
    totals = [x for x, _ in BDI]
    rows = []
    for t in totals:  # t = 3 * q + r: q items at 3, one at r
        q, r = divmod(t, 3)
        rows.append({f"bdi{i}": (3 if i <= q else r if i == q + 1 else 0) for i in range(1, 22)})
    s = pm.score(pd.DataFrame(rows), "bdi-ii")
    assert s["total"].tolist() == totals
    applied = pm.apply_norms(s, "bdi-ii-manual", subscales=["total"])
    assert list(applied["total_band"]) == ["minimal depression"] * 2 + ["mild depression"] * 2 + \
        ["moderate depression"] * 2 + ["severe depression"] * 2
    assert list(classify(s, "bdi-ii-severity", lang="nl")["label"])[2] == "lichte depressie"


def test_bdi_ii_prorates_at_17_answered_items_and_bands_the_prorated_sum():
    row = {f"bdi{i}": 1 for i in range(1, 22)}
    for i in range(18, 22):
        row[f"bdi{i}"] = None  # 17 answered, all 1 -> prorated 21
    with pytest.warns(UserWarning, match="prorated"):
        s = pm.score(pd.DataFrame([row]), "bdi-ii")
    assert s["total"].iloc[0] == pytest.approx(21.0)
    assert classify(s, "bdi-ii-severity")["level"].iloc[0] == "moderate"


def test_hamd17_norms_refuse_other_instruments():
    s = pm.score(pd.DataFrame([{f"bdi{i}": 1 for i in range(1, 22)}]), "bdi-ii")
    with pytest.raises(pm.errors.NormError, match="hamd-17"):
        pm.apply_norms(s, "hamd-17-zimmerman2013")


# ============================================================================ criteria sets

COMPLAINTS = ["fatigue", "sleep", "irritability", "crowds_noise", "emotional_lability",
              "worrying", "rushed", "concentration"]
NL_OTHER = ["loss_of_control", "impaired_functioning", "not_psychiatric"]
SE_SYMPTOMS = ["memory_concentration", "demands", "emotional_instability", "sleep_disturbance",
               "weakness_fatigue", "physical_symptoms"]


def _nl(n_complaints=3, control=1, functioning=1, not_psych=1, weeks=30, foreground=1, **over):
    """One respondent's item answers for the Dutch checklist (ovs1..ovs11, ovs13, ovs14)."""
    row = {f"ovs{i}": int(i <= n_complaints) for i in range(1, 9)}
    row.update(ovs9=control, ovs10=functioning, ovs11=not_psych, ovs13=foreground, ovs14=weeks)
    row.update(over)
    return row


def _se(weeks=2, months=6, energy=1, n_symptoms=4, distress=1, not_other=1, **over):
    row = {"ed1": weeks, "ed2": months, "ed3": energy, "ed10": distress, "ed11": not_other}
    row.update({f"ed{i}": int(i - 3 <= n_symptoms) for i in range(4, 10)})
    row.update(over)
    return row


def _classify(rows, instrument, rule, **kw):
    data = pd.DataFrame(rows, index=[f"c{i}" for i in range(len(rows))])
    return classify(pm.score(data, instrument), rule, **kw)


def test_criteria_instruments_validate_and_their_rules_are_found():
    for iid, rules in [("overspanning-nl-2011", ["nl-2011-overspanning", "nl-2011-burnout"]),
                       ("exhaustion-disorder-se", ["se-exhaustion-disorder",
                                                   "se-exhaustion-disorder-f-exclusion"])]:
        doc = _doc("instruments", iid)
        validate(doc, "instrument", iid)
        assert doc["rater"] == "clinician" and doc["family"] == "criteria"
        assert doc["licence"]["item_texts"] is False
        assert all(it.get("label") for it in doc["items"]), "every criterion has a content label"
        assert "no diagnosis" in doc["notes"].lower()
        found = list_rules(iid)
        assert sorted(found["id"]) == sorted(rules)
        assert set(found["norms"]) == {f"{iid}-criteria"}
        assert not found["uses_norms"].any() and (found["confidence"] == "confirmed").all()


def test_criteria_sources_are_recorded():
    nl = _doc("instruments", "overspanning-nl-2011")
    assert any("LVE" in c and "2011" in c for c in nl["citations"])
    assert "langer dan zes maanden" in nl["subscales"]["duration_weeks"]["source"]["ref"]
    assert "section 2.1.1" in nl["subscales"]["roles_dropped"]["source"]["ref"]
    se = _doc("instruments", "exhaustion-disorder-se")
    assert any("Grossi" in c and "10.1111/sjop.12251" in c for c in se["citations"])
    assert "F43.8A" in se["name"]


# --- Dutch guideline: overspanning -------------------------------------------------------------

def test_nl_two_vs_three_complaints():
    res = _classify([_nl(n_complaints=2), _nl(n_complaints=3)], "overspanning-nl-2011",
                    "nl-2011-overspanning")
    assert list(res["level"]) == ["not_met", "overspanning"]
    assert list(res["positive"]) == [False, True]
    assert res["reason"].iloc[0] == "2 of 8 hold (need 3): [fatigue=1 == 1; sleep=1 == 1]"
    assert res["reason"].iloc[1].startswith("3 of 8 hold (>= 3): [fatigue=1 == 1; sleep=1 == 1; "
                                            "irritability=1 == 1] and loss_of_control=1 == 1")


@pytest.mark.parametrize("k", range(9))
def test_nl_any_three_of_the_eight_complaints(k):
    rng = np.random.default_rng(k)
    chosen = rng.permutation(8)[:k] + 1
    row = _nl(n_complaints=0, **{f"ovs{i}": 1 for i in chosen})
    res = _classify([row], "overspanning-nl-2011", "nl-2011-overspanning")
    assert bool(res["positive"].iloc[0]) == (k >= 3)
    assert res["reason"].iloc[0].startswith(f"{k} of 8 hold")
    for i in chosen:  # the complaints that hold are named
        assert f"{COMPLAINTS[i - 1]}=1 == 1" in res["reason"].iloc[0]


@pytest.mark.parametrize("criterion", NL_OTHER)
def test_nl_overspanning_fails_on_each_single_criterion(criterion):
    kw = {"loss_of_control": "control", "impaired_functioning": "functioning",
          "not_psychiatric": "not_psych"}[criterion]
    res = _classify([_nl(n_complaints=8, **{kw: 0})], "overspanning-nl-2011", "nl-2011-overspanning")
    assert res["level"].iloc[0] == "not_met" and not res["positive"].iloc[0]
    extra = " and roles_dropped not given" if criterion == "impaired_functioning" else ""
    assert res["reason"].iloc[0] == f"{criterion}=0 not == 1" + extra  # only the failed criterion
    burnout = _classify([_nl(n_complaints=8, **{kw: 0})], "overspanning-nl-2011", "nl-2011-burnout")
    assert burnout["reason"].iloc[0] == f"{criterion}=0 not == 1" + extra


# --- Dutch guideline: burnout ------------------------------------------------------------------

def test_nl_duration_in_weeks_at_the_six_month_edge():
    # "langer dan zes maanden": six months = 26 weeks is not more than six months; 27 is. A
    # patient at 6 months and 3 weeks (29 weeks) meets it (with whole months it was entered as 6
    # and failed).
    res = _classify([_nl(weeks=26), _nl(weeks=27), _nl(weeks=29), _nl(weeks=0), _nl(weeks=260)],
                    "overspanning-nl-2011", "nl-2011-burnout")
    assert list(res["level"]) == ["not_met", "burnout", "burnout", "not_met", "burnout"]
    assert res["reason"].iloc[0] == "duration_weeks=26 not > 26"
    assert "duration_weeks=29 > 26" in res["reason"].iloc[2]
    nl = _classify([_nl(weeks=26), _nl(weeks=27)], "overspanning-nl-2011", "nl-2011-burnout", lang="nl")
    assert list(nl["label"]) == ["voldoet niet aan de criteria", "voldoet aan criteria burn-out"]
    assert nl["reason"].iloc[0] == "duration_weeks=26 niet > 26"
    assert "duration_weeks=27 > 26" in nl["reason"].iloc[1] and " en " in nl["reason"].iloc[1]
    fr = _classify([_nl(weeks=26), _nl(weeks=27)], "overspanning-nl-2011", "nl-2011-burnout", lang="fr")
    assert list(fr["label"]) == ["critères non remplis", "critères de burnout remplis"]
    assert fr["reason"].iloc[0] == "duration_weeks=26 pas > 26"
    # the duration does not enter overspanning
    ovs = _classify([_nl(weeks=26), _nl(weeks=0)], "overspanning-nl-2011", "nl-2011-overspanning")
    assert list(ovs["positive"]) == [True, True]


def test_nl_old_month_item_is_refused_not_misread():
    row = _nl()
    row["ovs12"] = row.pop("ovs14") // 4  # an export of the old checklist: months in ovs12
    with pytest.raises(pm.errors.DataError, match="ovs14"):
        pm.score(pd.DataFrame([row]), "overspanning-nl-2011")


def test_nl_optional_social_roles_operationalise_impairment():
    # the guideline group's operationalisation: >= 50 % of one or more social roles dropped
    rows = [_nl(functioning=0, ovs15=1), _nl(functioning=0, ovs15=0), _nl(functioning=0),
            _nl(functioning=1, ovs15=0), _nl(functioning=0, ovs15=None)]
    res = _classify(rows, "overspanning-nl-2011", "nl-2011-overspanning")
    assert list(res["positive"]) == [True, False, False, True, False]
    assert "roles_dropped=1 == 1" in res["reason"].iloc[0]
    assert res["reason"].iloc[1] == "impaired_functioning=0 not == 1 and roles_dropped=0 not == 1"
    assert res["reason"].iloc[4] == "impaired_functioning=0 not == 1 and roles_dropped not given"
    nl = _classify(rows[:2], "overspanning-nl-2011", "nl-2011-overspanning", lang="nl")
    assert nl["reason"].iloc[1] == "impaired_functioning=0 niet == 1 en roles_dropped=0 niet == 1"
    fr = _classify(rows[2:3], "overspanning-nl-2011", "nl-2011-overspanning", lang="fr")
    assert fr["reason"].iloc[0] == "impaired_functioning=0 pas == 1 et roles_dropped non renseigné"
    # without the optional column at all, the checklist scores and the rule works as before
    no_col = _classify([_nl(functioning=0)], "overspanning-nl-2011", "nl-2011-overspanning")
    assert no_col["reason"].iloc[0] == "impaired_functioning=0 not == 1 and roles_dropped not given"


def test_nl_fourth_criterion_allows_burnout_beside_depression():
    rule = pm.get_rule("nl-2011-burnout")
    assert "beside a depression" in load_norms("overspanning-nl-2011-criteria").doc["notes"]
    assert "beside a depression" in _doc("instruments", "overspanning-nl-2011")["notes"]
    assert rule.id == "nl-2011-burnout"


def test_nl_burnout_fails_without_exhaustion_in_the_foreground():
    res = _classify([_nl(foreground=0)], "overspanning-nl-2011", "nl-2011-burnout")
    assert res["reason"].iloc[0] == "exhaustion_foreground=0 not == 1"


def test_nl_burnout_needs_overspanning_and_reports_every_failed_criterion():
    res = _classify([_nl(n_complaints=2, weeks=12, control=0)], "overspanning-nl-2011", "nl-2011-burnout")
    reason = res["reason"].iloc[0]
    assert not res["positive"].iloc[0]
    for part in ("2 of 8 hold (need 3)", "loss_of_control=0 not == 1", "duration_weeks=12 not > 26"):
        assert part in reason
    assert "impaired_functioning" not in reason  # criteria that held are not listed as failures


def test_nl_missing_criteria_use_three_valued_logic():
    rows = [_nl(n_complaints=3, ovs8=None),          # 3 complaints hold: one missing does not matter
            _nl(n_complaints=2, ovs8=None),          # 2 hold and 1 unknown: undetermined
            _nl(n_complaints=0, ovs7=None, ovs8=None),  # at most 2: certainly not met
            _nl(control=None),                        # a decisive criterion missing
            _nl(control=None, functioning=0)]         # missing, but another criterion fails
    res = _classify(rows, "overspanning-nl-2011", "nl-2011-overspanning")
    assert list(res["positive"].astype(object).where(res["positive"].notna(), None)) == \
        [True, None, False, None, False]
    assert res["reason"].iloc[1] == "undetermined: concentration missing"
    assert res["reason"].iloc[3] == "undetermined: loss_of_control missing"
    assert res["reason"].iloc[4] == "impaired_functioning=0 not == 1 and roles_dropped not given"
    assert res["level"].iloc[1] == "not_scored"  # a named level (issue 12 item 7)


def test_nl_checklist_reads_yes_no_answers():
    yes = {f"ovs{i}": "ja" for i in range(1, 14) if i != 12}
    yes.update(ovs4="nee", ovs5="Nee", ovs6="no", ovs7="NO", ovs8="no", ovs14="35")
    res = _classify([yes], "overspanning-nl-2011", "nl-2011-burnout", lang="nl")
    assert res["label"].iloc[0] == "voldoet aan criteria burn-out"
    s = pm.score(pd.DataFrame([yes]), "overspanning-nl-2011")
    assert s["complaint_count"].iloc[0] == 3 and s["duration_weeks"].iloc[0] == 35


def test_nl_rejects_impossible_values():
    with pytest.raises(pm.errors.InvalidResponseError, match="ovs14"):
        pm.score(pd.DataFrame([_nl(weeks=261)]), "overspanning-nl-2011")
    with pytest.raises(pm.errors.InvalidResponseError, match="ovs1"):
        pm.score(pd.DataFrame([_nl(ovs1=2)]), "overspanning-nl-2011")


# --- Swedish exhaustion disorder ---------------------------------------------------------------

def test_se_three_vs_four_symptoms():
    res = _classify([_se(n_symptoms=3), _se(n_symptoms=4), _se(n_symptoms=6)],
                    "exhaustion-disorder-se", "se-exhaustion-disorder")
    assert list(res["level"]) == ["not_met", "exhaustion_disorder", "exhaustion_disorder"]
    assert res["reason"].iloc[0] == ("3 of 6 hold (need 4): [memory_concentration=1 == 1; "
                                     "demands=1 == 1; emotional_instability=1 == 1]")
    assert "4 of 6 hold (>= 4)" in res["reason"].iloc[1]


def test_se_duration_edges():
    rows = [_se(weeks=1), _se(weeks=2), _se(months=5), _se(months=6)]
    res = _classify(rows, "exhaustion-disorder-se", "se-exhaustion-disorder")
    assert list(res["positive"]) == [False, True, False, True]
    assert res["reason"].iloc[0] == "exhaustion_weeks=1 not >= 2"
    assert res["reason"].iloc[2] == "stressor_months=5 not >= 6"


@pytest.mark.parametrize(("criterion", "kw"), [("mental_energy", "energy"),
                                               ("distress_impairment", "distress"),
                                               ("not_substance_medical", "not_other")])
def test_se_fails_on_each_single_criterion(criterion, kw):
    res = _classify([_se(n_symptoms=6, **{kw: 0})], "exhaustion-disorder-se", "se-exhaustion-disorder")
    assert res["level"].iloc[0] == "not_met"
    assert res["reason"].iloc[0] == f"{criterion}=0 not == 1"


@pytest.mark.parametrize("k", range(7))
def test_se_any_four_of_six_symptoms(k):
    chosen = np.random.default_rng(10 + k).permutation(6)[:k]
    row = _se(n_symptoms=0, **{f"ed{4 + i}": 1 for i in chosen})
    res = _classify([row], "exhaustion-disorder-se", "se-exhaustion-disorder")
    assert bool(res["positive"].iloc[0]) == (k >= 4)
    for i in chosen:
        assert f"{SE_SYMPTOMS[i]}=1 == 1" in res["reason"].iloc[0]


def _f_rows():
    """A-E met with criterion F (depression/anxiety criteria also met) yes, no, blank, absent."""
    return [_se(ed12=1), _se(ed12=0), _se(ed12=None), _se(n_symptoms=3, ed12=1)]


def test_se_criterion_f_read_as_a_specification():
    res = _classify(_f_rows(), "exhaustion-disorder-se", "se-exhaustion-disorder")
    assert list(res["level"]) == ["exhaustion_disorder_comorbid", "exhaustion_disorder",
                                  "exhaustion_disorder", "not_met"]
    assert list(res["positive"]) == [True, True, True, False]
    # a positive verdict beside depression says which reading of criterion F was applied
    assert res["label"].iloc[0] == ("exhaustion disorder criteria met, with co-occurring "
                                    "depression/anxiety (criterion F read as a specification, "
                                    "not an exclusion)")
    assert res["reason"].iloc[0].endswith("and depression_anxiety=1 == 1")
    assert res["reason"].iloc[1].endswith("and depression_anxiety=0 not == 1")
    assert res["reason"].iloc[2].endswith("and depression_anxiety not given")
    nl = _classify(_f_rows()[:1], "exhaustion-disorder-se", "se-exhaustion-disorder", lang="nl")
    assert "criterium F gelezen als specificatie" in nl["label"].iloc[0]
    assert nl["reason"].iloc[0].endswith("en depression_anxiety=1 == 1")
    fr = _classify(_f_rows()[:1], "exhaustion-disorder-se", "se-exhaustion-disorder", lang="fr")
    assert "critère F lu comme spécification" in fr["label"].iloc[0]
    # a checklist without item 12 still scores; the verdict says F was not given
    old = _classify([_se()], "exhaustion-disorder-se", "se-exhaustion-disorder")
    assert old["level"].iloc[0] == "exhaustion_disorder"
    assert old["reason"].iloc[0].endswith("depression_anxiety not given")


def test_se_criterion_f_read_as_an_exclusion():
    res = _classify(_f_rows(), "exhaustion-disorder-se", "se-exhaustion-disorder-f-exclusion")
    got = res["positive"].astype(object).where(res["positive"].notna(), None).tolist()
    assert got == [False, True, None, False]
    assert res["level"].iloc[0] == "excluded_by_f"
    assert "criterion F read as an exclusion" in res["label"].iloc[0]
    assert res["reason"].iloc[2] == "undetermined: depression_anxiety missing"
    nl = _classify(_f_rows()[:3], "exhaustion-disorder-se", "se-exhaustion-disorder-f-exclusion",
                   lang="nl")
    assert "criterium F gelezen als uitsluiting" in nl["label"].iloc[0]
    assert nl["reason"].iloc[2] == "onbepaald: depression_anxiety ontbreekt"
    fr = _classify(_f_rows()[:3], "exhaustion-disorder-se", "se-exhaustion-disorder-f-exclusion",
                   lang="fr")
    assert fr["reason"].iloc[2] == "indéterminé : depression_anxiety manquant"
    # the exclusion reading needs item 12: a checklist without it is refused, not guessed
    with pytest.raises(pm.errors.DataError, match="depression_anxiety"):
        _classify([_se()], "exhaustion-disorder-se", "se-exhaustion-disorder-f-exclusion")


# --- the rules agree with a direct reading of the criteria (property) --------------------------

def _oracle_nl(d: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    ovs = (d[[f"ovs{i}" for i in range(1, 9)]].sum(axis=1) >= 3) & (d.ovs9 == 1) & \
        (d.ovs10 == 1) & (d.ovs11 == 1)
    return ovs.to_numpy(), (ovs & (d.ovs14 > 26) & (d.ovs13 == 1)).to_numpy()


def _oracle_se(d: pd.DataFrame) -> np.ndarray:
    return ((d.ed1 >= 2) & (d.ed2 >= 6) & (d.ed3 == 1)
            & (d[[f"ed{i}" for i in range(4, 10)]].sum(axis=1) >= 4)
            & (d.ed10 == 1) & (d.ed11 == 1)).to_numpy()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), p=st.floats(0.3, 0.95))
def test_rules_match_the_criteria_read_directly(seed, n, p):
    rng = np.random.default_rng(seed)
    nl = pd.DataFrame({f"ovs{i}": (rng.random(n) < p).astype(int) for i in range(1, 14) if i != 12})
    nl["ovs14"] = rng.integers(0, 53, n)
    s = pm.score(nl, "overspanning-nl-2011")
    ovs, burn = _oracle_nl(nl)
    assert classify(s, "nl-2011-overspanning")["positive"].to_numpy(dtype=bool).tolist() == ovs.tolist()
    assert classify(s, "nl-2011-burnout")["positive"].to_numpy(dtype=bool).tolist() == burn.tolist()
    se = pd.DataFrame({f"ed{i}": (rng.random(n) < p).astype(int) for i in range(1, 12)})
    se["ed1"], se["ed2"] = rng.integers(0, 5, n), rng.integers(0, 12, n)
    got = classify(pm.score(se, "exhaustion-disorder-se"), "se-exhaustion-disorder")
    assert got["positive"].to_numpy(dtype=bool).tolist() == _oracle_se(se).tolist()
    # every negative case names at least one failed criterion
    neg = got.loc[~got["positive"].to_numpy(dtype=bool), "reason"]
    assert neg.str.contains(r"not (?:==|>=)|need 4", regex=True).all()


def test_rule_descriptions_and_docs_say_no_diagnosis():
    for rid, origin in [("nl-2011-overspanning", "overspanning-nl-2011-criteria"),
                        ("nl-2011-burnout", "overspanning-nl-2011-criteria"),
                        ("se-exhaustion-disorder", "exhaustion-disorder-se-criteria")]:
        rule = next(r for r in load_norms(origin).rules if r["id"] == rid)
        assert re.search(r"not a diagnosis", rule["description"], re.I)
    from psychometrics.classify import differential as prof
    assert "no diagnosis" in prof.__doc__
