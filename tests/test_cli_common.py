"""The CLI's shared parts: option values, one-line errors, printing, and the report ``--by`` fix."""

from __future__ import annotations

import argparse
import ast
import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from psychometrics.cli import build_parser, main
from psychometrics.commands import common, printing
from psychometrics.errors import DataError, OptionError

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
VALIDATION = EXAMPLES / "validation-sample.csv"
QUALTRICS = EXAMPLES / "mbi-hss-qualtrics.csv"
MAPPING = EXAMPLES / "mbi-hss-items.yaml"


def parse(*argv):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return build_parser().parse_args([str(a) for a in argv])


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- report --by FILE (issue 16) --------------------------------------------------------------

def test_report_old_by_before_the_file_no_longer_swallows_it():
    # the bug: `report --by department FILE` took FILE as a second grouping column
    with pytest.warns(FutureWarning, match="--by is deprecated.*--group"):
        args = build_parser().parse_args(["report", "--by", "department", "x.csv", "-i", "m"])
    assert args.file == "x.csv" and args.group == ["department"]


@pytest.mark.parametrize("argv, file, group", [
    (["x.csv", "-i", "m", "--by", "a", "b"], "x.csv", ["a", "b"]),  # as it always was
    (["--by", "a", "b", "x.csv", "-i", "m"], "x.csv", ["a", "b"]),
    (["--by", "a", "b", "-i", "m", "x.csv"], "x.csv", ["a", "b"]),  # the word is given back
    (["--by", "a", "-i", "m", "x.csv"], "x.csv", ["a"]),
    (["--group", "a", "x.csv", "-i", "m"], "x.csv", ["a"]),  # the documented spelling
    (["--group", "a,b", "--group", "c", "x.csv", "-i", "m"], "x.csv", ["a,b", "c"]),
])
def test_report_group_and_file_in_any_order(argv, file, group):
    args = parse("report", *argv)
    assert (args.file, args.group) == (file, group)


def test_report_without_a_file_is_a_one_line_error(capsys):
    code, _, err = run(capsys, "report", "-i", "mbi-hss", "--group", "a")
    assert code == 2 and err.strip() == ("error: report: the following arguments are "
                                         "required: file")


def test_other_commands_take_one_column_per_old_by():
    args = parse("summarise", "x.csv", "-i", "m", "--by", "a", "--by", "b")
    assert args.group == ["a", "b"]
    with pytest.raises(SystemExit):  # a second word is no column of --by there
        parse("summarise", "x.csv", "-i", "m", "--by", "a", "b")


# --- the shared instrument block ---------------------------------------------------------------

@pytest.mark.parametrize("command", ["score", "reliability", "irt", "report", "classify",
                                     "summarise", "match"])
def test_every_instrument_command_has_the_shared_block(command):
    extra = {"irt": ["-m", "pcm"], "classify": ["-r", "x"], "summarise": ["--group", "g"]}
    args = parse(command, "x.csv", "-i", "mbi-hss", "--items", "Q{n}", "--id", "rid",
                 "--form", "f", "--keys", "k.yaml", *extra.get(command, []))
    assert (args.file, args.instrument, args.items, args.id, args.form, args.keys) == (
        "x.csv", "mbi-hss", "Q{n}", "rid", "f", "k.yaml")
    if command not in ("report", "match"):
        assert args.on_invalid == "raise"


def test_efa_names_its_item_mapping_item_map_and_instrument_or_items_is_required():
    args = parse("efa", "x.csv", "-i", "mbi-hss", "--item-map", "Q{n}")
    assert args.item_map == "Q{n}" and args.items is None
    with pytest.raises(SystemExit):
        parse("efa", "x.csv", "-i", "mbi-hss", "--items", "a,b")  # one or the other
    with pytest.raises(SystemExit):
        parse("cfa", "x.csv")  # --model or --instrument


def test_no_command_imports_the_cli():
    # commands are imported by cli.build_parser: importing cli back would be a loop
    for path in (ROOT / "psychometrics" / "commands").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                target = ("." * node.level) + (node.module or "")
                assert target not in ("..cli", "psychometrics.cli"), path.name


# --- option values -----------------------------------------------------------------------------

def test_parse_items():
    assert common.parse_items(None) is None
    assert common.parse_items("Q{n}") == "Q{n}"
    assert common.parse_items("map.yml") == "map.yml"
    assert common.parse_items("ee1=Q1, ee2 = Q2") == {"ee1": "Q1", "ee2": "Q2"}
    with pytest.raises(OptionError, match="--items 'Q1': use a pattern like 'Q{n}'"):
        common.parse_items("Q1")


def test_parse_missing_codes_and_min_answered():
    assert common.parse_missing_codes(None) is None
    assert common.parse_missing_codes("-99, 99") == [-99.0, 99.0]
    with pytest.raises(OptionError, match="'x' is not a number"):
        common.parse_missing_codes("-99,x")
    assert common.parse_min_answered(None) is None
    assert common.parse_min_answered(["7"]) == 7
    assert common.parse_min_answered(["EE=7", "DP=3"]) == {"EE": 7, "DP": 3}
    with pytest.raises(OptionError, match="not both"):
        common.parse_min_answered(["7", "EE=3"])
    with pytest.raises(OptionError, match="use a whole number"):
        common.parse_min_answered(["EE=x"])


def test_parse_norm_by_and_pairs():
    assert common.parse_norm_by(None) is None
    assert common.parse_norm_by(["sex=gender,language", " ", "age"]) == {
        "sex": "gender", "language": "language", "age": "age"}
    assert common.parse_pairs(["a = b", "c=d"], "--norms", "I=V") == {"a": "b", "c": "d"}
    for bad in ("a", "=b", "a="):
        with pytest.raises(OptionError, match=f"--norms '{bad}': use I=V"):
            common.parse_pairs([bad], "--norms", "I=V")
    assert common.split_list(["a, b", "c", ""]) == ["a", "b", "c"]


# --- errors through main: one line, exit 2, OptionError (no type name) ----------------------------

@pytest.mark.parametrize("argv, message", [
    (["score", VALIDATION, "-i", "mbi-hss", "--scored"], "--scored: say how the scores"),
    (["score", "SCORED", "-i", "mbi-hss", "--scored", "--scale", "sum"],
     "--scored applies norms to scores: give --norms ID"),
    (["score", VALIDATION, "-i", "mbi-hss", "--chunksize", "10"], "--chunksize writes the scores"),
    (["score", VALIDATION, "-i", "mbi-hss", "--id", "id", "--min-answered", "EE=x"],
     "--min-answered 'EE=x': use a whole number"),
    (["norms", "build", VALIDATION, "-i", "mbi-hss"], "say where to write the norm file"),
    (["norms", "show", "mbi-hss-overall", "--table", "EE", "--stratum", "sex"],
     "--stratum 'sex': use VAR=LEVEL"),
    (["summarise", VALIDATION, "-i", "mbi-hss", "--id", "id", "--group", "sex", "--cutoff", "EE"],
     "--cutoff 'EE': use SUBSCALE=VALUE"),
    (["summarise", VALIDATION, "-i", "mbi-hss", "--id", "id", "--group", "sex", "--cutoff",
      "EE=high"], "--cutoff 'EE=high': use SUBSCALE=VALUE"),
    (["report", VALIDATION, "-i", "mbi-hss", "--positive", "1"], "--positive needs --criterion"),
    (["profile", VALIDATION, "-i", "mbi-hss", "--norms", "mbi-hss"], "--norms 'mbi-hss': use "
                                                                     "INSTRUMENT=VALUE"),
    (["omega", VALIDATION, "-i", "mbi-hss", "--id", "id", "--subscale", "XX", "--n-boot", "0"],
     "--subscale ['XX']: not a subscale of mbi-hss"),
])
def test_option_errors_are_one_line_option_errors(capsys, tmp_path, argv, message):
    scored = tmp_path / "scored.csv"
    pd.DataFrame({"EE": [10, 20], "DP": [1, 2], "PA": [30, 40]}).to_csv(scored, index=False)
    code, out, err = run(capsys, *[scored if a == "SCORED" else a for a in argv])
    assert code == 2 and out == ""
    line = err.strip().splitlines()[-1]
    assert line.startswith("error: " + message), line
    assert "Error:" not in line  # an OptionError is stated without a type name


def test_chunked_norms_refuse_in_memory_options(capsys, tmp_path):
    out = tmp_path / "n.yaml"
    code, _, err = run(capsys, "norms", "build", VALIDATION, "-i", "mbi-hss", "--id", "id",
                       "--chunksize", "50", "--weights", "w", "-o", out)
    assert code == 2 and "error: --chunksize builds unweighted norms" in err
    code, _, err = run(capsys, "norms", "build", VALIDATION, "-i", "mbi-hss", "--id", "id",
                       "--chunksize", "50", "--norm-by", "gender=sex", "-o", out)
    assert code == 2 and "error: --chunksize: name each stratum after its column" in err
    assert not out.exists()


# --- printing ----------------------------------------------------------------------------------

def test_one_line_joins_lines_and_caps_the_length():
    assert printing.one_line("a\n  b \n\nc") == "a; b; c"
    assert printing.one_line("x" * 700, limit=10) == "x" * 10 + " ..."


def test_cli_message_uses_the_commands_flags():
    flags = {"--on-invalid", "--level"}
    exc = DataError('bad cell; use on_invalid="missing" or n_boot=0')
    assert printing.cli_message(exc, flags) == (
        "DataError: bad cell; use --on-invalid missing or n_boot=0")
    opt = OptionError("level must be between 0 and 1; got 2", "level", 2)
    assert printing.cli_message(opt, flags) == "--level must be between 0 and 1; got 2"
    opt = OptionError("seed must be whole; got x", "seed", "x")  # no --seed flag: as it is
    assert printing.cli_message(opt, flags) == "seed must be whole; got x"
    flags.add("--convert")
    assert printing.cli_message(DataError("try convert=True"), flags) == "DataError: try --convert"


def test_emit_prints_tables_dicts_and_text(capsys):
    args = argparse.Namespace(json=False)
    df = pd.DataFrame({"a": [1, 2]}, index=pd.Index(["r1", "r2"], name="id"))
    df.attrs["title"] = "the title"
    printing.emit(df, args)
    out = capsys.readouterr().out
    assert out.startswith("the title\n") and "r2" in out
    printing.emit("plain text", args)
    printing.emit(None, args)
    assert capsys.readouterr().out == "plain text\n"
    args = argparse.Namespace(json=True, json_extra={"invalid": []})
    printing.emit(df, args)
    assert json.loads(capsys.readouterr().out) == {
        "scores": [{"id": "r1", "a": 1}, {"id": "r2", "a": 2}], "invalid": []}
    printing.emit({"x": 1.5}, argparse.Namespace(json=True))
    assert json.loads(capsys.readouterr().out) == {"x": 1.5}


def test_table_summary_says_what_was_written():
    df = pd.DataFrame({"EE": [10.0, 20.0], "DP": [1.0, None]})
    df.attrs["psychometrics"] = {
        "instrument": "mbi-hss", "form": "f1", "scoring": {"EE": "sum", "DP": "sum"},
        "prorated": {"EE": 1, "DP": 0}, "unscored": {"DP": 1},
        "norms": {"id": "n1", "n": 100, "source": "S", "by": {"sex": "gender"},
                  "matched": "2 strata", "fallback_n": 3}}
    text = printing.table_summary(df, "out.csv")
    assert text.splitlines()[0] == "wrote 2 rows x 2 columns to out.csv"
    for part in ("instrument: mbi-hss (form f1)", "prorated: EE 1", "not scored: DP 1",
                 "norm set: n1 (n = 100; S)", "norm strata: {'sex': 'gender'} (2 strata)",
                 "overall norm by fallback: 3 respondent(s)"):
        assert part in text
    assert printing.table_summary(pd.DataFrame({"x": [1]}), "o.csv") == (
        "wrote 1 rows x 1 columns to o.csv")


def test_output_is_refused_before_any_work(capsys, tmp_path):
    code, _, err = run(capsys, "score", VALIDATION, "-i", "mbi-hss", "-o", VALIDATION)
    assert code == 2 and err.startswith("error: ")
    code, _, err = run(capsys, "score", VALIDATION, "-i", "mbi-hss", "-o", tmp_path / "x.pdf")
    assert code == 2 and ".pdf" in err


def test_busy_is_quiet_when_switched_off(monkeypatch):
    import io
    import sys

    class Tty(io.StringIO):
        def isatty(self):
            return True
    term = Tty()
    monkeypatch.setattr(sys, "stderr", term)
    with common.busy("x", enabled=False):
        pass
    assert term.getvalue() == ""
    with common.busy("y" * 200):
        pass
    shown = term.getvalue().split("\r")[1]
    assert shown == "[working] " + "y" * common.busy.WIDTH
