"""Every call the web app makes into psychometrics, in one place.

The app computes nothing itself: the functions here read an upload, check its mapping and run
one journey through the package's public API (``pm.read_export``, ``pm.match_items``,
``pm.score``, ``pm.apply_norms``, ``pm.classify``, ``pm.build_norms``, ``pm.roc``,
``pm.cutoffs``, ``pm.roc_test``, ``pm.reliability``, ``pm.cfa``, ``pm.invariance``,
``pm.write_table``, ``pm.render_report``). When those functions change (new keywords,
writers), this is the one module to adapt.

The ``run_*`` functions are the long steps: they run in a worker process
(:mod:`psychometrics.app.jobs`), report progress through ``progress(text)``, and return plain
picklable results (DataFrames, text, PNG images as base64). Warnings the package emits while
computing (uncertain keys, prorated sums, strata left out) are collected and shown on the
result page, never dropped.
"""

from __future__ import annotations

import base64
import io
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import psychometrics as pm
from psychometrics.errors import DataError, InstrumentError, PsychometricsError

os.environ.setdefault("MPLBACKEND", "Agg")  # figures are PNG files; never open a window

Progress = Callable[[str], None]

#: Most rows shown in a table on a page (the downloads hold every row).
PAGE_ROWS = 50


def _quiet(text: str) -> None:
    """The progress callback when nobody listens."""


@dataclass(frozen=True)
class Setup:
    """What the user confirmed on the mapping screen: enough to re-read and score the upload.

    Attributes
    ----------
    instrument : str
        Instrument id.
    items : dict
        Instrument item id -> export column (the YAML the CLI reads under ``items:``).
    id : str or None
        Respondent id column.
    form : str or None
        Answer-direction form, for instruments published with several.
    missing_codes : list of float
        Survey-tool codes meaning "no answer".
    source : str
        The export flavour (``"auto"`` recognises it).
    """

    instrument: str
    items: dict
    id: str | None = None
    form: str | None = None
    missing_codes: list = field(default_factory=list)
    source: str = "auto"


# ---- reading and mapping (fast: run in the request) ----------------------------------------

def read(path: str | Path, *, source: str = "auto", id: str | None = None) -> pd.DataFrame:
    """The upload as :func:`psychometrics.read_export` reads it."""
    return pm.read_export(path, source=source, id=id)


def instrument_forms(instrument: str) -> dict[str, str]:
    """Form id -> description for an instrument published with several answer directions
    (the forms from :func:`psychometrics.norms.instrument_forms`; an unknown id is an error)."""
    from psychometrics.norms import instrument_forms as forms_of

    if instrument not in pm.list_instruments():
        raise InstrumentError(f"unknown instrument {instrument!r}; shipped instruments: "
                              f"{', '.join(pm.list_instruments())}")
    return {k: str(v.get("description", k)) for k, v in forms_of(instrument).items()}


def load(instrument: str, form: str | None = None):
    """The instrument, quietly (its uncertainty warnings are shown where it is used)."""
    if form is None:
        forms = instrument_forms(instrument)
        form = next(iter(forms), None)  # only to list items; scoring always asks for the form
    return pm.load_instrument(instrument, form=form, warn=False)


def suggest_id(frame: pd.DataFrame) -> str | None:
    """A column that looks like a respondent id: named ``id``/``...Id`` with unique values."""
    for c in frame.columns:
        name = str(c)
        if re.fullmatch(r"(?i)(.*[_ ]?id|respondent|resp|respondent_?nr)", name) and \
                frame[c].notna().all() and frame[c].is_unique:
            return name
    return None


@dataclass(frozen=True)
class Suggestion:
    """One instrument candidate for an upload, ranked by how well its items are found."""

    instrument: str
    name: str
    items: dict
    found: int
    n_items: int
    unmapped: int
    invalid: int

    @property
    def complete(self) -> bool:
        return self.found == self.n_items


def suggest_instruments(frame: pd.DataFrame, *, filename: str = "",
                        id: str | None = None) -> list[Suggestion]:
    """Every shipped instrument, ranked: all items found first, then fewest unmapped
    item-like columns, fewest invalid cells, most items; an instrument id in the file name
    breaks ties (MBI-HSS and MBI-ES have the same columns and codes). From ``match_items``:
    item ids as columns, or its suggested pattern (``Q1_{n}``) when they are not."""
    out = []
    stem = filename.casefold()
    for iid in pm.list_instruments():
        try:
            inst = load(iid)
            rep = pm.match_items(frame, inst, id=id)
            items = rep.expected
            if rep.missing and rep.suggestion is not None:
                rep = pm.match_items(frame, inst, items=rep.suggestion, id=id)
                items = rep.expected
        except PsychometricsError:  # an instrument this export cannot be checked against
            continue
        if not rep.found:
            continue
        out.append(Suggestion(iid, inst.name, dict(items), len(rep.found), len(rep.expected),
                              len(rep.unmapped),
                              sum(d["count"] for d in rep.invalid.values())))
    out.sort(key=lambda s: (not s.complete, s.unmapped, s.invalid, -s.found,
                            s.instrument not in stem, s.instrument))
    return out


def match(frame: pd.DataFrame, setup: Setup):
    """The mapping check (:func:`psychometrics.match_items`) of the confirmed mapping."""
    return pm.match_items(frame, setup.instrument, items=setup.items, id=setup.id,
                          form=setup.form)


def mapping_yaml(setup: Setup) -> str:
    """The mapping as the YAML file ``--items`` and ``items=`` read."""
    head = (f"# Item mapping for {setup.instrument}: instrument item id -> export column.\n"
            f"# Use it with: psychometrics score FILE -i {setup.instrument} --items THIS_FILE"
            + (f" --form {setup.form}" if setup.form else "")
            + (f" --id {setup.id}" if setup.id else "") + "\n")
    return head + yaml.safe_dump({"items": dict(setup.items)}, sort_keys=False,
                                 allow_unicode=True)


def read_mapping(path: str | Path, instrument: str, form: str | None = None) -> dict:
    """A mapping YAML file (a dict, ``items:`` dict or a pattern) as item -> column."""
    from psychometrics.scoring import item_mapping

    return item_mapping(load(instrument, form), str(path))


def _warned(caught) -> list[str]:
    return list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))


def _score(frame: pd.DataFrame, setup: Setup, *, on_invalid: str = "missing") -> pd.DataFrame:
    return pm.score(frame, setup.instrument, items=setup.items, id=setup.id,
                    on_invalid=on_invalid, missing_codes=setup.missing_codes or None,
                    form=setup.form)


def found(frame: pd.DataFrame, setup: Setup) -> dict:
    """What the checks found before scoring: the mapping check, invalid cells with their
    rows, incomplete responses and missing answers per item."""
    rep = match(frame, setup)
    out = {"match": rep, "problems": rep.problems, "invalid_cells": [], "warnings": [],
           "incomplete": [], "missing": None, "n": len(frame)}
    export = frame.attrs.get("export") or {}
    rows = list(frame[setup.id]) if setup.id else list(frame.index)
    out["incomplete"] = [rows[i] for i in export.get("incomplete", [])]
    if export.get("user_missing"):
        out["user_missing"] = export["user_missing"]
    if rep.missing:
        return out
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scores = _score(frame, setup)
    out["warnings"] = _warned(caught)
    out["invalid_cells"] = list(scores.attrs["psychometrics"]["invalid"])
    cols = list(setup.items.values())
    miss = frame[cols].isna().sum()
    out["missing"] = pd.DataFrame({"item": list(setup.items), "column": cols,
                                   "missing": miss.to_numpy()})
    out["no_score"] = {s: int(scores[s].isna().sum())
                       for s in scores.columns if f"{s}_n" in scores.columns}
    return out


# ---- figures -------------------------------------------------------------------------------

def _png(fig) -> str:
    """A matplotlib figure as a base64 PNG (closed afterwards)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)  # a Figure made without pyplot is not registered there; closing is harmless
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _histograms(scores: pd.DataFrame, subs: Sequence[str], title: str) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.2 * len(subs), 2.6))
    axes = fig.subplots(1, len(subs), squeeze=False)
    for ax, s in zip(axes[0], subs):
        x = scores[s].dropna().to_numpy(dtype=float)
        ax.hist(x, bins=min(20, max(5, len(np.unique(x)))), color="#4a7ab0")
        ax.set_title(f"{title}: {s}", fontsize="medium")
    fig.tight_layout()
    return _png(fig)


# ---- the journeys (long steps: run in a worker process) ------------------------------------

def run_score(path: str, setup: Setup, *, norms: str | None = None,
              norm_by: Mapping[str, str] | None = None, rule: str | None = None,
              lang: str = "en", progress: Progress = _quiet) -> dict:
    """Journey 1: scores, then norms (PR, T, stanine, bands, quartile flags), then a rule."""
    progress("reading the export")
    frame = read(path, source=setup.source, id=setup.id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        progress("scoring")
        scores = _score(frame, setup)
        table = scores
        if norms:
            progress("applying the norms")
            table = pm.apply_norms(scores, norms, norm_by=None if norm_by is None else dict(norm_by),
                                   lang=lang, data=frame)
        classes = None
        if rule:
            progress("classifying")
            classes = pm.classify(scores, rule, norms=norms or None,
                                  norm_by=None if norm_by is None else dict(norm_by),
                                  lang=lang, data=frame)
            table = table.join(classes[["level", "label", "positive", "reason"]]
                               .add_prefix(f"{rule}_"))
    subs = [s for s in scores.columns if f"{s}_n" in scores.columns]
    counts = {}
    for c in table.columns:
        if c.endswith("_band") or c.endswith("_label") or c.endswith("_top_quartile"):
            counts[c] = table[c].astype("string").fillna("-").value_counts(sort=False).to_dict()
    progress("drawing")
    return {"scores": scores, "table": table, "subscales": subs, "band_counts": counts,
            "warnings": _warned(caught), "invalid": scores.attrs["psychometrics"]["invalid"],
            "n": len(table), "figures": [_histograms(scores, subs, setup.instrument)]}


def run_report(path: str, setup: Setup, *, norms: str | None = None,
               norm_by: Mapping[str, str] | None = None, by: Sequence[str] = (),
               lang: str = "en", progress: Progress = _quiet) -> dict:
    """The self-contained HTML report of :func:`psychometrics.render_report`."""
    progress("reading the export")
    frame = read(path, source=setup.source, id=setup.id)
    progress("making the report: quality, scores, norms, reliability, CFA")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rep = pm.render_report(frame, setup.instrument, items=setup.items, id=setup.id,
                               form=setup.form, missing_codes=setup.missing_codes or None,
                               norms=norms or None, norm_by=None if norm_by is None else dict(norm_by),
                               by=list(by) or None, lang=lang, progress=False)
    return {"report": rep, "warnings": _warned(caught)}


#: The report formats offered for download: ``Report.save`` writes each by its extension.
REPORT_FORMATS = ("html", "docx")


def save_report(report, path: str | Path) -> Path:
    """Write a :class:`psychometrics.Report` (``Report.save``, by the file's extension)."""
    return report.save(path)


def write(table: pd.DataFrame, path: str | Path, *, id: str | None = None,
          lang: str = "en") -> Path:
    """A result table as CSV, xlsx, sav or JSON (:func:`psychometrics.write_table`)."""
    return pm.write_table(table, path, id=id, lang=lang)


def run_build_norms(path: str, setup: Setup, output: str, *, by: Sequence[str] = (),
                    margins: Mapping | None = None, bootstrap: int = 1000, seed: int = 1,
                    population: str = "", country: str = "", min_n: int = 50,
                    progress: Progress = _quiet) -> dict:
    """Journey 2: a norm set from the upload (strata, raking to margins, bootstrap CIs),
    written to ``output`` as the YAML norm file ``load_norms``/``--norms`` read."""
    progress("reading the export")
    frame = read(path, source=setup.source, id=setup.id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        progress("scoring")
        scores = _score(frame, setup)
        needed = list(dict.fromkeys(list(by) + list(margins or {})))
        absent = [c for c in needed if c not in frame.columns]
        if absent:
            raise DataError(f"column(s) {absent} are not in the upload; columns: "
                            f"{', '.join(map(str, frame.columns[:20]))}")
        progress(f"building the norms ({bootstrap} bootstrap resamples)")
        ns = pm.build_norms(scores, setup.instrument, by=list(by) or None,
                            margins=dict(margins) if margins else None,
                            data=frame[needed] if needed else None, bootstrap=bootstrap,
                            seed=seed, min_n=min_n, population=population, country=country)
    ns.to_file(output)
    rows = []
    for e in ns.entries:
        for sid, sn in e.subscales.items():
            q = ns.doc["norms"][ns.entries.index(e)]["subscales"][sid].get("quantiles", {})
            row = {"stratum": ", ".join(f"{k}={v}" for k, v in e.stratum.items()) or "overall",
                   "subscale": sid, "n": sn.n}
            for key, d in q.items():
                row[key] = d["value"]
                row[f"{key} CI"] = f"{d['ci_low']:g} - {d['ci_high']:g}" \
                    if d.get("ci_low") is not None else "-"
            rows.append(row)
    table = pd.DataFrame(rows)
    subs = [s for s in scores.columns if f"{s}_n" in scores.columns]
    return {"id": ns.id, "summary": ns.summary(), "table": table, "output": str(output),
            "warnings": _warned(caught), "n": len(frame), "weighting": ns.doc.get("weighting"),
            "figures": [_histograms(scores, subs, ns.id)]}


def run_validate(path: str, setup: Setup, *, scores: Sequence[str], criterion: str,
                 positive: str | None, prevalence: float | None = None,
                 method: str = "youden", n_boot: int = 1000, seed: int = 1,
                 progress: Progress = _quiet) -> dict:
    """Journey 3: ROC, AUC with DeLong and bootstrap CIs, the cut-off table with
    sensitivity/specificity/PPV/NPV at ``prevalence``, and a paired DeLong test of two
    scores."""
    import matplotlib.pyplot as plt

    if not scores or len(scores) > 2:
        raise DataError("choose one score, or two to compare their AUCs")
    progress("reading the export")
    frame = read(path, source=setup.source, id=setup.id)
    if criterion not in frame.columns:
        raise DataError(f"criterion column {criterion!r} is not in the upload")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        progress("scoring")
        scored = _score(frame, setup)
        values = {}
        for s in scores:
            if s in scored.columns:
                values[s] = scored[s]
            elif s in frame.columns:
                values[s] = frame[s]
            else:
                raise DataError(f"score {s!r} is neither a subscale nor a column of the upload")
        y = frame[criterion]
        out = {"rocs": {}, "cutoffs": {}, "tables": {}, "figures": [], "test": None}
        for s, x in values.items():
            progress(f"ROC of {s} ({n_boot} bootstrap resamples)")
            r = pm.roc(x, y, positive=positive, n_boot=n_boot, seed=seed,
                       ci_method="bootstrap" if n_boot > 0 else "delong", band=n_boot > 0)
            c = pm.cutoffs(x, y, positive=positive, method=method, prevalence=prevalence,
                           n_boot=n_boot, seed=seed)
            out["rocs"][s], out["cutoffs"][s] = r, c
            out["figures"].append(_png(pm.plot_roc(r, cutoff=c, title=s)))
        if len(values) == 2:
            progress("DeLong test")
            a, b = values.values()
            out["test"] = pm.roc_test(a, b, y, positive=positive)
    plt.close("all")
    out["warnings"] = _warned(caught)
    return out


def run_check(path: str, setup: Setup, *, group: str | None = None, estimator: str = "ML",
              irt: str | None = None, progress: Progress = _quiet) -> dict:
    """Journey 4: reliability of every subscale, the CFA of the instrument's own model and,
    with a group column, measurement invariance across its groups; with ``irt`` (a model of
    :func:`psychometrics.irt_analysis`), IRT per subscale with DIF by the group column."""
    import matplotlib.pyplot as plt

    from psychometrics.scoring import item_frame

    progress("reading the export")
    frame = read(path, source=setup.source, id=setup.id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        progress("reliability")
        rel = pm.reliability(frame, setup.instrument, items=setup.items, on_invalid="missing",
                             form=setup.form, id=setup.id)
        inst = pm.load_instrument(setup.instrument, form=setup.form, warn=False)
        items = item_frame(frame, inst, items=setup.items, id=setup.id, on_invalid="missing",
                           missing_codes=setup.missing_codes or None)
        progress(f"CFA ({estimator})")
        fit = pm.cfa(items, inst, estimator=estimator)
        inv = None
        if group:
            if group not in frame.columns:
                raise DataError(f"group column {group!r} is not in the upload")
            progress(f"invariance by {group}")
            inv = pm.invariance(items.assign(**{group: frame[group].to_numpy()}), inst, group,
                                estimator=estimator)
        irt_res = None
        if irt:
            progress(f"item response theory ({irt})" + (f", DIF by {group}" if group else ""))
            irt_res = pm.irt_analysis(frame, setup.instrument, model=irt, dif=group,
                                      items=setup.items, form=setup.form, id=setup.id,
                                      on_invalid="missing")
        irt_figures = _irt_figures(irt_res) if irt_res is not None else {}
    tab = rel.table
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(tab), 2.8))
    err = np.vstack([tab["alpha"] - tab["ci_low"], tab["ci_high"] - tab["alpha"]])
    ax.bar(tab.index.astype(str), tab["alpha"], yerr=err, color="#4a7ab0", capsize=4)
    ax.set_ylim(0, 1)
    ax.set_ylabel("alpha")
    return {"reliability": rel, "cfa": fit, "invariance": inv, "irt": irt_res,
            "irt_figures": irt_figures, "warnings": _warned(caught), "figures": [_png(fig)]}


def _irt_figures(analysis) -> dict[str, list[str]]:
    """Per subscale: the item-person map, the information curves and, when items are
    flagged, the DIF figure (:func:`psychometrics.plot_item_person_map`, ``plot_information``,
    ``plot_dif``), as base64 PNG."""
    out = {}
    for sid, sub in analysis.subscales.items():
        pngs = [_png(pm.plot_item_person_map(sub.model, title=sid)),
                _png(pm.plot_information(sub.model, title=sid))]
        if sub.dif is not None and sub.dif.flagged:
            pngs.append(_png(pm.plot_dif(sub.dif)))
        out[sid] = pngs
    return out


# ---- a no-op, to start the worker machinery before the first real job ----------------------

def warm_up(progress: Progress = _quiet) -> bool:
    return True
