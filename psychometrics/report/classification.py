"""The classification section: band counts of the norm set and counts per level of every
classification rule that applies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import PsychometricsError
from ..i18n import pick
from .context import Context, band_colours, norm_entry, sub_name
from .figures import new_figure
from .markup import esc, figure_html, html_table

__all__ = ["classification_section"]


def _rules(ctx: Context) -> list:
    """The rules to apply: those of the norm set (when given) and the norm-free rules shipped
    for the instrument (cut-offs on raw scores need no norm set)."""
    from ..classify import rules as rules_mod

    out = [rules_mod.get_rule(doc, ctx.inst.id) for doc in (ctx.norms.rules if ctx.norms else [])]
    ids = {r.id for r in out}
    # one pass over the shipped rule files (get_rule by id re-reads them on every call)
    out += [r for r in rules_mod.all_rules(ctx.inst.id) if not r.uses_norms and r.id not in ids]
    return out


def _rules_counts(ctx: Context) -> dict:
    """Counts per level of every applicable rule (through :func:`psychometrics.rules.classify`)."""
    from ..classify import classify

    out = {}
    for rule in _rules(ctx):
        try:
            res = classify(ctx.scores, rule, norms=ctx.norms, norm_by=ctx.norm_by, data=ctx.data,
                           lang=ctx.lang)
        except PsychometricsError as exc:  # a rule that does not fit this data is noted
            out[rule.id] = {"name": rule.text(ctx.lang), "error": f"{type(exc).__name__}: {exc}"}
            continue
        counts = {}
        for lv in rule.levels + [rule.otherwise]:
            counts[lv["id"]] = {"label": pick(lv["label"], ctx.lang),
                                "positive": bool(lv["positive"]),
                                "count": int((res["level"] == lv["id"]).sum())}
        out[rule.id] = {"name": rule.text(ctx.lang), "levels": counts,
                        "undetermined": int(res["level"].isna().sum()),
                        "n_positive": int(res["positive"].sum()), "n": len(res)}
    return out


def classification_section(ctx: Context):
    """``(data, body, status, message)`` of the classification section."""
    L = ctx.L
    normed = ctx.normed
    body, data = [], {"norms": ctx.norms.id if ctx.norms is not None else None, "bands": {}}
    shares = {}
    entry = norm_entry(ctx)
    for sid in ctx.subscales if normed is not None else []:
        col = f"{sid}_band"
        if col not in normed.columns:
            continue
        sn = entry.subscales.get(sid) if entry is not None else None
        order = [b.text(ctx.lang) for b in sn.bands] if sn is not None else []
        vc = normed[col].value_counts(dropna=True)
        order += [str(k) for k in vc.index if str(k) not in order]
        counts = pd.Series({b: int(vc.get(b, 0)) for b in order}, dtype=int)
        scored = int(normed[col].notna().sum())
        tab = pd.DataFrame({"count": counts, "share": 100.0 * counts / max(scored, 1)})
        tab.index.name = "band"
        data["bands"][sid] = {"counts": counts.to_dict(), "n": scored}
        shares[sid] = (tab["share"], band_colours(ctx, sid, len(tab)))
        body.append(f"<h3>{esc(L['bands_of'])} {esc(sub_name(ctx, sid))} ({esc(sid)})</h3>"
                    + html_table(tab, table_id=f"tbl-bands-{sid}", digits={"share": 1},
                             labels={**L, "share": f"{L['share']} (%)"}))
    if shares:
        fig = new_figure(7.5, 0.7 + 0.55 * len(shares))
        ax = fig.add_subplot(1, 1, 1)
        for r, (sh, colours) in enumerate(shares.values()):
            left = 0.0
            for b, (name, v) in enumerate(sh.items()):
                ax.barh(r, v, left=left, color=colours[b], edgecolor="white")
                if v >= 7:
                    ax.text(left + v / 2, r, f"{name}\n{v:.0f}%", ha="center", va="center",
                            fontsize=7)
                left += v
        ax.set_yticks(range(len(shares)), list(shares))
        ax.set_xlim(0, 100)
        ax.set_xlabel(f"{L['share']} (%)", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.invert_yaxis()
        fig.tight_layout()
        body.insert(0, figure_html(fig, L["classification"], f"{L['norms']}: {ctx.norms.id}"))
    rules = _rules_counts(ctx)
    data["rules"] = rules
    rows = []
    for r in rules.values():
        if "error" in r:
            rows.append({"rule": r["name"], "level": r["error"], "count": np.nan, "share": np.nan})
            continue
        for lv in r["levels"].values():
            rows.append({"rule": r["name"], "level": lv["label"], "count": lv["count"],
                         "share": 100.0 * lv["count"] / max(r["n"], 1)})
        if r["undetermined"]:
            rows.append({"rule": r["name"], "level": L["undetermined"], "count": r["undetermined"],
                         "share": 100.0 * r["undetermined"] / max(r["n"], 1)})
    if rows:
        body.append(f"<h3>{esc(L['rules'])}</h3>"
                    + html_table(pd.DataFrame(rows), table_id="tbl-rules", index=False,
                             digits={"share": 1}, labels={**L, "share": f"{L['share']} (%)"}))
    if not data["bands"] and not rules:
        return data, "", "skipped", L["no_norms"] if ctx.norms is None else L["no_rules"]
    return data, "".join(body), "ok", None
