"""Each command's own paths, run in-process through ``main`` (so they count for coverage)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from psychometrics.cli import main

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
VALIDATION = EXAMPLES / "validation-sample.csv"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> Path:
    """The validation sample scored on the MBI-HSS, with the criterion and sex kept."""
    path = tmp_path_factory.mktemp("scored") / "scores.csv"
    assert main(["score", str(VALIDATION), "-i", "mbi-hss", "--id", "id", "--keep",
                 "diagnosis,sex", "-o", str(path)]) == 0
    return path


# --- score ---------------------------------------------------------------------------------------

def test_score_keeps_columns_and_refuses_unknown_ones(capsys, scored):
    table = pd.read_csv(scored)
    assert {"EE", "DP", "PA", "diagnosis", "sex"} <= set(table.columns) and len(table) == 300
    code, _, err = run(capsys, "score", VALIDATION, "-i", "mbi-hss", "--id", "id",
                       "--keep", "nope", "--json")
    assert code == 2 and "--keep column(s) ['nope'] not in the export" in err


def test_score_keep_all_carries_every_non_item_column(capsys):
    code, out, _ = run(capsys, "score", VALIDATION, "-i", "mbi-hss", "--id", "id",
                       "--keep-all", "--json")
    rows = json.loads(out)["scores"]
    assert code == 0 and {"sex", "age", "region", "diagnosis"} <= set(rows[0])
    assert "mbi1" not in rows[0]


def test_score_scored_file_is_renormed_and_old_norm_columns_dropped(capsys, scored, tmp_path):
    normed = tmp_path / "normed.csv"
    assert main(["score", str(scored), "-i", "mbi-hss", "--scored", "--scale", "sum",
                 "--norms", "mbi-hss-overall", "-o", str(normed)]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, "score", normed, "-i", "mbi-hss", "--scored", "--scale",
                         "sum", "--norms", "mbi-hss-overall", "--json")
    assert code == 0 and "note: replacing the norm columns already in the file" in err
    row = json.loads(out)["scores"][0]
    assert "EE_band" in row
    code, _, err = run(capsys, "score", scored, "-i", "mbi-hss", "--scored", "--scale", "sum",
                       "--keep", "sex", "--norms", "mbi-hss-overall")
    assert code == 2 and "--keep/--keep-all copy export columns" in err


def test_score_scored_needs_subscale_columns(capsys):
    code, _, err = run(capsys, "score", VALIDATION, "-i", "mbi-hss", "--scored", "--scale",
                       "sum", "--norms", "mbi-hss-overall")
    assert code == 2 and "--scored needs columns named by subscale id" in err


def test_score_streams_in_chunks_to_csv(capsys, tmp_path):
    out = tmp_path / "s.csv"
    code, text, err = run(capsys, "score", VALIDATION, "-i", "mbi-hss", "--id", "id",
                          "--chunksize", "100", "-o", out)
    assert code == 0, err
    streamed = pd.read_csv(out)
    assert len(streamed) == 300
    again = tmp_path / "m.csv"
    assert main(["score", str(VALIDATION), "-i", "mbi-hss", "--id", "id", "-o", str(again)]) == 0
    pd.testing.assert_series_equal(streamed["EE"], pd.read_csv(again)["EE"])


def test_score_notes_prorated_and_unscored_respondents(capsys, tmp_path):
    df = pd.read_csv(VALIDATION).head(5)
    df.loc[0, "mbi1"] = None  # one EE item missing: prorated
    df.loc[1, [f"mbi{i}" for i in (1, 2, 3, 6, 8, 13)]] = None  # too few EE items: unscored
    df.to_csv(tmp_path / "x.csv", index=False)
    code, _, err = run(capsys, "score", tmp_path / "x.csv", "-i", "mbi-hss", "--id", "id",
                       "--json")
    assert code == 0
    assert "note: prorated" in err and "note: not scored (too few items answered): EE 1 of 5" in err


# --- norms, classify, summarise --------------------------------------------------------------------

def test_norms_build_in_memory_with_renamed_strata_and_margins_then_show(capsys, tmp_path):
    margins = tmp_path / "m.yaml"
    margins.write_text("gender: {F: 0.5, M: 0.5}\n")
    out = tmp_path / "n.yaml"
    code, _, err = run(capsys, "norms", "build", VALIDATION, "-i", "mbi-hss", "--id", "id",
                       "--norm-by", "gender=sex", "--margins", margins, "--bootstrap", "20",
                       "--seed", "1", "--min-n", "20", "-o", out)
    assert code == 0, err
    assert out.exists()
    code, text, _ = run(capsys, "norms", "show", out, "--ci")
    assert code == 0 and "percentiles with 95% bootstrap CIs (20 resamples, seed 1)" in text
    assert "gender=F" in text
    code, text, _ = run(capsys, "norms", "show", out, "--ci", "--json")
    assert code == 0 and {"stratum", "ci_low", "ci_high"} <= set(json.loads(text)[0])
    code, text, _ = run(capsys, "norms", "show", out, "--table", "EE", "--stratum", "gender=F")
    assert code == 0 and text.strip()
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a\n- b\n")
    code, _, err = run(capsys, "norms", "build", VALIDATION, "-i", "mbi-hss", "--id", "id",
                       "--margins", bad, "--bootstrap", "0", "-o", out)
    assert code == 2 and "margins must be {column: {level: share}}" in err


def test_norms_show_ci_of_a_set_without_cis(capsys):
    code, _, err = run(capsys, "norms", "show", "mbi-hss-overall", "--ci")
    assert code == 2 and "holds no bootstrap CIs" in err


def test_norms_list_and_rules(capsys):
    code, text, _ = run(capsys, "norms", "list", "-i", "mbi-hss")
    assert code == 0 and "mbi-hss-overall" in text
    code, text, _ = run(capsys, "norms", "list", "-i", "mbi-hss", "--json")
    assert code == 0 and any(r["id"] == "mbi-hss-overall" for r in json.loads(text))
    code, text, _ = run(capsys, "norms", "rules", "-i", "mbi-hss", "--json")
    assert code == 0 and json.loads(text)


def test_norms_build_in_one_pass(capsys, tmp_path):
    out = tmp_path / "n.yaml"
    code, _, err = run(capsys, "norms", "build", VALIDATION, "-i", "mbi-hss", "--id", "id",
                       "--norm-by", "sex", "--chunksize", "100", "--bootstrap", "0",
                       "--min-n", "20", "-o", out)
    assert code == 0, err
    assert "sex" in out.read_text()


def test_classify_and_summarise(capsys):
    code, out, err = run(capsys, "classify", VALIDATION, "-i", "mbi-hss", "--id", "id",
                         "--rule", "mbi-hss-overall-ee-or-dp", "--norms", "mbi-hss-overall",
                         "--json")
    assert code == 0, err
    assert len(json.loads(out)) == 300
    code, out, err = run(capsys, "summarise", VALIDATION, "-i", "mbi-hss", "--id", "id",
                         "--group", "sex", "--cutoff", "EE=27", "--json")
    assert code == 0, err
    assert json.loads(out)


# --- cutoff ----------------------------------------------------------------------------------------

def test_cutoff_compare_and_plot(capsys, scored, tmp_path):
    png = tmp_path / "roc.png"
    code, out, err = run(capsys, "cutoff", scored, "--score", "EE", "--compare", "DP",
                         "--criterion", "diagnosis", "--positive", "burnout", "--n-boot", "0",
                         "--plot", png)
    assert code == 0, err
    assert "== EE" in out and "== DP" in out and "paired DeLong" in out
    assert png.stat().st_size > 1000
    code, out, _ = run(capsys, "cutoff", scored, "--score", "EE", "--compare", "DP",
                       "--criterion", "diagnosis", "--positive", "burnout", "--n-boot", "0",
                       "--json")
    got = json.loads(out)
    assert code == 0 and {"cutoff", "cutoff_compare", "delong"} <= set(got)
    assert got["compare"] == "DP"


def test_cutoff_positive_as_the_columns_type(capsys, tmp_path):
    df = pd.DataFrame({"s": [1, 2, 3, 4, 5, 6, 7, 8],
                       "b": [False, False, True, False, True, False, True, True],
                       "f": [0.0, 0, 1.5, 0, 1.5, 0, 1.5, 1.5]})
    df.to_csv(tmp_path / "d.csv", index=False)
    for crit, positive in (("b", "true"), ("b", "1"), ("f", "1.5")):
        code, out, err = run(capsys, "cutoff", tmp_path / "d.csv", "--score", "s",
                             "--criterion", crit, "--positive", positive, "--n-boot", "0",
                             "--json")
        assert code == 0, err
        assert json.loads(out)["n_cases"] == 4
    code, _, err = run(capsys, "cutoff", tmp_path / "d.csv", "--score", "s", "--criterion",
                       "b", "--positive", "maybe", "--n-boot", "0")
    assert code == 2 and "maybe" in err
    code, _, err = run(capsys, "cutoff", tmp_path / "d.csv", "--score", "s", "--criterion",
                       "f", "--positive", "x", "--n-boot", "0")
    assert code == 2 and "--positive x is not one of its levels" in err
    code, _, err = run(capsys, "cutoff", tmp_path / "d.csv", "--score", "zz", "--criterion", "b")
    assert code == 2 and "no column(s) ['zz']" in err


# --- the rest --------------------------------------------------------------------------------------

def test_instruments_list_fits_and_show(capsys):
    code, out, _ = run(capsys, "instruments", "list")
    assert code == 0 and max(len(line) for line in out.splitlines()) <= 100
    assert out.splitlines()[0].split()[:2] == ["id", "name"]
    code, out, _ = run(capsys, "instruments", "show", "olbi", "--key")
    assert code == 0 and out.strip()


def test_efa_of_named_columns_and_cfa_group_checks(capsys):
    cols = ",".join(f"mbi{i}" for i in (1, 2, 3, 6, 8, 13))
    code, out, err = run(capsys, "efa", VALIDATION, "--items", cols, "--factors", "1",
                         "--n-iter", "2", "--seed", "1", "--json")
    assert code == 0, err
    assert set(json.loads(out)) == {"kmo", "bartlett", "parallel", "efa"}
    code, _, err = run(capsys, "efa", VALIDATION, "--items", "mbi1,zz")
    assert code == 2 and "no column(s) ['zz']" in err
    code, _, err = run(capsys, "efa", VALIDATION, "--items", "mbi1,mbi2", "--factors", "2",
                       "--n-iter", "2")
    assert code == 2 and "--factors 2 is too many for 2 items" in err
    code, _, err = run(capsys, "cfa", VALIDATION, "-i", "mbi-hss", "--id", "id",
                       "--group", "nope")
    assert code == 2 and "no group column 'nope'" in err
    code, _, err = run(capsys, "omega", VALIDATION, "--columns", "mbi1,zz", "--n-boot", "0")
    assert code == 2 and "no column(s) ['zz']" in err


def test_report_fails_when_an_asked_section_fails(capsys, tmp_path):
    out = tmp_path / "r.html"
    code, _, err = run(capsys, "report", VALIDATION, "-i", "mbi-hss", "--id", "id",
                       "--criterion", "sex", "--positive", "nobody", "--n-boot", "0",
                       "--omega-boot", "0", "--no-progress", "-o", out)
    assert code == 2 and f"{out} was written, but section 'criterion' failed" in err
    assert out.exists()


def test_app_without_flask_says_how_to_install_it(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "flask", None)  # import flask -> ModuleNotFoundError
    code, _, err = run(capsys, "app", "--no-browser")
    assert code == 2 and 'pip install "burnout-psychometrics[app]"' in err


def test_app_serves_with_the_options_given(capsys, monkeypatch):
    pytest.importorskip("flask")
    import psychometrics.app.server as server

    calls = []
    monkeypatch.setattr(server, "serve", lambda **kw: calls.append(kw))
    code, out, _ = run(capsys, "app", "--no-browser", "--port", "8765")
    assert code == 0 and out == ""
    assert calls == [{"port": 8765, "open_browser": False, "max_upload_mb": None}]


# --- main's error handling -------------------------------------------------------------------------

@pytest.mark.parametrize("exc, code, message", [
    (FileNotFoundError("no such file: x.csv"), 2, "error: no such file: x.csv"),
    (KeyboardInterrupt(), 130, "error: interrupted"),
    (RuntimeError("boom"), 1, "error: internal error (RuntimeError: boom); this is a bug"),
])
def test_main_turns_exceptions_into_one_line(capsys, monkeypatch, exc, code, message):
    import psychometrics.commands.instruments as cmd

    def fail(args):
        raise exc
    monkeypatch.setattr(cmd, "_list", fail)
    monkeypatch.delenv("PSYCHOMETRICS_DEBUG", raising=False)
    got, out, err = run(capsys, "instruments", "list")
    assert got == code and err.startswith(message)


def test_main_shows_the_traceback_when_debugging(monkeypatch):
    import psychometrics.commands.instruments as cmd

    def fail(args):
        raise RuntimeError("boom")
    monkeypatch.setattr(cmd, "_list", fail)
    monkeypatch.setenv("PSYCHOMETRICS_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        main(["instruments", "list"])


def test_a_closed_pipe_ends_quietly(monkeypatch):
    import psychometrics.commands.instruments as cmd

    def fail(args):
        raise BrokenPipeError
    monkeypatch.setattr(cmd, "_list", fail)
    closed = []
    monkeypatch.setattr(sys, "stderr", type("E", (), {"close": lambda self: closed.append(1),
                                                      "write": lambda self, s: None,
                                                      "flush": lambda self: None,
                                                      "isatty": lambda self: False})())
    assert main(["instruments", "list"]) == 0 and closed == [1]


def test_the_summarize_alias_has_one_limit_option(capsys):
    code, _, err = run(capsys, "summarize", VALIDATION, "-i", "mbi-hss", "--id", "id",
                       "--group", "sex", "--limit", "max_rows=10")
    assert code == 2 and "max_rows" in err
