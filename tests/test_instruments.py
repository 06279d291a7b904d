"""Shipped instrument files: validity, keys against the documented sources, scoring properties.

The expected keys below are transcribed from ``../shared/instruments.md`` (the sourced fact
sheet the files were written from), so a wrong item list in a file fails here, not silently in
a researcher's scores.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import psychometrics as pm
from psychometrics.errors import InstrumentError
from psychometrics.instruments import UncertainKeyWarning, data_dir, load_instrument, validate

DATA = Path(__file__).parent / "data"
INSTRUMENTS = data_dir("instruments")
SHIPPED = pm.list_instruments()
#: instruments that score as shipped (the UBOS placeholder keys refuse to, issue 12 item 4)
SCORABLE = pm.list_instruments(usable=True)

#: the ids the package must ship (issue 2 and issue 8)
REQUIRED = ["mbi-hss", "mbi-hss-mp", "mbi-es", "mbi-gs", "mbi-ss", "olbi", "ubos-a", "ubos-c",
            "ubos-l", "cbi", "4dkl", "bat-23", "bat-12", "smbm", "uwes-9", "uwes-17",
            "hamd-17", "bdi-ii"]

#: answer-direction form used when an instrument has several (tests only; never a default)
FORM = {"olbi": "agree-low", "cbi": "always-first"}


def _doc(iid: str) -> dict:
    return yaml.safe_load((INSTRUMENTS / f"{iid}.yaml").read_text(encoding="utf-8"))


def _load(iid: str, **kw) -> pm.Instrument:
    return load_instrument(iid, form=FORM.get(iid), warn=False, **kw)


@pytest.fixture(scope="module")
def loaded() -> dict[str, pm.Instrument]:
    return {iid: _load(iid) for iid in SHIPPED}


def _responses(inst: pm.Instrument, n: int, rng: np.random.Generator,
               missing: float = 0.0) -> pd.DataFrame:
    """Random valid codes (each item's own codes), ``missing`` share of cells blank."""
    cols = {}
    for it in inst.items:
        codes = np.array(inst.item_codes(it), dtype=float)
        x = rng.choice(codes, size=n)
        x[rng.random(n) < missing] = np.nan
        cols[it.id] = x
    return pd.DataFrame(cols, index=pd.Index([f"r{i}" for i in range(n)], name="resp"))


def _quiet_score(data, inst, **kw) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="prorated", category=UserWarning)
        return pm.score(data, inst, **kw)


# --- every shipped file loads and validates --------------------------------------------------

def test_all_required_instruments_are_shipped():
    missing = sorted(set(REQUIRED) - set(SHIPPED))
    assert not missing, f"instrument files missing: {missing}"


@pytest.mark.parametrize("iid", SHIPPED)
def test_file_validates_and_loads(iid):
    doc = _doc(iid)
    validate(doc, "instrument", iid)  # raises InstrumentError on a schema violation
    assert doc["id"] == iid, "file name must be the instrument id"
    inst = _load(iid)
    assert len(inst.items) == len(doc["items"])
    key = inst.key()
    assert list(key.columns) == ["item", "number", "subscale", "reverse"]
    assert set(key["subscale"]) == set(doc["subscales"])
    # the measurement model names every non-composite, non-secondary subscale
    model = inst.cfa_model()
    for sid, sub in inst.subscales.items():
        assert (f"{sid} =~" in model) == (not sub.composite and not sub.secondary)


@pytest.mark.parametrize("iid", SHIPPED)
def test_every_key_has_a_source_and_confidence(iid):
    doc = _doc(iid)
    assert doc["scale"]["source"]["confidence"]
    for sid, sub in doc["subscales"].items():
        assert "source" in sub, f"{iid}: subscale {sid} has no source"
    assert "key" in doc["sources"] and "missing" in doc["sources"], iid
    confidences = [doc["scale"]["source"]["confidence"], *(s["source"]["confidence"] for s in doc["subscales"].values()),
                   *(s["confidence"] for s in doc["sources"].values()),
                   *(f["source"]["confidence"] for f in (doc.get("forms") or {}).values())]
    # an uncertain fact must be listed so the package warns about it
    if "uncertain" in confidences:
        assert doc.get("uncertain"), f"{iid}: uncertain sources but no 'uncertain' list"


@pytest.mark.parametrize("iid", SHIPPED)
def test_no_cutoffs_or_rules_in_instrument_files(iid):
    # classification rules and cut-offs live in norms/*.yaml
    assert "rules" not in _doc(iid)


@pytest.mark.parametrize("iid", SHIPPED)
def test_item_ids_follow_one_prefix_scheme(iid):
    ids = [it["id"] for it in _doc(iid)["items"]]
    prefixes = {re.fullmatch(r"([a-z][a-z0-9]*?_?)(\d+)", i).group(1) for i in ids}
    assert len(prefixes) == 1, f"{iid}: mixed item id prefixes {prefixes}"


@pytest.mark.parametrize("iid", [i for i in SHIPPED if i.startswith(("mbi", "ubos", "bat"))])
def test_copyright_guard_no_item_texts(iid):
    raw = (INSTRUMENTS / f"{iid}.yaml").read_text(encoding="utf-8")
    assert not re.search(r"\btext\s*:", raw), f"{iid}: copyrighted item wordings must not be shipped"
    assert _doc(iid)["licence"]["item_texts"] is False


# --- keys against the documented sources (instruments.md) -----------------------------------

def _r(a, b):
    return list(range(a, b + 1))


#: instrument -> subscale -> item numbers (printed form), as in instruments.md
EXPECTED_KEYS = {
    "mbi-hss-mp": {"EE": [1, 2, 3, 6, 8, 13, 14, 16, 20], "DP": [5, 10, 11, 15, 22],
                   "PA": [4, 7, 9, 12, 17, 18, 19, 21]},
    "mbi-es": {"EE": [1, 2, 3, 6, 8, 13, 14, 16, 20], "DP": [5, 10, 11, 15, 22],
               "PA": [4, 7, 9, 12, 17, 18, 19, 21]},
    "mbi-gs": {"EX": [1, 2, 3, 4, 6], "CY": [8, 9, 13, 14, 15], "PE": [5, 7, 10, 11, 12, 16]},
    "mbi-ss": {"EX": [1, 4, 7, 10, 13], "CY": [2, 5, 11, 14], "PE": [3, 6, 8, 9, 12, 15]},
    "cbi": {"PB": _r(1, 6), "WB": _r(7, 13), "CB": _r(14, 19)},
    "4dkl": {"SOM": _r(1, 16),
             "DIS": [17, 19, 20, 22, 25, 26, 29, 31, 32, 36, 37, 38, 39, 41, 47, 48],
             "DEP": [28, 30, 33, 34, 35, 46],
             "ANX": [18, 21, 23, 24, 27, 40, 42, 43, 44, 45, 49, 50]},
    "bat-23": {"EX": _r(1, 8), "MD": _r(9, 13), "CI": _r(14, 18), "EI": _r(19, 23),
               "total": _r(1, 23), "PSY": _r(24, 28), "PSO": _r(29, 33), "SEC": _r(24, 33)},
    "smbm": {"PF": _r(1, 6), "CW": _r(7, 11), "EE": _r(12, 14), "total": _r(1, 14)},
    "uwes-17": {"VI": [1, 4, 8, 12, 15, 17], "DE": [2, 5, 7, 10, 13], "AB": [3, 6, 9, 11, 14, 16],
                "total": _r(1, 17)},
    "uwes-9": {"VI": [1, 2, 5], "DE": [3, 4, 7], "AB": [6, 8, 9], "total": _r(1, 9)},
}
#: BAT-12 by BAT-23 item id (instruments.md 11.3)
BAT12 = {"EX": [1, 3, 4], "MD": [9, 11, 13], "CI": [14, 17, 18], "EI": [19, 20, 23]}
#: instrument -> reversed items under the tested form
EXPECTED_REVERSE = {"cbi": ["cbi13"], "olbi": ["olbi2", "olbi3", "olbi4", "olbi6", "olbi8",
                                               "olbi9", "olbi11", "olbi12"]}
N_ITEMS = {"mbi-hss": 22, "mbi-hss-mp": 22, "mbi-es": 22, "mbi-gs": 16, "mbi-ss": 15, "olbi": 16,
           "ubos-a": 15, "ubos-c": 20, "ubos-l": 22, "cbi": 19, "4dkl": 50, "bat-23": 33,
           "bat-12": 12, "smbm": 14, "uwes-9": 9, "uwes-17": 17, "hamd-17": 17, "bdi-ii": 21}
SUBSCALE_IDS = {"mbi-hss": ["EE", "DP", "PA"], "mbi-hss-mp": ["EE", "DP", "PA"],
                "mbi-es": ["EE", "DP", "PA"], "mbi-gs": ["EX", "CY", "PE"], "hamd-17": ["total"],
                "bdi-ii": ["total"],
                "mbi-ss": ["EX", "CY", "PE"], "olbi": ["EX", "DI", "total"],
                "ubos-a": ["U", "D", "C"], "ubos-c": ["U", "D", "C"], "ubos-l": ["U", "D", "C"],
                "cbi": ["PB", "WB", "CB"], "4dkl": ["DIS", "DEP", "ANX", "SOM"],
                "bat-23": ["EX", "MD", "CI", "EI", "total", "PSY", "PSO", "SEC"],
                "bat-12": ["EX", "MD", "CI", "EI", "total"], "smbm": ["PF", "CW", "EE", "total"],
                "uwes-9": ["VI", "DE", "AB", "total"], "uwes-17": ["VI", "DE", "AB", "total"]}


@pytest.mark.parametrize("iid", sorted(N_ITEMS))
def test_item_count(iid):
    assert len(_load(iid).items) == N_ITEMS[iid]


@pytest.mark.parametrize("iid", sorted(SUBSCALE_IDS))
def test_subscale_ids(iid):
    assert list(_load(iid).subscales) == SUBSCALE_IDS[iid]


@pytest.mark.parametrize(("iid", "sid"), [(i, s) for i, subs in EXPECTED_KEYS.items() for s in subs],
                         ids=[f"{i}-{s}" for i, subs in EXPECTED_KEYS.items() for s in subs])
def test_key_matches_documented_source(iid, sid):
    inst = _load(iid)
    numbers = {it.id: it.number for it in inst.items}
    assert sorted(numbers[i] for i in inst.subscales[sid].items) == EXPECTED_KEYS[iid][sid]


@pytest.mark.parametrize("sid", sorted(BAT12))
def test_bat12_selection_uses_bat23_ids(sid):
    assert list(_load("bat-12").subscales[sid].items) == [f"bat{k}" for k in BAT12[sid]]


@pytest.mark.parametrize("iid", sorted(EXPECTED_KEYS) + ["mbi-hss", "olbi", "bat-12"])
def test_reversed_items(iid):
    key = _load(iid).key()
    assert sorted(set(key.loc[key.reverse, "item"])) == sorted(EXPECTED_REVERSE.get(iid, []))


@pytest.mark.parametrize("iid", ["mbi-hss", "mbi-hss-mp", "mbi-es", "mbi-gs", "mbi-ss", "olbi",
                                 "cbi", "4dkl", "bat-23", "bat-12", "smbm", "uwes-9", "uwes-17",
                                 "hamd-17", "bdi-ii"])
def test_non_composite_subscales_partition_the_items(iid):
    inst = _load(iid)
    core = [i for s in inst.subscales.values() if not s.composite for i in s.items]
    assert sorted(core) == sorted(inst.item_ids), "each item belongs to exactly one subscale"


def test_ubos_keys_are_flagged_as_user_supplied():
    for iid in ("ubos-a", "ubos-c", "ubos-l"):
        inst = _load(iid)
        assert any("NOT FOUND" in u and "keys=" in u for u in inst.uncertain), iid
        assert _doc(iid)["sources"]["key"]["confidence"] == "uncertain"


# --- recodings ----------------------------------------------------------------------------------

def test_cbi_recoding_and_reversed_item_13():
    data = pd.DataFrame({f"cbi{i}": [1, 2, 3, 4, 5] for i in range(1, 20)})
    s = pm.score(data, "cbi", form="always-first")
    np.testing.assert_allclose(s["PB"], [100, 75, 50, 25, 0])
    np.testing.assert_allclose(s["CB"], [100, 75, 50, 25, 0])
    # WB: six items at the code's value, item 13 reversed (Always -> 0)
    wb = np.array([100, 75, 50, 25, 0])
    np.testing.assert_allclose(s["WB"], (6 * wb + (100 - wb)) / 7)
    # the never-first export of the same answers gives the same scores
    flipped = 6 - data
    pd.testing.assert_frame_equal(pm.score(flipped, "cbi", form="never-first"), s, check_like=True)


def test_4dkl_recodes_3_and_4_to_2_and_sums():
    data = pd.DataFrame({f"dkl{i}": [0, 1, 2, 3, 4] for i in range(1, 51)})
    s = pm.score(data, "4dkl")
    per_item = np.array([0, 1, 2, 2, 2])
    for sid, k in {"DIS": 16, "DEP": 6, "ANX": 12, "SOM": 16}.items():
        np.testing.assert_allclose(s[sid], k * per_item)


@pytest.mark.parametrize(("iid", "codes"), [("smbm", _r(1, 7)), ("bat-23", _r(1, 5)), ("bat-12", _r(1, 5)),
                                            ("uwes-9", _r(0, 6)), ("uwes-17", _r(0, 6)),
                                            ("mbi-gs", _r(0, 6)), ("cbi", _r(1, 5)), ("4dkl", _r(0, 4))])
def test_response_codes(iid, codes):
    assert list(_load(iid).scale.codes) == codes


@pytest.mark.parametrize("iid", ["smbm", "bat-23", "uwes-17", "mbi-gs"])
def test_out_of_scale_code_is_rejected(iid):
    inst = _load(iid)
    data = _responses(inst, 3, np.random.default_rng(1))
    first = inst.items[0].id
    data[first] = data[first].astype(float)  # keep the column numeric
    data.iloc[1, 0] = max(inst.scale.codes) + 1
    with pytest.raises(pm.errors.InvalidResponseError, match=first):
        pm.score(data, inst)


# --- every instrument scores a generated response set ----------------------------------------

@pytest.mark.parametrize("iid", SCORABLE)
def test_scores_generated_responses(iid):
    inst0 = _load(iid)
    data = _responses(inst0, 60, np.random.default_rng(7), missing=0.03)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = pm.score(data, iid, form=FORM.get(iid))
    uncertain = [w for w in caught if issubclass(w.category, UncertainKeyWarning)]
    assert bool(uncertain) == bool(inst0.uncertain), "warn exactly when unconfirmed facts are used"
    assert s.index.equals(data.index)
    subs = list(inst0.subscales)
    assert list(s.columns) == subs + [f"{x}_n" for x in subs] + [f"{x}_prorated" for x in subs]
    answered = data.notna()
    for sid, sub in inst0.subscales.items():
        n = answered[list(sub.items)].sum(axis=1)
        assert (s[f"{sid}_n"] == n).all()
        assert (s[f"{sid}_prorated"] == ((n < len(sub.items)) & (n >= sub.min_answered))).all()
        # a score exactly where enough items are answered
        assert (s[sid].notna() == (n >= sub.min_answered)).all()


# --- hypothesis properties over the shipped instruments --------------------------------------

CASES = st.tuples(st.sampled_from(SCORABLE), st.integers(0, 2**32 - 1), st.integers(1, 25),
                  st.sampled_from([0.0, 0.05, 0.2]))
PROPS = settings(max_examples=30, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


def _reverse_code_map(inst: pm.Instrument, item) -> dict[int, int]:
    """Code -> the code of the same item whose scored value is ``min + max - scored(code)``."""
    codes = inst.item_codes(item)
    scored = {c: float(inst.scale.recode.get(c, c)) for c in codes}
    lo, hi = inst.item_range(item)
    out = {}
    for c, v in scored.items():
        partners = [d for d, w in scored.items() if w == lo + hi - v]
        assert partners, f"{inst.id}: scored values of {item.id} are not symmetric"
        out[c] = partners[0]
    return out


@PROPS
@given(case=CASES, pick=st.integers(0, 2**32 - 1))
def test_reverse_keying_twice_is_identity(loaded, tmp_path, case, pick):
    """Items reversed in the data and again by a user key file leave every score unchanged."""
    iid, seed, n, miss = case
    inst = loaded[iid]
    data = _responses(inst, n, np.random.default_rng(seed), miss)
    chosen = np.random.default_rng(pick).random(len(inst.items)) < 0.5
    chosen[np.random.default_rng(pick).integers(len(inst.items))] = True  # at least one
    flip = [it for it, c in zip(inst.items, chosen) if c]
    flipped = data.copy()
    for it in flip:
        flipped[it.id] = data[it.id].map(_reverse_code_map(inst, it), na_action="ignore").astype(float)
    current = {it.id for it in inst.items if it.reverse}
    keys = tmp_path / "keys.yaml"
    keys.write_text(yaml.safe_dump({"source": "property test: reverse a random item set",
                                    "reverse": sorted(current ^ {it.id for it in flip})}))
    expected = _quiet_score(data, inst)
    got = _quiet_score(flipped, load_instrument(iid, keys=keys, form=inst.form))
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=0, atol=1e-9)


@PROPS
@given(case=CASES, perm_seed=st.integers(0, 2**32 - 1))
def test_scores_do_not_depend_on_column_order(loaded, case, perm_seed):
    iid, seed, n, miss = case
    inst = loaded[iid]
    data = _responses(inst, n, np.random.default_rng(seed), miss)
    shuffled = data[list(np.random.default_rng(perm_seed).permutation(data.columns))]
    pd.testing.assert_frame_equal(_quiet_score(shuffled, inst), _quiet_score(data, inst))


@PROPS
@given(case=CASES)
def test_scores_lie_within_the_scale_range(loaded, case):
    iid, seed, n, miss = case
    inst = loaded[iid]
    s = _quiet_score(_responses(inst, n, np.random.default_rng(seed), miss), inst)
    for sid, sub in inst.subscales.items():
        ranges = np.array([inst.item_range(inst.item(i)) for i in sub.items])
        if sub.scoring == "sum":
            lo, hi = ranges[:, 0].sum(), ranges[:, 1].sum()
        else:
            lo, hi = ranges[:, 0].min(), ranges[:, 1].max()
        x = s[sid].dropna()
        assert ((x >= lo - 1e-9) & (x <= hi + 1e-9)).all(), (iid, sid, x.min(), x.max(), lo, hi)


@PROPS
@given(case=CASES, other_seed=st.integers(0, 2**32 - 1))
def test_a_respondents_score_depends_only_on_their_row(loaded, case, other_seed):
    iid, seed, n, miss = case
    inst = loaded[iid]
    data = _responses(inst, n + 1, np.random.default_rng(seed), miss)
    others = _responses(inst, n + 1, np.random.default_rng(other_seed), miss)
    mixed = others.copy()
    mixed.iloc[0] = data.iloc[0]
    # also move the respondent to the end: same score, order and index kept
    mixed = pd.concat([mixed.iloc[1:], mixed.iloc[:1]])
    a = _quiet_score(data, inst).loc["r0"]
    b = _quiet_score(mixed, inst)
    assert list(b.index) == list(mixed.index)
    pd.testing.assert_series_equal(b.loc["r0"], a)


@PROPS
@given(case=CASES)
def test_input_dataframe_is_unchanged(loaded, case):
    iid, seed, n, miss = case
    inst = loaded[iid]
    data = _responses(inst, n, np.random.default_rng(seed), miss)
    # an export as text: codes, blanks and NA markers, read through the label/marker path
    text = data.astype(object).where(data.notna(), "NA").map(
        lambda v: v if isinstance(v, str) else str(int(v)))
    for frame in (data, text):
        before = frame.copy(deep=True)
        _quiet_score(frame, inst)
        pd.testing.assert_frame_equal(frame, before)
    pd.testing.assert_frame_equal(_quiet_score(text, inst), _quiet_score(data, inst))


# --- errors name file and field --------------------------------------------------------------

def _write(tmp_path, doc, name="broken.yaml"):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda d: d["subscales"]["EX"].__setitem__("scoring", "median"), "subscales/EX/scoring"),
    (lambda d: d["subscales"]["CY"].__setitem__("min_answered", "four"), "subscales/CY/min_answered"),
    (lambda d: d.pop("licence"), "(top)"),
    (lambda d: d["scale"].__setitem__("codes", [0]), "scale/codes"),
    (lambda d: d["items"][2].__setitem__("reverse", "yes"), "items/2/reverse"),
    (lambda d: d["sources"]["key"].__setitem__("confidence", "probably"), "sources/key/confidence"),
], ids=["scoring", "min_answered", "licence", "codes", "reverse", "confidence"])
def test_schema_error_names_file_and_field(tmp_path, mutate, field):
    doc = _doc("mbi-gs")
    mutate(doc)
    path = _write(tmp_path, doc)
    with pytest.raises(InstrumentError) as err:
        load_instrument(path)
    msg = str(err.value)
    assert str(path) in msg and f"field '{field}'" in msg, msg


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda d: d["subscales"]["EX"]["items"].append("mbigs99"), "subscales/EX/items"),
    (lambda d: d["subscales"]["PE"].__setitem__("min_answered", 7), "subscales/PE/min_answered"),
    (lambda d: d["items"][1].__setitem__("id", "mbigs1"), "items"),
], ids=["unknown-item", "min-too-large", "duplicate-id"])
def test_consistency_error_names_file_and_field(tmp_path, mutate, field):
    doc = _doc("mbi-gs")
    mutate(doc)
    path = _write(tmp_path, doc)
    with pytest.raises(InstrumentError, match=re.escape(f"field '{field}'")) as err:
        load_instrument(path)
    assert str(path) in str(err.value)


def test_texts_refused_when_licence_forbids_them(tmp_path):
    doc = _doc("mbi-gs")
    doc["items"][0]["text"] = {"en": "placeholder wording"}
    with pytest.raises(InstrumentError, match="item_texts"):
        load_instrument(_write(tmp_path, doc))


def test_invalid_yaml_names_the_file(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("id: x\nitems: [unclosed\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match=re.escape(str(p))):
        load_instrument(p)


# --- user key files -------------------------------------------------------------------------

UBOS_A_KEY = {"source": "test key (not the manual's): U 1,3,5,7,9; D 2,4,6,8; C 10-15",
              "reverse": ["ubosa3"],
              "subscales": {"U": {"items": ["ubosa1", "ubosa3", "ubosa5", "ubosa7", "ubosa9"],
                                  "min_answered": 4},
                            "D": {"items": ["ubosa2", "ubosa4", "ubosa6", "ubosa8"],
                                  "min_answered": 3},
                            "C": {"items": [f"ubosa{i}" for i in range(10, 16)]}}}


def test_uncertain_instrument_warns():
    with pytest.warns(UncertainKeyWarning, match="ubos-a"):
        load_instrument("ubos-a")


def test_user_key_file_overrides_keys_and_clears_warning(tmp_path):
    keys = _write(tmp_path, UBOS_A_KEY, "my-ubos-keys.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UncertainKeyWarning)
        inst = load_instrument("ubos-a", keys=keys)
    assert inst.uncertain == [] and inst.keys_source == str(keys)
    assert inst.doc["sources"]["key"] == {"ref": UBOS_A_KEY["source"], "confidence": "user"}
    assert list(inst.subscales["D"].items) == UBOS_A_KEY["subscales"]["D"]["items"]
    assert inst.subscales["D"].min_answered == 3
    # scores follow the user's key: U averages 1,3(reversed),5,7,9
    rng = np.random.default_rng(3)
    data = _responses(inst, 30, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UncertainKeyWarning)
        s = pm.score(data, "ubos-a", keys=keys)
    u = data[["ubosa1", "ubosa3", "ubosa5", "ubosa7", "ubosa9"]].copy()
    u["ubosa3"] = 6 - u["ubosa3"]
    np.testing.assert_allclose(s["U"], u.mean(axis=1))
    np.testing.assert_allclose(s["C"], data[[f"ubosa{i}" for i in range(10, 16)]].mean(axis=1))


def test_user_key_file_with_unknown_subscale_is_refused(tmp_path):
    keys = _write(tmp_path, {"source": "test", "subscales": {"XX": {"items": ["ubosa1"]}}})
    with pytest.raises(InstrumentError, match="subscales/XX"):
        load_instrument("ubos-a", keys=keys)


def test_user_key_file_schema_error_names_file_and_field(tmp_path):
    keys = _write(tmp_path, {"reverse": ["ubosa1"]}, "keys.yaml")  # no source
    with pytest.raises(InstrumentError, match=re.escape(str(keys))):
        load_instrument("ubos-a", keys=keys)


# --- forms ------------------------------------------------------------------------------------

@pytest.mark.parametrize("iid", ["olbi", "cbi"])
def test_instrument_with_forms_requires_a_form(iid):
    with pytest.raises(InstrumentError, match="form"):
        load_instrument(iid)
    inst = _load(iid)
    data = _responses(inst, 3, np.random.default_rng(0))
    with pytest.raises(InstrumentError, match="form"):
        pm.score(data, iid)


def test_olbi_forms_agree_on_the_same_answers():
    inst = _load("olbi")
    data = _responses(inst, 40, np.random.default_rng(5))
    low = pm.score(data, "olbi", form="agree-low")
    high = pm.score(5 - data, "olbi", form="agree-high")
    pd.testing.assert_frame_equal(low, high)


# --- a user-defined instrument --------------------------------------------------------------------

def test_user_defined_instrument_file_loads_and_scores():
    inst = load_instrument(DATA / "bfi-instrument.yaml")
    assert inst.id == "bfi-test" and list(inst.subscales) == ["A", "C", "E", "N", "O"]
    bfi = pd.read_csv(DATA / "bfi.csv")
    s = pm.score(bfi, inst, id="id")
    assert len(s) == len(bfi) and s.columns[0] == "id"


def test_cli_lists_every_shipped_instrument(capsys):
    from psychometrics.cli import main
    assert main(["instruments", "list", "--json"]) == 0
    out = capsys.readouterr().out
    for iid in SHIPPED:
        assert f'"{iid}"' in out


# --- depression scales (issue 8) --------------------------------------------------------------

#: HAMD-17 items rated 0-2 (Guy 1976 / NINDS CDE, via CamCOPS); the others are 0-4
HAMD_0_2 = {4, 5, 6, 12, 13, 14, 16, 17}


def test_hamd17_item_codes_and_total_range():
    inst = _load("hamd-17")
    assert inst.doc["rater"] == "clinician"
    for it in inst.items:
        assert list(it.codes) == (_r(0, 2) if it.number in HAMD_0_2 else _r(0, 4)), it.id
    lo = pd.DataFrame({it.id: [0] for it in inst.items})
    hi = pd.DataFrame({it.id: [max(it.codes)] for it in inst.items})
    assert pm.score(lo, inst)["total"].item() == 0
    assert pm.score(hi, inst)["total"].item() == 52


def test_hamd17_rejects_3_on_a_0_2_item():
    inst = _load("hamd-17")
    data = pd.DataFrame({it.id: [1, 1] for it in inst.items})
    data.loc[1, "hamd16"] = 3  # ECDEU 'not assessed' is not a score
    with pytest.raises(pm.errors.InvalidResponseError, match="hamd16"):
        pm.score(data, inst)
    s = pm.score(data, inst, on_invalid="missing")
    assert s["total"].tolist()[0] == 17 and np.isnan(s["total"].tolist()[1])
    assert s.attrs["psychometrics"]["invalid"][0]["column"] == "hamd16"


def test_bdi_ii_total():
    inst = _load("bdi-ii")
    assert list(inst.scale.codes) == [0, 1, 2, 3] and len(inst.items) == 21
    data = pd.DataFrame({it.id: [0, 3, it.number % 4] for it in inst.items})
    s = pm.score(data, inst)
    assert s["total"].tolist() == [0, 63, sum(k % 4 for k in range(1, 22))]
    with pytest.raises(pm.errors.InvalidResponseError, match="bdi16"):
        pm.score(data.assign(bdi16=["1a", "0", "2"]), inst)


@pytest.mark.parametrize("iid", ["hamd-17", "bdi-ii"])
def test_depression_scales_carry_no_bands_and_cite_sources(iid):
    doc = _doc(iid)
    assert "rules" not in doc and "bands" not in doc
    assert doc["citations"] and all(s["ref"] for s in doc["sources"].values())
    assert doc["licence"]["item_texts"] is False
    assert not re.search(r"\btext\s*:", (INSTRUMENTS / f"{iid}.yaml").read_text(encoding="utf-8"))
