"""The score-distribution section: descriptives, histograms with the norm set's bands, and
the answers to every item as diverging stacked bars."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..i18n import pick
from .context import Context, band_colours, norm_entry, sub_name
from .figures import new_figure
from .markup import esc, figure_html, fmt, html_table

__all__ = ["distributions_section"]


def distributions_section(ctx: Context):
    """``(data, body, status, message)`` of the score-distribution section."""
    from .figures import FONT, likert_bars

    L = ctx.L
    subs = ctx.subscales
    s = ctx.scores[subs]
    stats = pd.DataFrame({"n": s.notna().sum(), "mean": s.mean(), "sd": s.std(ddof=1),
                          "min": s.min(), "median": s.median(), "max": s.max()})
    stats.index = pd.Index(subs, name="subscale")
    entry = norm_entry(ctx)
    info = ctx.scores.attrs.get("psychometrics") or {}
    rules = info.get("scoring") or {}
    bands_drawn = {}
    ncol = min(2, len(subs))
    nrow = math.ceil(len(subs) / ncol)
    fig = new_figure(5.2 * ncol, 3.6 * nrow)
    for k, sid in enumerate(subs):
        ax = fig.add_subplot(nrow, ncol, k + 1)
        v = s[sid].dropna().to_numpy()
        lo, hi = ctx.inst.item_range(ctx.inst.item(ctx.inst.subscales[sid].items[0]))
        m = len(ctx.inst.subscales[sid].items)
        span = (lo * m, hi * m) if rules.get(sid) == "sum" else (lo, hi)
        # sums of integer codes: one bar per score (a prorated 21.4 joins the 21 bar)
        integral = (rules.get(sid) == "sum" or bool(np.allclose(v, np.round(v)))) \
            and span[1] - span[0] <= 80
        sn = entry.subscales.get(sid) if entry is not None else None
        if sn is not None and sn.bands and sn.score == rules.get(sid):
            edges = [b.lower for b in sn.bands[1:]]
            # with one bar per score, a band edge is drawn between two bars
            drawn = [e + (0.5 if not b.lower_inclusive else -0.5) if integral else e
                     for e, b in zip(edges, sn.bands[1:])]
            bounds = [span[0] - 0.5] + drawn + [span[1] + 0.5]
            colours = band_colours(ctx, sid, len(sn.bands))
            for b, (a, z) in enumerate(zip(bounds[:-1], bounds[1:])):
                ax.axvspan(a, z, color=colours[b], alpha=0.7, lw=0)
                ax.text((a + z) / 2, 1.0, sn.bands[b].text(ctx.lang),
                        transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                        fontsize=FONT)
            for e, d_, b in zip(edges, drawn, sn.bands[1:]):
                # the edge's own value, as the norm file states it (>= 27, > 26.5 ...)
                ax.axvline(d_, color="0.25", lw=0.9, ls="--")
                ax.text(d_, 0.97, f"{'≥' if b.lower_inclusive else '>'} {fmt(e, 2)}",
                        transform=ax.get_xaxis_transform(), ha="left", va="top",
                        fontsize=FONT, color="0.15",
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
            bands_drawn[sid] = {"edges": edges, "bands": [b.id for b in sn.bands]}
        if v.size:
            bins = np.arange(span[0] - 0.5, span[1] + 1.5) if integral else 20
            ax.hist(v, bins=bins, range=None if integral else span, color="#3b6ea5",
                    edgecolor="white", linewidth=0.5)
        ax.set_xlim(span[0] - 0.5, span[1] + 0.5)
        ax.set_title(f"{sub_name(ctx, sid)} ({sid})", fontsize=FONT + 2,
                     pad=16 if sid in bands_drawn else 4)
        ax.set_xlabel(L["score"], fontsize=FONT + 1)
        ax.set_ylabel(L["frequency"], fontsize=FONT + 1)
        ax.tick_params(labelsize=FONT)
    fig.tight_layout()
    shown = stats.copy()
    shown.index = pd.Index([f"{sub_name(ctx, i)} ({i})" for i in subs], name="subscale")
    body = html_table(shown, table_id="tbl-distributions", digits=2, labels=L)
    caption = None
    if bands_drawn:
        caption = f"{L['norms']}: {ctx.norms.id}; " + "; ".join(
            f"{sid} {L['band_edges']} " + ", ".join(fmt(e, 2) for e in d["edges"])
            for sid, d in bands_drawn.items())
    body += figure_html(fig, L["distributions"], caption)
    # the answers to every item, as a diverging stacked bar (the usual Likert plot)
    inst = ctx.inst
    first = inst.item(inst.item_ids[0])
    codes = list(inst.item_codes(first))
    labels = _response_labels(inst, first, ctx.lang)
    item_names = [f"{i} ({_item_subscale(inst, i)})" for i in inst.item_ids]
    lfig = likert_bars(ctx.raw, item_names, codes, labels, xlabel=f"{L['share']} (%)")
    body += (f"<h3>{esc(L['item_responses'])}</h3>"
             + figure_html(lfig, L["item_responses"], None))
    data = {"stats": stats.to_dict(orient="index"), "bands": bands_drawn,
            "scoring": dict(rules)}
    return data, body, "ok", None


def _item_subscale(inst, item_id: str) -> str:
    subs = [sid for sid, sc in inst.subscales.items() if item_id in sc.items and not sc.composite]
    return "/".join(subs)


def _response_labels(inst, item, lang: str) -> dict | None:
    """Response-scale labels (code -> text) in ``lang`` (else English), when the file has them
    and the item uses the scale's codes."""
    if item.codes is not None:
        return None
    labels = inst.scale.labels or {}
    texts = pick(labels, lang)
    if not texts or len(texts) != len(inst.scale.codes):
        return None
    return dict(zip(inst.scale.codes, texts))
