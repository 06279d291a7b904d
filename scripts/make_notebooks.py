"""Generate the worked-example notebooks in ``notebooks/`` (without outputs).

Run ``python scripts/make_notebooks.py`` from the repository root after changing a notebook's
cells here (or after a change that alters their outputs): it writes the ``.ipynb`` files
executed, with their outputs and figures, so they read well on GitHub. The files are generated,
never edited by hand. ``tests/test_notebooks.py`` executes every notebook again (nbclient,
kernel ``python3``) and fails when an output changed beyond the tolerance of
:func:`differences`, so a notebook can neither rot nor silently show stale numbers. They use only the bundled example data
(:func:`psychometrics.io.example_path`).
"""

from __future__ import annotations

import re
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

`mbi-hss-overall` holds the low / average / high bands that circulate from the 3rd-edition
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
from psychometrics.classify import classify
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
## Score and build the norms, stratified by language and sex

The questionnaire was answered in Dutch or French. The example file has no language column, so
this notebook takes it from the region (Flanders: Dutch; Wallonia and Brussels: French), an
assumption of this illustration only. `build_norms` rakes to the margins itself (`margins=`)
and writes, for the whole sample and for every language x sex stratum, the weighted score
distribution (exact percentile ranks), quartiles and five-level bands with bootstrap CIs.
French-speaking men are only 27 here, so `min_n=25` keeps their stratum (the default 50 would
suppress it, with a warning). A small bootstrap keeps this notebook fast; use the default 2000
for real norms.
"""),
    code("""
sample["language"] = sample["region"].map({"Flanders": "nl", "Wallonia": "fr", "Brussels": "fr"})
print(pd.crosstab(sample["language"], sample["sex"]))
scores = pm.score(sample, "mbi-hss", id="id")
norms = pm.build_norms(scores, "mbi-hss", by=["language", "sex"], margins=margins,
                       data=sample, bootstrap=200, seed=1, min_n=25,
                       id="mbi-hss-be-example", name="MBI-HSS, Belgian workers (example)",
                       population="Belgian workers (synthetic example)", country="BE",
                       language="nl/fr", year=2024, source="examples/validation-sample.csv")
print(norms.summary()[:1200])
"""),
    md("""
## The bootstrap confidence intervals of the norms

Every percentile of every stratum comes with its percentile-bootstrap CI (200 resamples, seed
1). Wide intervals in the small strata are the reason to publish them next to the norms.
"""),
    code("""
doc = norms.to_dict()
cis = pd.DataFrame([
    {"stratum": ", ".join(f"{k}={v}" for k, v in e["stratum"].items()) or "overall",
     "subscale": sid, "percentile": p, **q}
    for e in doc["norms"] for sid, sub in e["subscales"].items()
    for p, q in sub["quantiles"].items()])
print(f"{doc['created']['bootstrap']} resamples, seed {doc['created']['seed']}, "
      f"level {doc['created']['level']}")
cis[cis["subscale"] == "EE"].set_index(["stratum", "percentile"])[["value", "ci_low", "ci_high"]]
"""),
    code("""
norms.table("EE", language="fr", sex="M").head(10)
"""),
    md("""
## Save the norm file and apply it to new respondents

New respondents are normed against their own stratum (`by`: norm stratum -> data column). On the
command line the same is `psychometrics score FILE -i mbi-hss --norms mbi-hss-be-example.yaml
--norm-by language --norm-by sex`.
"""),
    code("""
path = norms.to_file("mbi-hss-be-example.yaml")
reloaded = pm.load_norms(path)
new = pd.DataFrame({"EE": [12.0, 27.0, 40.0], "DP": [3.0, 9.0, 15.0], "PA": [44.0, 36.0, 25.0],
                    "language": ["nl", "fr", "fr"], "sex": ["F", "M", "F"]})
# typed-in scores carry no record of how they were computed: say it (sums), it is never guessed
pm.apply_norms(new, reloaded, norm_by={"language": "language", "sex": "sex"}, scale="sum")[
    ["language", "sex", "EE", "EE_pr", "EE_band", "PA", "PA_pr", "PA_band"]]
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
    md("""
## Predictive values at a stated prevalence

The clinic sample holds 29% cases; in the working population the prevalence is nearer 10%.
PPV and NPV depend on it, sensitivity and specificity do not. At the optimal cut-off:
"""),
    code("""
b = cut.best
print(f"cut-off >= {b['cutoff']:g}: sensitivity {b['sensitivity']:.3f} "
      f"[{b['sensitivity_ci_low']:.3f}, {b['sensitivity_ci_high']:.3f}], specificity "
      f"{b['specificity']:.3f} [{b['specificity_ci_low']:.3f}, {b['specificity_ci_high']:.3f}] (Wilson)")
print(f"at a prevalence of 10%: PPV {b['ppv']:.3f} [{b['ppv_ci_low']:.3f}, {b['ppv_ci_high']:.3f}], "
      f"NPV {b['npv']:.3f} [{b['npv_ci_low']:.3f}, {b['npv_ci_high']:.3f}]")
prevalence = [0.05, 0.10, 0.20, 0.30]
pd.DataFrame({"prevalence": prevalence,
              **pm.predictive_values(b["sensitivity"], b["specificity"], prevalence)}).round(3)
"""),
    md("""
## Two scores compared: paired DeLong test

Does emotional exhaustion separate cases from non-cases better than depersonalization? Both
were measured on the same respondents, so the AUCs are compared with the paired DeLong test
(`pROC::roc.test(..., method = "delong", paired = TRUE)`). On the command line:
`psychometrics cutoff scores.csv --score EE --compare DP --criterion diagnosis --positive burnout`.
"""),
    code("""
test = pm.roc_test(scores["EE"], scores["DP"], data["diagnosis"], positive="burnout")
print(test.summary())
print(f"difference {test.difference:.3f} [{test.ci_low:.3f}, {test.ci_high:.3f}], "
      f"z = {test.z:.2f}, p = {test.pvalue:.4f}")
"""),
    code("""
import matplotlib
matplotlib.use("Agg")
from psychometrics.diagnostic import plot_roc
fig = plot_roc(roc, cutoff=cut, title="Emotional exhaustion vs clinical diagnosis")
fig.savefig("roc-ee.png", dpi=96)
from IPython.display import Image
Image(filename="roc-ee.png")
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

IRT = [
    md("""
# 4. Rasch and IRT analysis of the exhaustion subscale, DIF by language, and the cut-off

A validation study goes beyond alpha and CFA: does the MBI-HSS emotional exhaustion (EE)
subscale fit the partial credit (Rasch) model, do its items work the same in Dutch and in
French, and how precisely does it measure where the cut-off sits? The 300 respondents of the
bundled `validation-sample.csv` (synthetic) come from Flanders, Wallonia and Brussels; here
the region stands in for the questionnaire's language (Flanders = NL, Wallonia = FR, Brussels
left out of the language comparison).
"""),
    code("""
import matplotlib
matplotlib.use("Agg")
import pandas as pd
import psychometrics as pm
from psychometrics.io import example_path

data = pm.read_table(example_path("validation-sample.csv"), id="id")
data["language"] = data["region"].map({"Flanders": "NL", "Wallonia": "FR"})
ee = pm.keyed_items(data, "mbi-hss", id="id")["EE"]      # answers 0..6, 9 items
print(ee.shape, data["language"].value_counts(dropna=False).to_dict())
"""),
    md("""
## Partial credit model by conditional ML (as eRm)

Item locations and thresholds in eRm's normalisation, the conditional log-likelihood, item
fit (outfit/infit mean squares: near 1 is good, below 0.7 overfit, above 1.3 misfit) and
Andersen's likelihood-ratio test with a median split (as eRm, items that do not show every
category in both halves are left out of that test, with a warning).
"""),
    code("""
pcm = pm.pcm(ee)
print(pcm.summary())
"""),
    code("""
pcm.itemfit()[["outfit_msq", "infit_msq", "outfit_t", "infit_t"]].round(2)
"""),
    code("""
lr = pcm.lr_test("median")
print(f"Andersen LR (median split) = {lr.lr:.2f}, df = {lr.df}, p = {lr.pvalue:.3f}")
print("person separation reliability:", round(pcm.separation_reliability()["reliability"], 3))
"""),
    md("""
## Targeting: the item-person map

Persons (left) and item thresholds (right) on one logit scale: where the items measure versus
where the respondents are.
"""),
    code("""
fig = pm.plot_item_person_map(pcm, title="MBI-HSS EE: item-person map (PCM)")
fig.savefig("ee-item-person-map.png", dpi=96)
"""),
    md("""
## Differential item functioning between NL and FR

Two routes: the Rasch family's Wald test per item category between the two language groups
(with the global Andersen LR test by language), and ordinal logistic regression DIF as lordif
does it (uniform and non-uniform DIF, pseudo-R2 changes, purified matching score). With 51
French-speaking respondents the power is modest: a real validation study needs larger groups.
"""),
    code("""
dif_pcm = pm.dif(ee, data["language"], model="pcm")
print(dif_pcm.summary())
"""),
    code("""
dif_olr = pm.dif(ee, data["language"])
dif_olr.table[["chi12", "p12", "chi23", "p23", "mcfadden_13", "beta12", "flagged"]].round(4)
"""),
    md("""
## Where does the cut-off sit on the information curve?

The graded response model (marginal ML) gives item and test information along theta. A
common high-exhaustion cut-off is EE >= 27: converted to theta through the test characteristic
curve, it is marked on the curve with the SE of measurement there, and Rudner's expected
classification accuracy and consistency say how reliably the subscale separates people at it.
"""),
    code("""
grm = pm.grm(ee)
print(grm.summary())
prec = pm.cutoff_precision(grm, 27)
print(prec.summary())
"""),
    code("""
fig = pm.plot_information(grm, cutoff=27, title="MBI-HSS EE: information and SE (GRM)")
fig.savefig("ee-information.png", dpi=96)
"""),
    code("""
# the same for the Rasch model, and a cut-off far from where the items measure
pd.DataFrame({cut: {"theta": p.theta, "SE": p.sem, "accuracy": p.accuracy.accuracy,
                    "consistency": p.accuracy.consistency}
              for cut in (15, 27, 45) for p in [pm.cutoff_precision(pcm, cut)]}).T.round(3)
"""),
    md("""
## All of it for every subscale, and as a report section

`irt_analysis` runs the model per subscale with DIF and the cut-off (what the command
`psychometrics irt FILE -i mbi-hss --model pcm --dif language --subscale EE --cutoff 27`
prints); `irt_html` gives the HTML section with the figures embedded.
"""),
    code("""
from psychometrics.irt.report import irt_html

res = pm.irt_analysis(data, "mbi-hss", model="pcm", dif="language", subscales=["EE"],
                      cutoff=27, id="id")
with open("ee-irt-section.html", "w", encoding="utf-8") as fh:
    fh.write(irt_html(res))
print(res.subscales["EE"].precision.summary())
"""),
]

NOTEBOOKS = {
    "01-score-and-norm.ipynb": SCORE_AND_NORM,
    "02-build-belgian-norms.ipynb": BUILD_NORMS,
    "03-validate-cutoff.ipynb": VALIDATE_CUTOFF,
    "04-irt.ipynb": IRT,
}


def build(name: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=NOTEBOOKS[name])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):  # stable ids: regenerating gives identical files
        cell["id"] = f"{name[:2]}-{i:02d}"
    return nb


def execute(nb: nbformat.NotebookNode, workdir: Path, timeout: int = 300) -> nbformat.NotebookNode:
    """Run a notebook in ``workdir`` with this checkout's package (kernel ``python3``)."""
    import os

    import nbclient

    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = str(ROOT) + (os.pathsep + env_path if env_path else "")
    try:
        nbclient.NotebookClient(nb, kernel_name="python3", timeout=timeout,
                                resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        if env_path:
            os.environ["PYTHONPATH"] = env_path
        else:
            os.environ.pop("PYTHONPATH", None)
    return nb


_NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?|-?\d+(?:e[-+]?\d+)?")
_PATH = re.compile(r"(?:[A-Za-z]:)?[^\s'\"]*[/\\](psychometrics[/\\][^\s'\":]+)")


def output_text(cell) -> list[str]:
    """The comparable text of a code cell's outputs: stream and text/plain parts (paths cut to
    the package-relative part), and one marker per image (images are not compared pixel by
    pixel: fonts differ between machines)."""
    out = []
    last_stream = None
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":
            # a kernel may split one print's text over several stream messages: join them
            text = _PATH.sub(r"\1", o["text"])
            if last_stream == o["name"]:
                out[-1] += text
            else:
                out.append(f"[{o['name']}] " + text)
            last_stream = o["name"]
            continue
        last_stream = None
        if o["output_type"] in ("execute_result", "display_data"):
            data = o.get("data", {})
            if "image/png" in data:
                out.append("[image]")
            if "text/plain" in data:
                out.append(_PATH.sub(r"\1", data["text/plain"]))
        elif o["output_type"] == "error":
            out.append(f"[error] {o['ename']}: {o['evalue']}")
    return out


_KERNEL_FILE = re.compile(r"\S*ipykernel_\d+[/\\]\d+\.py:\d+")


def differences(committed: nbformat.NotebookNode, fresh: nbformat.NotebookNode,
                rel: float = 1e-6) -> list[str]:
    """Where a fresh run's outputs differ from the committed ones beyond the tolerance.

    Text must match exactly once numbers are taken out; every number must agree within one
    unit of its last printed digit or ``rel`` (whichever is larger), so a printed value may
    flip in its last digit across BLAS builds but never drift.
    """
    found = []
    for i, (a, b) in enumerate(zip(committed.cells, fresh.cells)):
        if a.cell_type != "code":
            continue
        # a warning's location names the kernel's process id: noise, not an output
        ta, tb = (_KERNEL_FILE.sub("<cell>", "\n".join(output_text(c))) for c in (a, b))
        if _NUMBER.sub("#", ta) != _NUMBER.sub("#", tb):
            found.append(f"cell {i}: text differs:\n--- committed\n{ta[:1500]}\n--- now\n{tb[:1500]}")
            continue
        for x, y in zip(_NUMBER.findall(ta), _NUMBER.findall(tb)):
            if "." in x and "e" not in x.lower():  # a rounded decimal: its last digit may flip
                digits = len(x.split(".")[1])
                tol = max(10.0 ** -digits * 1.0000001, rel * abs(float(x)))
            else:  # counts and exponent forms: no flip allowed beyond rel
                tol = rel * abs(float(x))
            if abs(float(x) - float(y)) > tol:
                found.append(f"cell {i}: {x} is now {y}")
    if len(committed.cells) != len(fresh.cells):
        found.append(f"{len(committed.cells)} cells committed, {len(fresh.cells)} now")
    return found


def main(argv: list[str] | None = None) -> None:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description="Generate (and execute) the notebooks.")
    parser.add_argument("--no-execute", action="store_true",
                        help="write the notebooks without outputs")
    parser.add_argument("names", nargs="*", help="only these notebooks (default: all)")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    for name in args.names or NOTEBOOKS:
        nb = build(name)
        nbformat.validate(nb)
        if not args.no_execute:
            with tempfile.TemporaryDirectory() as work:
                execute(nb, Path(work))
            for cell in nb.cells:  # no run-specific metadata in the committed files
                cell.metadata.pop("execution", None)
        nbformat.write(nb, OUT / name)
        print(f"wrote notebooks/{name} ({len(nb.cells)} cells"
              + (", executed)" if not args.no_execute else ")"))


if __name__ == "__main__":
    main()
