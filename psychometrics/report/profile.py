"""The differential-diagnosis section: burnout beside the depression and anxiety scales
found in the data (:func:`psychometrics.profile`)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .._results import jsonable
from ..errors import PsychometricsError
from .context import Context
from .markup import esc, html_table

__all__ = ["depression_scores", "profile_section"]


def depression_scores(data: pd.DataFrame, depression, *, id) -> dict:
    """Scores of the depression/anxiety scales to show beside the burnout scores.

    ``depression``: ``"auto"`` (every shipped instrument with a depression or anxiety scale
    whose items are all columns of the data, named by item id), an instrument id or a list of
    ids, a dict ``{instrument id: scores}``, or None (no profile).
    """
    from ..classify.differential import comparison_instruments
    from ..scoring import resolve_items, score
    if depression is None:
        return {}
    if isinstance(depression, Mapping):
        return dict(depression)
    ids = comparison_instruments() if depression == "auto" else (
        [depression] if isinstance(depression, str) else list(depression))
    out = {}
    for iid in ids:
        try:
            from ..instruments import load_instrument
            resolve_items(data.columns, load_instrument(iid, warn=False), None)
        except PsychometricsError:
            if depression == "auto":
                continue  # not in this export
            raise
        out[iid] = score(data, iid, id=id, on_invalid="missing")
    return out


def profile_section(ctx: Context, depression):
    """``(data, body, status, message)`` of the differential-diagnosis section."""
    L = ctx.L
    from ..classify.differential import profile
    if not depression:
        return {}, "", "skipped", L["no_depression"]
    inst_id = ctx.scores.attrs["psychometrics"]["instrument"]
    res = profile({inst_id: ctx.scores, **depression},
                  norms={inst_id: ctx.norms} if ctx.norms is not None else None, lang=ctx.lang)
    d = res.to_dict() if hasattr(res, "to_dict") else jsonable(res)
    body = (f"<pre>{esc(res.summary())}</pre>" if hasattr(res, "summary")
            else html_table(res if isinstance(res, pd.DataFrame) else pd.DataFrame(d),
                        table_id="tbl-profile", labels=L))
    return {"profile": d}, body, "ok", None
