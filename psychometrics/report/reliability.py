"""The reliability section: alpha with its CI, omega total beside it, and item statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import PsychometricsError
from .context import Context, sub_name
from .markup import esc, html_table, notes_html

__all__ = ["reliability_section"]


def reliability_section(ctx: Context, omega_boot: int, seed):
    """``(data, body, status, message)`` of the reliability section (``omega_boot``
    resamples for the omega CIs)."""
    from ..reliability import omega, reliability
    from ..scoring import keyed_items

    L = ctx.L
    res = reliability(ctx.data, ctx.inst, items=ctx.mapping, on_invalid="missing", id=ctx.id)
    tab = res.table.copy()
    # omega total of a one-factor model per subscale (psych::omega, nfactors = 1) beside alpha
    blocks = keyed_items(ctx.data, ctx.inst, items=ctx.mapping, on_invalid="missing")
    om, om_notes = {}, []
    for sid in tab.index:
        items = blocks.get(sid)
        if items is None or items.shape[1] < 3:
            continue
        try:
            o = omega(items, n_factors=1, ci_method="bootstrap" if omega_boot > 0 else None,
                      n_boot=max(omega_boot, 1), seed=seed, cfa=False)
        except PsychometricsError as exc:  # e.g. a scale too short or without variance
            om_notes.append(f"{sid}: omega not computed ({exc})")
            continue
        ci = (o.ci or {}).get("omega_total", {})
        om[sid] = {"omega": o.omega_total, "ci_low": ci.get("low"), "ci_high": ci.get("high"),
                   "n": o.n_obs}
    tab["omega"] = [om.get(s, {}).get("omega", np.nan) for s in tab.index]
    cols = ["k", "n", "alpha", "ci", "omega", "omega_ci", "std_alpha", "g6", "average_r", "sem"]
    shown = tab.assign(
        ci=list(zip(tab["ci_low"], tab["ci_high"])),
        omega_ci=[(om[s]["ci_low"], om[s]["ci_high"])
                  if s in om and om[s]["ci_low"] is not None else "" for s in tab.index])[cols]
    shown.index = pd.Index([f"{sub_name(ctx, i)} ({i})" if i in ctx.inst.subscales else i
                            for i in tab.index], name="subscale")
    lab = {**L, "alpha": "α", "ci": f"α {L['ci']}", "omega": "ω", "omega_ci": f"ω {L['ci']}"}
    body = [html_table(shown, table_id="tbl-reliability", digits=3, labels=lab)]
    item_cols = ["n", "mean", "sd", "r_drop", "alpha_if_deleted"]
    for sid, t in res.items.items():
        body.append(f"<h3>{esc(L['items_of'])} {esc(sub_name(ctx, sid))} ({esc(sid)})</h3>")
        body.append(html_table(t[item_cols], table_id=f"tbl-items-{sid}", digits=3, labels=L))
    body.append(notes_html(om_notes))
    data = {"subscales": tab.to_dict(orient="index"),
            "items": {sid: t[item_cols].to_dict(orient="index") for sid, t in res.items.items()},
            "missing": res.missing, "ci_method": res.ci_method, "omega": om,
            "omega_boot": omega_boot, "seed": seed}
    return data, "".join(body), "ok", None
