"""The methods section, written from the other sections' own records of what they ran."""

from __future__ import annotations

from collections.abc import Mapping

from .context import Context, norm_entry
from .markup import esc, fmt
from .results import Section

__all__ = ["methods_section"]


def methods_section(ctx: Context, sections: list, criterion, by, min_group: int,
                     prevalence) -> Section:
    """The methods paragraphs, written from the sections' own records of what they ran."""
    from .methods import methods_text

    got = {s.id: s.data for s in sections if s.status == "ok"}
    info = ctx.scores.attrs.get("psychometrics") or {}
    q = got.get("quality", {})
    run: dict = {"instrument": ctx.inst.name, "n": len(ctx.data),
                 "scoring": {k: v for k, v in (info.get("scoring") or {}).items()
                             if k in ctx.subscales},
                 "min_answered": info.get("min_answered") or {},
                 "n_items": {sid: len(ctx.inst.subscales[sid].items) for sid in ctx.subscales},
                 "prorated": q.get("prorated"), "no_score": q.get("no_score"),
                 "invalid": q.get("invalid_cells")}
    if "careless" in q:
        run["careless"] = q["careless"]["thresholds"]
    rel = got.get("reliability")
    if rel:
        ns = [int(v["n"]) for v in rel["subscales"].values() if "n" in v]
        run["reliability"] = {"missing": rel["missing"], "ci_method": rel["ci_method"],
                              "level": 0.95, "n": (f"{min(ns)}-{max(ns)}" if ns and min(ns) != max(ns)
                                                   else (ns[0] if ns else "NA"))}
        if rel.get("omega") and rel.get("omega_boot"):
            run["omega"] = {"n_boot": rel["omega_boot"], "seed": rel["seed"], "level": 0.95}
    fac = got.get("factor")
    if fac:
        run["cfa"] = {"estimator": fac["requested_estimator"], "missing": fac["missing"],
                      "n": fac["n"], "n_total": fac["n_rows"], "fit_line": fac["fit_line"]}
    entry = norm_entry(ctx)
    if ctx.norms is not None and "classification" in got:
        doc = ctx.norms.doc
        src = doc.get("source")
        cut = []
        for sid, sn in (entry.subscales.items() if entry is not None else []):
            if sn.bands:
                cut.append(f"{sid} " + ", ".join(
                    f"{b.text(ctx.lang)} {'≥' if b.lower_inclusive else '>'} {fmt(b.lower, 2)}"
                    for b in sn.bands[1:]))
        run["norms"] = {"id": ctx.norms.id, "name": doc.get("name"),
                        "population": doc.get("population"), "year": doc.get("year"),
                        "n": doc.get("n"),
                        "source": src.get("ref") if isinstance(src, Mapping) else src,
                        "cutoffs": cut}
    crit = got.get("criterion")
    if crit:
        run["roc"] = {"criterion": f"{crit['criterion']} = {crit['positive_label']}",
                      "n_boot": crit["n_boot"], "seed": crit["seed"], "ci": "Wilson",
                      "prevalence": prevalence}
    if got.get("groups"):
        run["groups"] = {"by": got["groups"]["by"], "min_group": min_group}
    paragraphs = methods_text(run)
    body = "".join(f"<p>{esc(t)}</p>" for t in paragraphs)
    html_ = (f'<section id="sec-methods" data-status="ok"><h2>{esc(ctx.L["methods"])}</h2>'
             f"{body}</section>")
    return Section(id="methods", title=ctx.L["methods"], status="ok",
                   data={"paragraphs": paragraphs, "run": run}, html=html_)
