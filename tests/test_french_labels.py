"""French response labels (issue 14 item 11): a French-labelled export scores like the coded one.

French anchors are shipped only where a French rendering was read in a named source (see each
instrument file's ``scale.source``/``forms.*.source``): the MBI family (Fontaine's translation)
and the CBI frequency format. For the BAT, OLBI, UWES and 4DKL no French anchors were found, so
a French export of those instruments is reported as invalid, never guessed.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.errors import InvalidResponseError

# (instrument, form) pairs that ship French anchors
FRENCH = [("mbi-hss", None), ("mbi-hss-mp", None), ("mbi-es", None), ("mbi-gs", None),
          ("cbi", "always-first"), ("cbi", "never-first")]
# instruments with a published French version whose anchors were not found (documented in the file)
NO_FRENCH_ANCHORS = [("bat-23", None), ("bat-12", None), ("olbi", "agree-low"), ("olbi", "agree-high"),
                     ("uwes-17", None), ("uwes-9", None), ("4dkl", None), ("smbm", None)]


def _coded(inst, n: int = 60, seed: int = 14) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = np.asarray(inst.scale.codes)
    ids = [it.id for it in inst.items]
    df = pd.DataFrame(rng.choice(codes, size=(n, len(ids))), columns=ids)
    df.insert(0, "id", [f"R{k:03d}" for k in range(1, n + 1)])
    # every code and a few missing answers appear
    df.iloc[: len(codes), 1] = codes
    df.iloc[n - 1, 2] = np.nan
    return df


def _score(df, name, form):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # prorated sums are tested in test_scoring
        return pm.score(df, name, id="id", form=form)


@pytest.mark.parametrize(("name", "form"), FRENCH)
def test_french_labelled_export_scores_like_the_coded_one(name, form):
    inst = pm.load_instrument(name, form=form)
    fr = inst.scale.labels["fr"]
    assert len(fr) == len(inst.scale.codes)
    coded = _coded(inst)
    items = [it.id for it in inst.items]
    labelled = coded.copy()
    labelled[items] = labelled[items].astype(object)
    to_label = dict(zip(inst.scale.codes, fr))
    for c in items:
        labelled[c] = coded[c].map(lambda v: None if pd.isna(v) else to_label[int(v)])
    # exports vary in case and surrounding blanks
    labelled.loc[0, items[0]] = " " + str(labelled.loc[0, items[0]]).upper() + " "
    assert labelled[items[0]].iloc[1] == fr[1]
    expected = _score(coded, name, form)
    got = _score(labelled, name, form)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    # the caller's frame is not touched
    assert labelled[items[0]].iloc[1] == fr[1]


def test_french_mbi_anchor_maps_to_its_own_code():
    # "Une fois par mois, au moins" is anchor 2 of the Fontaine translation: a respondent answering
    # it on all EE items scores 2 x 9 = 18
    inst = pm.load_instrument("mbi-hss")
    df = pd.DataFrame({it.id: [0] for it in inst.items})
    df.insert(0, "id", ["R1"])
    ee = list(inst.subscales["EE"].items)
    df[ee] = "Une fois par mois, au moins"
    assert _score(df, "mbi-hss", None).loc[0, "EE"] == 18


@pytest.mark.parametrize(("name", "form"), NO_FRENCH_ANCHORS)
def test_instruments_without_sourced_french_anchors_say_so_and_refuse_french_text(name, form):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # uncertain keys warn: tested elsewhere
        inst = pm.load_instrument(name, form=form)
    assert "fr" not in inst.scale.labels
    note = inst.doc["scale"]["source"]["note"]
    assert "FR: " in note and "not shipped" in note
    coded = _coded(inst, n=10)
    first = [it.id for it in inst.items][0]
    df = coded.astype({first: object})
    df.loc[2, first] = "Jamais"
    with pytest.raises(InvalidResponseError) as err:
        _score(df, name, form)
    assert "'Jamais'" in str(err.value)


def test_shipped_labels_never_give_one_text_two_codes():
    # A label shared by two languages (or forms' languages) must mean the same code, or a
    # mixed-language export could be scored with the wrong code.
    checked = 0
    for name, form in FRENCH + NO_FRENCH_ANCHORS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            inst = pm.load_instrument(name, form=form)
        seen: dict[str, tuple[str, int]] = {}
        for lang, labels in inst.scale.labels.items():
            for code, lab in zip(inst.scale.codes, labels):
                key = lab.strip().casefold()
                if key in seen:
                    assert seen[key][1] == code, (name, lab, seen[key], lang)
                seen[key] = (lang, code)
                checked += 1
    assert checked > 100


def test_french_subscale_names_where_sourced_and_english_fallback_where_not():
    inst = pm.load_instrument("bat-23")
    assert inst.subscales["PSO"].name["fr"] == "Plaintes psychosomatiques"
    assert "fr" not in inst.subscales["PSY"].name  # no French name found: documented in names_fr
    assert "psychological complaints" in inst.doc["sources"]["names_fr"]["ref"]
    for name in ("mbi-hss", "mbi-gs", "cbi", "olbi", "uwes-9", "4dkl", "bat-12"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # bat-12's unconfirmed item selection
            doc = pm.load_instrument(name, form={"cbi": "always-first", "olbi": "agree-low"}.get(name)).doc
        assert all("fr" in sub["name"] for sub in doc["subscales"].values()), name
