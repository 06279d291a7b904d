"""Generate the worked-example notebooks in ``notebooks/`` (without outputs).

Run ``python scripts/make_notebooks.py`` from the repository root after changing a notebook's
cells here; the ``.ipynb`` files are generated, never edited by hand, so they stay in sync with
the package. ``tests/test_notebooks.py`` executes every notebook (nbclient, kernel
``python3``) so they cannot rot. They use only the bundled example data
(:func:`psychometrics.io.example_path`).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "notebooks"


def md(text: str):
    return new_markdown_cell(text.strip())


def code(text: str):
    return new_code_cell(text.strip())


SCORE_AND_NORM = [
    md("""
# 1. Scoring a survey export and applying a published norm

A prevention advisor ran the MBI-HSS in Qualtrics and exported the responses as CSV. This
notebook reads the export as it arrived, checks the item mapping, scores the three subscales,
applies a published norm set and summarises by department, with small departments suppressed.
The export is the bundled synthetic example `mbi-hss-qualtrics.csv` (no real respondents).
"""),
    code("""
import warnings
import pandas as pd
import psychometrics as pm
from psychometrics.io import example_path

export = pm.read_export(example_path("mbi-hss-qualtrics.csv"), id="ResponseId")
print(export.attrs["export"]["source"], export.shape)
export[["ResponseId", "Q1_1", "Q1_2", "Q1_3", "department", "incomplete"]].head()
"""),
    md("""
## Check the mapping before scoring

Qualtrics names the items `Q1_1` .. `Q1_22`. `match_items` says what it found and suggests a
pattern; it also reports cells that are not codes of the 0..6 scale.
"""),
    code("""
check = pm.match_items(export, "mbi-hss", id="ResponseId")
print(check.suggestion)
check = pm.match_items(export, "mbi-hss", items="Q1_{n}", id="ResponseId")
print(check.summary().splitlines()[0])
for problem in check.problems:
    print("-", problem)
"""),
    md("""
## Score

Three cells hold a 7 on the 0..6 scale. By default that is an error naming column, respondent
and value; with `on_invalid="missing"` they are scored as missing and listed in the report.
Sums with a missing item are prorated when enough items are answered.
"""),
    code("""
from psychometrics.errors import InvalidResponseError

try:
    pm.score(export, "mbi-hss", items="Q1_{n}", id="ResponseId")
except InvalidResponseError as err:
    print(str(err)[:160], "...")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the prorating note is in the report below
    scores = pm.score(export, "mbi-hss", items="Q1_{n}", id="ResponseId", on_invalid="missing")
report = scores.attrs["psychometrics"]
print(len(report["invalid"]), "invalid cells; prorated sums:", report["prorated"])
scores.head()
"""),
    md("""
## Apply a published norm

`mbi-hss-overall` holds the low / moderate / high bands that circulate from the 3rd-edition
manual era (sums). The manual itself calls such cut-offs arbitrary: describe, do not diagnose.
"""),
    code("""
print(pm.load_norms("mbi-hss-overall").summary()[:600])
normed = pm.apply_norms(scores, "mbi-hss-overall")
normed[["ResponseId", "EE", "EE_band", "DP", "DP_band", "PA", "PA_band"]].head()
"""),
    code("""
normed["EE_band"].value_counts()
"""),
    code("""
from psychometrics.rules import classify
burnout = classify(normed, "mbi-hss-overall-ee-plus-one", norms="mbi-hss-overall", id="ResponseId")
burnout["label"].value_counts(dropna=False)
"""),
    md("## Group summaries, small departments suppressed"),
    code("""
frame = scores.assign(department=export["department"])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the suppression warning; the table says it too
    groups = pm.summarise(frame, "department", min_group=10)
groups[groups["subscale"] == "EE"]
"""),
    md("""
## Everything in one report

`render_report` (or `psychometrics report` on the command line) puts data quality, scores,
reliability, the factor structure, classification counts and the group summaries in one
self-contained HTML file.
"""),
    code("""
rep = pm.render_report(export, "mbi-hss", items="Q1_{n}", id="ResponseId",
                       norms="mbi-hss-overall", by="department")
rep.save("mbi-hss-report.html")
print(rep.summary())
"""),
    code("""
# the same numbers as the functions' own results
rep.to_dict()["sections"]["reliability"]["data"]["subscales"]["EE"]["alpha"]
"""),
]

BUILD_NORMS = [
    md("""
# 2. Building Belgian norms from a new sample, raked to population margins

A research group collected MBI-HSS responses from 300 Belgian workers
(`validation-sample.csv`, synthetic). Women and Flemish respondents are over-represented, so the
sample is raked to population margins (`population-margins.yaml`: illustrative shares, not
official statistics) before norms are built. The norm set is saved as a YAML file and applied
to new respondents.
"""),
    code("""
import warnings
import yaml
import pandas as pd
import psychometrics as pm
from psychometrics.io import example_path

sample = pm.read_table(example_path("validation-sample.csv"), id="id")
margins = yaml.safe_load(example_path("population-margins.yaml").read_text())
print(margins)
sample[["sex", "age_group", "region"]].value_counts(normalize=True).head()
"""),
    md("## Raking weights"),
    code("""
weights = pm.rake(sample, margins)
check = pd.DataFrame({
    "sample": sample["region"].value_counts(normalize=True),
    "weighted": weights.groupby(sample["region"]).sum() / weights.sum(),
    "target": pd.Series(margins["region"])})
check.round(3)
"""),
    md("""
## Score and build the norms

`build_norms` rakes to the margins itself (`margins=`), writes per subscale the weighted score
distribution (exact percentile ranks), quartiles and five-level bands with bootstrap CIs. A
small bootstrap keeps this notebook fast; use the default 2000 for real norms.
"""),
    code("""
scores = pm.score(sample, "mbi-hss", id="id")
scores = scores.assign(sex=sample["sex"], age_group=sample["age_group"], region=sample["region"])
norms = pm.build_norms(scores, "mbi-hss", margins=margins, bootstrap=200, seed=1,
                       id="mbi-hss-be-example", name="MBI-HSS, Belgian workers (example)",
                       population="Belgian workers (synthetic example)", country="BE",
                       language="nl/fr", year=2024, source="examples/validation-sample.csv")
print(norms.summary()[:900])
"""),
    code("""
norms.table("EE").head(10)
"""),
    md("## Save the norm file and apply it to new respondents"),
    code("""
path = norms.to_file("mbi-hss-be-example.yaml")
reloaded = pm.load_norms(path)
new = pd.DataFrame({"EE": [12.0, 27.0, 40.0], "DP": [3.0, 9.0, 15.0], "PA": [44.0, 36.0, 25.0]})
# typed-in scores carry no record of how they were computed: say it (sums), it is never guessed
pm.apply_norms(new, reloaded, scale="sum")[["EE", "EE_pr", "EE_t", "EE_band", "PA", "PA_pr", "PA_band"]]
"""),
]

VALIDATE_CUTOFF = [
    md("""
# 3. Validating a cut-off against a criterion, with reliability and CFA

The 300 respondents of `validation-sample.csv` were also seen by a clinician (`diagnosis`:
burnout / no burnout). Before trusting a cut-off on the exhaustion score, check that the
subscales are reliable and that the three-factor structure holds, then estimate the ROC curve
and the optimal cut-off with confidence intervals.
"""),
    code("""
import warnings
import pandas as pd
import psychometrics as pm
from psychometrics.io import example_path

data = pm.read_table(example_path("validation-sample.csv"), id="id")
data["diagnosis"].value_counts()
"""),
    md("## Reliability per subscale, with item tables"),
    code("""
rel = pm.reliability(data, "mbi-hss", id="id")
rel.table[["k", "n", "alpha", "ci_low", "ci_high", "average_r", "sem"]].round(3)
"""),
    code("""
rel.items["EE"][["mean", "sd", "r_drop", "alpha_if_deleted"]].round(3)
"""),
    md("""
## Factor structure

The instrument's own measurement model (one factor per subscale), fitted to the reverse-keyed
items as lavaan's `cfa()` would.
"""),
    code("""
inst = pm.load_instrument("mbi-hss")
print(inst.cfa_model())
items = pd.concat(list(pm.keyed_items(data, inst, id="id").values()), axis=1)
fit = pm.cfa(items, inst.cfa_model(), estimator="MLR")
{k: round(fit.fit[k], 3) for k in ("chisq.scaled", "df", "cfi.robust", "tli.robust", "rmsea.robust", "srmr")}
"""),
    code("""
fit.std_loadings.round(2).head(9)
"""),
    md("## ROC curve and the optimal cut-off"),
    code("""
scores = pm.score(data, "mbi-hss", id="id")
roc = pm.roc(scores["EE"], data["diagnosis"], positive="burnout", n_boot=300, seed=1, band=True)
print(roc.summary())
"""),
    code("""
cut = pm.cutoffs(scores["EE"], data["diagnosis"], positive="burnout", n_boot=300, seed=1,
                 prevalence=0.10)
print(cut.summary())
cut.table.loc[cut.table["cutoff"].between(24, 36),
              ["cutoff", "sensitivity", "specificity", "ppv", "npv", "youden_j"]].round(3)
"""),
    code("""
import matplotlib
matplotlib.use("Agg")
from psychometrics.plots import plot_roc
fig = plot_roc(roc, cutoff=cut, title="Emotional exhaustion vs clinical diagnosis")
fig.savefig("roc-ee.png", dpi=96)
"""),
    md("""
## The same in one report

With a criterion the report adds the ROC curves and the cut-off table of every subscale
(personal accomplishment in its own direction: a *low* score is the burnout direction).
"""),
    code("""
rep = pm.render_report(data, "mbi-hss", id="id", norms="mbi-hss-overall",
                       criterion="diagnosis", positive="burnout", n_boot=200, seed=1)
rep.save("validation-report.html")
pd.DataFrame(rep.to_dict()["sections"]["criterion"]["data"]["subscales"]).T[
    ["auc", "auc_ci_low", "auc_ci_high", "cutoff", "sensitivity", "specificity"]]
"""),
]

NOTEBOOKS = {
    "01-score-and-norm.ipynb": SCORE_AND_NORM,
    "02-build-belgian-norms.ipynb": BUILD_NORMS,
    "03-validate-cutoff.ipynb": VALIDATE_CUTOFF,
}


def build(name: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=NOTEBOOKS[name])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):  # stable ids: regenerating gives identical files
        cell["id"] = f"{name[:2]}-{i:02d}"
    return nb


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name in NOTEBOOKS:
        nb = build(name)
        nbformat.validate(nb)
        nbformat.write(nb, OUT / name)
        print(f"wrote notebooks/{name} ({len(nb.cells)} cells)")


if __name__ == "__main__":
    main()
