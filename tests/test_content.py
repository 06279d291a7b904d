"""Instrument and norm content (issue 14): rules by role, MBI profiles, sources in the files."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.classify import instrument_roles
from psychometrics.errors import InstrumentError, NormError
from psychometrics.instruments import data_dir, read_yaml
from psychometrics.norms import NoQuartilesWarning, UncertainNormWarning, list_norms, load_norms


def _mbi_scores(n=400, seed=3):
    rng = np.random.default_rng(seed)
    s = pd.DataFrame({"EE": rng.integers(0, 55, n).astype(float), "DP": rng.integers(0, 31, n).astype(float),
                      "PA": rng.integers(0, 49, n).astype(float)})
    s.attrs["psychometrics"] = {"instrument": "mbi-hss", "scoring": dict.fromkeys(["EE", "DP", "PA"], "sum")}
    return s


# --- item 10: the quartile rule for every instrument with the three roles ------------------------

@pytest.mark.parametrize(("inst", "roles"), [
    ("mbi-hss", ("EE", "DP", "PA")), ("mbi-es", ("EE", "DP", "PA")), ("mbi-hss-mp", ("EE", "DP", "PA")),
    ("mbi-gs", ("EX", "CY", "PE")), ("mbi-ss", ("EX", "CY", "PE")), ("ubos-a", ("U", "D", "C")),
    ("ubos-c", ("U", "D", "C")), ("ubos-l", ("U", "D", "C"))])
def test_roles_are_declared_and_the_quartile_rule_applies(inst, roles):
    assert instrument_roles(inst) == dict(zip(("exhaustion", "distance", "competence"), roles))
    assert "ubos-quartile" in set(pm.list_rules(inst)["id"])


def test_quartile_rule_not_offered_without_a_competence_role():
    assert "ubos-quartile" not in set(pm.list_rules("olbi")["id"])
    assert "ubos-quartile" not in set(pm.list_rules("bat-23")["id"])


def test_quartile_rule_on_mbi_scores_with_built_norms_at_the_edges():
    s = _mbi_scores()
    ns = pm.build_norms(s, "mbi-hss", bootstrap=0)
    q = {k: (ns.entries[0].subscales[k].p25, ns.entries[0].subscales[k].p75) for k in ("EE", "DP", "PA")}
    ee75, dp75, pa25 = q["EE"][1], q["DP"][1], q["PA"][0]
    edge = pd.DataFrame({"EE": [ee75, ee75 - 1, ee75, ee75], "DP": [dp75, dp75, dp75 - 1, dp75 - 1],
                         "PA": [48.0, 48.0, 48.0, pa25]})
    edge.attrs = s.attrs
    out = pm.classify(edge, "ubos-quartile", norms=ns)
    assert list(out["level"]) == ["burnout", "no_burnout", "no_burnout", "burnout"]
    assert out["reason"].iloc[0] == (f"EE in top quartile (EE={ee75:g} >= P75 {ee75:g}) and "
                                     f"DP in top quartile (DP={dp75:g} >= P75 {dp75:g})")
    assert out["reason"].iloc[1] == f"EE not in top quartile (EE={ee75 - 1:g} < P75 {ee75:g})"
    nl = pm.classify(edge, "ubos-quartile", norms=ns, lang="nl")
    assert list(nl["label"]) == ["burn-out", "geen burn-out", "geen burn-out", "burn-out"]
    assert nl["reason"].iloc[1] == f"EE niet in het hoogste kwartiel (EE={ee75 - 1:g} < P75 {ee75:g})"
    fr = pm.classify(edge, "ubos-quartile", norms=ns, lang="fr")
    assert list(fr["label"]) == ["burnout", "pas de burnout", "pas de burnout", "burnout"]
    assert fr["reason"].iloc[3].endswith(f"PA dans le quartile inférieur (PA={pa25:g} <= P25 {pa25:g})")
    # the same answer as the flags apply_norms gives
    flags = pm.apply_norms(s, ns)
    expect = flags["EE_top_quartile"] & (flags["DP_top_quartile"] | flags["PA_bottom_quartile"])
    assert (pm.classify(s, "ubos-quartile", norms=ns)["positive"] == expect).all()


def test_a_norm_set_without_quartiles_says_so():
    s = _mbi_scores(30)
    with pytest.raises(NormError, match="gives no quartiles for 'EE'"):
        pm.classify(s, "ubos-quartile", norms="mbi-hss-overall")
    out = pm.apply_norms(s, "mbi-hss-overall")
    assert out.attrs["psychometrics"]["norms"]["no_quartiles"] == ["EE", "DP", "PA"]
    s["dept"] = ["a"] * 15 + ["b"] * 15
    with pytest.warns(NoQuartilesWarning, match="no share_top_quartile"):
        pm.summarise(s, "dept", subscales=["EE"], norms="mbi-hss-overall")


# --- item 4: Leiter & Maslach (2016) profiles -------------------------------------------------------

def test_mbi_hss_profiles_need_a_norm_set_and_follow_its_bands():
    s = pd.DataFrame({"EE": [27, 27, 26, 26, 26, 27], "DP": [13, 12, 13, 12, 12, 13],
                      "PA": [31, 32, 32, 31, 32, 32]}, dtype=float)
    with pytest.raises(NormError, match="norms="):
        pm.classify(s, "mbi-hss-profile", scale="sum")
    out = pm.classify(s, "mbi-hss-profile", norms="mbi-hss-overall", scale="sum")
    assert list(out["level"]) == ["burnout", "overextended", "disengaged", "ineffective", "engaged", "mixed"]
    assert list(out["positive"]) == [True] + [False] * 5
    nl = pm.classify(s, "mbi-hss-profile", norms="mbi-hss-overall", lang="nl", scale="sum")
    assert list(nl["label"][:5]) == ["Burn-out", "Overbelast", "Onbetrokken", "Ineffectief", "Bevlogen"]
    assert nl["reason"].iloc[0] == ("EE=27 band hoog (>= 27) en DP=13 band hoog (>= 13) en "
                                    "PA=31 band laag (< 32)")
    fr = pm.classify(s, "mbi-hss-profile", norms="mbi-hss-overall", lang="fr", scale="sum")
    assert fr["label"].iloc[2] == "Désengagé"
    for inst in ("mbi-hss", "mbi-hss-mp", "mbi-es"):
        assert "mbi-hss-profile" in set(pm.list_rules(inst)["id"])


def test_mbi_gs_burnout_profile_needs_all_three_and_warns():
    s = pd.DataFrame({"EX": [2.90, 2.90], "CY": [2.86, 2.86], "PE": [4.30, 4.31]})
    with pytest.warns(UncertainNormWarning):
        out = pm.classify(s, "mbi-gs-profile")
    assert list(out["level"]) == ["burnout", "mixed"]  # high EX + CY with efficacy intact: not Burnout
    assert out["reason"].iloc[0] == "EX=2.9 >= 2.9 and CY=2.86 >= 2.86 and PE=4.3 <= 4.3"


def test_ubos_criterion_is_not_copied_to_the_mbi_gs():
    assert "mbi-gs-clinical-criterion" not in set(pm.list_rules()["id"])
    assert "ubos-clinical-criterion" not in set(pm.list_rules("mbi-gs")["id"])
    doc = load_norms("ubos-rules").doc
    assert doc["source"]["confidence"] == "uncertain" and "Taris" in doc["source"]["ref"]
    with pytest.warns(UncertainNormWarning):
        pm.classify(pd.DataFrame({"U": [2.2], "D": [2.0], "C": [4.0]}), "ubos-clinical-criterion")


# --- the files cite their sources themselves ---------------------------------------------------------

def _walk(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v)
    elif isinstance(obj, str):
        yield obj


@pytest.mark.parametrize("nid", list_norms())
def test_norm_files_cite_no_unshipped_documents(nid):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        doc = load_norms(nid).doc
    assert not [t for t in _walk(doc) if "instruments.md" in t]
    # no bare source keys ('[jpro]') that only an unshipped reference list resolves
    assert not [t for t in _walk(doc) if re.search(r"\[[a-z]+[a-z0-9]*-?[a-z0-9-]*\]", t)]


@pytest.mark.parametrize("iid", pm.list_instruments())
def test_instrument_files_cite_no_unshipped_documents(iid):
    doc = read_yaml(data_dir("instruments") / f"{iid}.yaml")
    assert not [t for t in _walk(doc) if "instruments.md" in t]
    assert not [t for t in _walk(doc) if re.search(r"\[[a-z][a-z0-9]*(-[a-z0-9]+)*\]", t)]


# --- items 5-9, 12: the cut-off files say what they are --------------------------------------------

@pytest.mark.parametrize(("old", "new"), [("olbi-total-swiss-belgian", "olbi-total-swiss-patients-2021"),
                                          ("cbi-kristensen-50", "cbi-50-borritz-2004")])
def test_renamed_norm_sets_keep_their_old_ids_as_deprecated_aliases(old, new):
    with pytest.warns(DeprecationWarning, match=new):
        ns = load_norms(old)
    assert ns.id == new and old not in list_norms()


def test_swiss_olbi_edges_are_patients_and_warn():
    ns = load_norms("olbi-total-swiss-patients-2021")
    assert ns.doc["n"] == 42 and "patients" in ns.doc["population"] and ns.uncertain
    s = pd.DataFrame({"total": [30.0, 31.0, 45.0]})
    with pytest.warns(UncertainNormWarning):
        out = pm.classify(s, "olbi-total-severity", scale="sum")
    assert list(out["level"]) == ["none", "mild", "high"]
    assert out["reason"].iloc[0] == "total=30 not > 44; total=30 not > 30"


def test_belgian_olbi_norms_are_documented_but_not_shipped():
    ns = load_norms("olbi-belgian-norms-not-public")
    assert ns.doc["country"] == "BE" and ns.doc["n"] == 4000 and not ns.entries
    assert "2.3.2" in ns.doc["source"]["ref"] and ns.uncertain
    with pytest.raises(NormError):
        pm.apply_norms(pd.DataFrame({"EX": [2.0]}), ns)


def test_smbm_cut_off_is_per_version_and_the_14_item_use_warns():
    ns = load_norms("smbm-sundstrom-2025")
    assert "3.75" in ns.doc["source"]["ref"] and "19-, 16- and 11-item" in ns.doc["source"]["ref"]
    assert ns.doc["n"] == 209 and ns.uncertain
    with pytest.warns(UncertainNormWarning):
        out = pm.classify(pd.DataFrame({"total": [3.99, 4.0]}), "smbm-burnout", lang="nl",
                          scale="mean")
    assert list(out["level"]) == ["below", "burnout"]
    assert out["reason"].iloc[0] == "total=3.99 niet >= 4.0"


def test_mbi_manual_bands_are_called_average_and_french_bands_warn():
    for nid in ("mbi-hss-overall", "mbi-hss-medicine", "mbi-es-teachers", "mbi-hss-french"):
        ids = [b.id for b in load_norms(nid).overall.subscales["EE"].bands]
        assert ids == ["low", "average", "high"], nid
    assert load_norms("mbi-hss-french").uncertain
    out = pm.apply_norms(pd.DataFrame({"EE": [20.0]}), "mbi-hss-overall", lang="fr", scale="sum")
    assert out["EE_band"].iloc[0] == "moyen"


@pytest.mark.parametrize("nid", ["cbi-50-borritz-2004", "olbi-peterson-2008", "bat-23-flanders",
                                 "bat-12-pooled-sjweh2023", "smbm-sundstrom-2025"])
def test_n_is_filled_where_the_source_gives_it(nid):
    assert load_norms(nid).doc["n"] is not None


def test_norms_show_prints_source_population_and_n(capsys):
    from psychometrics.cli import main
    assert main(["norms", "show", "olbi-peterson-2008"]) == 0
    out = capsys.readouterr().out
    assert "Peterson" in out and "Swedish health-care workers" in out and "n 3719" in out
    assert main(["norms", "show", "ubos-c-healthcare-kool"]) == 0
    assert "n not given by the source" in capsys.readouterr().out


# --- item 13: MBI-SS key is a placeholder, like the UBOS ---------------------------------------------

@pytest.mark.parametrize("inst", ["mbi-ss", "ubos-a", "ubos-c", "ubos-l"])
def test_placeholder_keys_are_marked(inst):
    loaded = pm.load_instrument(inst, warn=False)
    assert loaded.doc["placeholder_keys"] is True and not loaded.usable
    assert loaded.doc["sources"]["key"]["confidence"] == "uncertain"
    with pytest.raises(InstrumentError, match="keys="):  # refuses to score until keys are given
        pm.score(pd.DataFrame({i.id: [1] for i in loaded.items}), inst)


# --- item 14: KEDS ------------------------------------------------------------------------------------

def _keds(totals):
    rows = []
    for t in totals:  # spread the total over 9 items of 0-6
        rows.append({f"keds{i}": min(6, max(0, int(t) - 6 * (i - 1))) for i in range(1, 10)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pm.score(pd.DataFrame(rows), "keds")


def test_keds_scores_and_its_cut_off_at_the_edge():
    s = _keds([0, 18, 19, 54])
    assert s["total"].tolist() == [0, 18, 19, 54]
    with pytest.warns(UncertainNormWarning):
        out = pm.classify(s, "keds-exhaustion-disorder")
    assert list(out["positive"]) == [False, False, True, True]
    assert out["reason"].iloc[1] == "total=18 not >= 19"
    nl = pm.classify(s, "keds-exhaustion-disorder", lang="nl")
    assert nl["label"].iloc[2] == "op of boven het afkappunt voor uitputtingsstoornis"
    assert nl["reason"].iloc[1] == "total=18 niet >= 19"
    fr = pm.classify(s, "keds-exhaustion-disorder", lang="fr")
    assert fr["label"].iloc[1] == "sous le seuil du trouble d'épuisement"
    ns = load_norms("keds-beser-2014")
    assert ns.doc["n"] == 317 and "10.1111/sjop.12088" in ns.doc["source"]["ref"]


def test_keds_in_the_profile_uses_its_own_rule():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = pm.profile({"keds": _keds([18, 19])})
    assert p.norms["keds"] == "keds-beser-2014"
    assert list(p.wide["keds.burnout_high"]) == [False, True]
    assert p.burnout_rules["keds"]["id"] == "keds-total-high"


# --- item 11: French and Dutch names ---------------------------------------------------------------------

def test_french_and_dutch_subscale_names_filled():
    for inst in ("bat-23", "bat-12"):
        names = pm.load_instrument(inst, warn=False).subscales
        assert names["CI"].name["fr"] == "Troubles cognitifs" and names["EI"].name["fr"] == "Troubles émotionnels"
        assert "psychomedia" in pm.load_instrument(inst, warn=False).doc["sources"]["names_fr"]["ref"]
    olbi = pm.load_instrument("olbi", form="agree-low")
    assert olbi.subscales["DI"].name["nl"] == "Verminderde betrokkenheid"


@pytest.mark.parametrize("rid", ["nl-2011-overspanning", "nl-2011-burnout", "se-exhaustion-disorder",
                                 "se-exhaustion-disorder-f-exclusion", "ubos-quartile", "mbi-hss-profile"])
def test_rules_with_new_conditions_describe_themselves(rid):
    text = pm.get_rule(rid).summary()
    assert rid in text
    if rid.startswith("nl-2011"):
        assert "roles_dropped == 1 (optional input)" in text


def test_profile_shows_the_exclusion_reading_only_when_criterion_f_is_recorded():
    row = {"ed1": 3, "ed2": 8, "ed3": 1, "ed4": 1, "ed5": 1, "ed6": 1, "ed7": 1, "ed8": 0, "ed9": 0,
           "ed10": 1, "ed11": 1}
    without = pm.score(pd.DataFrame([row]), "exhaustion-disorder-se")
    p = pm.profile({"exhaustion-disorder-se": without})
    assert set(p.table["scale"]) == {"se-exhaustion-disorder"}
    assert p.sources["se-exhaustion-disorder-f-exclusion"].startswith("not shown: ")
    assert bool(p.wide["burnout_high"].iloc[0])
    with_f = pm.score(pd.DataFrame([{**row, "ed12": 1}]), "exhaustion-disorder-se")
    p = pm.profile({"exhaustion-disorder-se": with_f}, lang="fr")
    t = p.table.set_index("scale")
    assert t.loc["se-exhaustion-disorder", "band_id"] == "exhaustion_disorder_comorbid"
    assert t.loc["se-exhaustion-disorder-f-exclusion", "band_id"] == "excluded_by_f"
    assert "critère F lu comme exclusion" in t.loc["se-exhaustion-disorder-f-exclusion", "band"]


# --- changed rules at their edges: label and reason in EN, NL, FR ---------------------------------------

EDGES = {
    # rule: (scores, expected level ids, {lang: (labels, first reason)})
    "mbi-gs-profile": (
        {"EX": [2.90, 2.89], "CY": [2.86, 2.86], "PE": [4.30, 4.31]}, ["burnout", "disengaged"],
        {"en": (["Burnout", "Disengaged"], "EX=2.9 >= 2.9 and CY=2.86 >= 2.86 and PE=4.3 <= 4.3"),
         "nl": (["Burn-out", "Onbetrokken"], "EX=2.9 >= 2.9 en CY=2.86 >= 2.86 en PE=4.3 <= 4.3"),
         "fr": (["Burnout", "Désengagé"], "EX=2.9 >= 2.9 et CY=2.86 >= 2.86 et PE=4.3 <= 4.3")}),
    "olbi-total-severity": (
        {"total": [30.0, 31.0]}, ["none", "mild"],
        {"en": (["30 or less", "above 30 (mild severity in the patient study)"],
                "total=30 not > 44; total=30 not > 30"),
         "nl": (["30 of minder", "boven 30 (lichte ernst in de patiëntenstudie)"],
                "total=30 niet > 44; total=30 niet > 30"),
         "fr": (["30 ou moins", "au-dessus de 30 (sévérité légère dans l'étude de patients)"],
                "total=30 pas > 44; total=30 pas > 30")}),
    "ubos-clinical-criterion": (
        {"U": [2.20, 2.19], "D": [2.00, 2.00], "C": [4.0, 4.0]}, ["burnout", "no_burnout"],
        {"en": (["burnout", "no burnout"], "U=2.2 >= 2.2 and D=2 >= 2.0"),
         "nl": (["burn-out", "geen burn-out"], "U=2.2 >= 2.2 en D=2 >= 2.0"),
         "fr": (["burnout", "pas de burnout"], "U=2.2 >= 2.2 et D=2 >= 2.0")}),
}


SCALES = {"olbi-total-severity": "sum"}


@pytest.mark.parametrize("rule", sorted(EDGES))
@pytest.mark.parametrize("lang", ["en", "nl", "fr"])
def test_changed_rules_at_their_edges_in_three_languages(rule, lang):
    scores, levels, by_lang = EDGES[rule]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UncertainNormWarning)
        # typed-in scores carry no record of their scale: said where the rule's norm file needs it
        out = pm.classify(pd.DataFrame(scores), rule, lang=lang, scale=SCALES.get(rule))
    labels, reason = by_lang[lang]
    assert list(out["level"]) == levels
    assert list(out["label"]) == labels
    assert out["reason"].iloc[0] == reason
