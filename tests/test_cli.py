"""The command line: sub-commands, --json, -o, and one-line errors with a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from psychometrics.cli import main

DATA = Path(__file__).parent / "data"
BFI = DATA / "bfi.csv"
BFI_INSTRUMENT = DATA / "bfi-instrument.yaml"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_instruments_list_and_show(capsys):
    code, out, _ = run(capsys, "instruments", "list", "--json")
    assert code == 0
    ids = {row["id"] for row in json.loads(out)}
    assert {"mbi-hss", "olbi"} <= ids
    code, out, _ = run(capsys, "instruments", "show", "mbi-hss", "--json")
    assert code == 0 and json.loads(out)["subscales"]["DP"]["items"] == [
        "mbi5", "mbi10", "mbi11", "mbi15", "mbi22"]
    code, out, _ = run(capsys, "instruments", "show", "olbi", "--form", "agree-high", "--key")
    assert code == 0 and "olbi16" in out


def test_score_json_and_output_file(capsys, tmp_path):
    out_file = tmp_path / "scores.csv"
    code, out, _ = run(capsys, "score", BFI, "--instrument", BFI_INSTRUMENT, "--id", "id",
                       "--json", "-o", out_file)
    assert code == 0
    got = json.loads(out)
    rows = got["scores"]  # score --json: {"scores": [...], "invalid": [...]}
    assert len(rows) == 2800 and rows[0]["id"] == "61617" and got["invalid"] == []
    written = pd.read_csv(out_file, dtype={"id": str})
    assert written["id"].tolist()[:2] == ["61617", "61618"]
    assert written["A"].iloc[0] == pytest.approx(4.0)


def test_score_invalid_codes_become_missing_on_request(capsys, tmp_path):
    df = pd.DataFrame({f"mbi{i}": [3, 3] for i in range(1, 23)})
    df.insert(0, "resp", ["r1", "r2"])
    df.loc[1, "mbi16"] = 9
    path = tmp_path / "export.csv"
    df.to_csv(path, sep=";", index=False)
    code, _, err = run(capsys, "score", path, "-i", "mbi-hss", "--id", "resp")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "'mbi16'" in lines[0] and "r2 (row 2)" in lines[0] and "9" in lines[0]
    code, out, err = run(capsys, "score", path, "-i", "mbi-hss", "--id", "resp",
                         "--on-invalid", "missing", "--json")
    assert code == 0 and "1 invalid response(s) scored as missing" in err
    got = json.loads(out)
    assert got["scores"][1]["EE_n"] == 8
    assert [(c["column"], c["respondent"], c["value"]) for c in got["invalid"]] == \
        [("mbi16", "r2", 9)]


@pytest.mark.parametrize("argv, message", [
    (["score", "nope.csv", "-i", "mbi-hss"], "no such file"),
    (["score", BFI, "-i", "mbi-hss"], "right instrument"),
    (["score", BFI, "-i", "unknown-instrument"], "unknown instrument"),
    (["score", BFI, "-i", BFI_INSTRUMENT, "--id", "gender"], "duplicate respondent ids"),
    (["score", BFI, "-i", BFI_INSTRUMENT, "--items", "A1"], "id=column pairs"),
])
def test_errors_are_one_line_with_exit_2(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_console_entry_point_runs_as_module():
    proc = subprocess.run([sys.executable, "-m", "psychometrics.cli", "instruments", "list"],
                          capture_output=True, text=True, cwd=DATA)
    assert proc.returncode == 0 and "mbi-hss" in proc.stdout


def test_score_with_norms_adds_bands(capsys, tmp_path):
    df = pd.DataFrame({f"mbi{i}": [0, 6] for i in range(1, 23)})
    df.insert(0, "resp", ["r1", "r2"])
    path = tmp_path / "export.csv"
    df.to_csv(path, index=False)
    code, out, _ = run(capsys, "score", path, "-i", "mbi-hss", "--id", "resp",
                       "--norms", "mbi-hss-overall", "--json")
    assert code == 0
    rows = json.loads(out)["scores"]
    assert [r["EE_band"] for r in rows] == ["low", "high"]
    assert [r["EE"] for r in rows] == [0, 54]


EXAMPLE = Path(__file__).parent.parent / "examples" / "mbi-hss-qualtrics.csv"
MAP = Path(__file__).parent.parent / "examples" / "mbi-hss-items.yaml"
SHARED = ["--items", MAP, "--id", "ResponseId", "--on-invalid", "missing", "--json"]


@pytest.mark.parametrize("argv, key", [
    (["reliability", EXAMPLE, "-i", "mbi-hss", *SHARED], "subscales"),
    (["cfa", EXAMPLE, "-i", "mbi-hss", "--estimator", "MLR", *SHARED], "cfi_scaled"),
])
def test_readme_commands_on_the_bundled_example(capsys, argv, key):
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert key in json.loads(out)


def test_efa_of_an_instrument_with_an_item_map(capsys):
    code, out, err = run(capsys, "efa", EXAMPLE, "-i", "mbi-hss", "--item-map", MAP, "--id",
                         "ResponseId", "--on-invalid", "missing", "--factors", "3", "--json")
    assert code == 0, err
    assert len(json.loads(out)["efa"]["loadings"]) == 22
