"""The IRT report section: figures embedded, tables, DIF; the opt-in hook of render_report."""

from __future__ import annotations

import re

import matplotlib
import pandas as pd

import psychometrics as pm
from psychometrics.io import example_path
from psychometrics.irt.report import irt_html

matplotlib.use("Agg")


def _sample():
    d = pd.read_csv(example_path("validation-sample.csv"))
    d["language"] = d["region"].map({"Flanders": "NL", "Wallonia": "FR"})
    return d


def test_section_of_one_model_with_dif_and_precision():
    d = _sample()
    EE = ["mbi1", "mbi2", "mbi3", "mbi6", "mbi8", "mbi13", "mbi14", "mbi16", "mbi20"]
    g = pm.grm(d[EE])
    dif = pm.dif(d[EE], d["region"])
    html = irt_html(g, dif=dif, precision=pm.cutoff_precision(g, 27))
    assert len(re.findall(r'<img alt="[^"]*" src="data:image/png;base64,', html)) >= 2
    assert 'id="tbl-irt-params"' in html and 'id="tbl-irt-dif"' in html
    assert "At the cut-off 27" in html and "Rudner" in html
    for item in EE:
        assert f"<th>{item}</th>" in html


def test_render_report_opt_in_irt_section():
    d = _sample()
    rep = pm.render_report(d, "mbi-hss", id="id", n_boot=0, progress=False,
                           irt={"model": "pcm", "dif": "language", "subscales": ["EE"],
                                "cutoff": 27})
    sec = rep.section("irt")
    assert sec.status == "ok", sec.message
    assert sec.data["subscales"]["EE"]["dif"]["groups"] == {"FR": 51, "NL": 220}
    assert 'id="sec-irt"' in rep.html and 'id="tbl-irt-EE-fit"' in rep.html
    plain = pm.render_report(d, "mbi-hss", id="id", n_boot=0, progress=False)
    assert "irt" not in [s.id for s in plain.sections]
