"""The data-quality section: item mapping, missing and invalid answers, incomplete
responses, prorated sums, respondents without a score, and careless-responding flags.

Incomplete (items left unanswered, or flagged by the survey tool) is kept apart from careless:
an answer pattern can only look careless when it is there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .context import Context
from .markup import capped_table, esc, html_table, kpis, notes_html
from .methods import plain_number

__all__ = ["quality_section"]


def quality_section(ctx: Context, match, careless: pd.DataFrame, scoring_notes: list):
    """``(data, body, status, message)`` of the data-quality section.

    ``match`` is the mapping check (:func:`psychometrics.io.match_items`), ``careless`` the
    indices of :func:`psychometrics.careless.careless_flags`, ``scoring_notes`` the warnings
    scoring raised.
    """
    n, k = len(ctx.data), len(ctx.inst.item_ids)
    export = ctx.data.attrs.get("export") or {}
    incomplete = list(export.get("incomplete") or [])
    per_item = _missing_per_item(ctx)
    info = ctx.scores.attrs.get("psychometrics") or {}
    unscored = ctx.scores[ctx.subscales].isna().to_numpy()
    no_score_rows = np.flatnonzero(unscored.any(axis=1))
    prorated = {k_: int(v) for k_, v in (info.get("prorated") or {}).items()}
    respondents = np.array([str(r) for r in ctx.respondents], dtype=object)
    flagged, flag_ls, flag_irv = _flagged(ctx, careless, respondents)
    inc = _incomplete(ctx, careless, incomplete, unscored, respondents)
    data = {
        "n": n, "n_items": k, "n_incomplete": len(incomplete),
        "incomplete_rows": [int(i) + 1 for i in incomplete],
        "items_found": len(match.found), "unmapped_columns": list(match.unmapped),
        "off_by_one": match.off_by_one, "problems": list(match.problems),
        "missing_cells": int(per_item["missing"].sum()), "invalid_cells": len(ctx.invalid),
        "invalid": [dict(c) for c in ctx.invalid],
        "missing_per_item": per_item.to_dict(orient="index"),
        "prorated": prorated, "no_score": len(no_score_rows),
        "no_score_respondents": [str(respondents[r]) for r in no_score_rows],
        "incomplete": inc.to_dict(orient="records"),
        "careless": {"thresholds": careless.attrs["thresholds"],
                     "longstring": careless["longstring"].to_numpy(),
                     "irv": careless["irv"].to_numpy(),
                     "counts": {"longstring": int(flag_ls.sum()), "irv": int(flag_irv.sum())},
                     "n_flagged": int((flag_ls | flag_irv).sum())},
        "flagged": flagged.to_dict(orient="records"),
    }
    body = _body(ctx, match, data, per_item, inc, flagged, scoring_notes)
    return data, body, "ok", None


def _missing_per_item(ctx: Context) -> pd.DataFrame:
    """Missing and invalid answers per item (an invalid cell is read as missing: counted once)."""
    inst, n = ctx.inst, len(ctx.data)
    inv_by_item: dict[str, int] = {}
    for c in ctx.invalid:
        inv_by_item[c["item"]] = inv_by_item.get(c["item"], 0) + 1
    nan = np.isnan(ctx.raw).sum(axis=0)
    per_item = pd.DataFrame({
        "column": [ctx.mapping[i] for i in inst.item_ids],
        "missing": [int(nan[j] - inv_by_item.get(i, 0)) for j, i in enumerate(inst.item_ids)],
        "invalid": [int(inv_by_item.get(i, 0)) for i in inst.item_ids]},
        index=pd.Index(inst.item_ids, name="item"))
    per_item["percent"] = 100.0 * (per_item["missing"] + per_item["invalid"]) / max(n, 1)
    return per_item


def _flagged(ctx: Context, careless: pd.DataFrame, respondents: np.ndarray):
    """The respondents flagged for careless responding, and the two flags of everyone."""
    L = ctx.L
    answered = careless["answered"].to_numpy()
    flag_ls = careless["flag_longstring"].to_numpy()
    flag_irv = careless["flag_irv"].to_numpy()
    rows = np.flatnonzero(flag_ls | flag_irv)
    names = {"longstring": L["flag_longstring"], "irv": L["flag_irv"]}
    flag_text = np.where(flag_ls & flag_irv, f"{names['longstring']}, {names['irv']}",
                         np.where(flag_ls, names["longstring"], names["irv"]))
    flagged = pd.DataFrame({"respondent": respondents[rows], "row": rows + 1,
                            "answered": answered[rows],
                            "longstring": careless["longstring"].to_numpy()[rows],
                            "irv": careless["irv"].to_numpy()[rows],
                            "flags": flag_text[rows]})
    return flagged, flag_ls, flag_irv


def _incomplete(ctx: Context, careless: pd.DataFrame, incomplete: list, unscored: np.ndarray,
                respondents: np.ndarray) -> pd.DataFrame:
    """Incomplete responses: items left unanswered, or flagged so by the survey tool."""
    n, k = len(ctx.data), len(ctx.inst.item_ids)
    answered = careless["answered"].to_numpy()
    is_incomplete = (answered < k) | np.isin(np.arange(n), incomplete)
    inc_rows = np.flatnonzero(is_incomplete)
    sub_names = np.array(ctx.subscales, dtype=object)
    return pd.DataFrame({
        "respondent": respondents[inc_rows], "row": inc_rows + 1,
        "answered": [f"{a}/{k}" for a in answered[inc_rows]],
        "no_score": [", ".join(sub_names[unscored[r]]) for r in inc_rows]})


def _body(ctx: Context, match, data: dict, per_item: pd.DataFrame, inc: pd.DataFrame,
          flagged: pd.DataFrame, scoring_notes: list) -> str:
    """The section's HTML: key figures, then one table per kind of problem."""
    L, k = ctx.L, len(ctx.inst.item_ids)
    prorated, counts = data["prorated"], data["careless"]["counts"]
    th = data["careless"]["thresholds"]
    body = [kpis([("n", data["n"], L["n_respondents"]),
                  ("items_found", f"{len(match.found)}/{k}", L["items_found"]),
                  ("n_incomplete", len(inc), L["incomplete"]),
                  ("missing_cells", data["missing_cells"], L["missing_cells"]),
                  ("invalid_cells", len(ctx.invalid), L["invalid_cells"]),
                  ("prorated", sum(prorated.values()), L["prorated"]),
                  ("no_score", data["no_score"], L["no_score"]),
                  ("careless", data["careless"]["n_flagged"], L["flagged"])])]
    if match.problems:
        body.append(f"<h3>{esc(L['mapping'])}</h3><ul>"
                    + "".join(f"<li>{esc(p)}</li>" for p in match.problems) + "</ul>")
    body.append(f"<h3>{esc(L['missing_per_item'])}</h3>")
    shown = per_item[(per_item["missing"] + per_item["invalid"]) > 0]
    if len(shown):  # items answered by everyone are left out of the table
        body.append(html_table(shown, table_id="tbl-missing", digits={"percent": 1}, labels=L))
    else:
        body.append(f"<p>{esc(L['no_missing'])}</p>")
    if ctx.invalid:
        inv = pd.DataFrame(ctx.invalid)[["row", "respondent", "column", "value", "problem"]]
        inv["respondent"] = inv["respondent"].astype(str)
        inv["value"] = [plain_number(v) for v in inv["value"]]  # 7, not 7.0
        body.append(f"<h3>{esc(L['invalid_cells'])} ({len(inv)})</h3>"
                    + capped_table(inv, "tbl-invalid", "invalid-cells.csv", L))
    body.append(f"<h3>{esc(L['incomplete'])} ({len(inc)})</h3>")
    if prorated:
        body.append(f"<p>{esc(L['prorated_note'])}: "
                    + esc(", ".join(f"{s} {c}" for s, c in prorated.items())) + ".</p>")
    if len(inc):
        body.append(capped_table(inc, "tbl-incomplete", "incomplete-responses.csv",
                                 {**L, "no_score": L["no_score_on"]}))
    else:
        body.append(f"<p>{esc(L['no_missing'])}</p>")
    body.append(f"<h3>{esc(L['careless'])}</h3>")
    crit = pd.DataFrame({"threshold": [f"≥ {th['longstring_min']}", f"≤ {th['irv_max']:.2f}"],
                         "count": [counts["longstring"], counts["irv"]]},
                        index=pd.Index([L["longstring"], L["irv"]], name="flags"))
    body.append(html_table(crit, table_id="tbl-careless", labels=L))
    body.append(f"<h3>{esc(L['flagged'])} ({len(flagged)})</h3>")
    if len(flagged):
        body.append(capped_table(flagged, "tbl-flagged", "careless-flags.csv", L,
                                 digits={"irv": 2}))
    else:
        body.append(f"<p>{esc(L['none_flagged'])}</p>")
    body.append(notes_html(scoring_notes))
    return "".join(body)
