"""The group section: summaries per group with small groups suppressed, and effect sizes of
the group differences (:func:`psychometrics.effects.group_effects`)."""

from __future__ import annotations

import numpy as np

from ..effects import group_effects
from .context import Context
from .markup import esc, html_table

__all__ = ["groups_section"]


def groups_section(ctx: Context, by, min_group: int):
    """``(data, body, status, message)`` of the group section."""
    from ..groups import summarise

    L = ctx.L
    if not by:
        return {}, "", "skipped", L["no_by"]
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in by if c not in ctx.data.columns]
    if missing:
        from ..errors import MissingColumnError
        raise MissingColumnError(f"grouping column(s) {missing} not in the data")
    frame = ctx.scores[ctx.subscales].copy()
    for c in by:
        frame[c] = ctx.data[c].to_numpy()
    has_q = ctx.norms is not None and any(
        sn.has_quartiles for e in ctx.norms.entries for sn in e.subscales.values())
    res = summarise(frame, by, min_group=min_group, subscales=ctx.subscales,
                    norms=ctx.norms if has_q else None, norm_by=ctx.norm_by if has_q else None)
    cols = [c for c in ["n", "mean", "sd", "share_top_quartile"] if c in res.columns]
    shown = res[by + ["subscale"] + cols + ["suppressed"]].copy()
    shown["suppressed"] = np.where(res["suppressed"], L["suppressed"], "")
    for c in by:
        shown[c] = shown[c].astype(str)
    body = (f"<p class=\"muted\">{esc(L['suppressed_note'].format(n=min_group))}</p>"
            + html_table(shown, table_id="tbl-groups", index=False,
                     digits={"n": 0, "mean": 2, "sd": 2, "share_top_quartile": 2},
                     labels={**L, "share_top_quartile": L["top_quartile"]},
                     row_class=["suppressed" if s else "" for s in res["suppressed"]]))
    effects = group_effects(frame, by, ctx.subscales, min_group=min_group)
    if len(effects):
        # p as APA prints it (< .001 rather than 0.000); the unrounded p stays in data
        shown_eff = effects.assign(p=["< .001" if v < 0.001 else f"{v:.3f}" if np.isfinite(v)
                                      else "" for v in effects["p"]])
        body += (f"<h3>{esc(L['effects'])}</h3>"
                 + html_table(shown_eff, table_id="tbl-effects", index=False,
                          digits={"groups_n": 0, "F": 2, "p": 3, "eta2": 3, "hedges_g": 2},
                          labels={**L, "subscale": L["subscale"]}))
    data = {"by": by, "min_group": min_group,
            "effects": effects.to_dict(orient="records"),
            "rows": res.to_dict(orient="records"),
            "suppressed": list(res.attrs.get("suppressed", []))}
    return data, body, "ok", None
