"""The command line as a new user meets it: every command's help, one vocabulary for strata
and groups (old spellings deprecated), and three journeys run end to end with the installed
``psychometrics`` command only (no Python between the steps)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.cli import build_parser, main

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
VALIDATION = EXAMPLES / "validation-sample.csv"
QUALTRICS = EXAMPLES / "mbi-hss-qualtrics.csv"
MAPPING = EXAMPLES / "mbi-hss-items.yaml"


def _cli(*argv, cwd: Path) -> subprocess.CompletedProcess:
    """The installed console script when there is one (else ``python -m psychometrics.cli``)."""
    exe = Path(sys.executable).with_name("psychometrics")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "psychometrics.cli"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(cmd + [str(a) for a in argv], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=600)


# ---------------------------------------------------------------------------- help

def _subcommands(parser: argparse.ArgumentParser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen = set()
            for name, sub in action.choices.items():
                if id(sub) in seen:  # an alias (summarize) of a command already listed
                    continue
                seen.add(id(sub))
                yield (*prefix, name), sub
                yield from _subcommands(sub, (*prefix, name))


COMMANDS = [names for names, _ in _subcommands(build_parser())]


def test_every_command_is_listed():
    flat = {" ".join(c) for c in COMMANDS}
    for cmd in ("score", "match", "classify", "summarise", "norms", "norms build",
                "norms show", "instruments", "instruments list", "reliability", "omega", "efa",
                "cfa", "invariance", "cutoff", "report", "profile"):
        assert cmd in flat, cmd


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_has_a_description_an_example_and_option_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    usage, _, rest = out.partition("\n\n")
    description = rest.split("\n\n")[0]
    assert len(description.split()) >= 8, f"no description: {out[:400]}"
    examples = out.split("\nexample")[-1]
    assert "\nexample" in out and f"psychometrics {' '.join(command)}" in examples
    assert "README" in out
    assert "%%" not in out  # '90% CI', not '90%% CI'
    parser = dict(_subcommands(build_parser()))[command]
    for action in parser._actions:
        if action.option_strings and action.help is not argparse.SUPPRESS:
            assert action.help, f"{command} {action.option_strings} has no help"


def test_top_level_help_points_to_the_readme(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "README" in out and "psychometrics COMMAND --help" in out


def test_instruments_list_fits_100_columns(capsys):
    assert main(["instruments", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(pm.list_instruments()) + 1
    assert max(len(line) for line in lines) <= 100


# ---------------------------------------------------------------------------- vocabulary

def test_old_spellings_still_work_with_a_warning(tmp_path, capsys):
    with pytest.warns(FutureWarning, match="--by is deprecated.*--norm-by"):
        args = build_parser().parse_args(["score", "x.csv", "-i", "mbi-hss", "--by", "sex"])
    assert args.norm_by == ["sex"]
    with pytest.warns(FutureWarning, match="--by is deprecated.*--group"):
        args = build_parser().parse_args(["report", "x.csv", "-i", "mbi-hss", "--by",
                                          "department", "region"])
    assert args.group == ["department", "region"]  # the old 'report --by A B' as it was
    # the new spelling cannot swallow the file argument
    args = build_parser().parse_args(["report", "--group", "department", "x.csv", "-i",
                                      "mbi-hss"])
    assert args.group == ["department"] and args.file == "x.csv"
    with pytest.warns(FutureWarning, match="--group"):
        args = build_parser().parse_args(["summarise", "x.csv", "-i", "mbi-hss", "--by", "a,b"])
    assert args.group == ["a,b"]


def test_summarise_by_group(capsys):
    code = main(["summarise", str(QUALTRICS), "-i", "mbi-hss", "--items", str(MAPPING), "--id",
                 "ResponseId", "--on-invalid", "missing", "--group", "department", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    shown = {r["department"] for r in json.loads(out)}
    assert shown and shown <= set(pm.read_export(QUALTRICS)["department"].dropna()) | {"(missing)"}


def test_positive_one_names_the_numeric_level(tmp_path, capsys):
    df = pd.DataFrame({"s": [1, 2, 3, 4, 5, 6, 7, 8], "y": [0, 0, 1, 0, 1, 0, 1, 1]})
    df.to_csv(tmp_path / "d.csv", index=False)
    code = main(["cutoff", str(tmp_path / "d.csv"), "--score", "s", "--criterion", "y",
                 "--positive", "1", "--n-boot", "0", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    got = json.loads(out)
    assert got["positive"] == 1 and got["n_cases"] == 4
    assert got["auc"] == pytest.approx(pm.roc(df["s"], df["y"], positive=1, ci_method="delong").auc,
                                       abs=1e-12)


def test_invalid_cells_written_where_the_note_says(tmp_path, capsys):
    df = pd.DataFrame({f"mbi{i}": [3, 3, 2] for i in range(1, 23)})
    df.insert(0, "resp", ["r1", "r2", "r3"])
    df.loc[1, "mbi16"] = 9
    df.loc[2, "mbi3"] = 7
    path = tmp_path / "export.csv"
    df.to_csv(path, index=False)
    out_file = tmp_path / "invalid.csv"
    code = main(["score", str(path), "-i", "mbi-hss", "--id", "resp", "--on-invalid", "missing",
                 "--invalid-out", str(out_file)])
    _, err = capsys.readouterr()
    assert code == 0 and f"listed in {out_file}" in err
    got = pd.read_csv(out_file, dtype=str)
    assert sorted(got[["respondent", "column", "value"]].values.tolist()) == [
        ["r2", "mbi16", "9"], ["r3", "mbi3", "7"]]


def test_score_keep_and_keep_all(tmp_path, capsys):
    code = main(["score", str(VALIDATION), "-i", "mbi-hss", "--id", "id", "--keep", "diagnosis",
                 "sex", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = json.loads(out)["scores"]
    raw = pd.read_csv(VALIDATION)
    assert [r["diagnosis"] for r in rows] == raw["diagnosis"].tolist()
    assert [r["id"] for r in rows] == raw["id"].tolist()
    code = main(["score", str(VALIDATION), "-i", "mbi-hss", "--id", "id", "--keep-all", "--json"])
    out, _ = capsys.readouterr()
    row = json.loads(out)["scores"][0]
    assert {"sex", "age", "region", "sector", "diagnosis"} <= set(row)
    assert "mbi1" not in row  # items are not 'kept': the scores replace them
    assert main(["score", str(VALIDATION), "-i", "mbi-hss", "--id", "id", "--keep",
                 "nope"]) == 2
    assert "--keep column(s) ['nope']" in capsys.readouterr().err


# ---------------------------------------------------------------------------- journeys

def test_journey_score_then_cutoff(tmp_path):
    """Score an export keeping the criterion, then validate the cut-off on the scores."""
    res = _cli("score", VALIDATION, "-i", "mbi-hss", "--id", "id", "--keep", "diagnosis",
               "-o", "scores.csv", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    res = _cli("cutoff", "scores.csv", "--score", "EE", "--criterion", "diagnosis",
               "--positive", "burnout", "--prevalence", "0.1", "--n-boot", "0", "--json",
               cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    scores = pm.score(pd.read_csv(VALIDATION), "mbi-hss", id="id")
    direct = pm.cutoffs(scores["EE"], pd.read_csv(VALIDATION)["diagnosis"], positive="burnout",
                        prevalence=0.1, n_boot=0)
    assert got["best"]["cutoff"] == direct.best["cutoff"]
    assert got["best"]["ppv"] == pytest.approx(direct.best["ppv"], abs=1e-12)
    assert got["best"]["sensitivity_ci_low"] == pytest.approx(direct.best["sensitivity_ci_low"],
                                                              abs=1e-12)


def test_journey_compare_two_scores(tmp_path):
    """Two subscales against one criterion: paired DeLong test (pROC::roc.test)."""
    res = _cli("score", VALIDATION, "-i", "mbi-hss", "--id", "id", "--keep", "diagnosis",
               "-o", "scores.csv", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    res = _cli("cutoff", "scores.csv", "--score", "EE", "--compare", "DP", "--criterion",
               "diagnosis", "--positive", "burnout", "--n-boot", "0", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    scores = pd.read_csv(tmp_path / "scores.csv")
    t = pm.roc_test(scores["EE"], scores["DP"], scores["diagnosis"], positive="burnout")
    assert got["delong"]["pvalue"] == pytest.approx(t.pvalue, abs=1e-12)
    assert got["delong"]["auc_a"] == pytest.approx(t.auc_a, abs=1e-12)
    res = _cli("cutoff", "scores.csv", "--score", "EE", "--compare", "DP", "--criterion",
               "diagnosis", "--positive", "burnout", "--n-boot", "0", cwd=tmp_path)
    assert "paired DeLong" in res.stdout


def test_journey_build_stratified_norms_then_apply(tmp_path):
    """Norms stratified by sex built from a sample, shown with their CIs, applied with
    --norm-by to the scores of the same export."""
    res = _cli("norms", "build", VALIDATION, "-i", "mbi-hss", "--id", "id", "--norm-by", "sex",
               "--bootstrap", "50", "--seed", "1", "--min-n", "30", "--country", "BE",
               "-o", "be-norms.yaml", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    res = _cli("norms", "show", "be-norms.yaml", "--ci", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    cis = json.loads(res.stdout)
    assert {r["stratum"] for r in cis} == {"overall", "sex=F", "sex=M"}
    assert all(r["ci_low"] <= r["value"] <= r["ci_high"] for r in cis)
    res = _cli("norms", "show", "be-norms.yaml", "--ci", cwd=tmp_path)
    assert "95% bootstrap CIs (50 resamples, seed 1)" in res.stdout.splitlines()[0]
    res = _cli("norms", "show", "mbi-hss-overall", "--ci", cwd=tmp_path)
    assert res.returncode == 2 and "holds no bootstrap CIs" in res.stderr
    res = _cli("score", VALIDATION, "-i", "mbi-hss", "--id", "id", "--norms", "be-norms.yaml",
               "--norm-by", "sex", "--keep", "sex", "-o", "normed.csv", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    normed = pd.read_csv(tmp_path / "normed.csv")
    raw = pd.read_csv(VALIDATION)
    scores = pm.score(raw, "mbi-hss", id="id")
    ns = pm.load_norms(tmp_path / "be-norms.yaml")
    direct = pm.apply_norms(scores, ns, by={"sex": "sex"}, data=raw)
    assert normed["EE_pr"].tolist() == pytest.approx(direct["EE_pr"].tolist(), abs=1e-9)
    assert normed["EE_band"].tolist() == direct["EE_band"].tolist()
    # the same norms applied to the scores file (--scored)
    res = _cli("score", "normed.csv", "-i", "mbi-hss", "--id", "id", "--scored", "--scale", "sum", "--norms",
               "be-norms.yaml", "--norm-by", "sex", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    again = json.loads(res.stdout)["scores"]
    assert [r["EE_band"] for r in again] == direct["EE_band"].tolist()


def test_omega_command_matches_pm_omega(capsys):
    code = main(["omega", str(QUALTRICS), "-i", "mbi-hss", "--items", str(MAPPING),
                 "--on-invalid", "missing", "--n-boot", "30", "--seed", "2", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = {r["subscale"]: r for r in json.loads(out)}
    data = pm.read_export(QUALTRICS)
    blocks = pm.keyed_items(data, "mbi-hss", items=str(MAPPING), on_invalid="missing")
    # --json of a table prints 10 significant digits (pandas to_json), hence 1e-9
    for sid in ("EE", "DP", "PA"):
        o = pm.omega(blocks[sid], n_factors=1, ci=0.95, n_boot=30, seed=2, cfa=False)
        assert rows[sid]["omega_total"] == pytest.approx(o.omega_total, abs=1e-9)
        assert rows[sid]["ci_low"] == pytest.approx(o.ci["omega_total"]["low"], abs=1e-9)


def test_warnings_on_the_terminal_hold_no_python_reprs(tmp_path):
    res = _cli("score", QUALTRICS, "-i", "mbi-hss", "--items", MAPPING, "--id", "ResponseId",
               "--on-invalid", "missing", "-o", "scores.csv", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "warning: prorated sums (mean of answered items x number of items) for EE 7, DP 4, " \
           "PA 3 respondents" in res.stderr
    assert "{" not in res.stderr
