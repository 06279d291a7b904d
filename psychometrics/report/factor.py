"""The factor-structure section: the instrument's CFA model (fit, loadings, factor
correlations) and Horn's parallel analysis as a scree plot."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .context import Context
from .markup import esc, figure_html, html_table

__all__ = ["factor_section"]


#: The fit measures shown, in lavaan's fitMeasures names and order (standard, then scaled/robust).
_FIT_MEASURES = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                 "rmsea.ci.upper", "srmr", "chisq.scaled", "pvalue.scaled",
                 "chisq.scaling.factor", "cfi.robust", "tli.robust", "rmsea.robust",
                 "rmsea.ci.lower.robust", "rmsea.ci.upper.robust")


def factor_section(ctx: Context, estimator: str, missing: str, seed):
    """``(data, body, status, message)`` of the factor-structure section."""
    from ..factor.cfa import cfa
    from ..factor.parallel import parallel_analysis
    from ..scoring import keyed_items
    from .figures import loadings_plot, scree_plot
    from .methods import apa_fit, fit_label

    L = ctx.L
    blocks = keyed_items(ctx.data, ctx.inst, items=ctx.mapping, on_invalid="missing")
    frame = pd.concat(list(blocks.values()), axis=1)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    model = ctx.inst.cfa_model()
    ordinal = str(estimator).upper() in ("DWLS", "WLSMV")
    if missing == "auto":
        # FIML needs a likelihood: the ordinal estimators use the complete rows
        missing = "listwise" if ordinal else "fiml"
    res = cfa(frame, model, estimator=estimator, missing=missing)
    fit = {k: res.fit[k] for k in _FIT_MEASURES if k in res.fit}
    robust = res.test != "standard" and "cfi.robust" in res.fit
    line = apa_fit(res.fit, robust=robust)
    fit_tab = pd.DataFrame({"value": pd.Series(fit, dtype=float)})
    fit_tab.index.name = "measure"
    est = res.estimates
    rows = est[(est["op"] == "=~") & (est["group"] == 1)]
    loadings = pd.DataFrame({
        "factor_name": rows["lhs"].to_numpy(), "est": rows["est"].to_numpy(),
        "se": np.where(rows["free"].to_numpy() > 0, rows["se"].to_numpy(), np.nan),
        "std": rows["std.all"].to_numpy(),
        # R² of an item loading on one factor: its squared standardised loading
        "r2": rows["std.all"].to_numpy() ** 2},
        index=pd.Index(rows["rhs"].to_numpy(), name="item"))
    load = res.std_loadings
    load = load.loc[:, [c for c in load.columns if (load[c] != 0).any()]]
    n_total = int(frame.notna().any(axis=1).sum()) if missing == "fiml" else len(frame)
    body = []
    if not res.converged:
        body.append(f'<p class="fail">{esc(L["not_converged"])}</p>')
    if not res.admissible:  # lavaan's post-check: Heywood cases, non-PD matrices, no SEs
        body.append(f'<p class="fail">{esc(L.get("inadmissible", "Inadmissible solution"))}: '
                    f'{esc("; ".join(res.problems))}</p>')
    miss_txt = L["cfa_missing_fiml"] if missing == "fiml" else L["cfa_missing_listwise"]
    body.append(f"<p>{esc(L['estimator'])}: {esc(estimator.upper())}; {esc(miss_txt)}; "
                f"n = {res.n} / {len(frame)}</p>")
    body.append(f'<p class="apa" data-key="fit_line"><b>{esc(L["fit_line"])}:</b> '
                f"{esc(line)}</p>")
    body.append(f"<details><summary>{esc(L['model'])}</summary><pre>{esc(model)}</pre></details>")
    fit_labels = {**L, **{k: fit_label(k) for k in fit}}
    body.append(f"<h3>{esc(L['fit'])}</h3>"
                + html_table(fit_tab, table_id="tbl-fit", digits=3, labels=fit_labels))
    body.append(f"<h3>{esc(L['loadings'])}</h3>"
                + html_table(loadings, table_id="tbl-loadings", digits=3, labels=L))
    body.append(figure_html(loadings_plot(load.replace(0.0, np.nan), xlabel=L["loadings"]),
                        L["loadings_fig"], None))
    fc = res.factor_correlations
    if fc.shape[0] > 1:
        body.append(f"<h3>{esc(L['factor_correlations'])}</h3>"
                    + html_table(fc.rename_axis("subscale"), table_id="tbl-factor-cor", digits=2,
                             labels=L))
    # how many factors do the data hold? Horn's parallel analysis, drawn as a scree plot
    pa = parallel_analysis(frame, seed=seed)
    t = pa.table()
    body.append(f"<h3>{esc(L['scree'])}</h3>"
                + figure_html(scree_plot(t["fa"], t["fa_sim"], n_factors=pa.n_factors,
                                     xlabel=L["factor_name"]), L["scree"],
                          L["pa_caption"].format(pa=pa.n_factors, m=len(res.latent))))
    data = {"model": model, "estimator": res.estimator, "requested_estimator": estimator.upper(),
            "test": res.test, "se": res.se, "missing": missing, "n": res.n,
            "n_total": n_total, "n_rows": len(frame),
            "converged": bool(res.converged), "admissible": bool(res.admissible),
            "problems": list(res.problems), "fit": fit, "fit_line": line,
            "robust": robust, "loadings": loadings.reset_index().to_dict(orient="records"),
            "std_loadings": {f: {i: float(v) for i, v in load[f].items() if v != 0}
                             for f in load.columns},
            "factor_correlations": fc.to_dict(orient="index"),
            "parallel": {"n_factors": pa.n_factors, "fa": t["fa"].to_numpy(),
                         "fa_sim": t["fa_sim"].to_numpy()}}
    return data, "".join(body), "ok", None
