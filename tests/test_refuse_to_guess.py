"""Issue 12, "never silently wrong": each item's regression test (items 1-9 and 11; item 10
is tested with the cached instruments)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.cli import main
from psychometrics.errors import OptionError
from psychometrics.resample import DEFAULT_SEED

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"
DATA = Path(__file__).parent / "data"
QUALTRICS = EX / "mbi-hss-qualtrics.csv"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(DATA / "HolzingerSwineford1939.csv")


@pytest.fixture(scope="module")
def valid():
    return pd.read_csv(EX / "validation-sample.csv")


# ---- item 8: every bootstrap is reproducible by default, and says its seed -----------------

def _boot_calls(valid, hs):
    x = hs[[f"x{i}" for i in range(1, 10)]]
    score, diag = valid["mbi1"] + valid["mbi2"], valid["diagnosis"]
    scores = pm.score(valid, "mbi-hss", id="id")
    return {
        "roc": lambda: pm.roc(score, diag, positive="burnout", n_boot=50).to_dict(),
        "cutoffs": lambda: pm.cutoffs(score, diag, positive="burnout", n_boot=50).to_dict(),
        "alpha": lambda: pm.alpha(x.iloc[:, :3], ci="bootstrap", n_boot=50).to_dict(),
        "omega": lambda: pm.omega(x, n_factors=3, ci=0.9, n_boot=5, cfa=False).to_dict(),
        "build_norms": lambda: pm.build_norms(scores, bootstrap=50, min_n=10).to_dict(),
        "parallel_analysis": lambda: pm.parallel_analysis(x, n_iter=5).to_dict(),
        "reliability": lambda: pm.reliability(valid, "mbi-hss", ci="bootstrap",
                                              n_boot=30).to_dict(),
    }


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", ["roc", "cutoffs", "alpha", "omega", "build_norms",
                                  "parallel_analysis", "reliability"])
def test_resampling_is_reproducible_without_a_seed(valid, hs, name):
    call = _boot_calls(valid, hs)[name]
    first, second = call(), call()
    if name == "build_norms":  # the creation date is not a number
        for d in (first, second):
            d["created"].pop("date"), d["source"].pop("ref")
    assert first == second
    text = repr(first)
    assert f"'seed': {DEFAULT_SEED}" in text


def test_a_generator_draws_fresh_numbers(valid):
    score, diag = valid["mbi1"] + valid["mbi2"], valid["diagnosis"]
    a = pm.roc(score, diag, positive="burnout", n_boot=50, seed=np.random.default_rng(1))
    b = pm.roc(score, diag, positive="burnout", n_boot=50, seed=np.random.default_rng(2))
    assert a.boot_ci_low != b.boot_ci_low and a.to_dict()["seed"] is None


# ---- item 11: options are checked in one place; the CLI says it in its own words ------------

@pytest.mark.parametrize("argv, words", [
    (["reliability", QUALTRICS, "-i", "mbi-hss", "--items", "Q1_{n}", "--level", "1.5"],
     "--level must be between 0 and 1"),
    (["reliability", QUALTRICS, "-i", "mbi-hss", "--items", "Q1_{n}", "--level", "nan"],
     "--level must be between 0 and 1"),
    (["cutoff", EX / "validation-sample.csv", "--score", "mbi1", "--criterion", "diagnosis",
      "--positive", "burnout", "--n-boot", "-5", "--plot", "x.png"], "--n-boot"),
    (["score", QUALTRICS, "-i", "mbi-hss", "--items", "Q1_{n}"], "--on-invalid missing"),
])
def test_cli_errors_are_one_line_in_the_clis_words(capsys, argv, words):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert words in err
    assert "on_invalid=" not in err and "level=" not in err


def test_option_errors_name_option_and_value():
    with pytest.raises(OptionError) as info:
        pm.alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 4, 3]}), level=1.5)
    assert info.value.option == "level" and info.value.value == 1.5
    assert isinstance(info.value, ValueError)
    with pytest.raises(OptionError, match="on_invalid"):
        pm.score(pd.DataFrame({"x": [1]}), "mbi-hss", on_invalid="skip")


def test_cli_turns_a_bug_into_one_line(capsys, monkeypatch):
    import psychometrics.commands.instruments as cmd

    def broken(args):
        raise KeyError("boom")
    monkeypatch.setattr(cmd, "_list", broken)
    code, _, err = run(capsys, "instruments", "list")
    assert code == 1 and "internal error" in err and len(err.strip().splitlines()) == 1


def test_report_catches_only_package_errors():
    src = (ROOT / "psychometrics" / "report.py").read_text()
    assert "except Exception" not in src
