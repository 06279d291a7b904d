"""Scoring core: agreement with psych::scoreItems, missing-data rules, bad input, properties."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import psychometrics as pm
from psychometrics.errors import (
    DataError,
    DuplicateIdError,
    InstrumentError,
    InvalidResponseError,
    MissingColumnError,
    OptionError,
)

DATA = Path(__file__).parent / "data"
BFI_INSTRUMENT = DATA / "bfi-instrument.yaml"


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(DATA / "bfi.csv")


@pytest.fixture(scope="module")
def bfi_ref() -> dict:
    return json.loads((DATA / "reference" / "bfi_scoring.json").read_text())


# --- reference: psych::scoreItems (impute = "none") ----------------------------------------

@pytest.mark.parametrize("scale", ["A", "C", "E", "N", "O"])
def test_bfi_means_match_psych_score_items(bfi, bfi_ref, scale):
    scores = pm.score(bfi, BFI_INSTRUMENT, id="id", min_answered=1, method="mean")
    assert scores["id"].tolist() == bfi_ref["id"]
    expected = np.array([np.nan if v is None else v for v in bfi_ref["impute_none"]["mean"][scale]])
    np.testing.assert_allclose(scores[scale].to_numpy(), expected, rtol=0, atol=1e-9, equal_nan=True)
    assert scores[f"{scale}_n"].tolist() == bfi_ref["n_answered"][scale]


@pytest.mark.parametrize("scale", ["A", "C", "E", "N", "O"])
def test_bfi_complete_sums_match_psych(bfi, bfi_ref, scale):
    # psych's sum without imputation adds the answered items only; for complete rows the
    # sums agree; incomplete rows are prorated here (tested below), so compare complete rows.
    scores = pm.score(bfi, BFI_INSTRUMENT, method="sum", min_answered=5)
    expected = np.array(bfi_ref["impute_none"]["sum"][scale], dtype=float)
    complete = np.array(bfi_ref["n_answered"][scale]) == 5
    np.testing.assert_allclose(scores[scale].to_numpy()[complete], expected[complete], atol=1e-9)
    assert scores[scale].isna().to_numpy()[~complete].all()


def test_bfi_keys_reverse_per_scale(bfi):
    inst = pm.load_instrument(BFI_INSTRUMENT)
    key = inst.key()
    assert sorted(key.loc[key.reverse, "item"]) == ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]


# --- missing-data rules -------------------------------------------------------------------

def _mbi_frame(n=4, value=3):
    return pd.DataFrame({f"mbi{i}": [value] * n for i in range(1, 23)})


def test_sum_is_prorated_when_enough_items_answered():
    df = _mbi_frame(2)
    df.loc[0, "mbi1"] = np.nan           # EE: 8 of 9 answered -> prorated
    df.loc[1, ["mbi1", "mbi2"]] = np.nan  # EE: 7 of 9 -> below min_answered (8) -> missing
    with pytest.warns(UserWarning, match="prorated"):
        s = pm.score(df, "mbi-hss")
    assert s.loc[0, "EE"] == pytest.approx(27.0)
    assert np.isnan(s.loc[1, "EE"])
    assert s.loc[0, "EE_n"] == 8 and s.loc[1, "EE_n"] == 7
    assert s.attrs["psychometrics"]["prorated"]["EE"] == 1


def test_method_override_and_min_answered_dict():
    df = _mbi_frame(1)
    df.loc[0, ["mbi1", "mbi2"]] = np.nan
    s = pm.score(df, "mbi-hss", method="mean", min_answered={"EE": 7})
    assert s.loc[0, "EE"] == pytest.approx(3.0)
    assert s.loc[0, "DP"] == pytest.approx(3.0)
    with pytest.raises(OptionError, match="method"):
        pm.score(df, "mbi-hss", method="median")


def test_missing_markers_and_declared_missing_codes():
    df = _mbi_frame(3).astype(object)
    df.loc[0, "mbi1"] = "N/A"
    df.loc[1, "mbi1"] = " "
    df.loc[2, "mbi1"] = -99
    s = pm.score(df, "mbi-hss", missing_codes=[-99], method="mean")
    assert s["EE_n"].tolist() == [8, 8, 8]
    with pytest.raises(InvalidResponseError, match="-99"):
        pm.score(df, "mbi-hss")


def test_response_labels_are_mapped_to_codes():
    df = _mbi_frame(2).astype(object)
    df.loc[0, "mbi1"] = "Never"
    df.loc[1, "mbi1"] = "altijd - dagelijks"
    s = pm.score(df, "mbi-hss")
    assert s.loc[0, "EE"] == 24 and s.loc[1, "EE"] == 30


# --- bad input: clear errors naming column, respondent and value --------------------------

def test_out_of_range_error_names_column_row_and_value():
    df = _mbi_frame(3)
    df.insert(0, "resp", ["R1", "R2", "R3"])
    df.loc[1, "mbi16"] = 7
    with pytest.raises(InvalidResponseError) as err:
        pm.score(df, "mbi-hss", id="resp")
    msg = str(err.value)
    assert "'mbi16'" in msg and "R2 (row 2)" in msg and "7" in msg and "0..6" in msg
    assert err.value.cells[0]["respondent"] == "R2"


def test_on_invalid_missing_reports_cells():
    df = _mbi_frame(3).astype(object)
    df.loc[0, "mbi5"] = "often"
    df.loc[2, "mbi4"] = 2.5
    s = pm.score(df, "mbi-hss", on_invalid="missing")
    cells = s.attrs["psychometrics"]["invalid"]
    assert {(c["column"], c["row"]) for c in cells} == {("mbi5", 1), ("mbi4", 3)}
    assert {c["problem"] for c in cells} == {"not a response code or a known response label",
                                              "not a whole number"}
    assert s.loc[0, "DP_n"] == 4 and s.loc[2, "PA_n"] == 7


def test_missing_columns_and_wrong_instrument(bfi):
    df = _mbi_frame(2).drop(columns=["mbi3", "mbi7"])
    with pytest.raises(MissingColumnError, match="mbi3.*mbi7"):
        pm.score(df, "mbi-hss")
    with pytest.raises(MissingColumnError, match="right instrument"):
        pm.score(bfi, "mbi-hss")
    with pytest.raises(InstrumentError, match="unknown instrument"):
        pm.score(df, "no-such-instrument")


def test_duplicate_and_missing_ids():
    df = _mbi_frame(3)
    df.insert(0, "resp", ["a", "b", "a"])
    with pytest.raises(DuplicateIdError, match="'a'.*rows \\[1, 3\\]"):
        pm.score(df, "mbi-hss", id="resp")
    with pytest.raises(MissingColumnError, match="id column"):
        pm.score(df, "mbi-hss", id="nope")


def test_items_mapping_dict_and_pattern():
    df = _mbi_frame(2)
    renamed = df.rename(columns=lambda c: "Q" + c[3:])
    s1 = pm.score(renamed, "mbi-hss", items="Q{n}")
    s2 = pm.score(renamed, "mbi-hss", items={f"mbi{i}": f"Q{i}" for i in range(1, 23)})
    pd.testing.assert_frame_equal(s1, s2)
    with pytest.raises(DataError, match="not items"):
        pm.score(renamed, "mbi-hss", items={"x1": "Q1"})
    with pytest.raises(DataError, match="pattern"):
        pm.score(renamed, "mbi-hss", items="Q")


def test_index_and_order_kept_and_input_unchanged():
    df = _mbi_frame(3)
    df.index = ["z", "x", "y"]
    before = df.copy()
    s = pm.score(df, "mbi-hss")
    assert list(s.index) == ["z", "x", "y"]
    pd.testing.assert_frame_equal(df, before)


def test_forms_are_explicit():
    df = pd.DataFrame({f"olbi{i}": [1] for i in range(1, 17)})
    with pytest.raises(InstrumentError, match="form="):
        pm.score(df, "olbi")
    low = pm.score(df, "olbi", form="agree-low")
    high = pm.score(df, "olbi", form="agree-high")
    # all answers 1: half the items are reversed in either form
    assert low.loc[0, "EX"] == high.loc[0, "EX"] == 2.5


# --- properties -----------------------------------------------------------------------------

codes = st.integers(min_value=0, max_value=6)


@st.composite
def mbi_data(draw):
    n = draw(st.integers(min_value=1, max_value=8))
    arr = draw(st.lists(st.lists(codes, min_size=22, max_size=22), min_size=n, max_size=n))
    return pd.DataFrame(arr, columns=[f"mbi{i}" for i in range(1, 23)])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mbi_data(), st.randoms())
def test_scores_do_not_depend_on_column_order(df, rnd):
    cols = list(df.columns)
    rnd.shuffle(cols)
    pd.testing.assert_frame_equal(pm.score(df, "mbi-hss"), pm.score(df[cols], "mbi-hss"))


@settings(max_examples=40, deadline=None)
@given(mbi_data())
def test_scores_within_range_and_rows_independent(df):
    s = pm.score(df, "mbi-hss", method="mean")
    assert ((s[["EE", "DP", "PA"]] >= 0) & (s[["EE", "DP", "PA"]] <= 6)).all().all()
    first = pm.score(df.iloc[[0]], "mbi-hss", method="mean")
    pd.testing.assert_frame_equal(s.iloc[[0]], first)


@settings(max_examples=40, deadline=None)
@given(mbi_data())
def test_reverse_keying_twice_is_identity(df):
    inst = pm.load_instrument(BFI_INSTRUMENT)
    bfi_like = pd.DataFrame((df.iloc[:, :25 - 3].to_numpy() % 6) + 1,
                            columns=inst.item_ids[:22])
    for extra in inst.item_ids[22:]:
        bfi_like[extra] = 3
    keyed = pm.keyed_items(bfi_like, inst)["A"]
    flipped = bfi_like.copy()
    flipped["A1"] = 7 - flipped["A1"]
    twice = pm.keyed_items(flipped, inst)["A"]
    np.testing.assert_array_equal(7 - twice["A1"].to_numpy(), keyed["A1"].to_numpy())
    np.testing.assert_array_equal(twice["A1"].to_numpy(), bfi_like["A1"].to_numpy())


def test_uncertain_instrument_warns(tmp_path):
    doc = Path(BFI_INSTRUMENT).read_text() + "uncertain:\n  - \"the item order is a guess\"\n"
    path = tmp_path / "u.yaml"
    path.write_text(doc)
    with pytest.warns(pm.instruments.UncertainKeyWarning, match="item order"):
        pm.load_instrument(path)
    keys = tmp_path / "keys.yaml"
    keys.write_text("source: my manual p. 3\nreverse: [A1]\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inst = pm.load_instrument(path, keys=keys)
    assert inst.keys_source == str(keys)
    assert inst.key().query("reverse").item.tolist() == ["A1"]


def test_broken_instrument_file_names_field(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(Path(BFI_INSTRUMENT).read_text().replace("scoring: mean", "scoring: median", 1))
    with pytest.raises(InstrumentError, match=r"broken.yaml: field 'subscales/A/scoring'"):
        pm.load_instrument(path)


def test_subscales_argument_scores_a_core_only_export():
    inst = pm.load_instrument("bat-23", warn=False)
    core = [i for s in ("EX", "MD", "CI", "EI") for i in inst.subscales[s].items]
    df = pd.DataFrame({i: [1, 5] for i in core})
    # secondary scales are optional: scored when their items are there, else left out
    assert "PSY" not in pm.score(df, inst).columns
    partial = df.assign(**{inst.subscales["PSY"].items[0]: [1, 2]})
    with pytest.raises(MissingColumnError):
        pm.score(partial, inst)
    s = pm.score(df, inst, subscales=["EX", "MD", "CI", "EI", "total"])
    assert list(s.columns[:5]) == ["EX", "MD", "CI", "EI", "total"]
    assert s.loc[0, "EX"] == 1 and s.loc[1, "EX"] == 5
    with pytest.raises(DataError, match="no subscale"):
        pm.score(df, inst, subscales=["XX"])
    keyed = pm.keyed_items(df, inst, subscales=["MD"])
    assert list(keyed) == ["MD"]


def test_pattern_with_format_spec():
    df = pd.DataFrame({f"OLBI[SQ{i:03d}]": [2] for i in range(1, 17)})
    s = pm.score(df, "olbi", form="agree-low", items="OLBI[SQ{n:03d}]")
    assert s.loc[0, "EX"] == 2.5
