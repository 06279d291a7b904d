"""APA-style numbers and the methods paragraph of a report, written from what was run.

The report (:mod:`psychometrics.report`) records, for every analysis, the rule, the missing-data
handling, the n used, the CI method and the resampling settings; :func:`methods_text` turns
that record into sentences a researcher can paste into a paper, and :func:`apa_fit` writes a
CFA's fit as one APA line (``χ²(206) = 244.27, p = .035, CFI = .980, RMSEA = .032 [.009,
.046], SRMR = .031``). Nothing here computes a statistic.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping, Sequence

__all__ = ["apa_number", "apa_p", "apa_fit", "fit_label", "methods_text", "readable_note",
           "plain_number", "FIT_LABELS"]

#: Readable names of lavaan's fit measures (``fitMeasures`` names -> label).
FIT_LABELS: dict[str, str] = {
    "chisq": "χ²", "df": "df", "pvalue": "p (χ²)", "chisq.scaled": "χ² (scaled, Yuan-Bentler)",
    "df.scaled": "df (scaled)", "pvalue.scaled": "p (scaled χ²)",
    "chisq.scaling.factor": "Scaling factor", "cfi": "CFI", "tli": "TLI",
    "cfi.robust": "CFI (robust)", "tli.robust": "TLI (robust)", "cfi.scaled": "CFI (scaled)",
    "tli.scaled": "TLI (scaled)", "rmsea": "RMSEA", "rmsea.ci.lower": "RMSEA 90% CI lower",
    "rmsea.ci.upper": "RMSEA 90% CI upper", "rmsea.robust": "RMSEA (robust)",
    "rmsea.ci.lower.robust": "RMSEA (robust) 90% CI lower",
    "rmsea.ci.upper.robust": "RMSEA (robust) 90% CI upper", "srmr": "SRMR", "aic": "AIC",
    "bic": "BIC",
}


def fit_label(name: str) -> str:
    """The readable label of a lavaan fit-measure name (the name itself when unknown)."""
    return FIT_LABELS.get(name, name)


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def apa_number(x, digits: int = 2, *, leading_zero: bool = True) -> str:
    """A number as APA prints it.

    Parameters
    ----------
    x : float
    digits : int
        Decimals.
    leading_zero : bool
        False for quantities that cannot exceed 1 (correlations, p, CFI, RMSEA): ``.035``.

    Returns
    -------
    str
        ``"NA"`` for a missing or infinite value.

    Examples
    --------
    >>> apa_number(0.0349, 3, leading_zero=False), apa_number(244.271)
    ('.035', '244.27')
    >>> apa_number(-0.5, 2, leading_zero=False)
    '-.50'
    """
    if not _finite(x):
        return "NA"
    s = f"{float(x):.{digits}f}"
    if not leading_zero:
        s = s.replace("0.", ".", 1) if s.startswith(("0.", "-0.")) else s
    return s


def apa_p(p) -> str:
    """``p = .035``, ``p < .001`` (APA: three decimals, no leading zero).

    Examples
    --------
    >>> apa_p(0.0349), apa_p(0.00001), apa_p(1.0)
    ('p = .035', 'p < .001', 'p > .999')
    """
    if not _finite(p):
        return "p = NA"
    p = float(p)
    if p < 0.001:
        return "p < .001"
    if p > 0.999:
        return "p > .999"
    return f"p = {apa_number(p, 3, leading_zero=False)}"


def apa_fit(fit: Mapping[str, float], *, robust: bool | None = None) -> str:
    """One APA line of a CFA's fit.

    Parameters
    ----------
    fit : mapping
        lavaan ``fitMeasures`` names (``CFAResult.fit``).
    robust : bool, optional
        Report the scaled chi-square and the robust CFI/RMSEA (MLR). Default: when the fit
        holds them.

    Returns
    -------
    str
        ``χ²(206) = 244.27, p = .035, CFI = .980, RMSEA = .032 [.009, .046], SRMR = .031``;
        with ``robust`` the chi-square is the Yuan-Bentler scaled one and CFI/RMSEA are the
        robust versions (Brosseau-Liard & Savalei), as lavaan's summary prints them.

    References
    ----------
    American Psychological Association (2020). *Publication manual* (7th ed.), 6.36-6.44.

    Examples
    --------
    >>> apa_fit({"chisq": 244.271, "df": 206, "pvalue": 0.0349, "cfi": 0.98, "rmsea": 0.0317,
    ...          "rmsea.ci.lower": 0.0091, "rmsea.ci.upper": 0.0458, "srmr": 0.0311})
    'χ²(206) = 244.27, p = .035, CFI = .980, RMSEA = .032 [.009, .046], SRMR = .031'
    """
    if robust is None:
        robust = _finite(fit.get("chisq.scaled")) and _finite(fit.get("cfi.robust"))
    sfx = ".robust" if robust else ""
    chisq = fit.get("chisq.scaled") if robust else fit.get("chisq")
    df = fit.get("df.scaled", fit.get("df")) if robust else fit.get("df")
    p = fit.get("pvalue.scaled") if robust else fit.get("pvalue")
    df_txt = f"{float(df):g}" if _finite(df) else "NA"
    rmsea = fit.get(f"rmsea{sfx}")
    lo, hi = fit.get(f"rmsea.ci.lower{sfx}"), fit.get(f"rmsea.ci.upper{sfx}")
    ci = (f" [{apa_number(lo, 3, leading_zero=False)}, {apa_number(hi, 3, leading_zero=False)}]"
          if _finite(lo) and _finite(hi) else "")
    return (f"χ²({df_txt}) = {apa_number(chisq, 2)}, {apa_p(p)}, "
            f"CFI = {apa_number(fit.get(f'cfi{sfx}'), 3, leading_zero=False)}, "
            f"RMSEA = {apa_number(rmsea, 3, leading_zero=False)}{ci}, "
            f"SRMR = {apa_number(fit.get('srmr'), 3, leading_zero=False)}")


def _listing(parts: Sequence[str]) -> str:
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def methods_text(run: Mapping) -> list[str]:
    """The methods paragraphs of a report, from the record of what was run.

    Parameters
    ----------
    run : mapping
        Keys (each optional): ``instrument`` (name), ``n``, ``scoring`` ({subscale: rule}),
        ``min_answered`` ({subscale: k}), ``n_items`` ({subscale: k}), ``prorated``
        ({subscale: count}), ``no_score`` (count), ``invalid`` (count), ``careless``
        (thresholds), ``reliability`` (``n``, ``missing``, ``ci_method``, ``level``),
        ``omega`` (``n_boot``, ``seed``, ``level``, ``n``), ``cfa`` (``estimator``,
        ``missing``, ``n``, ``n_total``, ``fit_line``), ``norms`` (``id``, ``name``, ``source``,
        ``population``, ``year``, ``n``, ``cutoffs``), ``roc`` (``n_boot``, ``seed``,
        ``ci``, ``prevalence``, ``method``), ``groups`` (``by``, ``min_group``).

    Returns
    -------
    list of str
        One paragraph per analysis, in report order.

    Examples
    --------
    >>> methods_text({"instrument": "MBI-HSS", "n": 10, "scoring": {"EE": "sum"},
    ...               "min_answered": {"EE": 8}, "n_items": {"EE": 9}})[0][:60]
    'Responses of 10 respondents to the MBI-HSS were scored as su'
    """
    out = []
    for paragraph in (_scoring_paragraph, _careless_paragraph, _reliability_paragraph,
                      _cfa_paragraph, _norms_paragraph, _roc_paragraph, _groups_paragraph):
        text = paragraph(run)
        if text is not None:
            out.append(text)
    return out


def _scoring_paragraph(run: Mapping) -> str | None:
    """How the subscales were scored: rule, minimum answered, prorating, invalid answers."""
    n = run.get("n")
    scoring = run.get("scoring") or {}
    if scoring:
        rules = {}
        for sid, rule in scoring.items():
            rules.setdefault(rule, []).append(sid)
        how = _listing([f"{'sums' if r == 'sum' else 'means'} of their items ({', '.join(s)})"
                        for r, s in rules.items()])
        mins = run.get("min_answered") or {}
        k = run.get("n_items") or {}
        need = _listing([f"{mins[s]} of {k.get(s, '?')} items for {s}" for s in scoring
                         if s in mins])
        text = (f"Responses of {n} respondents to the {run.get('instrument', 'questionnaire')} "
                f"were scored as {how}.")
        if need:
            text += f" A subscale score required at least {need} to be answered"
            if "sum" in rules:
                text += ("; a sum with unanswered items was prorated (the mean of the answered "
                         "items times the number of items)")
            text += "."
        prorated = {s: c for s, c in (run.get("prorated") or {}).items() if c}
        if prorated:
            text += (" Prorated sums: " + _listing([f"{c} on {s}" for s, c in prorated.items()])
                     + ".")
        if run.get("no_score"):
            text += (f" {run['no_score']} respondent(s) answered too few items for at least one "
                     "subscale and have no score on it.")
        if run.get("invalid"):
            text += (f" {run['invalid']} answer(s) outside the response scale were treated as "
                     "missing.")
        return text


def _careless_paragraph(run: Mapping) -> str | None:
    """The careless-responding screen and its thresholds."""
    careless = run.get("careless")
    if careless:
        return (
            "Careless responding was screened with the longest run of identical consecutive "
            f"answers (flagged at {careless['longstring_min']} or more) and the intra-individual "
            f"response variability (flagged at an SD of {careless['irv_max']:.2f} or less; "
            "Curran, 2016); flags were not used to exclude respondents. Incomplete responses "
            "are reported separately.")


def _reliability_paragraph(run: Mapping) -> str | None:
    """Alpha with its CI method, and omega with its bootstrap."""
    rel = run.get("reliability")
    if rel:
        ci = {"feldt": "Feldt's", "duhachek": "Duhachek and Iacobucci's",
              "bootstrap": "percentile bootstrap"}.get(str(rel.get("ci_method")), str(rel.get("ci_method")))
        text = (f"Internal consistency was estimated with Cronbach's alpha ({rel.get('missing', 'pairwise')} "
                f"covariances, n = {rel.get('n')}) with {ci} {_pct(rel.get('level', 0.95))} "
                "confidence intervals")
        om = run.get("omega")
        if om:
            text += (f", and with McDonald's omega total from a one-factor model per subscale "
                     f"(psych::omega; pairwise correlations) with {_pct(om.get('level', 0.95))} "
                     f"percentile bootstrap intervals ({om.get('n_boot')} resamples, seed "
                     f"{om.get('seed')})")
        return text + "."


def _cfa_paragraph(run: Mapping) -> str | None:
    """The CFA: estimator, missing-data handling, n and the APA fit line."""
    cfa = run.get("cfa")
    if cfa:
        est = cfa.get("estimator")
        miss = cfa.get("missing")
        how = ("full-information maximum likelihood (FIML; lavaan's missing = \"ml\"), so every "
               "respondent with at least one answered item contributed"
               if miss == "fiml" else "listwise deletion (respondents with every item answered)")
        est_txt = {"MLR": "robust maximum likelihood (MLR: Huber-White standard errors and the "
                          "Yuan-Bentler scaled test statistic)",
                   "ML": "maximum likelihood", "WLSMV": "diagonally weighted least squares with a "
                   "mean- and variance-adjusted test (WLSMV) on polychoric correlations",
                   "DWLS": "diagonally weighted least squares on polychoric correlations"}.get(est, est)
        text = (f"The instrument's measurement model was tested with a confirmatory factor "
                f"analysis estimated by {est_txt}; missing answers were handled by {how} "
                f"(n = {cfa.get('n')} of {cfa.get('n_total')}).")
        if cfa.get("fit_line"):
            text += f" Fit: {cfa['fit_line']}."
        return text


def _norms_paragraph(run: Mapping) -> str | None:
    """The norm set the scores were compared with, and its band cut-offs."""
    ns = run.get("norms")
    if ns:
        desc = [f"the norm set {ns.get('name') or ns.get('id')} ({ns.get('id')})"]
        extra = ", ".join([x for x in (ns.get("population"),
                                      f"{ns['year']}" if ns.get("year") else "",
                                      f"n = {ns['n']}" if ns.get("n") else "") if x])
        text = "Scores were compared with " + desc[0] + (f": {extra}" if extra else "") + "."
        if ns.get("source"):
            text += f" Source: {ns['source']}."
        if ns.get("cutoffs"):
            text += " Band cut-offs applied: " + "; ".join(ns["cutoffs"]) + "."
        return text


def _roc_paragraph(run: Mapping) -> str | None:
    """ROC, AUC CIs, the cut-off rule and the predictive values' prevalence."""
    roc = run.get("roc")
    if roc:
        text = (f"Against the criterion {roc.get('criterion')}, the area under the ROC curve was "
                "estimated with DeLong's confidence interval")
        if roc.get("n_boot"):
            text += (f" and a stratified percentile bootstrap ({roc['n_boot']} resamples, seed "
                     f"{roc.get('seed')})")
        text += (f"; the cut-off maximised Youden's J, with {roc.get('ci', 'Wilson')} intervals for "
                 "sensitivity and specificity")
        if roc.get("prevalence") is not None:
            text += (f"; predictive values are given at a stated prevalence of "
                     f"{100 * float(roc['prevalence']):g}%")
        else:
            text += "; predictive values are at the sample's prevalence"
        return text + "."


def _groups_paragraph(run: Mapping) -> str | None:
    """Group summaries, suppression and effect sizes."""
    grp = run.get("groups")
    if grp:
        return (f"Scores were summarised by {', '.join(grp['by'])}; groups with fewer than "
                f"{grp['min_group']} respondents are not shown. Group differences are "
                "described with eta squared (one-way ANOVA) and, for two groups, Hedges' g.")


def _pct(level) -> str:
    return f"{100 * float(level):g}%"


def readable_note(text: str) -> str:
    """A warning's text without Python reprs: ``{'EE': 7, 'DP': 4}`` becomes ``EE 7, DP 4``.

    Examples
    --------
    >>> readable_note("prorated sums for {'EE': 7, 'DP': 4} respondents")
    'prorated sums for EE 7, DP 4 respondents'
    >>> readable_note("columns ['a', 'b'] are empty")
    'columns a, b are empty'
    """
    def flat(m):
        try:
            v = ast.literal_eval(m.group(0))
        except (ValueError, SyntaxError):
            return m.group(0)
        if isinstance(v, dict):
            return ", ".join(f"{k} {plain_number(x)}" for k, x in v.items())
        if isinstance(v, (list, tuple, set)):
            return ", ".join(plain_number(x) for x in v)
        return m.group(0)
    return re.sub(r"\{[^{}]*\}|\[[^\[\]]*\]", flat, str(text))


def plain_number(v) -> str:
    """A value as a reader writes it: ``7`` for ``7.0``, anything else as ``str``.

    Examples
    --------
    >>> plain_number(7.0), plain_number(2.5), plain_number("a")
    ('7', '2.5', 'a')
    """
    if isinstance(v, float) and v.is_integer():
        return f"{int(v)}"
    return str(v)
