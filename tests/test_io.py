"""Exports as they arrive: Qualtrics, LimeSurvey, SPSS, plain CSV/Excel; the mapping check;
the writers; the bundled example data and its planted quirks (scripts/make_examples.py)."""

from __future__ import annotations

import csv
import importlib.util
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import psychometrics as pm
from psychometrics.errors import DataError, ExportError, InvalidResponseError
from psychometrics.io import (
    INCOMPLETE,
    example_path,
    list_examples,
    read_export,
    read_table,
    write_table,
)
from psychometrics.scoring import MatchReport, match_items

ROOT = Path(__file__).resolve().parents[1]


def _load_script():
    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "scripts" / "make_examples.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


MK = _load_script()
MBI_NL = pm.load_instrument("mbi-hss").scale.labels["nl"]


def _quiet_score(*args, **kwargs) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # prorated sums: tested in test_scoring
        return pm.score(*args, **kwargs)


@pytest.fixture(scope="module")
def qualtrics() -> pd.DataFrame:
    return read_export(example_path("mbi-hss-qualtrics.csv"), id="ResponseId")


@pytest.fixture(scope="module")
def lime() -> pd.DataFrame:
    return read_export(example_path("olbi-limesurvey.csv"), id="id")


@pytest.fixture(scope="module")
def spss() -> pd.DataFrame:
    return read_export(example_path("cbi-spss.sav"), id="resp_id")


@pytest.fixture(scope="module")
def validation() -> pd.DataFrame:
    return read_export(example_path("validation-sample.csv"), id="id")


def _raw_rows(path: Path, delimiter: str = ",") -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def _write_rows(rows, path: Path, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


# ---- bundled example data -----------------------------------------------------------------

def test_examples_are_listed_small_and_found():
    names = list_examples()
    for name in ["mbi-hss-qualtrics.csv", "mbi-hss-items.yaml", "olbi-limesurvey.csv",
                 "olbi-limesurvey-items.yaml", "cbi-spss.sav", "validation-sample.csv",
                 "population-margins.yaml"]:
        assert name in names
        assert example_path(name).is_file()
    total = sum(example_path(n).stat().st_size for n in names)
    assert total < 300 * 1024
    with pytest.raises(ExportError, match="no example file 'nope.csv'.*mbi-hss-qualtrics.csv"):
        example_path("nope.csv")


def test_examples_are_reproducible_from_the_script(tmp_path):
    written = MK.main(tmp_path)
    assert {p.name for p in written} == set(list_examples())
    for p in written:
        if p.suffix == ".sav":  # the SPSS header carries the creation time: compare contents
            new, meta_new = pyreadstat.read_sav(str(p), user_missing=True)
            old, meta_old = pyreadstat.read_sav(str(example_path(p.name)), user_missing=True)
            pd.testing.assert_frame_equal(new, old)
            assert meta_new.variable_value_labels == meta_old.variable_value_labels
            assert meta_new.missing_ranges == meta_old.missing_ranges
        else:
            assert p.read_bytes() == example_path(p.name).read_bytes(), p.name


def test_example_responses_come_from_a_factor_model(validation):
    # not uniform noise: items of one subscale correlate, EE and PA correlate negatively
    s = _quiet_score(validation, "mbi-hss", id="id")
    keyed = pm.keyed_items(validation, "mbi-hss", id="id")
    r = keyed["EE"].corr().to_numpy()
    assert r[np.triu_indices(9, 1)].min() > 0.2
    assert s["EE"].corr(s["DP"]) > 0.3 and s["EE"].corr(s["PA"]) < 0
    # the criterion follows exhaustion
    cases = validation["diagnosis"] == "burnout"
    assert 0.1 < cases.mean() < 0.4
    assert s.loc[cases, "EE"].mean() > s.loc[~cases, "EE"].mean() + 5


def test_validation_sample_and_margins_fit_raking(validation):
    margins = yaml.safe_load(example_path("population-margins.yaml").read_text())
    for var, shares in margins.items():
        assert set(validation[var].unique()) == set(shares)
        assert sum(shares.values()) == pytest.approx(1.0)
    # over-sampled on purpose, so that raking matters
    assert (validation["sex"] == "F").mean() > margins["sex"]["F"] + 0.1
    assert validation["id"].is_unique


# ---- Qualtrics ----------------------------------------------------------------------------

def test_qualtrics_header_rows_are_detected_and_kept_in_attrs(qualtrics):
    exp = qualtrics.attrs["export"]
    assert exp["source"] == "qualtrics"
    assert len(qualtrics) == 200  # the question-text and import-id rows are not respondents
    assert qualtrics["ResponseId"].str.startswith("R_").all() and qualtrics["ResponseId"].is_unique
    assert exp["import_ids"]["Q1_7"] == "QID1_7" and exp["import_ids"]["StartDate"] == "startDate"
    assert exp["question_text"]["ResponseId"] == "Response ID"
    assert "MBI-HSS item 7" in exp["question_text"]["Q1_7"]
    assert pd.api.types.is_numeric_dtype(qualtrics["Q1_1"])


def test_read_table_warns_on_a_qualtrics_export():
    with pytest.warns(UserWarning, match="looks like a Qualtrics export.*read_export"):
        df = read_table(example_path("mbi-hss-qualtrics.csv"))
    assert len(df) == 202  # read as it is: the header rows are rows


def test_qualtrics_text_columns_are_text_and_never_items(qualtrics):
    assert qualtrics.attrs["export"]["text_columns"] == ["gender_4_TEXT"]
    assert pd.api.types.is_string_dtype(qualtrics["gender_4_TEXT"])
    assert set(qualtrics["gender_4_TEXT"].dropna()) == {"genderfluid", "agender"}
    rep = match_items(qualtrics, "mbi-hss", items="Q1_{n}", id="ResponseId")
    assert "gender_4_TEXT" not in rep.unmapped and rep.text_columns == ["gender_4_TEXT"]


def test_qualtrics_out_of_range_codes_raise_naming_column_row_and_value(qualtrics):
    with pytest.raises(InvalidResponseError) as err:
        pm.score(qualtrics, "mbi-hss", items=example_path("mbi-hss-items.yaml"), id="ResponseId")
    row, col, value = MK.QUALTRICS_OUT_OF_RANGE[0]
    rid = qualtrics["ResponseId"].iloc[row]
    msg = str(err.value)
    assert f"'{col}'" in msg and f"{rid} (row {row + 1})" in msg and f"value {value}" in msg
    assert "0..6" in msg
    assert len(err.value.cells) == len(MK.QUALTRICS_OUT_OF_RANGE)


def test_qualtrics_scored_with_the_mapping_file(qualtrics):
    s = _quiet_score(qualtrics, "mbi-hss", items=example_path("mbi-hss-items.yaml"),
                     id="ResponseId", on_invalid="missing")
    cells = s.attrs["psychometrics"]["invalid"]
    assert sorted((c["row"] - 1, c["column"], c["value"]) for c in cells) == \
        sorted(MK.QUALTRICS_OUT_OF_RANGE)
    assert s["ResponseId"].tolist() == qualtrics["ResponseId"].tolist()
    # every cell that was a code: the sums are sums of the codes
    items = [f"Q1_{j}" for j in (1, 2, 3, 6, 8, 13, 14, 16, 20)]
    ee = qualtrics[items].apply(pd.to_numeric, errors="coerce")
    full = ee.notna().all(axis=1) & (ee <= 6).all(axis=1)
    np.testing.assert_allclose(s.loc[full, "EE"], ee[full].sum(axis=1))
    # the same with a pattern
    s2 = _quiet_score(qualtrics, "mbi-hss", items="Q1_{n}", id="ResponseId", on_invalid="missing")
    pd.testing.assert_frame_equal(s, s2, check_like=True)


def test_qualtrics_blank_and_na_cells_are_missing(qualtrics):
    s = _quiet_score(qualtrics, "mbi-hss", items="Q1_{n}", id="ResponseId", on_invalid="missing")
    raw = _raw_rows(example_path("mbi-hss-qualtrics.csv"))
    names = raw[0]
    for row, col in MK.QUALTRICS_BLANK + MK.QUALTRICS_NA_TEXT:
        assert np.isnan(qualtrics[col].iloc[row])
        assert raw[3 + row][names.index(col)] in ("", "N/A")
    row, col = MK.QUALTRICS_BLANK[0]  # Q1_2 is an EE item: 8 of 9 answered, prorated sum
    assert s["EE_n"].iloc[row] == 8
    ee = [f"Q1_{j}" for j in (1, 2, 3, 6, 8, 13, 14, 16, 20)]
    assert s["EE"].iloc[row] == pytest.approx(qualtrics[ee].iloc[row].mean() * 9)


def test_qualtrics_respondent_with_many_missing_items_has_no_scores(qualtrics):
    s = _quiet_score(qualtrics, "mbi-hss", items="Q1_{n}", id="ResponseId", on_invalid="missing")
    r = MK.QUALTRICS_MANY_MISSING
    assert s[["EE_n", "DP_n", "PA_n"]].iloc[r].tolist() == [4, 1, 1]
    assert s[["EE", "DP", "PA"]].iloc[r].isna().all()
    assert not qualtrics[INCOMPLETE].iloc[r]  # finished the survey, skipped the items


def test_qualtrics_unfinished_response_is_kept_and_flagged(qualtrics):
    r = MK.QUALTRICS_UNFINISHED
    assert qualtrics.attrs["export"]["incomplete"] == [r]
    assert qualtrics[INCOMPLETE].tolist() == [i == r for i in range(200)]
    assert qualtrics["Progress"].iloc[r] == 41
    s = _quiet_score(qualtrics, "mbi-hss", items="Q1_{n}", id="ResponseId", on_invalid="missing")
    assert s[["EE", "DP", "PA"]].iloc[r].isna().all()


def test_qualtrics_small_department_is_there_for_suppression(qualtrics):
    counts = qualtrics["department"].value_counts()
    assert counts["Palliative care"] == 4 and counts.drop("Palliative care").min() > 20


def _qualtrics_xlsx(tmp_path, convert) -> Path:
    """The bundled Qualtrics export as an .xlsx, item cells passed through ``convert``."""
    rows = _raw_rows(example_path("mbi-hss-qualtrics.csv"))
    items = {j for j, c in enumerate(rows[0]) if c.startswith("Q1_")}
    out = [rows[0], rows[1], rows[2]]
    for r in rows[3:]:
        out.append([convert(v) if j in items else (int(v) if v.isdigit() else v or None)
                    for j, v in enumerate(r)])
    p = tmp_path / "qualtrics.xlsx"
    pd.DataFrame(out).to_excel(p, header=False, index=False)
    return p


def test_qualtrics_xlsx_with_dutch_labels_scores_like_the_coded_csv(tmp_path, qualtrics):
    def to_label(v):
        return MBI_NL[int(v)] if v.isdigit() and int(v) <= 6 else (int(v) if v.isdigit() else v or None)

    p = _qualtrics_xlsx(tmp_path, to_label)
    df = read_export(p, id="ResponseId")
    assert df.attrs["export"]["source"] == "qualtrics" and len(df) == 200
    assert df["Q1_1"].iloc[0] in MBI_NL
    rep = match_items(df, "mbi-hss", items="Q1_{n}", id="ResponseId")
    assert len(rep.labelled) == 22 and set(rep.invalid) == {c for _, c, _ in MK.QUALTRICS_OUT_OF_RANGE}
    s = _quiet_score(df, "mbi-hss", items="Q1_{n}", id="ResponseId", on_invalid="missing")
    expected = _quiet_score(qualtrics, "mbi-hss", items="Q1_{n}", id="ResponseId", on_invalid="missing")
    pd.testing.assert_frame_equal(s, expected, check_dtype=False)


def test_labels_are_case_insensitive_and_english_labels_work(validation):
    en = pm.load_instrument("mbi-hss").scale.labels["en"]
    df = validation.copy()
    items = [f"mbi{j}" for j in range(1, 23)]
    df[items] = df[items].astype(object)
    df.loc[0, "mbi1"] = en[df.loc[0, "mbi1"]].upper()
    df.loc[1, "mbi2"] = "  " + MBI_NL[int(validation.loc[1, "mbi2"])].lower() + " "
    s = pm.score(df, "mbi-hss", id="id")
    pd.testing.assert_frame_equal(s, pm.score(validation, "mbi-hss", id="id"), check_dtype=False)


@pytest.mark.parametrize("label", ["Nunca", "soms", "Never!"])
def test_unknown_label_names_column_row_and_label(validation, label):
    # text that is no label of the instrument in any shipped language (EN, NL, FR) is reported
    df = validation.astype({"mbi13": object})
    df.loc[41, "mbi13"] = label
    with pytest.raises(InvalidResponseError) as err:
        pm.score(df, "mbi-hss", id="id")
    msg = str(err.value)
    assert "'mbi13'" in msg and "V042 (row 42)" in msg and repr(label) in msg
    assert err.value.cells == [{"row": 42, "respondent": "V042", "column": "mbi13", "item": "mbi13",
                                "value": label,
                                "problem": "not a response code or a known response label"}]
    rep = match_items(df, "mbi-hss")
    assert rep.invalid == {"mbi13": {"count": 1, "values": [label]}}


def test_forced_qualtrics_on_a_plain_file_is_an_error(tmp_path):
    p = _write_rows([["a", "b"], ["1", "2"], ["3", "4"]], tmp_path / "plain.csv")
    with pytest.raises(ExportError, match="does not look like a Qualtrics export"):
        read_export(p, source="qualtrics")
    assert read_export(p).attrs["export"]["source"] == "csv"


@pytest.mark.parametrize("finished", [("1", "0"), ("True", "False")])
def test_legacy_qualtrics_with_two_header_rows(tmp_path, finished):
    rows = [["ResponseId", "Finished", "Q1"], ["Response ID", "Finished", "How often?"],
            ["R_1", finished[0], "3"], ["R_2", finished[1], ""]]
    df = read_export(_write_rows(rows, tmp_path / "legacy.csv"))
    assert df.attrs["export"]["source"] == "qualtrics" and "import_ids" not in df.attrs["export"]
    assert df["Q1"].tolist()[0] == 3 and df[INCOMPLETE].tolist() == [False, True]


# ---- LimeSurvey ---------------------------------------------------------------------------

def test_limesurvey_semicolons_decimal_commas_and_ids(lime):
    assert lime.attrs["export"]["source"] == "limesurvey" and len(lime) == 150
    assert lime["id"].tolist()[:3] == ["1", "2", "3"]
    assert lime["hours"].dtype == float and 37.5 in set(lime["hours"])
    assert pd.api.types.is_numeric_dtype(lime["OLBI[SQ001]"])


def test_limesurvey_incomplete_responses_are_kept_and_flagged(lime):
    flagged = sorted(MK.LIMESURVEY_PARTIAL + MK.LIMESURVEY_EMPTY)
    assert lime.attrs["export"]["incomplete"] == flagged
    assert np.flatnonzero(lime[INCOMPLETE]).tolist() == flagged
    partial = lime.iloc[MK.LIMESURVEY_PARTIAL]
    assert partial["lastpage"].eq(1).all() and partial["submitdate"].isna().all()
    s = pm.score(lime, "olbi", form="agree-high", items=example_path("olbi-limesurvey-items.yaml"),
                 id="id")
    assert len(s) == 150  # nothing dropped
    assert s.iloc[flagged][["EX", "DI", "total"]].isna().all().all()
    assert s.iloc[MK.LIMESURVEY_PARTIAL]["EX_n"].eq(4).all()
    assert s.iloc[MK.LIMESURVEY_EMPTY]["total_n"].eq(0).all()
    assert s.drop(index=s.index[flagged])[["EX", "DI", "total"]].notna().all().all()


def test_limesurvey_scores_follow_the_agree_high_key(lime):
    s = pm.score(lime, "olbi", form="agree-high", items=example_path("olbi-limesurvey-items.yaml"),
                 id="id")
    x = lime[[f"OLBI[SQ{j:03d}]" for j in range(1, 17)]].to_numpy(dtype=float)
    positive = [j - 1 for j in MK.OLBI_POSITIVE]
    x[:, positive] = 5 - x[:, positive]
    done = ~lime[INCOMPLETE].to_numpy()
    np.testing.assert_allclose(s["total"].to_numpy()[done], x[done].sum(axis=1))


@pytest.mark.parametrize("style", ["underscore", "code_and_text"])
def test_limesurvey_column_styles(tmp_path, style):
    rows = _raw_rows(example_path("olbi-limesurvey.csv"), ";")
    head = rows[0]
    if style == "underscore":
        rows[0] = [c.replace("[", "_").replace("]", "") for c in head]
        columns = [f"OLBI_SQ{j:03d}" for j in range(1, 17)]
    else:
        rows[0] = [f"{c}. Statement {k}" if c.startswith("OLBI") else c for k, c in enumerate(head)]
        rows[0][0] = "id. Response ID"
        columns = [c for c in head if c.startswith("OLBI")]
    df = read_export(_write_rows(rows, tmp_path / "lime.csv", ";"), id="id")
    assert df.attrs["export"]["source"] == "limesurvey"
    assert [c for c in df.columns if c.startswith("OLBI")] == columns
    if style == "code_and_text":
        assert df.attrs["export"]["question_text"]["OLBI[SQ003]"] == "Statement 9"
        assert df.attrs["export"]["question_text"]["id"] == "Response ID"
        assert df["id"].iloc[0] == "1"
        items = example_path("olbi-limesurvey-items.yaml")
    rep = match_items(df, "olbi", items=items if style == "code_and_text" else None,
                      form="agree-high", id="id")
    if style == "underscore":  # zero-padded numbers: a suggestion that scoring accepts
        assert rep.missing == [f"olbi{j}" for j in range(1, 17)] and rep.unmapped == columns
        items = rep.suggestion
    s = pm.score(df, "olbi", form="agree-high", items=items, id="id")
    assert s["total"].notna().sum() == 150 - 7


def test_forced_limesurvey_on_a_plain_file_is_an_error(tmp_path):
    p = _write_rows([["a", "b"], ["1", "2"]], tmp_path / "plain.csv")
    with pytest.raises(ExportError, match="does not look like a LimeSurvey export"):
        read_export(p, source="limesurvey")


# ---- SPSS ---------------------------------------------------------------------------------

def test_spss_user_missing_codes_become_nan_and_are_reported(spss):
    exp = spss.attrs["export"]
    assert exp["source"] == "spss" and len(spss) == 120
    no_clients = int((spss["clients"] == 2).sum())
    assert no_clients > 10
    expected = {f"cbi{j}": {"8 (Not applicable)": no_clients} for j in range(14, 20)}
    for _, col in MK.SPSS_NO_ANSWER:
        expected.setdefault(col, {})["9 (No answer)"] = 1
    assert exp["user_missing"] == expected
    assert exp["user_missing_total"] == 6 * no_clients + len(MK.SPSS_NO_ANSWER)
    assert exp["user_missing_codes"]["cbi1"] == [8, 9]
    items = spss[[f"cbi{j}" for j in range(1, 20)]]
    assert set(np.unique(items.to_numpy()[~np.isnan(items.to_numpy())])) == {1, 2, 3, 4, 5}
    for row, col in MK.SPSS_SYSMIS + MK.SPSS_NO_ANSWER:
        assert np.isnan(spss[col].iloc[row])
    # read_table drops user-missing codes too (pyreadstat's default), without the report
    plain = read_table(example_path("cbi-spss.sav"), id="resp_id")
    pd.testing.assert_frame_equal(plain, spss, check_like=True)


def test_spss_labels_and_ids(spss):
    exp = spss.attrs["export"]
    assert spss["resp_id"].tolist()[:2] == ["CBI-0001", "CBI-0002"]
    assert exp["value_labels"]["cbi1"][1] == "Never/almost never"
    assert exp["value_labels"]["cbi7"][5] == "To a very high degree"
    assert exp["value_labels"]["sex"] == {1: "male", 2: "female"}
    assert exp["variable_labels"]["cbi13"] == "CBI item 13: enough energy for family and friends"


def test_spss_scored_with_recoding_and_reversal(spss):
    # the file codes 1 = Never/almost never .. 5 = Always: the shipped CBI's never-first form
    s = pm.score(spss, "cbi", form="never-first", id="resp_id")
    x = (spss[[f"cbi{j}" for j in range(1, 20)]].to_numpy() - 1) * 25
    x[:, 12] = 100 - x[:, 12]
    pb = np.where(np.sum(~np.isnan(x[:, :6]), axis=1) >= 3, np.nanmean(x[:, :6], axis=1), np.nan)
    np.testing.assert_allclose(s["PB"], pb)
    np.testing.assert_allclose(s["WB"], np.nanmean(x[:, 6:13], axis=1))
    no_clients = (spss["clients"] == 2).to_numpy()
    assert s.loc[no_clients, "CB"].isna().all() and s.loc[~no_clients, "CB"].notna().all()
    # the value labels of the file are the form's own labels
    labels = pm.load_instrument("cbi", form="never-first").scale.labels["en"]
    value_labels = spss.attrs["export"]["value_labels"]["cbi1"]
    assert [value_labels[c] for c in range(1, 6)] == labels


def test_numeric_spss_ids_are_text(tmp_path):
    df = pd.DataFrame({"pid": [7.0, 12.0], "q": [1.0, 2.0]})
    p = tmp_path / "ids.sav"
    pyreadstat.write_sav(df, str(p))
    assert read_export(p, id="pid")["pid"].tolist() == ["7", "12"]
    assert read_table(p, id="pid")["pid"].tolist() == ["7", "12"]


# ---- plain CSV and Excel: read_export == read_table ---------------------------------------

def test_semicolon_decimal_comma_and_windows_encoding(tmp_path):
    rows = [["id", "service", "q1", "weight"], ["007", "Urgences pédiatriques", "3", "1,25"],
            ["008", "Intensieve zorg", "N/A", "0,75"]]
    p = _write_rows(rows, tmp_path / "be.csv", ";", encoding="cp1252")
    df = read_export(p, id="id")
    assert df.attrs["export"]["source"] == "csv"
    assert df["id"].tolist() == ["007", "008"]
    assert df["weight"].tolist() == [1.25, 0.75]
    assert df["service"].iloc[0] == "Urgences pédiatriques"
    assert np.isnan(df["q1"].iloc[1])
    pd.testing.assert_frame_equal(df, read_table(p, id="id"))


def test_semicolon_file_with_decimal_points_keeps_them(tmp_path):
    p = _write_rows([["a", "b"], ["1.5", "2"], ["2.25", "3"]], tmp_path / "pts.csv", ";")
    assert read_export(p)["a"].tolist() == [1.5, 2.25]


def test_plain_excel_equals_read_table(tmp_path, validation):
    p = tmp_path / "plain.xlsx"
    validation.to_excel(p, index=False)
    df = read_export(p, id="id")
    assert df.attrs["export"]["source"] == "excel"
    pd.testing.assert_frame_equal(df, read_table(p, id="id"))
    pd.testing.assert_frame_equal(df, validation, check_dtype=False)


@pytest.mark.parametrize("source", ["auto", "csv"])
def test_plain_csv_equals_read_table(validation, source):
    df = read_export(example_path("validation-sample.csv"), id="id", source=source)
    pd.testing.assert_frame_equal(df, read_table(example_path("validation-sample.csv"), id="id"))
    assert df.attrs["export"] == {"source": "csv", "file": str(example_path("validation-sample.csv"))}


@pytest.mark.parametrize(("name", "kwargs", "match"), [
    ("missing.csv", {}, "no such file"),
    ("data.json", {}, "unknown file type"),
    ("data.csv", {"source": "spss"}, "cannot be a 'spss' export"),
    ("data.csv", {"source": "stata"}, "source must be one of"),
    ("data.csv", {"id": "respondent"}, "no column 'respondent'"),
    ("empty.csv", {}, "empty"),
    ("broken.sav", {}, "cannot be read as an SPSS file"),
])
def test_read_errors_name_the_file_and_the_problem(tmp_path, name, kwargs, match):
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    (tmp_path / "data.json").write_text("{}")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "broken.sav").write_bytes(b"not an spss file at all")
    with pytest.raises(ExportError, match=match) as err:
        read_export(tmp_path / name, **kwargs)
    assert name in str(err.value)


# ---- the mapping check --------------------------------------------------------------------

def test_match_items_without_mapping_suggests_a_pattern(qualtrics):
    rep = match_items(qualtrics, "mbi-hss", id="ResponseId")
    assert not rep.ok and rep.found == {} and len(rep.missing) == 22
    assert rep.suggestion == "Q1_{n}"
    assert rep.unmapped == [f"Q1_{j}" for j in range(1, 23)]
    assert "Q1_{n}" in rep.problems[0]
    assert "age" not in rep.unmapped and "Progress" not in rep.unmapped


def test_match_items_on_the_qualtrics_example(qualtrics):
    rep = match_items(qualtrics, "mbi-hss", items=example_path("mbi-hss-items.yaml"), id="ResponseId")
    assert isinstance(rep, MatchReport)
    assert rep.found == {f"mbi{j}": f"Q1_{j}" for j in range(1, 23)} and rep.missing == []
    assert rep.invalid == {c: {"count": 1, "values": [v]} for _, c, v in MK.QUALTRICS_OUT_OF_RANGE}
    assert rep.off_by_one is None and rep.unmapped == [] and rep.labelled == []
    assert not rep.ok
    d = rep.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert set(d) >= {"instrument", "found", "missing", "unmapped", "suggestion", "invalid",
                      "off_by_one", "labelled"}
    text = rep.summary()
    assert "22 of 22 items found" in text and "'Q1_5': 1 invalid" in text
    assert repr(rep) == "MatchReport('mbi-hss', found=22, missing=0, ok=False)"


def test_match_items_reports_missing_and_unmapped_columns(qualtrics):
    df = qualtrics.rename(columns={"Q1_7": "Q1_23"})
    rep = match_items(df, "mbi-hss", items="Q1_{n}", id="ResponseId")
    assert rep.missing == ["mbi7"] and rep.expected["mbi7"] == "Q1_7"
    assert rep.unmapped == ["Q1_23"]
    assert rep.suggestion is None
    assert "mbi7 (column 'Q1_7')" in rep.summary()


def test_match_items_clean_sample_is_ok(validation):
    rep = match_items(validation, "mbi-hss", id="id")
    assert rep.ok and rep.problems == [] and "no problems found" in rep.summary()


def test_off_by_one_coding_is_reported_before_scoring(validation):
    items = [f"mbi{j}" for j in range(1, 23)]
    shifted = validation.copy()
    shifted[items] = shifted[items] + 1  # 0..6 exported as 1..7
    rep = match_items(shifted, "mbi-hss", id="id")
    assert rep.off_by_one["shift"] == 1
    assert rep.off_by_one["observed"] == [1, 7] and rep.off_by_one["scale"] == [0, 6]
    assert rep.invalid == {}  # explained by the shift, not listed twice
    assert set(rep.off_by_one["columns"]) <= set(items) and rep.off_by_one["columns"]
    assert "shifted by +1" in rep.problems[0] and "1..7" in rep.problems[0]
    with pytest.raises(InvalidResponseError, match="outside the scale 0..6"):
        pm.score(shifted, "mbi-hss", id="id")
    # after the recoding the report suggests, all is well
    fixed = shifted.copy()
    fixed[items] = fixed[items] - 1
    assert match_items(fixed, "mbi-hss", id="id").ok


def test_off_by_one_downwards_and_stray_codes_are_not_a_shift(lime, validation):
    items = [f"OLBI[SQ{j:03d}]" for j in range(1, 17)]
    down = lime.copy()
    down[items] = down[items] - 1  # 1..4 exported as 0..3
    mapping = example_path("olbi-limesurvey-items.yaml")
    rep = match_items(down, "olbi", items=mapping, form="agree-high", id="id")
    assert rep.off_by_one["shift"] == -1 and rep.off_by_one["observed"] == [0, 3]
    # a single stray 7 beside many 0s is an invalid cell, not a shifted scale
    stray = validation.copy()
    stray.loc[3, "mbi4"] = 7
    rep = match_items(stray, "mbi-hss")
    assert rep.off_by_one is None and rep.invalid == {"mbi4": {"count": 1, "values": [7]}}


def test_match_items_bad_mapping_is_an_error(validation):
    with pytest.raises(DataError, match="not items of 'mbi-hss'"):
        match_items(validation, "mbi-hss", items={"mbi99": "x"})
    with pytest.raises(DataError, match="must be a pandas DataFrame"):
        match_items(validation.to_numpy(), "mbi-hss")


def test_match_items_does_not_modify_the_data(qualtrics):
    before = qualtrics.copy()
    match_items(qualtrics, "mbi-hss", items="Q1_{n}")
    pd.testing.assert_frame_equal(qualtrics, before)


# ---- writers ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scores(validation) -> pd.DataFrame:
    return pm.score(validation, "mbi-hss", id="id")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".sav"])
def test_writers_keep_ids_and_scores(tmp_path, scores, suffix):
    out = scores.copy()
    out["id"] = "0" + out["id"]  # leading zeros must survive
    p = write_table(out, tmp_path / f"scores{suffix}", id="id")
    back = read_table(p, id="id")
    assert back["id"].tolist() == out["id"].tolist()
    np.testing.assert_allclose(back["EE"], out["EE"])
    assert back["EE_n"].tolist() == out["EE_n"].tolist()


def test_sav_writer_labels_scores_bands_and_classifications(tmp_path, scores):
    out = scores.copy()
    out["EE_band"] = pd.Categorical(np.where(out["EE"] >= 27, "high",
                                             np.where(out["EE"] >= 17, "average", "low")),
                                    categories=["low", "average", "high"], ordered=True)
    out["burnout"] = out["EE"] >= 27
    out["sector"] = scores["id"].map(lambda i: "care" if int(i[1:]) % 2 else "education")
    out.loc[2, "sector"] = None
    p = write_table(out, tmp_path / "scores.sav", id="id",
                    variable_labels={"burnout": "EE at or above 27"})
    back, meta = pyreadstat.read_sav(str(p))
    labels = meta.column_names_to_labels
    assert labels["EE"] == "Emotional Exhaustion (mbi-hss)"
    assert labels["PA_n"] == "Personal Accomplishment: items answered"
    assert labels["burnout"] == "EE at or above 27"
    assert meta.variable_value_labels["EE_band"] == {1.0: "low", 2.0: "average", 3.0: "high"}
    assert meta.variable_value_labels["burnout"] == {0.0: "no", 1.0: "yes"}
    assert meta.variable_value_labels["sector"] == {1.0: "care", 2.0: "education"}
    assert back["EE_band"].tolist() == (out["EE_band"].cat.codes + 1).tolist()
    assert back["burnout"].tolist() == out["burnout"].astype(float).tolist()
    assert np.isnan(back["sector"].iloc[2])
    assert back["id"].tolist() == out["id"].tolist()
    # Dutch subscale names on request
    p = write_table(scores, tmp_path / "nl.sav", id="id", lang="nl")
    assert pyreadstat.read_sav(str(p), metadataonly=True)[1].column_names_to_labels["EE"] == \
        "Emotionele uitputting (mbi-hss)"


def test_sav_writer_names_explicit_value_labels_and_index(tmp_path):
    df = pd.DataFrame({"Q1[SQ001]": [1.0, 2.0], "2nd score": [0.5, 1.5]},
                      index=pd.Index(["R7", "R9"], name="respondent"))
    p = write_table(df, tmp_path / "x.sav", value_labels={"Q1[SQ001]": {1: "no", 2: "yes"}})
    back, meta = pyreadstat.read_sav(str(p))
    assert list(back.columns) == ["respondent", "Q1_SQ001", "v2nd_score"]
    assert back["respondent"].tolist() == ["R7", "R9"]
    assert meta.column_names_to_labels["Q1_SQ001"] == "Q1[SQ001]"
    assert meta.variable_value_labels["Q1_SQ001"] == {1.0: "no", 2.0: "yes"}


def test_csv_writer_for_belgian_excel_and_input_unchanged(tmp_path, scores):
    before = scores.copy()
    p = write_table(scores.head(3), tmp_path / "be.csv", sep=";", decimal=",")
    assert ";" in p.read_text().splitlines()[0]
    pd.testing.assert_frame_equal(read_table(p, id="id"), scores.head(3).reset_index(drop=True),
                                  check_dtype=False)
    pd.testing.assert_frame_equal(scores, before)


def test_sav_writer_keeps_id_like_columns_as_text_without_id(tmp_path):
    df = pd.DataFrame({"respondent": ["A", "B"], "EE": [1.0, 2.0]})
    back, meta = pyreadstat.read_sav(str(write_table(df, tmp_path / "two.sav")))
    assert back["respondent"].tolist() == ["A", "B"] and "respondent" not in meta.variable_value_labels


def test_writer_errors(tmp_path, scores):
    with pytest.raises(ExportError, match=r"cannot write \.docx here; supported: \.csv"):
        write_table(scores, tmp_path / "x.docx")
    with pytest.raises(DataError, match="id column 'pid'"):
        write_table(scores, tmp_path / "x.csv", id="pid")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 999), st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 4)),
                          st.one_of(st.none(), st.integers(0, 6))), min_size=1, max_size=15),
       st.sampled_from([(",", "."), (";", ","), (";", ".")]))
def test_csv_round_trip_property(tmp_path, rows, fmt):
    df = pd.DataFrame({"id": [f"{i:04d}" for i in range(len(rows))],
                       "x": [r[1] for r in rows],
                       "code": pd.array([r[2] for r in rows], dtype="Float64").astype(float)})
    sep, dec = fmt
    p = write_table(df, tmp_path / "prop.csv", sep=sep, decimal=dec)
    back = read_export(p, id="id")
    assert back["id"].tolist() == df["id"].tolist()
    np.testing.assert_allclose(back["x"].to_numpy(dtype=float), df["x"].to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(back["code"].to_numpy(dtype=float), df["code"].to_numpy())
