"""The IRT section of the HTML report: item-person map, information curves, item parameters
and fit, DIF, the precision at a cut-off.

:func:`irt_html` turns a fitted model (or a whole :class:`~psychometrics.irt.analysis.
IRTAnalysis`) into HTML with its figures embedded as base64 PNG, so the section is
self-contained like the rest of the report. ``render_report(..., irt=...)`` calls
:func:`report_section` (the one hook in ``psychometrics.report``).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping

import pandas as pd

from .._results import jsonable

__all__ = ["irt_html", "report_section"]


def _png(fig, alt: str, caption: str | None = None) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96)
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
            f"{cap}</figure>")


def _table(df: pd.DataFrame, table_id: str, digits: int = 3) -> str:
    return df.to_html(float_format=lambda v: f"{v:.{digits}f}", border=0, table_id=table_id,
                      na_rep="", escape=True)


def _model_name(model) -> str:
    if hasattr(model, "link"):
        return f"graded response model ({model.link} link, marginal ML)"
    return {"RM": "Rasch model", "PCM": "partial credit model",
            "RSM": "rating scale model"}.get(getattr(model, "model", ""), "IRT model") + " (CML)"


def irt_html(result, *, dif=None, precision=None, cutoff: float | None = None,
             scale: str = "raw", key: str = "irt") -> str:
    """HTML for one fitted model or an :class:`IRTAnalysis` (all its subscales).

    Parameters
    ----------
    result : fitted model or IRTAnalysis
        ``pm.grm``/``pm.rasch``/``pm.pcm``/``pm.rsm`` result, or :func:`irt_analysis`'s.
    dif : DIFResult, optional
        Its table and figure are added (one model only; an analysis carries its own).
    precision : CutoffPrecision, optional
        Shown with the information curve (one model only).
    cutoff : float, optional
        Marked on the information curve (on ``scale``) when ``precision`` is not given.
    key : str
        Prefix of the HTML ids (unique per subscale).

    Returns
    -------
    str
        HTML (no ``<section>`` wrapper).
    """
    from .analysis import IRTAnalysis

    if isinstance(result, IRTAnalysis):
        parts = []
        for sid, sub in result.subscales.items():
            parts.append(f"<h3>{html.escape(sid)} ({len(sub.items)} items)</h3>")
            parts.append(irt_html(sub.model, dif=sub.dif, precision=sub.precision,
                                  key=f"{key}-{sid}"))
        return "".join(parts)
    from .plots import plot_dif, plot_information, plot_item_person_map

    model = result
    out = [f"<p>{html.escape(_model_name(model))}: n = "
           f"{getattr(model, 'n', getattr(model, 'n_rows', ''))}, log-likelihood "
           f"{model.loglik:.3f}, {model.npar} parameters"
           + ("" if model.converged else " <b>(not converged)</b>") + "</p>"]
    out.append(_png(plot_item_person_map(model), "item-person map",
                    "Item-person map: respondents' abilities (left) and the items' thresholds "
                    "(right) on the same scale."))
    if precision is not None:
        mark, mark_scale, label = precision.theta, "theta", f"cut-off {precision.cutoff:g}"
    else:
        mark, mark_scale, label = cutoff, scale, None
    out.append(_png(plot_information(model, cutoff=mark, scale=mark_scale, label=label),
                    "information",
                    "Test and item information; dashed: the standard error of measurement."))
    if precision is not None:
        out.append(f"<p>At the cut-off {precision.cutoff:g} (theta {precision.theta:.2f}): "
                   f"test information {precision.information:.2f}, SE of measurement "
                   f"{precision.sem:.3f}; expected classification accuracy "
                   f"{precision.accuracy.accuracy:.3f} and consistency "
                   f"{precision.accuracy.consistency:.3f} (Rudner)"
                   + (f"; from the respondents' own estimates {precision.respondents.accuracy:.3f}"
                      f" and {precision.respondents.consistency:.3f}"
                      if precision.respondents is not None else "") + ".</p>")
    if hasattr(model, "link"):
        params = model.item_params[["a", "a_se"]].join(model.thresholds)
    else:
        params = model.item_params.join(model.thresholds)
    out.append("<h4>Item parameters</h4>" + _table(params, f"tbl-{key}-params"))
    if callable(getattr(model, "itemfit", None)):
        fit = model.itemfit()[["outfit_msq", "infit_msq", "outfit_t", "infit_t"]]
        out.append("<h4>Item fit</h4>" + _table(fit, f"tbl-{key}-fit"))
    if dif is not None:
        cols = (["n", "chi12", "p12", "chi23", "p23", "chi13", "p13", "mcfadden_13",
                 "nagelkerke_13", "beta12", "flagged"] if dif.method == "logistic"
                else list(dif.table.columns))
        out.append(f"<h4>DIF by {html.escape(dif.group)}</h4><p>Groups: "
                   + html.escape(", ".join(f"{k} ({v})" for k, v in dif.groups.items()))
                   + "; flagged: " + html.escape(", ".join(dif.flagged) or "none") + "</p>"
                   + _table(dif.table[cols], f"tbl-{key}-dif", digits=4))
        if dif.flagged:
            out.append(_png(plot_dif(dif), "DIF", "Items flagged for DIF."))
    return "".join(out)


def report_section(data: pd.DataFrame, instrument, spec, *, items=None, id=None):
    """The report's IRT section: ``(data, body, status, message)`` as report sections return.

    ``spec`` is a model name (``"pcm"``, ``"grm"``, ...) or a mapping with ``model`` and
    optionally ``dif`` (group column), ``cutoff`` and ``subscales`` (see
    :func:`psychometrics.irt.analysis.irt_analysis`).
    """
    from .analysis import irt_analysis

    opts = dict(spec) if isinstance(spec, Mapping) else {"model": spec}
    res = irt_analysis(data, instrument, items=items, id=id, on_invalid="missing", **opts)
    return jsonable(res.to_dict()), irt_html(res), "ok", None
