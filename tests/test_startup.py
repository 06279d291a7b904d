"""Cold start (issue 15): importing the package and asking the CLI for help load no numpy,
pandas, scipy or matplotlib; scoring loads no scipy or matplotlib. Checked through
``sys.modules`` in a fresh interpreter, which does not depend on the machine's speed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "pandas", "scipy", "matplotlib", "yaml", "jsonschema", "pingouin",
         "factor_analyzer", "sklearn", "pyarrow")


def _loaded_after(code: str) -> set[str]:
    probe = (code + "\nimport sys, json\n"
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_loads_no_heavy_modules():
    assert not _loaded_after("import psychometrics") & set(HEAVY)


def _help(argv: list[str]) -> str:
    return ("import contextlib, io\nfrom psychometrics.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try:\n        main({argv!r})\n    except SystemExit:\n        pass\n")


@pytest.mark.parametrize("argv", [["--help"], ["score", "--help"], ["report", "--help"],
                                  ["cfa", "--help"], ["norms", "build", "--help"]])
def test_cli_help_loads_no_heavy_modules(argv):
    assert not _loaded_after(_help(argv)) & set(HEAVY)


def test_scoring_loads_no_scipy_or_matplotlib():
    loaded = _loaded_after(
        "import warnings\nimport psychometrics as pm\nwarnings.simplefilter('ignore')\n"
        "df = pm.read_export(pm.example_path('mbi-hss-qualtrics.csv'))\n"
        "pm.score(df, 'mbi-hss', items='Q1_{n}', id='ResponseId', on_invalid='missing')")
    assert "pandas" in loaded  # the probe did score
    assert not loaded & {"scipy", "matplotlib", "pingouin", "factor_analyzer", "sklearn"}
