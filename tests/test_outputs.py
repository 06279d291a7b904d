"""Output writing (issue 12 item 3, issue 13 items 8 and 14): every command's ``-o`` writes
the formats its help lists, by extension, atomically, never over an input, and the files read
back with the library a user would use."""

from __future__ import annotations

import json
import os
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from psychometrics.cli import build_parser, main
from psychometrics.errors import ExportError
from psychometrics.io import write_table
from psychometrics.io.writers import atomic_write, neutralise

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"
QUALTRICS = EX / "mbi-hss-qualtrics.csv"
VALID = EX / "validation-sample.csv"
MBI = ["-i", "mbi-hss", "--items", "Q1_{n}", "--id", "ResponseId", "--on-invalid", "missing"]
TABLES = [".csv", ".xlsx", ".sav", ".json", ".html"]

# command -> argv (without -o); every one of these lists TABLES in its help
COMMANDS = {
    "instruments list": ["instruments", "list"],
    "instruments show": ["instruments", "show", "mbi-hss"],
    "score": ["score", QUALTRICS, *MBI],
    "score --norms": ["score", QUALTRICS, *MBI, "--norms", "mbi-hss-overall"],
    "match": ["match", QUALTRICS, "-i", "mbi-hss", "--items", "Q1_{n}"],
    "norms list": ["norms", "list"],
    "norms show": ["norms", "show", "mbi-hss-overall"],
    "norms rules": ["norms", "rules", "-i", "mbi-hss"],
    "classify": ["classify", QUALTRICS, *MBI, "--rule", "mbi-hss-french-ee-or-dp",
                 "--norms", "mbi-hss-french"],
    "summarise": ["summarise", QUALTRICS, *MBI, "--by", "department"],
    "reliability": ["reliability", QUALTRICS, *MBI],
    "efa": ["efa", QUALTRICS, "-i", "mbi-hss", "--item-map", "Q1_{n}", "--on-invalid", "missing",
            "--factors", "3"],
    "cfa": ["cfa", QUALTRICS, *MBI],
    "invariance": ["invariance", ROOT / "tests" / "data" / "HolzingerSwineford1939.csv",
                   "--model", "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6",
                   "--group", "school", "--levels", "configural,metric"],
    "cutoff": ["cutoff", VALID, "--score", "mbi1", "--criterion", "diagnosis",
               "--positive", "burnout", "--n-boot", "20"],
    "profile": ["profile", VALID, "-i", "mbi-hss", "--id", "id",
                "--norms", "mbi-hss=mbi-hss-overall"],
}


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def read_back(path: Path):
    """Open the file as a user would; return something with rows."""
    suffix = path.suffix
    if suffix == ".csv":
        return pd.read_csv(path)
    if suffix == ".xlsx":
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == ["data", "provenance"]
        prov = {r[0]: r[1] for r in wb["provenance"].iter_rows(min_row=2, values_only=True)}
        assert prov["software"].startswith("burnout-psychometrics") and prov["date"]
        return pd.read_excel(path, sheet_name="data")
    if suffix == ".sav":
        return pyreadstat.read_sav(str(path))[0]
    if suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<table" in text
    return text


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("ext", TABLES)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_writes_every_listed_format(capsys, tmp_path, command, ext):
    out = tmp_path / f"out{ext}"
    code, stdout, err = run(capsys, *COMMANDS[command], "-o", out)
    assert code == 0, err
    back = read_back(out)
    assert len(back) > 0
    if command.startswith("score") and ext in (".csv", ".xlsx", ".sav"):
        assert back["ResponseId"].astype(str).str.startswith("R_").all()  # ids kept
        assert len(stdout.splitlines()) < 25 and "wrote 200 rows" in stdout  # one screen
    if command.startswith("score") and ext == ".json":
        assert all(str(r["ResponseId"]).startswith("R_") for r in back)


def test_help_lists_exactly_the_formats_written(capsys):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    assert ".csv, .xlsx, .sav, .json, .html" in sub["score"].format_help().replace("\n", " ")
    help_report = " ".join(sub["report"].format_help().split())
    assert "(.html, .docx, .json)" in help_report
    build = next(a for a in sub["norms"]._actions if a.dest == "action").choices["build"]
    assert "(.yaml, .yml, .json)" in " ".join(build.format_help().split())


@pytest.mark.parametrize("argv, ext", [
    (COMMANDS["reliability"], ".docx"), (COMMANDS["cutoff"], ".txt"), (COMMANDS["score"], ""),
    (["report", QUALTRICS, "-i", "mbi-hss", "--items", "Q1_{n}"], ".csv"),
    (["norms", "build", QUALTRICS, *MBI, "--bootstrap", "0"], ".xlsx"),
])
def test_other_extensions_are_refused_in_one_line(capsys, tmp_path, argv, ext):
    out = tmp_path / f"out{ext}"
    code, _, err = run(capsys, *argv, "-o", out)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "supported: ." in err
    assert not out.exists()


@pytest.mark.filterwarnings("ignore")
def test_report_writes_html_and_json(capsys, tmp_path):
    argv = ["report", VALID, "-i", "mbi-hss", "--id", "id", "--norms", "mbi-hss-overall",
            "--no-progress", "--n-boot", "0"]
    for ext in (".html", ".json"):
        out = tmp_path / f"r{ext}"
        code, _, err = run(capsys, *argv, "-o", out)
        assert code == 0, err
        text = out.read_text(encoding="utf-8")
        if ext == ".json":
            assert json.loads(text)["sections"]["factor"]["data"]["admissible"] in (True, False)
        else:
            assert text.lstrip().lower().startswith("<!doctype html")


def test_norms_build_writes_a_norm_file_by_extension(capsys, tmp_path):
    for ext in (".yaml", ".json"):
        out = tmp_path / f"nb{ext}"
        code, _, err = run(capsys, "norms", "build", QUALTRICS, *MBI, "--bootstrap", "0",
                           "--min-n", "10", "-o", out)
        assert code == 0, err
        text = out.read_text()
        doc = json.loads(text) if ext == ".json" else None
        assert (doc["instrument"]["id"] if doc else "mbi-hss") == "mbi-hss" and "norms" in text


def test_output_naming_an_input_is_refused(capsys, tmp_path):
    copy = tmp_path / "export.csv"
    copy.write_bytes(QUALTRICS.read_bytes())
    before = copy.read_bytes()
    code, _, err = run(capsys, "score", copy, *MBI, "-o", copy)
    assert code == 2 and "is one of the input files" in err
    assert copy.read_bytes() == before
    items = tmp_path / "items.yaml"
    items.write_text((EX / "mbi-hss-items.yaml").read_text())
    code, _, err = run(capsys, "score", QUALTRICS, "-i", "mbi-hss", "--items", items,
                       "--id", "ResponseId", "--on-invalid", "missing", "-o", items)
    assert code == 2 and "input files" in err


def test_reliability_html_writes_a_file(capsys, tmp_path):
    out = tmp_path / "rel.html"
    code, _, _ = run(capsys, *COMMANDS["reliability"], "-o", out)
    assert code == 0 and out.exists() and "alpha" in out.read_text()


def test_atomic_write_leaves_the_old_file_on_interrupt(tmp_path):
    target = tmp_path / "scores.csv"
    target.write_text("old\n")

    def interrupted(tmp: Path) -> None:
        tmp.write_text("half a file")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, interrupted)
    assert target.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["scores.csv"]  # no temporary file left


def test_write_table_is_atomic_when_the_writer_fails(tmp_path, monkeypatch):
    target = tmp_path / "s.xlsx"
    write_table(pd.DataFrame({"a": [1]}), target)
    before = target.read_bytes()

    def boom(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(pd, "ExcelWriter", boom)
    with pytest.raises(KeyboardInterrupt):
        write_table(pd.DataFrame({"a": [2]}), target)
    assert target.read_bytes() == before and os.listdir(tmp_path) == ["s.xlsx"]


ATTACKS = ["=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)",
           "\t=1", "\r=1"]


def test_formulas_are_neutralised_in_csv_and_xlsx(tmp_path):
    df = pd.DataFrame({"id": ATTACKS, "label": ["ok"] * len(ATTACKS),
                       "EE": [-1.0] * len(ATTACKS)})
    write_table(df, tmp_path / "s.csv", id="id")
    back = pd.read_csv(tmp_path / "s.csv", keep_default_na=False)
    assert back["id"].tolist() == ["'" + a for a in ATTACKS]
    assert back["EE"].tolist() == [-1.0] * len(ATTACKS)  # numbers untouched
    write_table(df, tmp_path / "s.xlsx", id="id")
    ws = openpyxl.load_workbook(tmp_path / "s.xlsx")["data"]
    cells = [c.value for c in ws["A"][1:]]
    assert all(isinstance(v, str) and v.startswith("'") for v in cells)
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    # on request, raw values
    write_table(df, tmp_path / "raw.csv", neutralise=False)
    assert pd.read_csv(tmp_path / "raw.csv", keep_default_na=False)["id"].tolist()[:3] == ATTACKS[:3]
    assert neutralise(df)["EE"].tolist() == df["EE"].tolist()


def test_cli_raw_values_flag(capsys, tmp_path):
    data = tmp_path / "bfi.csv"
    bfi = pd.read_csv(ROOT / "tests" / "data" / "bfi.csv").head(20)
    bfi["id"] = "=HYPERLINK(1)" + bfi["id"].astype(str)
    bfi.to_csv(data, index=False)
    inst = ROOT / "tests" / "data" / "bfi-instrument.yaml"
    run(capsys, "score", data, "-i", inst, "--id", "id", "-o", tmp_path / "a.csv")
    assert pd.read_csv(tmp_path / "a.csv")["id"].str.startswith("'=").all()
    run(capsys, "score", data, "-i", inst, "--id", "id", "-o", tmp_path / "b.csv", "--raw-values")
    assert pd.read_csv(tmp_path / "b.csv")["id"].str.startswith("=").all()


def test_json_output_keeps_index_ids(tmp_path, capsys):
    df = pd.DataFrame({"EE": [1.0, 2.0]}, index=pd.Index(["r1", "r2"], name="pid"))
    write_table(df, tmp_path / "s.json")
    back = json.loads((tmp_path / "s.json").read_text())
    assert [r["pid"] for r in back] == ["r1", "r2"]


def test_ids_with_a_bare_carriage_return_stay_one_respondent(tmp_path):
    df = pd.DataFrame({"id": ["a\rb", "c"], "EE": [1.0, 2.0]})
    write_table(df, tmp_path / "s.csv", id="id", neutralise=False)
    back = pd.read_csv(tmp_path / "s.csv")
    assert back["id"].tolist() == ["a\rb", "c"] and back["EE"].tolist() == [1.0, 2.0]


def test_tz_aware_datetimes_are_utc_in_xlsx_and_sav(tmp_path):
    t = pd.Series(pd.to_datetime(["2024-03-01 10:00"]).tz_localize("Europe/Brussels"))
    df = pd.DataFrame({"id": ["r1"], "when": t})
    write_table(df, tmp_path / "s.xlsx", id="id")
    write_table(df, tmp_path / "s.sav", id="id")
    x = pd.read_excel(tmp_path / "s.xlsx", sheet_name="data")["when"].iloc[0]
    s = pyreadstat.read_sav(str(tmp_path / "s.sav"))[0]["when"].iloc[0]
    assert pd.Timestamp(x) == pd.Timestamp(s) == pd.Timestamp("2024-03-01 09:00")


def test_sav_has_value_labels_in_band_order_and_variable_labels(tmp_path, capsys):
    out = tmp_path / "s.sav"
    code, _, err = run(capsys, *COMMANDS["score --norms"], "-o", out)
    assert code == 0, err
    back, meta = pyreadstat.read_sav(str(out))
    assert meta.variable_value_labels["EE_band"] == {1.0: "low", 2.0: "average", 3.0: "high"}
    assert meta.column_names_to_labels["EE"]
    assert any("norm set" in n for n in (meta.notes or []))


def test_folder_as_output_is_refused(tmp_path):
    with pytest.raises(ExportError, match="is a folder"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path)


def test_an_output_name_too_long_for_the_file_system_is_a_one_line_error(tmp_path, capsys):
    # found by the fuzz suite at 200 examples: `-o xxx...x` (300 characters) was an internal error
    from psychometrics.cli import main

    src = tmp_path / "s.csv"
    src.write_text("id,EE\na,10\nb,20\n")
    code = main(["summarise", str(src), "--scored", "--scale", "sum", "-i", "mbi-hss",
                 "-o", str(tmp_path / ("x" * 300 + ".csv"))])
    err = capsys.readouterr().err
    assert code == 2 and "cannot be written" in err and "internal error" not in err
