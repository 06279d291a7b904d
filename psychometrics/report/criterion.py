"""The cut-off validation section: ROC curve, AUC (DeLong and bootstrap CIs) and the
Youden-optimal cut-off per subscale against a two-level criterion."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .context import Context, sub_name
from .figures import new_figure
from .markup import esc, figure_html, fmt, html_table, notes_html

__all__ = ["criterion_section", "complete_cutoff"]


def _level_label(v) -> str:
    """A criterion level as a reader writes it: 1, not 1.0."""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return f"{int(v)}"
    return str(v)


def complete_cutoff(cutoff: float, rule: str | None, direction: str) -> int | None:
    """The cut-off a respondent who answered every item meets, when a prorated sum is the cut-off.

    A sum subscale with a missing item is prorated (``21.375``), so the optimal cut-off can be a
    prorated value that no complete response has. For complete responses (whole sums),
    ``>= 38.86`` means ``>= 39`` and ``<= 38.86`` means ``<= 38``.

    Examples
    --------
    >>> complete_cutoff(38.857, "sum", "<="), complete_cutoff(38.857, "sum", ">=")
    (38, 39)
    >>> complete_cutoff(27.0, "sum", ">=") is None, complete_cutoff(2.5, "mean", ">=") is None
    (True, True)
    """
    if rule != "sum" or float(cutoff).is_integer() or not math.isfinite(cutoff):
        return None
    return math.ceil(cutoff) if direction == ">=" else math.floor(cutoff)


def criterion_section(ctx: Context, criterion, positive, n_boot: int, seed, prevalence):
    """``(data, body, status, message)`` of the cut-off validation section."""
    from ..diagnostic import cutoffs, plot_roc, roc

    L = ctx.L
    if criterion is None:
        return {}, "", "skipped", L["no_criterion"]
    y, positive = _criterion_values(ctx, criterion, positive)
    info = ctx.scores.attrs.get("psychometrics") or {}
    rules = info.get("scoring") or {}
    subs = [s for s in ctx.subscales if not ctx.inst.subscales[s].composite]
    rows, results, tables, notes = {}, {}, [], []
    ncol = min(3, len(subs))
    nrow = math.ceil(len(subs) / ncol)
    fig = new_figure(4.2 * ncol, 4.2 * nrow)
    for k, sid in enumerate(subs):
        direction = ">=" if ctx.inst.subscales[sid].higher_is == "worse" else "<="
        keep = ctx.scores[sid].notna().to_numpy() & y.notna().to_numpy()
        x, yy = ctx.scores[sid][keep], y[keep]
        r = roc(x, yy, positive=positive, direction=direction, ci_method="bootstrap" if n_boot > 0 else "delong",
                n_boot=max(n_boot, 1), seed=seed, band=n_boot > 0)
        c = cutoffs(x, yy, positive=positive, direction=direction, n_boot=n_boot, seed=seed,
                    prevalence=prevalence)
        rows[sid] = _roc_row(r, c.best, direction)
        cut = float(c.best["cutoff"])
        whole = complete_cutoff(cut, rules.get(sid), direction)
        if whole is not None:
            rows[sid]["cutoff_complete"] = whole
            notes.append(f"{sid}: " + L["prorated_cutoff"].format(
                value=f"{'≥' if direction == '>=' else '≤'} {fmt(cut, 2)}",
                whole=f"{'≥' if direction == '>=' else '≤'} {whole}"))
        results[sid] = c
        ax = fig.add_subplot(nrow, ncol, k + 1)
        plot_roc(r, cutoff=c, ax=ax, title=f"{sub_name(ctx, sid)} ({sid})")
        _style_roc_axis(ax, L)
        t = c.table[[col for col in _CUTOFF_COLUMNS if col in c.table.columns]]
        tables.append(f"<details><summary>{esc(L['all_cutoffs'])} {esc(sid)}</summary>"
                      + html_table(t, table_id=f"tbl-cutoffs-{sid}", index=False, digits=3,
                                   labels=L)
                      + "</details>")
    fig.tight_layout()
    lab = {**L, "sensitivity_ci": L["ci_wilson"], "specificity_ci": L["ci_wilson"]}
    label = criterion if isinstance(criterion, str) else "criterion"
    first = rows[subs[0]]
    sample_prev = first["cases"] / max(first["cases"] + first["controls"], 1)
    prev_txt = (L["prevalence"].format(p=f"{100 * prevalence:g}") if prevalence is not None
                else L["sample_prevalence"].format(p=f"{100 * sample_prev:.1f}"))
    positive = results[subs[0]].positive  # as cutoffs resolved it (0/1 criteria: 1)
    body = (f"<p>{esc(label)} = {esc(_level_label(positive))}: {first['cases']} "
            f"{esc(L['cases'])}, {first['controls']} {esc(L['controls'])}. "
            f"{esc(prev_txt)}.</p>"
            + html_table(_summary_table(ctx, rows), table_id="tbl-roc", digits=3, labels=lab)
            + notes_html(notes) + figure_html(fig, "ROC", None) + "".join(tables))
    data = {"criterion": label, "positive": positive,
            "positive_label": _level_label(positive), "n_boot": n_boot, "seed": seed,
            "prevalence": prevalence, "sample_prevalence": sample_prev, "subscales": rows}
    return data, body, "ok", None


#: Columns of the full cut-off table of a subscale (those the cut-off result has).
_CUTOFF_COLUMNS = ("cutoff", "tp", "fp", "tn", "fn", "sensitivity", "specificity", "ppv", "npv",
                   "youden_j")


def _criterion_values(ctx: Context, criterion, positive):
    """The criterion as a Series on the data's index, and the positive level as the data
    spell it ("--positive 1" on the command line names the numeric level 1)."""
    if not isinstance(criterion, str):
        return pd.Series(np.asarray(criterion), index=ctx.data.index), positive
    if criterion not in ctx.data.columns:
        from ..errors import MissingColumnError
        raise MissingColumnError(f"criterion column {criterion!r} is not in the data")
    y = ctx.data[criterion]
    if isinstance(positive, str) and pd.api.types.is_numeric_dtype(y):
        try:
            positive = float(positive)
        except ValueError:
            pass
    return y, positive


def _roc_row(r, b: dict, direction: str) -> dict:
    """One subscale's numbers: the ROC's AUC and CIs, the best cut-off and its statistics."""
    return {"auc": r.auc, "auc_ci_low": r.auc_ci_low, "auc_ci_high": r.auc_ci_high,
            "boot_ci_low": r.boot_ci_low, "boot_ci_high": r.boot_ci_high,
            "direction": direction, "cutoff": b["cutoff"],
            **{f"{m}{sfx}": b.get(f"{m}{sfx}") for m in
               ("sensitivity", "specificity", "ppv", "npv")
               for sfx in ("", "_ci_low", "_ci_high")},
            "youden": b["youden_j"], "cases": r.n_cases, "controls": r.n_controls}


def _style_roc_axis(ax, L: dict) -> None:
    """The report's fonts and words on one ROC panel."""
    from .figures import FONT

    ax.title.set_fontsize(FONT + 2)
    ax.set_xlabel(f"1 - {L['specificity'].lower()}", fontsize=FONT + 1)
    ax.set_ylabel(L["sensitivity"].lower(), fontsize=FONT + 1)
    ax.tick_params(labelsize=FONT)
    if ax.get_legend() is not None:
        for t in ax.get_legend().get_texts():
            t.set_fontsize(FONT)


def _summary_table(ctx: Context, rows: dict) -> pd.DataFrame:
    """One row per subscale: AUC with its CIs, the cut-off and its statistics with CIs."""
    def ci(r, m):
        lo, hi = r.get(f"{m}_ci_low"), r.get(f"{m}_ci_high")
        return (lo, hi) if lo is not None and hi is not None else ""
    return pd.DataFrame({
        "auc": [r["auc"] for r in rows.values()],
        "auc_ci": [(r["auc_ci_low"], r["auc_ci_high"]) for r in rows.values()],
        "boot_ci": [(r["boot_ci_low"], r["boot_ci_high"]) if r["boot_ci_low"] is not None
                    else "" for r in rows.values()],
        "cutoff": [f"{'≥' if r['direction'] == '>=' else '≤'} {fmt(r['cutoff'], 2)}"
                   + (f" ({r['cutoff_complete']})" if "cutoff_complete" in r else "")
                   for r in rows.values()],
        "sensitivity": [r["sensitivity"] for r in rows.values()],
        "sensitivity_ci": [ci(r, "sensitivity") for r in rows.values()],
        "specificity": [r["specificity"] for r in rows.values()],
        "specificity_ci": [ci(r, "specificity") for r in rows.values()],
        "ppv": [r["ppv"] for r in rows.values()], "npv": [r["npv"] for r in rows.values()],
        "youden": [r["youden"] for r in rows.values()]},
        index=pd.Index([f"{sub_name(ctx, s)} ({s})" for s in rows], name="subscale"))
