"""``psychometrics irt``: models per subscale, --dif, --cutoff, --json, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.cli import main
from psychometrics.io import example_path

DATA = Path(__file__).parent / "data"
EE = ["mbi1", "mbi2", "mbi3", "mbi6", "mbi8", "mbi13", "mbi14", "mbi16", "mbi20"]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The bundled validation sample with a language column (Flanders NL, Wallonia FR)."""
    d = pd.read_csv(example_path("validation-sample.csv"))
    d["language"] = d["region"].map({"Flanders": "NL", "Wallonia": "FR"})
    path = tmp_path_factory.mktemp("irt") / "sample.csv"
    d.to_csv(path, index=False)
    return path, d


def test_pcm_with_dif_and_cutoff_json(capsys, sample):
    path, d = sample
    code, out, err = run(capsys, "irt", path, "-i", "mbi-hss", "--model", "pcm", "--subscale",
                         "EE", "--dif", "language", "--cutoff", "27", "--json")
    assert code == 0, err
    res = json.loads(out)
    ee = res["subscales"]["EE"]
    assert res["model"] == "pcm" and ee["items"] == EE
    # the same numbers as the Python API on the same items
    direct = pm.pcm(d[EE])
    assert ee["model"]["loglik"] == pytest.approx(direct.loglik, rel=1e-10)
    assert set(ee["itemfit"]) == set(EE)
    assert ee["dif"]["groups"] == {"FR": 51, "NL": 220}
    assert ee["dif"]["method"] == "pcm" and "global_test" in ee["dif"]
    cp = ee["cutoff_precision"]
    assert cp["cutoff"] == 27 and cp["raw"] == pytest.approx(27)
    assert 0.5 < cp["accuracy"]["accuracy"] < 1


def test_grm_all_subscales_summary(capsys, sample):
    path, d = sample
    code, out, err = run(capsys, "irt", path, "-i", "mbi-hss", "--model", "grm", "--dif",
                         "language")
    assert code == 0, err
    for sid in ("EE", "DP", "PA"):
        assert f"== {sid}" in out
    assert "Graded response model" in out and "DIF by 'language' (logistic" in out
    direct = pm.grm(d[EE])
    code, out, _ = run(capsys, "irt", path, "-i", "mbi-hss", "-m", "grm", "--subscale", "EE",
                       "--json")
    got = json.loads(out)["subscales"]["EE"]["model"]
    np.testing.assert_allclose([got["item_params"][i]["a"] for i in EE],
                               direct.item_params["a"], rtol=1e-10)


def test_rasch_family_recodes_to_zero_based(capsys, tmp_path):
    """CBI items are scored 0, 25, ..., 100 and subscales are means: categories 0..4 for CML,
    and the cut-off 50 (mean) is a raw category sum of 2 per item."""
    code, out, err = run(capsys, "irt", example_path("cbi-spss.sav"), "-i", "cbi", "--form",
                         "never-first", "-m", "pcm", "--subscale", "PB", "--cutoff", "50",
                         "--json")
    assert code == 0, err
    pb = json.loads(out)["subscales"]["PB"]
    assert (pb["category_offset"], pb["category_step"]) == (0.0, 25.0)
    assert pb["cutoff_precision"]["raw"] == pytest.approx(50)
    n_items = len(pb["items"])
    d = pm.read_export(example_path("cbi-spss.sav"))
    fitted = pm.pcm(pm.keyed_items(d, "cbi", form="never-first")["PB"] / 25)
    expected = pm.cutoff_precision(fitted, 2 * n_items, scale="raw")
    assert pb["cutoff_precision"]["theta"] == pytest.approx(expected.theta, abs=1e-9)


@pytest.mark.parametrize("argv, message", [
    (["-m", "pcm", "--dif", "nope"], "no DIF group column 'nope'"),
    (["-m", "pcm", "--dif", "region"], "compares two groups"),
    (["-m", "pcm", "--cutoff", "20"], "a cut-off belongs to one subscale"),
    (["-m", "grm", "--subscale", "XX"], "has no subscale"),
    (["-m", "grm", "--subscale", "EE", "--cutoff", "0"], "outside the open score range"),
])
def test_errors_are_one_line(capsys, sample, argv, message):
    path, _ = sample
    code, out, err = run(capsys, "irt", path, "-i", "mbi-hss", *argv)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_bad_model_is_an_argparse_error(capsys, sample):
    path, _ = sample
    with pytest.raises(SystemExit):
        main(["irt", str(path), "-i", "mbi-hss", "-m", "2pl"])
