"""Broken, hostile and private inputs (issue 13): one regression test per numbered item.

Each test builds the input that broke the package and checks the right answer or a clear
error of the package's own type. Items 8 (formula injection) and 14 (output data loss) are
tested with the writers.
"""

from __future__ import annotations

import tracemalloc
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.errors import (
    DataError,
    ExportError,
    InstrumentError,
    InvalidResponseError,
    LimitError,
    MissingColumnError,
    NormError,
    OptionError,
    PsychometricsError,
)
from psychometrics.limits import current_limits, use_limits

MBI = [f"mbi{i}" for i in range(1, 23)]


def _write(path, text: str, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def _xlsx(path, sheet_xml: str, shared: str | None = None):
    """A minimal .xlsx written by hand (so cells can hold what openpyxl would not write)."""
    files = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        + ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
           'officedocument.spreadsheetml.sharedStrings+xml"/>' if shared else "") + "</Types>",
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships"><sheets><sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        + ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
           'relationships/sharedStrings" Target="sharedStrings.xml"/>' if shared else "")
        + "</Relationships>",
        "xl/worksheets/sheet1.xml": '<?xml version="1.0"?><worksheet xmlns="http://schemas.'
        'openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + sheet_xml
        + "</sheetData></worksheet>",
    }
    if shared:
        files["xl/sharedStrings.xml"] = shared
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def _row(r: int, cells: list) -> str:
    out = []
    for j, v in enumerate(cells):
        ref = f"{chr(65 + j)}{r}"
        if isinstance(v, str) and v.startswith("<"):
            out.append(v.replace("REF", ref))
        elif isinstance(v, str):
            out.append(f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>')
        else:
            out.append(f'<c r="{ref}"><v>{v}</v></c>')
    return f'<row r="{r}">' + "".join(out) + "</row>"


# ---- 1-6: silent wrong results --------------------------------------------------------------

def test_1_trailing_delimiter_does_not_shift_columns(tmp_path):
    p = _write(tmp_path / "x.csv", "id,i1,i2,i3,i4\nr1,1,5,3,4,\nr2,4,1,2,2,\n")
    df = pm.read_export(p, id="id")
    assert df.columns.tolist() == ["id", "i1", "i2", "i3", "i4"]
    assert df["id"].tolist() == ["r1", "r2"]
    assert df[["i1", "i2", "i3", "i4"]].mean(axis=1).tolist() == [3.25, 2.25]


def test_1_extra_cells_beyond_the_header_are_an_error(tmp_path):
    p = _write(tmp_path / "x.csv", "id,i1,i2\nr1,1,5,\nr2,4,1,9\n")
    with pytest.raises(ExportError, match=r"row 2 has more cells than the header"):
        pm.read_export(p)


def test_2_row_written_with_another_delimiter_is_an_error(tmp_path):
    p = _write(tmp_path / "x.csv", "id,i1,i2,i3,i4\na,1,2,3,4\nb;2;3;4;5\n")
    with pytest.raises(ExportError, match=r"row 2 \('b;2;3;4;5'\).*another delimiter"):
        pm.read_export(p, id="id")


def _unreadable_book(tmp_path):
    rows = [_row(1, ["id"] + MBI[:3]),
            _row(2, ["a", 1, '<c r="REF" t="e"><v>#DIV/0!</v></c>', 3]),
            _row(3, ["b", 2, 3, '<c r="REF"><f>A1+1</f></c>'])]
    return _xlsx(tmp_path / "x.xlsx", "".join(rows))


def test_3_excel_error_cells_and_formulas_without_value_are_reported(tmp_path):
    p = _unreadable_book(tmp_path)
    with pytest.warns(UserWarning, match="read as empty"):
        df = pm.read_table(p, id="id")
    cells = df.attrs["unreadable_cells"]
    assert [(c["column"], c["row"], c["cell"]) for c in cells] == [("mbi2", 1, "C2"), ("mbi3", 2, "D3")]
    assert "#DIV/0!" in cells[0]["problem"] and "formula" in cells[1]["problem"]
    full = df.assign(**{c: 1 for c in MBI[3:]})
    full.attrs = df.attrs
    with pytest.raises(InvalidResponseError, match="#DIV/0!"):
        pm.score(full, "mbi-hss", id="id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = pm.score(full, "mbi-hss", id="id", on_invalid="missing")
    assert len(s.attrs["psychometrics"]["invalid"]) == 2
    rep = pm.match_items(full, "mbi-hss", id="id")
    assert set(rep.invalid) == {"mbi2", "mbi3"} and not rep.ok


def test_4_booleans_are_not_codes(tmp_path):
    data = pd.DataFrame({c: [1, 2] for c in MBI})
    data["mbi1"] = [True, False]
    with pytest.raises(InvalidResponseError, match="true/false"):
        pm.score(data, "mbi-hss")
    p = _write(tmp_path / "x.csv", "id," + ",".join(MBI) + "\na,TRUE" + ",1" * 21 + "\n")
    with pytest.raises(InvalidResponseError):
        pm.score(pm.read_export(p, id="id"), "mbi-hss", id="id")
    assert "mbi1" in pm.match_items(pm.read_export(p, id="id"), "mbi-hss", id="id").invalid


def test_6_item_listed_twice_and_two_items_on_one_column(tmp_path):
    keys = _write(tmp_path / "keys.yaml",
                  "source: my manual\nsubscales:\n  EE:\n    items: [mbi1, mbi1, mbi2]\n")
    with pytest.raises(InstrumentError, match=r"keys.yaml.*listed twice \['mbi1'\]"):
        pm.load_instrument("mbi-hss", keys=keys)
    data = pd.DataFrame({c: [1, 2] for c in MBI})
    with pytest.raises(DataError, match="one column to several items"):
        pm.score(data, "mbi-hss", items={"mbi2": "mbi1"})


# ---- 9-13: security and privacy ------------------------------------------------------------

def test_9_xlsx_zip_bomb_is_refused_before_loading(tmp_path):
    big = "x" * (2 * current_limits().max_cell_chars * 6)
    shared = ('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
              f'2006/main" count="1" uniqueCount="1"><si><t>{big}</t></si></sst>')
    p = _xlsx(tmp_path / "bomb.xlsx", _row(1, ["id", "i1"]) + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>',
              shared=shared)
    assert p.stat().st_size < 5000
    tracemalloc.start()
    with pytest.raises(LimitError, match="max_cell_chars"):
        pm.read_export(p)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20e6  # inspected in blocks, never loaded
    with use_limits(max_bytes=1000), pytest.raises(LimitError, match="max_bytes"):
        pm.read_table(p)


def test_9_limits_csv_and_how_to_raise_them(tmp_path):
    p = _write(tmp_path / "x.csv", "id,i1\na," + "y" * 40_000 + "\nb,2\n")
    with pytest.raises(LimitError, match=r"max_cell_chars.*--limit max_cell_chars"):
        pm.read_table(p)
    df = pm.read_table(p, limits={"max_cell_chars": 50_000})
    assert df.shape == (2, 2)
    rows = _write(tmp_path / "rows.csv", "id,i1\n" + "".join(f"r{i},1\n" for i in range(30)))
    with pytest.raises(LimitError, match="max_rows"):
        pm.read_export(rows, limits={"max_rows": 10})
    with pytest.raises(OptionError, match="unknown limit"):
        pm.read_table(rows, limits={"rows": 10})


def test_9_limits_sav(tmp_path):
    import pyreadstat
    p = tmp_path / "x.sav"
    pyreadstat.write_sav(pd.DataFrame({"id": ["a", "b", "c"], "q": [1.0, 2.0, 3.0]}), str(p))
    with pytest.raises(LimitError, match="max_rows"):
        pm.read_export(p, limits={"max_rows": 2})
    assert len(pm.read_export(p)) == 3


LAUGHS = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
          'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
          'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n')


def test_10_yaml_aliases_refused_everywhere(tmp_path):
    p = _write(tmp_path / "laughs.yaml", LAUGHS)
    data = pd.DataFrame({c: [1, 2] for c in MBI})
    calls = [lambda: pm.load_instrument(p), lambda: pm.load_instrument("mbi-hss", keys=p),
             lambda: pm.load_norms(p), lambda: pm.score(data, "mbi-hss", items=p)]
    for call in calls:
        with pytest.raises(PsychometricsError) as info:
            call()
        assert "aliases" in str(info.value) and len(str(info.value)) < 400


def test_10_yaml_size_and_messages_bounded(tmp_path):
    p = _write(tmp_path / "big.yaml", "id: [" + ", ".join(["x" * 50] * 2000) + "]\n")
    with pytest.raises(InstrumentError) as info:
        pm.load_instrument(p)
    assert len(str(info.value)) < 3000
    with use_limits(max_yaml_bytes=1000), pytest.raises(LimitError, match="max_yaml_bytes"):
        pm.load_instrument(p)


def test_10_norm_files_written_by_us_read_back(tmp_path):
    ns = pm.load_norms("cbi-kristensen-50")  # its shipped file uses an alias
    back = pm.load_norms(ns.to_file(tmp_path / "n.yaml"))
    assert back.to_dict() == ns.to_dict()


def test_11_ids_name_shipped_files_only_and_files_are_not_echoed(tmp_path):
    with pytest.raises(InstrumentError, match="neither a shipped instrument id"):
        pm.load_instrument("../norms/cbi-kristensen-50")
    with pytest.raises(NormError, match="neither a shipped norm set id"):
        pm.load_norms("../instruments/mbi-hss")
    secret = _write(tmp_path / "secret.txt", "root:x:0:0:TOPSECRET:/root:/bin/bash\n" * 50)
    with pytest.raises(InstrumentError) as info:
        pm.load_instrument(secret)
    assert "TOPSECRET" not in str(info.value)
    with pytest.raises(InstrumentError):
        pm.load_instrument(tmp_path)  # a folder


@pytest.mark.parametrize("pattern", ["Q{n}{n.__class__.__mro__}", "{id}{id.__class__}", "{n}{0}",
                                     "{n.__class__.__mro__}", "{id.__class__}", "{n[0]}", "{0}{n}",
                                     "{}", "{n!r}", "{n:{id}}", "Q{n", "{n:s}", "{x}", "Q1"])
def test_13_items_pattern_only_n_and_id(pattern):
    data = pd.DataFrame({c: [1, 2] for c in MBI})
    with pytest.raises(DataError, match="items pattern") as info:
        pm.score(data, "mbi-hss", items=pattern)
    assert not isinstance(info.value, MissingColumnError)  # refused, not evaluated


def test_13_items_pattern_format_specs_still_work():
    data = pd.DataFrame({f"Q{i:02d}": [1, 2] for i in range(1, 23)})
    assert pm.score(data, "mbi-hss", items="Q{n:02d}")["EE"].tolist() == [9.0, 18.0]  # sums


# ---- 15: crashes that must be the package's own errors -------------------------------------

def test_15_duplicate_column_names():
    data = pd.DataFrame([[1] * 23], columns=MBI + ["mbi1"])
    with pytest.raises(DataError, match="repeated column names"):
        pm.score(data, "mbi-hss")


def test_15_numeric_excel_headers_with_n_pattern(tmp_path):
    p = tmp_path / "x.xlsx"
    pd.DataFrame([[1] * 22, [2] * 22], columns=list(range(1, 23))).to_excel(p, index=False)
    s = pm.score(pm.read_export(p), "mbi-hss", items="{n}")
    assert s["EE"].tolist() == [9.0, 18.0]


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04garbage", b"id,i1\na,1\n"])
def test_15_corrupt_fake_empty_workbooks(tmp_path, content):
    for suffix in (".xlsx", ".xls"):
        p = tmp_path / f"x{suffix}"
        p.write_bytes(content)
        with pytest.raises(ExportError):
            pm.read_export(p)


def test_15_truncated_workbook_and_missing_sheet(tmp_path):
    p = tmp_path / "x.xlsx"
    pd.DataFrame({"id": ["a"] * 50, "q": range(50)}).to_excel(p, index=False)
    full = p.read_bytes()
    for cut in (len(full) // 3, len(full) - 30):
        t = tmp_path / f"t{cut}.xlsx"
        t.write_bytes(full[:cut])
        with pytest.raises(ExportError):
            pm.read_export(t)
    with pytest.raises(ExportError, match="no sheet 'nope'"):
        pm.read_export(p, sheet="nope")
    with pytest.raises(ExportError, match="no sheet 5"):
        pm.read_table(p, sheet=5)


def test_15_qualtrics_header_detection_short_row(tmp_path):
    p = _write(tmp_path / "x.csv", "Q1,Q2,ResponseId\nx\n1,2,R_1\n")
    df = pm.read_export(p)
    assert df.shape == (2, 3)


@pytest.mark.parametrize("kwargs, option", [
    ({"missing_codes": "abc"}, "missing_codes"), ({"missing_codes": [1, "x"]}, "missing_codes"),
    ({"min_answered": "x"}, "min_answered"), ({"min_answered": 1.5}, "min_answered"),
    ({"min_answered": 0}, "min_answered"), ({"min_answered": {"XX": 2}}, "min_answered"),
    ({"min_answered": {"EE": "x"}}, "min_answered"), ({"subscales": []}, "subscales"),
    ({"on_invalid": "skip"}, "on_invalid"), ({"method": "median"}, "method"),
])
def test_15_bad_scoring_options_are_option_errors(kwargs, option):
    data = pd.DataFrame({c: [1, 2] for c in MBI})
    with pytest.raises(OptionError) as info:
        pm.score(data, "mbi-hss", **kwargs)
    assert info.value.option.startswith(option)


def test_15_scoring_options_accepted_forms():
    data = pd.DataFrame({c: [1, -99] for c in MBI})
    assert pm.score(data, "mbi-hss", missing_codes=-99)["EE"].isna().tolist() == [False, True]
    s = pm.score(data.iloc[:1], "mbi-hss", min_answered={"EE": 100})  # capped at the items
    assert s.attrs["psychometrics"]["min_answered"]["EE"] == 9


@pytest.mark.parametrize("instrument", [None, 3, "."])
def test_15_instrument_none_or_folder(instrument):
    data = pd.DataFrame({c: [1, 2] for c in MBI})
    with pytest.raises(InstrumentError):
        pm.score(data, instrument)


def test_15_items_yaml_missing_or_empty(tmp_path):
    data = pd.DataFrame({c: [1, 2] for c in MBI})
    with pytest.raises(PsychometricsError, match="nope.yaml"):
        pm.score(data, "mbi-hss", items=str(tmp_path / "nope.yaml"))
    empty = _write(tmp_path / "empty.yaml", "")
    with pytest.raises(DataError, match="empty.yaml"):
        pm.score(data, "mbi-hss", items=empty)


# ---- 16: valid files rejected, unclear errors ----------------------------------------------

def test_16_utf16_export(tmp_path):
    p = _write(tmp_path / "x.txt", "id\tq1\tq2\r\nRené\t1\t2\r\n", encoding="utf-16")
    df = pm.read_export(p, id="id")
    assert df.columns.tolist() == ["id", "q1", "q2"] and df["id"].tolist() == ["René"]


def test_16_cp1252_accent_after_the_first_mib(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"id,q1\n" + b"r,1\n" * 300_000 + "Zoë,2\n".encode("cp1252"))
    df = pm.read_export(p, id="id")
    assert df["id"].iloc[-1] == "Zoë" and len(df) == 300_001


@pytest.mark.parametrize("sep", ["\t", "|"])
@pytest.mark.parametrize("end", ["", "trailing"])
def test_16_tab_and_pipe_with_decimal_commas(tmp_path, sep, end):
    tail = sep if end else ""  # a delimiter ending every data row (found by the fuzz suite)
    p = _write(tmp_path / "x.csv", sep.join(["id", "q1", "q2"]) + "\n"
               + sep.join(["a", "2,5", "3,5"]) + tail + "\n" + sep.join(["b", "1,0", "4,5"]) + tail + "\n")
    df = pm.read_export(p, id="id")
    assert df.columns.tolist() == ["id", "q1", "q2"]
    assert df["q1"].tolist() == [2.5, 1.0]


def test_16_label_cell_in_decimal_comma_column(tmp_path):
    rows = ["id;" + ";".join(MBI)] + [f"r{i};" + ";".join(["3,0"] * 22) for i in range(3)]
    rows.append("r9;Never;" + ";".join(["3,0"] * 21))
    p = _write(tmp_path / "x.csv", "\n".join(rows) + "\n")
    s = pm.score(pm.read_export(p, id="id"), "mbi-hss", id="id")
    assert s["EE"].tolist() == [27.0, 27.0, 27.0, 24.0]  # "Never" is 0


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_16_ids_na_none_null_are_ids(tmp_path, suffix):
    df = pd.DataFrame({"id": ["NA", "None", "NULL", "x"], "q1": ["NA", 1, 2, 3]})
    p = tmp_path / f"x{suffix}"
    if suffix == ".csv":
        df.to_csv(p, index=False)
    else:
        df.to_excel(p, index=False)
    back = pm.read_export(p, id="id")
    assert back["id"].tolist() == ["NA", "None", "NULL", "x"]
    assert back["q1"].isna().tolist() == [True, False, False, False]


def test_16_key_file_errors_name_the_users_file(tmp_path):
    keys = _write(tmp_path / "mykeys.yaml",
                  "source: manual\nsubscales:\n  EE:\n    items: [mbi1]\n    min_answered: 5\n")
    with pytest.raises(InstrumentError, match=r"^mykeys|mykeys.yaml"):
        pm.load_instrument("mbi-hss", keys=keys)


def test_reader_results_unchanged_on_clean_files(tmp_path):
    df = pd.DataFrame({"id": ["007", "008"], "q1": [1.5, 2.0], "q2": ["a", "b"]})
    for sep, dec in ((",", "."), (";", ",")):
        p = tmp_path / "c.csv"
        df.to_csv(p, sep=sep, decimal=dec, index=False)
        back = pm.read_table(p, id="id")
        assert back["id"].tolist() == ["007", "008"]
        assert back["q1"].tolist() == [1.5, 2.0]
        assert np.array_equal(back["q2"].astype(str), ["a", "b"])


# ---- 12: small cells -----------------------------------------------------------------------

def test_12_suppression_counts_respondents_with_a_score():
    s = pd.DataFrame({"dept": ["a"] * 12 + ["b"] * 30, "EE": np.arange(42.0),
                      "DP": [np.nan] * 11 + [7.0] + list(np.arange(30.0))})
    with pytest.warns(UserWarning, match="suppressed"):
        out = pm.summarise(s, "dept", subscales=["EE", "DP"])
    dp_a = out[(out.dept == "a") & (out.subscale == "DP")].iloc[0]
    assert dp_a["suppressed"] and np.isnan(dp_a["mean"]) and np.isnan(dp_a["n"])
    ee_a = out[(out.dept == "a") & (out.subscale == "EE")].iloc[0]
    assert not ee_a["suppressed"] and ee_a["n"] == 12


def _recoverable(out, s, by, min_group):
    """Whether some hidden cell's mean follows from the overall mean and the shown cells."""
    for sid, cells in out.groupby("subscale"):
        x = s[sid].dropna()
        hidden = cells[cells.suppressed]
        shown = cells[~cells.suppressed]
        n_hidden = len(x) - shown["n"].sum()
        if len(hidden) and 0 < n_hidden < min_group:
            return True
    return False


@pytest.mark.parametrize("sizes", [[40, 3], [40, 30, 3], [40, 12, 11, 2, 1], [5, 5], [9, 50, 50]])
def test_12_secondary_suppression_blocks_subtraction(sizes):
    depts = sum(([f"d{i}"] * n for i, n in enumerate(sizes)), [])
    s = pd.DataFrame({"dept": depts, "EE": np.arange(len(depts), dtype=float) % 7})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = pm.summarise(s, "dept", subscales=["EE"], min_group=10)
        plain = pm.summarise(s, "dept", subscales=["EE"], min_group=10, secondary=False)
    assert not _recoverable(out, s, ["dept"], 10)
    assert _recoverable(plain, s, ["dept"], 10) == (0 < sum(n for n in sizes if n < 10) < 10)
    assert (out["suppression"] == "primary").sum() == sum(n < 10 for n in sizes)


def test_12_cli_summarise_shows_secondary(tmp_path, capsys):
    import json

    from psychometrics.cli import main
    rows = ["resp,dept," + ",".join(f"olbi{i}" for i in range(1, 17))]
    for i, d in enumerate(["a"] * 30 + ["b"] * 20 + ["c"] * 4):
        rows.append(f"R{i},{d}," + ",".join(str(1 + (i + j) % 4) for j in range(16)))
    p = _write(tmp_path / "x.csv", "\n".join(rows) + "\n")
    assert main(["summarise", str(p), "-i", "olbi", "--form", "agree-low", "--by", "dept",
                 "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert {(r["dept"], r["suppression"]) for r in got} == {("a", ""), ("b", "secondary"),
                                                          ("c", "primary")}
    assert all(r["mean"] is None for r in got if r["dept"] != "a")


# ---- 5 and 7: impossible scores, degenerate norms ------------------------------------------

@pytest.mark.parametrize("bad", [-5.0, 1000.0, np.inf, -np.inf])
def test_5_scores_outside_the_possible_range_get_no_band(bad):
    s = pd.DataFrame({"PB": [50.0, bad], "WB": [50.0, 50.0], "CB": [50.0, 50.0]})
    with pytest.raises(DataError, match=r"'PB'.*outside the possible range \(possible: 0 to 100\).*row 2"):
        pm.apply_norms(s, "cbi-kristensen-50", scale="mean")
    ok = pm.apply_norms(s.iloc[:1], "cbi-kristensen-50", scale="mean")
    assert ok["PB_band"].notna().all()


@pytest.mark.parametrize("scores", [[50.0], [50.0] * 60])
def test_7_build_norms_on_one_respondent_or_a_constant_score(scores):
    s = pd.DataFrame({"PB": scores})
    s.attrs["psychometrics"] = {"instrument": "cbi", "scoring": {"PB": "mean"}}
    with pytest.raises(DataError, match="percentile norms need scores that vary"):
        pm.build_norms(s, bootstrap=0, min_n=1)


def _cbi_scores(n=80):
    rng = np.random.default_rng(0)
    s = pd.DataFrame({"PB": rng.integers(0, 21, n) * 5.0, "age": np.full(n, 40.0)})
    s.attrs["psychometrics"] = {"instrument": "cbi", "scoring": {"PB": "mean"}}
    return s


@pytest.mark.parametrize("kwargs, error", [
    ({"weights": np.zeros(80)}, DataError), ({"smooth": "age"}, DataError),
    ({"level": 2}, OptionError), ({"level": float("nan")}, OptionError),
    ({"bootstrap": -5}, OptionError), ({"min_n": 0}, OptionError),
])
def test_15_build_norms_bad_input(kwargs, error):
    with pytest.raises(error):
        pm.build_norms(_cbi_scores(), bootstrap=kwargs.pop("bootstrap", 0), **kwargs)


def test_15_summarise_with_norms_lacking_a_subscale():
    s = _cbi_scores().assign(dept=["a"] * 40 + ["b"] * 40, XX=1.0)
    ns = pm.build_norms(s, bootstrap=0, subscales=["PB"])
    out = pm.summarise(s, "dept", norms=ns, subscales=["PB", "XX"])
    assert out.loc[out.subscale == "PB", "share_top_quartile"].notna().all()
    assert out.loc[out.subscale == "XX", "share_top_quartile"].isna().all()
    with pytest.raises(NormError, match=r"no norms for subscale\(s\) \['XX'\]"):
        pm.apply_norms(s, ns, subscales=["PB", "XX"])


@pytest.mark.parametrize("kwargs", [{"level": 1.5}, {"level": float("nan")}, {"level": "x"},
                                    {"ci": "bootstrap", "n_boot": -5}, {"ci": "nope"}])
def test_15_alpha_bad_options(kwargs):
    items = pd.DataFrame(np.random.default_rng(1).integers(1, 6, (40, 4)))
    with pytest.raises(OptionError):
        pm.alpha(items, **kwargs)


def test_15_roc_bad_options():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=60), np.r_[np.zeros(30), np.ones(30)]
    with pytest.raises(OptionError):
        pm.roc(x, y, level=1.5)
    with pytest.raises(OptionError):
        pm.cutoffs(x, y, n_boot=-5)


# ---- 7: lower impact, same rule ------------------------------------------------------------

def test_7_spss_value_labels_contradicting_the_instrument(tmp_path):
    import pyreadstat
    labels = pm.load_instrument("mbi-hss").scale.labels["en"]
    reversed_labels = {float(6 - c): lab for c, lab in enumerate(labels)}  # 0 = "Every day"
    frame = pd.DataFrame({"id": ["a", "b"], **{c: [1.0, 2.0] for c in MBI}})
    p = tmp_path / "x.sav"
    pyreadstat.write_sav(frame, str(p), variable_value_labels={c: reversed_labels for c in MBI})
    data = pm.read_export(p, id="id")
    with pytest.raises(DataError, match=r"'mbi1'.*6 = 'Never' in the file, but 'Never' is code 0.*recode"):
        pm.score(data, "mbi-hss", id="id")
    rep = pm.match_items(data, "mbi-hss", id="id")
    assert not rep.ok and "mbi1" in rep.label_mismatch
    assert any("value labels" in p for p in rep.problems)
    same = {float(c): lab for c, lab in enumerate(labels)}
    pyreadstat.write_sav(frame, str(p), variable_value_labels={c: same for c in MBI})
    assert pm.score(pm.read_export(p, id="id"), "mbi-hss", id="id")["EE"].tolist() == [9.0, 18.0]


def _instrument_file(tmp_path, **changes):
    from psychometrics.instruments import data_dir, read_yaml
    doc = read_yaml(data_dir("instruments") / "mbi-hss.yaml")
    for path, value in changes.items():
        node = doc
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    import yaml
    p = tmp_path / "inst.yaml"
    p.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return p


def test_7_label_shared_by_two_languages_with_different_codes(tmp_path):
    en = pm.load_instrument("mbi-hss").scale.labels["en"]
    nl = list(pm.load_instrument("mbi-hss").scale.labels["nl"])
    nl[3] = en[0]  # "Never" in nl means code 3 here, code 0 in en
    p = _instrument_file(tmp_path, scale__labels__nl=nl)
    data = pd.DataFrame({c: ["Never", "1"] for c in MBI})
    with pytest.raises(InvalidResponseError, match="Never"):
        pm.score(data, p)


def test_7_recode_to_nan_refused(tmp_path):
    p = _instrument_file(tmp_path, scale__recode={0: float("nan"), 1: 1})
    with pytest.raises(InstrumentError, match="scale/recode.*finite"):
        pm.load_instrument(p)


@pytest.mark.parametrize("field, value", [("mean", float("nan")), ("sd", float("nan")),
                                          ("sd", float("inf")), ("sd", 0.0)])
def test_7_norm_file_with_nan_or_inf_mean_sd(field, value):
    from psychometrics.norms import NormSet
    sub = {"score": "sum", "mean": 40.0, "sd": 8.0, field: value}
    doc = {"id": "t", "name": "t", "instrument": {"id": "custom-scale"}, "population": "x",
           "source": {"ref": "hand-made", "confidence": "user"}, "method": "mean-sd",
           "norms": [{"stratum": {}, "subscales": {"total": sub}}]}
    with pytest.raises(NormError, match=field):
        NormSet(doc)


def test_7_statistics_warn_where_psych_is_silent():
    rng = np.random.default_rng(0)
    with pytest.warns(UserWarning, match=r"df = -1.*TLI are not meaningful"):
        pm.efa(rng.normal(size=(200, 4)), 2)
    x = rng.normal(size=(200, 5))
    x[:, 4] = x[:, 3]
    with pytest.warns(UserWarning, match=r"identical items.*item4.*item5"):
        pm.efa(x, 1)
    t = rng.normal(size=200)
    items = pd.DataFrame({"a": t + rng.normal(size=200), "b": -t + rng.normal(size=200) * .3,
                          "c": -t + rng.normal(size=200) * .3})
    with pytest.warns(UserWarning, match=r"alpha = -\d.\d\d: .*a \(-0.\d\d\).*reverse"):
        res = pm.alpha(items)
    assert res.alpha < 0  # the number is psych's; the warning says what it means


def test_16_margins_keys_match_float_columns():
    data = pd.DataFrame({"sex": [1.0, 2.0, 2.0, 1.0, 2.0]})
    for margins in ({"sex": {1: .5, 2: .5}}, {"sex": {"1": .5, "2": .5}}, {"sex": {1.0: .5, 2.0: .5}}):
        w = pm.rake(data, margins)
        np.testing.assert_allclose([w[data.sex == 1].sum() / w.sum()], [0.5])


def test_16_cli_errors_are_one_line(tmp_path, capsys):
    from psychometrics.cli import main
    bad = _write(tmp_path / "inst.yaml", "id: x\nname: [1\n")
    data = _write(tmp_path / "x.csv", "id,q1\na,1\n")
    assert main(["score", str(data), "-i", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error:")
    broken = _write(tmp_path / "b.yaml", "id: 3\nname: 4\nversion: 5\n")
    assert main(["score", str(data), "-i", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "field" in err
    with pytest.raises(SystemExit) as info:
        main(["score", str(data)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--instrument" in err
    assert main(["score", str(data), "-i", "mbi-hss", "--missing-codes", "abc"]) == 2
    assert "--missing-codes 'abc'" in capsys.readouterr().err


def test_16_output_to_a_folder(tmp_path, capsys):
    from psychometrics.cli import main
    assert main(["score", str(pm.example_path("mbi-hss-qualtrics.csv")), "-i", "mbi-hss",
                 "--items", "Q1_{n}", "--id", "ResponseId", "--on-invalid", "missing",
                 "-o", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_9_cli_limit_flag(tmp_path, capsys):
    from psychometrics.cli import main
    p = _write(tmp_path / "x.csv", "id," + ",".join(MBI) + "\n"
               + "".join(f"r{i}," + ",".join(["1"] * 22) + "\n" for i in range(20)))
    assert main(["score", str(p), "-i", "mbi-hss", "--id", "id", "--limit", "max_rows=5"]) == 2
    assert "max_rows" in capsys.readouterr().err
    assert main(["score", str(p), "-i", "mbi-hss", "--id", "id", "--limit", "max_rows=50"]) == 0
    assert current_limits().max_rows == 1_048_576  # the CLI's limits end with the command


def test_16_report_exits_non_zero_when_a_requested_section_failed(tmp_path, capsys):
    from psychometrics.cli import main
    out = tmp_path / "r.html"
    argv = ["report", str(pm.example_path("mbi-hss-qualtrics.csv")), "-i", "mbi-hss",
            "--items", "Q1_{n}", "--id", "ResponseId", "--n-boot", "0", "--no-progress",
            "-o", str(out)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(argv + ["--by", "no_such_column"])
    err = capsys.readouterr().err
    assert code == 2 and "section 'groups' failed" in err and out.exists()
    assert err.count("\n") == 1


def test_15_empty_efa_items_and_cfa_model(capsys):
    from psychometrics.cli import main
    q = str(pm.example_path("mbi-hss-qualtrics.csv"))
    assert main(["efa", q, "--items", ""]) == 2
    assert "--items '' names no columns" in capsys.readouterr().err
    assert main(["cfa", q, "--model", ""]) == 2
    assert "--model is empty" in capsys.readouterr().err


def test_15_write_table_value_labels_on_text(tmp_path):
    with pytest.raises(DataError, match="value_labels for column 'a'"):
        pm.write_table(pd.DataFrame({"a": ["x", "y"]}), tmp_path / "o.sav", value_labels={"a": {1: "x"}})


def test_16_decimal_comma_ids_stay_text(tmp_path):
    p = _write(tmp_path / "x.csv", "id;q1\n12,5;Never\n13,5;2,0\n")
    df = pm.read_export(p, id="id")
    assert df["id"].tolist() == ["12,5", "13,5"] and df["q1"].tolist() == ["Never", 2.0]
