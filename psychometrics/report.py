"""The one-command report: a self-contained HTML page from a survey export.

:func:`render_report` runs the package's own functions on one export (mapping check, scoring,
norms, reliability, CFA, classification, ROC/cut-offs, group summaries) and lays their results
out as one HTML file that needs no network to be viewed: the style sheet is inline, the plots
are PNG images embedded as ``data:`` URIs, and there is no JavaScript. Every number shown is
also in :meth:`Report.to_dict` (unrounded), and every number cell of the HTML carries its
unrounded value in a ``data-value`` attribute, so a report can be checked against the
functions that produced it.

A section that cannot be computed (a CFA that does not converge, a criterion with one level)
says why and the rest of the report is still produced; only an export whose items cannot be
found at all stops the report, with the mapping check's advice.

Careless-responding indices are defined here as well (:func:`longstring`, :func:`irv`,
:func:`careless_flags`), because the report is their only user so far.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import math
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._checks import check_choice, check_positive_int
from ._results import Result, format_table, jsonable
from .errors import DataError, OptionError, PsychometricsError
from .methods import plain_number, readable_note

__all__ = ["render_report", "Report", "Section", "longstring", "irv", "careless_flags", "LABELS",
           "group_effects", "readable_note"]

LANGS = ("en", "nl", "fr")

#: Section titles and table labels of the report, per language. Subscale names come from the
#: instrument file (``name.{en,nl,fr}``) and band labels from the norm file.
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Questionnaire report", "generated": "Generated", "by": "by psychometrics",
        "instrument": "Instrument", "form": "form", "file": "Data", "norms": "Norm set",
        "language": "Language", "contents": "Contents", "not_included": "Not included",
        "quality": "Data quality", "distributions": "Score distributions",
        "reliability": "Reliability", "factor": "Factor structure",
        "classification": "Classification", "criterion": "Cut-off validation",
        "groups": "Group summaries", "profile": "Differential diagnosis profile",
        "n_respondents": "Respondents", "n_incomplete": "Incomplete responses (export)",
        "items_found": "Items found", "invalid_cells": "Invalid cells (scored as missing)",
        "missing_cells": "Missing answers", "no_missing": "Every item was answered by everyone.", "prorated": "Prorated sums",
        "no_score": "Respondents without a score on a subscale",
        "mapping": "Item mapping", "problems": "Problems found",
        "missing_per_item": "Missing answers per item", "item": "Item", "column": "Column",
        "missing": "Missing", "invalid": "Invalid", "percent": "%", "row": "Row",
        "respondent": "Respondent", "value": "Value", "problem": "Problem",
        "careless": "Careless responding", "longstring": "Longest run of identical answers",
        "irv": "Response variability (IRV, SD across items)", "answered": "Items answered",
        "flags": "Flags", "flagged": "Flagged respondents", "none_flagged": "No respondent flagged.",
        "flag_longstring": "long string", "flag_irv": "low variability",
        "flag_incomplete": "incomplete", "flag_no_score": "too few answers",
        "threshold": "Threshold", "count": "Count",
        "subscale": "Subscale", "n": "n", "mean": "Mean", "sd": "SD", "min": "Min",
        "median": "Median", "max": "Max", "score": "Score", "frequency": "Respondents",
        "alpha": "Cronbach's alpha", "ci": "95% CI", "k": "Items", "std_alpha": "Standardised alpha",
        "g6": "Guttman's lambda 6", "average_r": "Mean inter-item r", "sem": "SEM",
        "items_of": "Items of", "r_drop": "Item-rest r", "alpha_if_deleted": "Alpha if deleted",
        "fit": "Model fit", "measure": "Measure", "loadings": "Standardised loadings",
        "factor_correlations": "Factor correlations", "model": "Model", "estimator": "Estimator",
        "not_converged": "The model did not converge: the numbers below are not reliable.",
        "band": "Band", "share": "Share", "rule": "Rule", "level": "Level",
        "bands_of": "Bands of", "rules": "Classification rules",
        "auc": "AUC", "auc_ci": "AUC 95% CI (DeLong)", "boot_ci": "AUC 95% CI (bootstrap)",
        "cutoff": "Cut-off", "direction": "Positive when", "sensitivity": "Sensitivity",
        "specificity": "Specificity", "ppv": "PPV", "npv": "NPV", "youden": "Youden J",
        "cases": "Cases", "controls": "Controls", "all_cutoffs": "All cut-offs of",
        "group": "Group", "suppressed": "suppressed", "top_quartile": "Top quartile",
        "suppressed_note": "Groups with fewer than {n} respondents are suppressed.",
        "failed": "This section could not be computed", "notes": "Notes",
        "no_norms": "no norm set given (--norms)", "no_criterion": "no criterion given (--criterion)",
        "no_by": "no grouping column given (--group)", "no_rules": "no classification rules found",
        "no_depression": "no depression scale in the data",
    },
    "nl": {
        "title": "Rapport vragenlijst", "generated": "Gemaakt", "by": "met psychometrics",
        "instrument": "Instrument", "form": "vorm", "file": "Gegevens", "norms": "Normen",
        "language": "Taal", "contents": "Inhoud", "not_included": "Niet opgenomen",
        "quality": "Kwaliteit van de gegevens", "distributions": "Verdeling van de scores",
        "reliability": "Betrouwbaarheid", "factor": "Factorstructuur",
        "classification": "Classificatie", "criterion": "Validering van de afkapwaarde",
        "groups": "Groepsoverzicht", "profile": "Profiel voor differentiaaldiagnose",
        "n_respondents": "Respondenten", "n_incomplete": "Onvolledige antwoorden (export)",
        "items_found": "Items gevonden", "invalid_cells": "Ongeldige cellen (als ontbrekend gescoord)",
        "missing_cells": "Ontbrekende antwoorden", "no_missing": "Alle items werden door iedereen beantwoord.", "prorated": "Geëxtrapoleerde sommen",
        "no_score": "Respondenten zonder score op een subschaal",
        "mapping": "Koppeling van de items", "problems": "Gevonden problemen",
        "missing_per_item": "Ontbrekende antwoorden per item", "item": "Item", "column": "Kolom",
        "missing": "Ontbrekend", "invalid": "Ongeldig", "percent": "%", "row": "Rij",
        "respondent": "Respondent", "value": "Waarde", "problem": "Probleem",
        "careless": "Onzorgvuldig antwoorden", "longstring": "Langste reeks gelijke antwoorden",
        "irv": "Variatie in antwoorden (IRV, SD over items)", "answered": "Items beantwoord",
        "flags": "Signalen", "flagged": "Gesignaleerde respondenten",
        "none_flagged": "Geen enkele respondent gesignaleerd.",
        "flag_longstring": "lange reeks", "flag_irv": "weinig variatie",
        "flag_incomplete": "onvolledig", "flag_no_score": "te weinig antwoorden",
        "threshold": "Drempel", "count": "Aantal",
        "subscale": "Subschaal", "n": "n", "mean": "Gemiddelde", "sd": "SD", "min": "Min",
        "median": "Mediaan", "max": "Max", "score": "Score", "frequency": "Respondenten",
        "alpha": "Cronbachs alfa", "ci": "95%-BI", "k": "Items", "std_alpha": "Gestandaardiseerde alfa",
        "g6": "Guttmans lambda 6", "average_r": "Gemiddelde inter-item r", "sem": "SEM",
        "items_of": "Items van", "r_drop": "Item-rest r", "alpha_if_deleted": "Alfa zonder item",
        "fit": "Modelfit", "measure": "Maat", "loadings": "Gestandaardiseerde ladingen",
        "factor_correlations": "Factorcorrelaties", "model": "Model", "estimator": "Schatter",
        "not_converged": "Het model convergeerde niet: de cijfers hieronder zijn onbetrouwbaar.",
        "band": "Categorie", "share": "Aandeel", "rule": "Regel", "level": "Niveau",
        "bands_of": "Categorieën van", "rules": "Classificatieregels",
        "auc": "AUC", "auc_ci": "AUC 95%-BI (DeLong)", "boot_ci": "AUC 95%-BI (bootstrap)",
        "cutoff": "Afkapwaarde", "direction": "Positief als", "sensitivity": "Sensitiviteit",
        "specificity": "Specificiteit", "ppv": "PPW", "npv": "NPW", "youden": "Youden J",
        "cases": "Gevallen", "controls": "Controles", "all_cutoffs": "Alle afkapwaarden van",
        "group": "Groep", "suppressed": "onderdrukt", "top_quartile": "Hoogste kwartiel",
        "suppressed_note": "Groepen met minder dan {n} respondenten worden niet getoond.",
        "failed": "Deze sectie kon niet berekend worden", "notes": "Opmerkingen",
        "no_norms": "geen normen opgegeven (--norms)", "no_criterion": "geen criterium opgegeven (--criterion)",
        "no_by": "geen groepskolom opgegeven (--group)", "no_rules": "geen classificatieregels gevonden",
        "no_depression": "geen depressieschaal in de gegevens",
    },
    "fr": {
        "title": "Rapport du questionnaire", "generated": "Produit le", "by": "par psychometrics",
        "instrument": "Instrument", "form": "forme", "file": "Données", "norms": "Normes",
        "language": "Langue", "contents": "Sommaire", "not_included": "Non inclus",
        "quality": "Qualité des données", "distributions": "Distribution des scores",
        "reliability": "Fidélité", "factor": "Structure factorielle",
        "classification": "Classification", "criterion": "Validation du seuil",
        "groups": "Résumés par groupe", "profile": "Profil de diagnostic différentiel",
        "n_respondents": "Répondants", "n_incomplete": "Réponses incomplètes (export)",
        "items_found": "Items trouvés", "invalid_cells": "Cellules invalides (comptées manquantes)",
        "missing_cells": "Réponses manquantes", "no_missing": "Tous les items ont été répondus par tous.", "prorated": "Sommes extrapolées",
        "no_score": "Répondants sans score sur une sous-échelle",
        "mapping": "Correspondance des items", "problems": "Problèmes détectés",
        "missing_per_item": "Réponses manquantes par item", "item": "Item", "column": "Colonne",
        "missing": "Manquant", "invalid": "Invalide", "percent": "%", "row": "Ligne",
        "respondent": "Répondant", "value": "Valeur", "problem": "Problème",
        "careless": "Réponses négligentes", "longstring": "Plus longue série de réponses identiques",
        "irv": "Variabilité des réponses (IRV, ET entre items)", "answered": "Items répondus",
        "flags": "Signaux", "flagged": "Répondants signalés", "none_flagged": "Aucun répondant signalé.",
        "flag_longstring": "longue série", "flag_irv": "faible variabilité",
        "flag_incomplete": "incomplet", "flag_no_score": "trop peu de réponses",
        "threshold": "Seuil", "count": "Nombre",
        "subscale": "Sous-échelle", "n": "n", "mean": "Moyenne", "sd": "ET", "min": "Min",
        "median": "Médiane", "max": "Max", "score": "Score", "frequency": "Répondants",
        "alpha": "Alpha de Cronbach", "ci": "IC 95 %", "k": "Items", "std_alpha": "Alpha standardisé",
        "g6": "Lambda 6 de Guttman", "average_r": "r inter-items moyen", "sem": "Erreur type de mesure",
        "items_of": "Items de", "r_drop": "r item-reste", "alpha_if_deleted": "Alpha sans l'item",
        "fit": "Ajustement du modèle", "measure": "Indice", "loadings": "Saturations standardisées",
        "factor_correlations": "Corrélations entre facteurs", "model": "Modèle", "estimator": "Estimateur",
        "not_converged": "Le modèle n'a pas convergé : les valeurs ci-dessous ne sont pas fiables.",
        "band": "Catégorie", "share": "Part", "rule": "Règle", "level": "Niveau",
        "bands_of": "Catégories de", "rules": "Règles de classification",
        "auc": "AUC", "auc_ci": "AUC IC 95 % (DeLong)", "boot_ci": "AUC IC 95 % (bootstrap)",
        "cutoff": "Seuil", "direction": "Positif si", "sensitivity": "Sensibilité",
        "specificity": "Spécificité", "ppv": "VPP", "npv": "VPN", "youden": "J de Youden",
        "cases": "Cas", "controls": "Témoins", "all_cutoffs": "Tous les seuils de",
        "group": "Groupe", "suppressed": "masqué", "top_quartile": "Quartile supérieur",
        "suppressed_note": "Les groupes de moins de {n} répondants sont masqués.",
        "failed": "Cette section n'a pas pu être calculée", "notes": "Remarques",
        "no_norms": "aucune norme indiquée (--norms)", "no_criterion": "aucun critère indiqué (--criterion)",
        "no_by": "aucune colonne de groupe indiquée (--group)", "no_rules": "aucune règle de classification",
        "no_depression": "pas d'échelle de dépression dans les données",
    },
}

# Labels of the methods section, omega, figures, effect sizes and capped lists (kept apart
# from the table above so that each addition is reviewed per language in one place).
_MORE_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "methods": "Methods", "incomplete": "Incomplete responses",
        "prorated_note": "Sums prorated from the answered items (respondents per subscale)",
        "no_score_on": "No score on", "download": "Download the full list:",
        "showing_first": "Showing the first {shown} of {n}.", "omega": "Omega total",
        "omega_ci": "Omega 95% CI", "fit_line": "Fit (APA)", "est": "Loading", "se": "SE",
        "std": "Standardised", "r2": "R²", "factor_name": "Factor",
        "item_responses": "Item responses", "scree": "Scree plot with parallel analysis",
        "loadings_fig": "Standardised loadings", "effects": "Group differences",
        "grouping": "Grouping", "groups_n": "Groups", "F": "F", "p": "p", "eta2": "η²",
        "hedges_g": "Hedges' g", "cfa_missing_fiml": "Missing answers: full-information ML "
        "(FIML), every respondent with at least one answer",
        "cfa_missing_listwise": "Missing answers: listwise deletion",
        "prorated_cutoff": "{value} is a prorated score; for respondents who answered every "
        "item the cut-off is {whole}.", "undetermined": "no score (too few answers)",
        "unscored_named": "Without a score", "ci_wilson": "95% CI",
        "prevalence": "Predictive values at a prevalence of {p}%",
        "sample_prevalence": "Predictive values at the sample's prevalence ({p}%)",
        "band_edges": "band edges at", "answered_items": "Items answered",
        "pa_caption": "Parallel analysis suggests {pa} factor(s); the instrument's model has {m}.",
    },
    "nl": {
        "methods": "Methode", "incomplete": "Onvolledige antwoorden",
        "prorated_note": "Sommen geëxtrapoleerd uit de beantwoorde items (respondenten per subschaal)",
        "no_score_on": "Geen score op", "download": "Volledige lijst downloaden:",
        "showing_first": "De eerste {shown} van {n}.", "omega": "Omega totaal",
        "omega_ci": "Omega 95%-BI", "fit_line": "Fit (APA)", "est": "Lading", "se": "SE",
        "std": "Gestandaardiseerd", "r2": "R²", "factor_name": "Factor",
        "item_responses": "Antwoorden per item", "scree": "Screeplot met parallelle analyse",
        "loadings_fig": "Gestandaardiseerde ladingen", "effects": "Verschillen tussen groepen",
        "grouping": "Groepering", "groups_n": "Groepen", "F": "F", "p": "p", "eta2": "η²",
        "hedges_g": "Hedges' g", "cfa_missing_fiml": "Ontbrekende antwoorden: full-information "
        "ML (FIML), iedere respondent met minstens één antwoord",
        "cfa_missing_listwise": "Ontbrekende antwoorden: listwise verwijderd",
        "prorated_cutoff": "{value} is een geëxtrapoleerde score; voor wie alle items "
        "beantwoordde is de afkapwaarde {whole}.", "undetermined": "geen score (te weinig antwoorden)",
        "unscored_named": "Zonder score", "ci_wilson": "95%-BI",
        "prevalence": "Voorspellende waarden bij een prevalentie van {p}%",
        "sample_prevalence": "Voorspellende waarden bij de prevalentie van de steekproef ({p}%)",
        "band_edges": "grenzen bij", "answered_items": "Items beantwoord",
        "pa_caption": "Parallelle analyse wijst op {pa} factor(en); het model van het instrument heeft er {m}.",
    },
    "fr": {
        "methods": "Méthode", "incomplete": "Réponses incomplètes",
        "prorated_note": "Sommes extrapolées à partir des items répondus (répondants par sous-échelle)",
        "no_score_on": "Pas de score sur", "download": "Télécharger la liste complète :",
        "showing_first": "Les {shown} premiers sur {n}.", "omega": "Oméga total",
        "omega_ci": "Oméga IC 95 %", "fit_line": "Ajustement (APA)", "est": "Saturation",
        "se": "ET", "std": "Standardisée", "r2": "R²", "factor_name": "Facteur",
        "item_responses": "Réponses par item", "scree": "Éboulis avec analyse parallèle",
        "loadings_fig": "Saturations standardisées", "effects": "Différences entre groupes",
        "grouping": "Regroupement", "groups_n": "Groupes", "F": "F", "p": "p", "eta2": "η²",
        "hedges_g": "g de Hedges", "cfa_missing_fiml": "Réponses manquantes : maximum de "
        "vraisemblance à information complète (FIML), tout répondant avec au moins une réponse",
        "cfa_missing_listwise": "Réponses manquantes : suppression des cas incomplets",
        "prorated_cutoff": "{value} est un score extrapolé ; pour qui a répondu à tous les items, "
        "le seuil est {whole}.", "undetermined": "pas de score (trop peu de réponses)",
        "unscored_named": "Sans score", "ci_wilson": "IC 95 %",
        "prevalence": "Valeurs prédictives pour une prévalence de {p} %",
        "sample_prevalence": "Valeurs prédictives à la prévalence de l'échantillon ({p} %)",
        "band_edges": "limites à", "answered_items": "Items répondus",
        "pa_caption": "L'analyse parallèle suggère {pa} facteur(s) ; le modèle de l'instrument en a {m}.",
    },
}
for _lang in LANGS:
    LABELS[_lang].update(_MORE_LABELS[_lang])

_SECTIONS = ("methods", "quality", "distributions", "reliability", "factor", "classification",
             "criterion", "groups", "profile")
_FIT_MEASURES = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                 "rmsea.ci.upper", "srmr", "chisq.scaled", "pvalue.scaled",
                 "chisq.scaling.factor", "cfi.robust", "tli.robust", "rmsea.robust",
                 "rmsea.ci.lower.robust", "rmsea.ci.upper.robust")
_BAND_COLOURS = ("#d9ead3", "#fff2cc", "#f4cccc", "#f9cb9c", "#ea9999", "#cfe2f3")


# ============================================================================ careless indices

def _matrix(items) -> np.ndarray:
    if isinstance(items, pd.DataFrame):
        from ._checks import check_items
        return check_items(items).values
    x = np.asarray(items, dtype=float)
    if x.ndim != 2:
        raise DataError(f"items must be a 2-D table (respondents x items), got {x.ndim} dimensions")
    return x


def longstring(items) -> np.ndarray:
    """Longest run of identical consecutive answers of each respondent.

    Parameters
    ----------
    items : DataFrame or 2-D array
        Respondents x items in questionnaire order, raw codes (not reverse-keyed: a
        straight-liner ticks the same box whatever the key). NaN = missing.

    Returns
    -------
    ndarray of int
        One value per respondent (0 when nothing was answered).

    Notes
    -----
    As ``careless::longstring(x, avg = FALSE)`` (Yentes & Wilhelm) on complete rows. A
    missing answer ends a run and is not part of one (careless counts a run of ``NA`` codes
    in some versions; here unanswered items never make a respondent look careless).
    Vectorised over respondents: one pass over the items.

    References
    ----------
    Johnson, J. A. (2005). Ascertaining the validity of individual protocols from web-based
    personality inventories. *Journal of Research in Personality*, 39, 103-129.

    Examples
    --------
    >>> longstring([[1, 1, 1, 2, 2], [3, 3, float("nan"), 3, 3], [1, 2, 3, 4, 5]])
    array([3, 2, 1])
    """
    x = _matrix(items)
    n, k = x.shape
    if k == 0:
        return np.zeros(n, dtype=int)
    answered = ~np.isnan(x)
    cur = answered[:, 0].astype(int)
    best = cur.copy()
    for j in range(1, k):  # loop over items; each step is vectorised over respondents
        same = (x[:, j] == x[:, j - 1]) & answered[:, j]
        cur = np.where(same, cur + 1, answered[:, j].astype(int))
        np.maximum(best, cur, out=best)
    return best


def irv(items) -> np.ndarray:
    """Intra-individual response variability: the SD of each respondent's answers.

    Parameters
    ----------
    items : DataFrame or 2-D array
        Respondents x items (raw codes), NaN = missing.

    Returns
    -------
    ndarray of float
        The standard deviation (n - 1 denominator) over the answered items; NaN with fewer
        than two answers.

    Notes
    -----
    ``careless::irv(x, na.rm = TRUE)``: ``apply(x, 1, sd, na.rm = TRUE)``. A very low IRV
    (nearly the same answer everywhere, even on items keyed in opposite directions) marks
    straight-lining.

    References
    ----------
    Dunn, A. M., Heggestad, E. D., Shanock, L. R., & Theilgard, N. (2018). Intra-individual
    response variability as an indicator of insufficient effort responding. *Journal of
    Business and Psychology*, 33, 105-121.

    Examples
    --------
    >>> irv([[1, 1, 1, 1], [1, 2, 3, 4]]).round(3)
    array([0.   , 1.291])
    """
    x = _matrix(items)
    m = (~np.isnan(x)).sum(axis=1)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        sd = np.nanstd(x, axis=1, ddof=1)
    return np.where(m >= 2, sd, np.nan)


def careless_flags(items, *, longstring_min: int | None = None, irv_max: float | None = None,
                   scale_range: float | None = None) -> pd.DataFrame:
    """Per-respondent careless-responding indices and flags.

    Parameters
    ----------
    items : DataFrame
        Respondents x items in questionnaire order, raw codes (index kept).
    longstring_min : int, optional
        Flag a run of at least this many identical answers. Default: half the items,
        rounded up (11 of the 22 MBI-HSS items).
    irv_max : float, optional
        Flag an IRV at or below this value. Default: a tenth of the scale's range
        (``scale_range``, else the observed range of codes), e.g. 0.6 on a 0..6 scale.
    scale_range : float, optional
        Max minus min code of the response scale.

    Returns
    -------
    DataFrame
        ``answered``, ``longstring``, ``irv``, ``flag_longstring``, ``flag_irv``; same index.
        ``attrs`` hold the thresholds used.

    Notes
    -----
    There are no universal thresholds (Curran 2016): the defaults flag answer patterns that
    are hard to give attentively (half the questionnaire in one column; almost no variation
    across items keyed in opposite directions). Flags are for a second look, not for
    automatic exclusion.

    References
    ----------
    Curran, P. G. (2016). Methods for the detection of carelessly invalid responses in survey
    data. *Journal of Experimental Social Psychology*, 66, 4-19.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame([[2, 2, 2, 2], [0, 3, 1, 4]], columns=list("abcd"))
    >>> careless_flags(items, scale_range=4)[["longstring", "flag_longstring", "flag_irv"]]
       longstring  flag_longstring  flag_irv
    0           4             True      True
    1           1            False     False
    """
    frame = items if isinstance(items, pd.DataFrame) else pd.DataFrame(np.asarray(items, float))
    x = _matrix(frame)
    k = x.shape[1]
    if longstring_min is None:
        longstring_min = max(2, math.ceil(k / 2))
    if irv_max is None:
        if scale_range is None:
            scale_range = float(np.nanmax(x) - np.nanmin(x)) if np.isfinite(x).any() else 0.0
        irv_max = 0.1 * scale_range
    ls, v = longstring(x), irv(x)
    out = pd.DataFrame({"answered": (~np.isnan(x)).sum(axis=1), "longstring": ls, "irv": v,
                        "flag_longstring": ls >= longstring_min,
                        "flag_irv": np.nan_to_num(v, nan=np.inf) <= irv_max},
                       index=frame.index)
    out.attrs["thresholds"] = {"longstring_min": int(longstring_min), "irv_max": float(irv_max)}
    return out


# ============================================================================ result objects

@dataclass(frozen=True)
class Section(Result):
    """One section of a report.

    Attributes
    ----------
    id : str
        ``quality``, ``distributions``, ``reliability``, ``factor``, ``classification``,
        ``criterion``, ``groups`` or ``profile``.
    title : str
        In the report's language.
    status : {"ok", "failed", "skipped"}
        ``failed``: an error was caught (``message`` says which); ``skipped``: the section
        does not apply (no norms, no criterion...).
    message : str or None
    data : dict
        The numbers shown, unrounded, as the functions returned them.
    notes : list of str
        Warnings raised while computing the section.
    html : str
        The section's HTML (not in ``to_dict``).
    """

    id: str
    title: str
    status: str
    message: str | None = None
    data: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    html: str = field(default="", repr=False)


@dataclass(frozen=True)
class Report(Result):
    """A rendered report (see :func:`render_report`).

    Attributes
    ----------
    meta : dict
        Instrument, file, language, norm set, number of respondents, package version.
    sections : tuple of Section
        In report order, skipped sections included.
    html : str
        The self-contained HTML page.
    """

    meta: dict
    sections: tuple
    html: str = field(repr=False)

    def section(self, id: str) -> Section:
        """The section with this id."""
        for s in self.sections:
            if s.id == id:
                return s
        raise KeyError(f"no section {id!r}; sections: {[s.id for s in self.sections]}")

    def save(self, path: str | Path) -> Path:
        """Write the HTML page (UTF-8), or a Word document when ``path`` ends in ``.docx``.

        The Word document holds the same headings, text, tables and figures as the page
        (:func:`psychometrics.report_docx.write_docx`), so the tables go into a manuscript
        without retyping.
        """
        p = Path(path)
        if p.suffix.lower() == ".docx":
            from .report_docx import write_docx
            return write_docx(self, p)
        p.write_text(self.html, encoding="utf-8")
        return p

    def to_dict(self) -> dict:
        return {"meta": jsonable(self.meta),
                "sections": {s.id: {"title": s.title, "status": s.status, "message": s.message,
                                    "notes": list(s.notes), "data": jsonable(s.data)}
                             for s in self.sections}}

    def summary(self) -> str:
        m = self.meta
        rows = pd.DataFrame({"status": [s.status for s in self.sections],
                             "message": [s.message or "" for s in self.sections]},
                            index=pd.Index([s.id for s in self.sections], name="section"))
        head = f"Report on {m['instrument']} ({m['n']} respondents, {m['lang']})"
        if m.get("output"):
            head += f" written to {m['output']}"
        return format_table(rows, head)

    def __repr__(self) -> str:
        return (f"Report({self.meta['instrument']!r}, n={self.meta['n']}, sections="
                f"{[s.id for s in self.sections if s.status == 'ok']})")


# ============================================================================ HTML helpers

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 color:#1d2733;background:#f6f7f9;margin:0;line-height:1.45;font-size:15px}
main{max-width:1080px;margin:0 auto;padding:24px 28px 48px;background:#fff;
 box-shadow:0 0 12px rgba(0,0,0,.06)}
h1{font-size:1.7em;margin:.2em 0 .1em;color:#12355b}
h2{font-size:1.3em;margin:1.8em 0 .6em;padding-bottom:.2em;border-bottom:2px solid #12355b;
 color:#12355b}
h3{font-size:1.05em;margin:1.3em 0 .4em;color:#28435f}
.meta{color:#4a5866;margin:.2em 0 1em}.meta span{margin-right:1.4em;white-space:nowrap}
nav ol{columns:2;margin:.3em 0 1em;padding-left:1.4em}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:.92em}
th,td{padding:3px 9px;border-bottom:1px solid #dde3ea;text-align:left;vertical-align:top}
thead th{background:#eef2f6;border-bottom:2px solid #b9c4d0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}td.num{white-space:nowrap}
tr.suppressed td{color:#8a96a3;font-style:italic}
.kpi{display:flex;flex-wrap:wrap;gap:10px;margin:.5em 0 1em}
.kpi div{background:#eef2f6;border-radius:6px;padding:8px 14px;min-width:120px}
.kpi b{display:block;font-size:1.35em;color:#12355b}
.kpi small{color:#4a5866}
figure{margin:.6em 0 1.2em}figure img{max-width:100%;height:auto;border:1px solid #e3e8ee}
figcaption{color:#4a5866;font-size:.88em}
.note{background:#fff8e5;border-left:4px solid #e0a800;padding:6px 12px;margin:.6em 0}
.fail{background:#fdecec;border-left:4px solid #c0392b;padding:6px 12px;margin:.6em 0}
.muted{color:#6b7885}
details{margin:.3em 0 .8em}summary{cursor:pointer;color:#28435f}
footer{margin-top:2.5em;color:#6b7885;font-size:.85em}
"""


def _esc(v) -> str:
    return html.escape(str(v), quote=True)


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _fmt(v, digits: int) -> str:
    if v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and np.isnan(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "✓" if v else ""
    if isinstance(v, (int, np.integer)):
        return f"{int(v)}"
    if isinstance(v, (float, np.floating)):
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
        if float(v).is_integer() and abs(v) < 1e15 and digits >= 0:
            return f"{int(v)}"
        return f"{v:.{digits}f}"
    return str(v)


def _table(df: pd.DataFrame, *, table_id: str, digits: int | Mapping[str, int] = 3,
           index: bool = True, labels: Mapping[str, str] | None = None,
           row_class: Sequence[str] | None = None) -> str:
    """An HTML table; number cells carry their unrounded value in ``data-value``."""
    labels = labels or {}
    cols = list(df.columns)
    head = (f"<th>{_esc(labels.get(str(df.index.name), df.index.name or ''))}</th>" if index else "")
    head += "".join(f'<th class="{"num" if pd.api.types.is_numeric_dtype(df[c]) else ""}" '
                    f'data-key="{_esc(c)}">{_esc(labels.get(str(c), c))}</th>' for c in cols)
    body = []
    for r, (idx, row) in enumerate(zip(df.index, df.itertuples(index=False, name=None))):
        cells = [f'<th data-key="{_esc(idx)}">{_esc(labels.get(str(idx), idx))}</th>'] if index else []
        for c, v in zip(cols, row):
            d = digits.get(str(c), 3) if isinstance(digits, Mapping) else digits
            if isinstance(v, tuple) and len(v) == 2 and all(_is_number(u) for u in v):
                # an interval: shown "low - high", both bounds kept unrounded
                cells.append(f'<td class="num" data-key="{_esc(c)}" data-low="{float(v[0])!r}" '
                             f'data-high="{float(v[1])!r}">{_esc(_fmt(v[0], d))} – '
                             f"{_esc(_fmt(v[1], d))}</td>")
            elif _is_number(v) and not (isinstance(v, float) and np.isnan(v)):
                cells.append(f'<td class="num" data-key="{_esc(c)}" data-value="{float(v)!r}">'
                             f"{_esc(_fmt(v, d))}</td>")
            else:
                cells.append(f'<td data-key="{_esc(c)}">{_esc(_fmt(v, d))}</td>')
        cls = f' class="{row_class[r]}"' if row_class is not None and row_class[r] else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (f'<table id="{_esc(table_id)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def _figure(fig, alt: str, caption: str | None = None) -> str:
    """A matplotlib Figure as an embedded PNG (<img src="data:image/png;base64,...">)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96)  # laid out by tight_layout: one draw only
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    cap = f"<figcaption>{_esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{_esc(alt)}" src="data:image/png;base64,{data}">{cap}</figure>'


def _new_figure(width: float, height: float):
    """A Figure on the Agg canvas, without pyplot's global state (no window, no leak)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _kpis(pairs: Sequence[tuple[str, object, str]]) -> str:
    parts = []
    for key, value, label in pairs:
        parts.append(f'<div data-key="{_esc(key)}"><b>{_esc(value)}</b><small>{_esc(label)}</small></div>')
    return f'<div class="kpi">{"".join(parts)}</div>'


def _notes(notes: Sequence[str]) -> str:
    return "".join(f'<p class="note">{_esc(readable_note(n))}</p>' for n in notes)


#: Rows of a respondent list shown on the page; the full list is an embedded CSV download.
LIST_CAP = 25


def _download(df: pd.DataFrame, filename: str, text: str) -> str:
    """A link that saves ``df`` as CSV from the page itself (a data: URI, works offline)."""
    data = base64.b64encode(df.to_csv(index=False).encode("utf-8")).decode("ascii")
    return (f'<p class="download"><a download="{_esc(filename)}" '
            f'href="data:text/csv;charset=utf-8;base64,{data}">{_esc(text)}</a></p>')


def _capped(df: pd.DataFrame, table_id: str, filename: str, labels: Mapping[str, str],
            digits: int | Mapping[str, int] = 3) -> str:
    """A respondent list: the first :data:`LIST_CAP` rows, and the full list as a CSV link."""
    if len(df) <= LIST_CAP:
        return _table(df, table_id=table_id, index=False, labels=labels, digits=digits)
    head = _table(df.head(LIST_CAP), table_id=table_id, index=False, labels=labels,
                  digits=digits)
    shown = labels["showing_first"].format(shown=LIST_CAP, n=len(df))
    return (head + f'<p class="muted">{_esc(shown)}</p>'
            + _download(df, filename, f"{labels['download']} {filename} ({len(df)})"))


class _Progress:
    """A one-line progress indicator on stderr, only on a terminal (never in logs or CI)."""

    def __init__(self, steps: Sequence[str], enabled: bool | None):
        self.steps = list(steps)
        self.i = 0
        self.enabled = enabled is not False and sys.stderr.isatty()

    def step(self, text: str) -> None:
        self.i += 1
        if self.enabled:
            bar = "#" * self.i + "." * (len(self.steps) - self.i)
            sys.stderr.write(f"\r[{bar}] {self.i}/{len(self.steps)} {text:<60.60}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 90 + "\r")
            sys.stderr.flush()


# ============================================================================ the sections

@dataclass
class _Context:
    data: pd.DataFrame
    inst: object
    mapping: dict
    id: str | None
    lang: str
    L: dict
    scores: pd.DataFrame
    raw: np.ndarray                      # respondents x items, raw codes, instrument order
    invalid: list
    respondents: list
    subscales: list                      # subscale ids in instrument order
    norms: object = None                 # NormSet
    normed: pd.DataFrame | None = None
    norm_by: dict | None = None


def _sub_name(ctx: _Context, sid: str) -> str:
    name = ctx.inst.subscales[sid].name
    return name.get(ctx.lang) or name.get("en") or next(iter(name.values()), sid)


def _run(sid: str, title: str, fn, ctx: _Context) -> Section:
    """Run one section builder; an error becomes a failed section, warnings become notes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            data, body, status, message = fn(ctx)
        except PsychometricsError as exc:  # a bug is not a "failed section": it propagates
            msg = f"{type(exc).__name__}: {exc}"
            body = f'<p class="fail">{_esc(ctx.L["failed"])}: {_esc(msg)}</p>'
            data, status, message = {}, "failed", msg
    notes = list(dict.fromkeys(str(w.message) for w in caught
                               if not issubclass(w.category, (DeprecationWarning,
                                                              PendingDeprecationWarning))))
    html_ = ""
    if status != "skipped":
        html_ = (f'<section id="sec-{sid}" data-status="{status}"><h2>{_esc(title)}</h2>'
                 f"{body}{_notes(notes) if notes else ''}</section>")
    return Section(id=sid, title=title, status=status, message=message, data=data,
                   notes=notes, html=html_)


def _quality(ctx: _Context, match, careless: pd.DataFrame, scoring_notes: list):
    L, inst, x = ctx.L, ctx.inst, ctx.raw
    n = len(ctx.data)
    k = len(inst.item_ids)
    export = ctx.data.attrs.get("export") or {}
    incomplete = list(export.get("incomplete") or [])
    inv_by_item: dict[str, int] = {}
    for c in ctx.invalid:
        inv_by_item[c["item"]] = inv_by_item.get(c["item"], 0) + 1
    nan = np.isnan(x).sum(axis=0)
    per_item = pd.DataFrame({
        "column": [ctx.mapping[i] for i in inst.item_ids],
        "missing": [int(nan[j] - inv_by_item.get(i, 0)) for j, i in enumerate(inst.item_ids)],
        "invalid": [int(inv_by_item.get(i, 0)) for i in inst.item_ids]},
        index=pd.Index(inst.item_ids, name="item"))
    per_item["percent"] = 100.0 * (per_item["missing"] + per_item["invalid"]) / max(n, 1)
    info = ctx.scores.attrs.get("psychometrics") or {}
    unscored = ctx.scores[ctx.subscales].isna().to_numpy()
    no_score_rows = np.flatnonzero(unscored.any(axis=1))
    no_score = len(no_score_rows)
    prorated = {k_: int(v) for k_, v in (info.get("prorated") or {}).items()}
    th = careless.attrs["thresholds"]
    answered = careless["answered"].to_numpy()
    # Incomplete (items left unanswered, or flagged by the survey tool) is not careless:
    # an answer pattern can only look careless when it is there.
    is_incomplete = (answered < k) | np.isin(np.arange(n), incomplete)
    flag_ls = careless["flag_longstring"].to_numpy()
    flag_irv = careless["flag_irv"].to_numpy()
    any_careless = flag_ls | flag_irv
    respondents = np.array([str(r) for r in ctx.respondents], dtype=object)
    rows = np.flatnonzero(any_careless)
    names = {"longstring": L["flag_longstring"], "irv": L["flag_irv"]}
    flag_text = np.where(flag_ls & flag_irv, f"{names['longstring']}, {names['irv']}",
                         np.where(flag_ls, names["longstring"], names["irv"]))
    flagged = pd.DataFrame({"respondent": respondents[rows], "row": rows + 1,
                            "answered": answered[rows],
                            "longstring": careless["longstring"].to_numpy()[rows],
                            "irv": careless["irv"].to_numpy()[rows],
                            "flags": flag_text[rows]})
    inc_rows = np.flatnonzero(is_incomplete)
    sub_names = np.array(ctx.subscales, dtype=object)
    inc = pd.DataFrame({
        "respondent": respondents[inc_rows], "row": inc_rows + 1,
        "answered": [f"{a}/{k}" for a in answered[inc_rows]],
        "no_score": [", ".join(sub_names[unscored[r]]) for r in inc_rows]})
    data = {
        "n": n, "n_items": k, "n_incomplete": len(incomplete),
        "incomplete_rows": [int(i) + 1 for i in incomplete],
        "items_found": len(match.found), "unmapped_columns": list(match.unmapped),
        "off_by_one": match.off_by_one, "problems": list(match.problems),
        "missing_cells": int(per_item["missing"].sum()), "invalid_cells": len(ctx.invalid),
        "invalid": [dict(c) for c in ctx.invalid],
        "missing_per_item": per_item.to_dict(orient="index"),
        "prorated": prorated, "no_score": no_score,
        "no_score_respondents": [str(respondents[r]) for r in no_score_rows],
        "incomplete": inc.to_dict(orient="records"),
        "careless": {"thresholds": th,
                     "longstring": careless["longstring"].to_numpy(),
                     "irv": careless["irv"].to_numpy(),
                     "counts": {"longstring": int(flag_ls.sum()), "irv": int(flag_irv.sum())},
                     "n_flagged": int(any_careless.sum())},
        "flagged": flagged.to_dict(orient="records"),
    }
    body = [_kpis([("n", n, L["n_respondents"]),
                   ("items_found", f"{len(match.found)}/{k}", L["items_found"]),
                   ("n_incomplete", len(inc), L["incomplete"]),
                   ("missing_cells", data["missing_cells"], L["missing_cells"]),
                   ("invalid_cells", len(ctx.invalid), L["invalid_cells"]),
                   ("prorated", sum(prorated.values()), L["prorated"]),
                   ("no_score", no_score, L["no_score"]),
                   ("careless", int(any_careless.sum()), L["flagged"])])]
    if match.problems:
        body.append(f"<h3>{_esc(L['mapping'])}</h3><ul>"
                    + "".join(f"<li>{_esc(p)}</li>" for p in match.problems) + "</ul>")
    body.append(f"<h3>{_esc(L['missing_per_item'])}</h3>")
    shown = per_item[(per_item["missing"] + per_item["invalid"]) > 0]
    if len(shown):  # items answered by everyone are left out of the table
        body.append(_table(shown, table_id="tbl-missing", digits={"percent": 1}, labels=L))
    else:
        body.append(f"<p>{_esc(L['no_missing'])}</p>")
    if ctx.invalid:
        inv = pd.DataFrame(ctx.invalid)[["row", "respondent", "column", "value", "problem"]]
        inv["respondent"] = inv["respondent"].astype(str)
        inv["value"] = [plain_number(v) for v in inv["value"]]  # 7, not 7.0
        body.append(f"<h3>{_esc(L['invalid_cells'])} ({len(inv)})</h3>"
                    + _capped(inv, "tbl-invalid", "invalid-cells.csv", L))
    body.append(f"<h3>{_esc(L['incomplete'])} ({len(inc)})</h3>")
    if prorated:
        body.append(f"<p>{_esc(L['prorated_note'])}: "
                    + _esc(", ".join(f"{s} {c}" for s, c in prorated.items())) + ".</p>")
    if len(inc):
        body.append(_capped(inc, "tbl-incomplete", "incomplete-responses.csv",
                            {**L, "no_score": L["no_score_on"]}))
    else:
        body.append(f"<p>{_esc(L['no_missing'])}</p>")
    body.append(f"<h3>{_esc(L['careless'])}</h3>")
    crit = pd.DataFrame({"threshold": [f"≥ {th['longstring_min']}", f"≤ {th['irv_max']:.2f}"],
                         "count": [int(flag_ls.sum()), int(flag_irv.sum())]},
                        index=pd.Index([L["longstring"], L["irv"]], name="flags"))
    body.append(_table(crit, table_id="tbl-careless", labels=L))
    body.append(f"<h3>{_esc(L['flagged'])} ({len(flagged)})</h3>")
    if len(flagged):
        body.append(_capped(flagged, "tbl-flagged", "careless-flags.csv", L,
                            digits={"irv": 2}))
    else:
        body.append(f"<p>{_esc(L['none_flagged'])}</p>")
    body.append(_notes(scoring_notes))
    return data, "".join(body), "ok", None


def _norm_entry(ctx: _Context):
    """The norm entry whose bands are drawn: the overall one, or the only one."""
    ns = ctx.norms
    if ns is None:
        return None
    entry = ns.overall
    if entry is None and len(ns.entries) == 1:
        entry = ns.entries[0]
    return entry


def _distributions(ctx: _Context):
    from .report_figures import FONT, likert_bars

    L = ctx.L
    subs = ctx.subscales
    s = ctx.scores[subs]
    stats = pd.DataFrame({"n": s.notna().sum(), "mean": s.mean(), "sd": s.std(ddof=1),
                          "min": s.min(), "median": s.median(), "max": s.max()})
    stats.index = pd.Index(subs, name="subscale")
    entry = _norm_entry(ctx)
    info = ctx.scores.attrs.get("psychometrics") or {}
    rules = info.get("scoring") or {}
    bands_drawn = {}
    ncol = min(2, len(subs))
    nrow = math.ceil(len(subs) / ncol)
    fig = _new_figure(5.2 * ncol, 3.6 * nrow)
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
            colours = _band_colours(ctx, sid, len(sn.bands))
            for b, (a, z) in enumerate(zip(bounds[:-1], bounds[1:])):
                ax.axvspan(a, z, color=colours[b], alpha=0.7, lw=0)
                ax.text((a + z) / 2, 1.0, sn.bands[b].text(ctx.lang),
                        transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                        fontsize=FONT)
            for e, d_, b in zip(edges, drawn, sn.bands[1:]):
                # the edge's own value, as the norm file states it (>= 27, > 26.5 ...)
                ax.axvline(d_, color="0.25", lw=0.9, ls="--")
                ax.text(d_, 0.97, f"{'≥' if b.lower_inclusive else '>'} {_fmt(e, 2)}",
                        transform=ax.get_xaxis_transform(), ha="left", va="top",
                        fontsize=FONT, color="0.15",
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
            bands_drawn[sid] = {"edges": edges, "bands": [b.id for b in sn.bands]}
        if v.size:
            bins = np.arange(span[0] - 0.5, span[1] + 1.5) if integral else 20
            ax.hist(v, bins=bins, range=None if integral else span, color="#3b6ea5",
                    edgecolor="white", linewidth=0.5)
        ax.set_xlim(span[0] - 0.5, span[1] + 0.5)
        ax.set_title(f"{_sub_name(ctx, sid)} ({sid})", fontsize=FONT + 2,
                     pad=16 if sid in bands_drawn else 4)
        ax.set_xlabel(L["score"], fontsize=FONT + 1)
        ax.set_ylabel(L["frequency"], fontsize=FONT + 1)
        ax.tick_params(labelsize=FONT)
    fig.tight_layout()
    shown = stats.copy()
    shown.index = pd.Index([f"{_sub_name(ctx, i)} ({i})" for i in subs], name="subscale")
    body = _table(shown, table_id="tbl-distributions", digits=2, labels=L)
    caption = None
    if bands_drawn:
        caption = f"{L['norms']}: {ctx.norms.id}; " + "; ".join(
            f"{sid} {L['band_edges']} " + ", ".join(_fmt(e, 2) for e in d["edges"])
            for sid, d in bands_drawn.items())
    body += _figure(fig, L["distributions"], caption)
    # the answers to every item, as a diverging stacked bar (the usual Likert plot)
    inst = ctx.inst
    first = inst.item(inst.item_ids[0])
    codes = list(inst.item_codes(first))
    labels = _response_labels(inst, first, ctx.lang)
    item_names = [f"{i} ({_item_subscale(inst, i)})" for i in inst.item_ids]
    lfig = likert_bars(ctx.raw, item_names, codes, labels, xlabel=f"{L['share']} (%)")
    body += (f"<h3>{_esc(L['item_responses'])}</h3>"
             + _figure(lfig, L["item_responses"], None))
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
    texts = labels.get(lang) or labels.get("en")
    if not texts or len(texts) != len(inst.scale.codes):
        return None
    return dict(zip(inst.scale.codes, texts))


def _reliability(ctx: _Context, omega_boot: int, seed):
    from .reliability import omega, reliability
    from .scoring import keyed_items

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
    shown.index = pd.Index([f"{_sub_name(ctx, i)} ({i})" if i in ctx.inst.subscales else i
                            for i in tab.index], name="subscale")
    lab = {**L, "alpha": "α", "ci": f"α {L['ci']}", "omega": "ω", "omega_ci": f"ω {L['ci']}"}
    body = [_table(shown, table_id="tbl-reliability", digits=3, labels=lab)]
    item_cols = ["n", "mean", "sd", "r_drop", "alpha_if_deleted"]
    for sid, t in res.items.items():
        body.append(f"<h3>{_esc(L['items_of'])} {_esc(_sub_name(ctx, sid))} ({_esc(sid)})</h3>")
        body.append(_table(t[item_cols], table_id=f"tbl-items-{sid}", digits=3, labels=L))
    body.append(_notes(om_notes))
    data = {"subscales": tab.to_dict(orient="index"),
            "items": {sid: t[item_cols].to_dict(orient="index") for sid, t in res.items.items()},
            "missing": res.missing, "ci_method": res.ci_method, "omega": om,
            "omega_boot": omega_boot, "seed": seed}
    return data, "".join(body), "ok", None


def _factor(ctx: _Context, estimator: str, missing: str, seed):
    from .factor.cfa import cfa
    from .factor.parallel import parallel_analysis
    from .methods import apa_fit, fit_label
    from .report_figures import loadings_plot, scree_plot
    from .scoring import keyed_items

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
        body.append(f'<p class="fail">{_esc(L["not_converged"])}</p>')
    if not res.admissible:  # lavaan's post-check: Heywood cases, non-PD matrices, no SEs
        body.append(f'<p class="fail">{_esc(L.get("inadmissible", "Inadmissible solution"))}: '
                    f'{_esc("; ".join(res.problems))}</p>')
    miss_txt = L["cfa_missing_fiml"] if missing == "fiml" else L["cfa_missing_listwise"]
    body.append(f"<p>{_esc(L['estimator'])}: {_esc(estimator.upper())}; {_esc(miss_txt)}; "
                f"n = {res.n} / {len(frame)}</p>")
    body.append(f'<p class="apa" data-key="fit_line"><b>{_esc(L["fit_line"])}:</b> '
                f"{_esc(line)}</p>")
    body.append(f"<details><summary>{_esc(L['model'])}</summary><pre>{_esc(model)}</pre></details>")
    fit_labels = {**L, **{k: fit_label(k) for k in fit}}
    body.append(f"<h3>{_esc(L['fit'])}</h3>"
                + _table(fit_tab, table_id="tbl-fit", digits=3, labels=fit_labels))
    body.append(f"<h3>{_esc(L['loadings'])}</h3>"
                + _table(loadings, table_id="tbl-loadings", digits=3, labels=L))
    body.append(_figure(loadings_plot(load.replace(0.0, np.nan), xlabel=L["loadings"]),
                        L["loadings_fig"], None))
    fc = res.factor_correlations
    if fc.shape[0] > 1:
        body.append(f"<h3>{_esc(L['factor_correlations'])}</h3>"
                    + _table(fc.rename_axis("subscale"), table_id="tbl-factor-cor", digits=2,
                             labels=L))
    # how many factors do the data hold? Horn's parallel analysis, drawn as a scree plot
    pa = parallel_analysis(frame, seed=seed)
    t = pa.table()
    body.append(f"<h3>{_esc(L['scree'])}</h3>"
                + _figure(scree_plot(t["fa"], t["fa_sim"], n_factors=pa.n_factors,
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


def _rules(ctx: _Context) -> list:
    """The rules to apply: those of the norm set (when given) and the norm-free rules shipped
    for the instrument (cut-offs on raw scores need no norm set)."""
    from .classify import rules as rules_mod

    out = [rules_mod.get_rule(doc, ctx.inst.id) for doc in (ctx.norms.rules if ctx.norms else [])]
    ids = {r.id for r in out}
    # one pass over the shipped rule files (get_rule by id re-reads them on every call)
    out += [r for r in rules_mod.all_rules(ctx.inst.id) if not r.uses_norms and r.id not in ids]
    return out


def _rules_counts(ctx: _Context) -> dict:
    """Counts per level of every applicable rule (through :func:`psychometrics.rules.classify`)."""
    from .classify import classify

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
            counts[lv["id"]] = {"label": _label(lv["label"], ctx.lang),
                                "positive": bool(lv["positive"]),
                                "count": int((res["level"] == lv["id"]).sum())}
        out[rule.id] = {"name": rule.text(ctx.lang), "levels": counts,
                        "undetermined": int(res["level"].isna().sum()),
                        "n_positive": int(res["positive"].sum()), "n": len(res)}
    return out


def _label(label: Mapping, lang: str) -> str:
    return label.get(lang) or label.get("en") or next(iter(label.values()))


def _classification(ctx: _Context):
    L = ctx.L
    normed = ctx.normed
    body, data = [], {"norms": ctx.norms.id if ctx.norms is not None else None, "bands": {}}
    shares = {}
    entry = _norm_entry(ctx)
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
        shares[sid] = (tab["share"], _band_colours(ctx, sid, len(tab)))
        body.append(f"<h3>{_esc(L['bands_of'])} {_esc(_sub_name(ctx, sid))} ({_esc(sid)})</h3>"
                    + _table(tab, table_id=f"tbl-bands-{sid}", digits={"share": 1},
                             labels={**L, "share": f"{L['share']} (%)"}))
    if shares:
        fig = _new_figure(7.5, 0.7 + 0.55 * len(shares))
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
        body.insert(0, _figure(fig, L["classification"], f"{L['norms']}: {ctx.norms.id}"))
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
        body.append(f"<h3>{_esc(L['rules'])}</h3>"
                    + _table(pd.DataFrame(rows), table_id="tbl-rules", index=False,
                             digits={"share": 1}, labels={**L, "share": f"{L['share']} (%)"}))
    if not data["bands"] and not rules:
        return data, "", "skipped", L["no_norms"] if ctx.norms is None else L["no_rules"]
    return data, "".join(body), "ok", None


def _band_colours(ctx: _Context, sid: str, k: int) -> list[str]:
    """Band colours from good (green) to bad (red), in the subscale's own direction."""
    palettes = {2: ["#d9ead3", "#f4cccc"], 3: ["#d9ead3", "#fff2cc", "#f4cccc"],
                4: ["#d9ead3", "#fff2cc", "#fce5cd", "#f4cccc"],
                5: ["#b6d7a8", "#d9ead3", "#fff2cc", "#fce5cd", "#f4cccc"]}
    cols = palettes.get(k) or [_BAND_COLOURS[i % len(_BAND_COLOURS)] for i in range(k)]
    return cols[::-1] if ctx.inst.subscales[sid].higher_is == "better" else cols


def _level_label(v) -> str:
    """A criterion level as a reader writes it: 1, not 1.0."""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return f"{int(v)}"
    return str(v)


def complete_cutoff(cutoff: float, rule: str | None, direction: str) -> int | None:
    """The cut-off a respondent who answered every item meets, when a prorated sum is the cut-off.

    A sum subscale with a missing item is prorated (``21.375``), so the optimal cut-off can be a
    prorated value that no complete response has. For complete responses (whole sums),
    ``>= 38.86`` means ``>= 39`` and ``<= 38.86`` means ``<= 38``.

    Examples
    --------
    >>> complete_cutoff(38.857, "sum", "<="), complete_cutoff(38.857, "sum", ">=")
    (38, 39)
    >>> complete_cutoff(27.0, "sum", ">=") is None, complete_cutoff(2.5, "mean", ">=") is None
    (True, True)
    """
    if rule != "sum" or float(cutoff).is_integer() or not math.isfinite(cutoff):
        return None
    return math.ceil(cutoff) if direction == ">=" else math.floor(cutoff)


def _criterion(ctx: _Context, criterion, positive, n_boot: int, seed, prevalence):
    from .diagnostic import cutoffs, plot_roc, roc
    from .report_figures import FONT

    L = ctx.L
    if criterion is None:
        return {}, "", "skipped", L["no_criterion"]
    if isinstance(criterion, str):
        if criterion not in ctx.data.columns:
            from .errors import MissingColumnError
            raise MissingColumnError(f"criterion column {criterion!r} is not in the data")
        y = ctx.data[criterion]
        if isinstance(positive, str) and pd.api.types.is_numeric_dtype(y):
            try:  # "--positive 1" on the command line names the numeric level 1
                positive = float(positive)
            except ValueError:
                pass
    else:
        y = pd.Series(np.asarray(criterion), index=ctx.data.index)
    info = ctx.scores.attrs.get("psychometrics") or {}
    rules = info.get("scoring") or {}
    subs = [s for s in ctx.subscales if not ctx.inst.subscales[s].composite]
    rows, results, tables, notes = {}, {}, [], []
    ncol = min(3, len(subs))
    nrow = math.ceil(len(subs) / ncol)
    fig = _new_figure(4.2 * ncol, 4.2 * nrow)
    for k, sid in enumerate(subs):
        direction = ">=" if ctx.inst.subscales[sid].higher_is == "worse" else "<="
        keep = ctx.scores[sid].notna().to_numpy() & y.notna().to_numpy()
        x, yy = ctx.scores[sid][keep], y[keep]
        r = roc(x, yy, positive=positive, direction=direction, ci_method="bootstrap" if n_boot > 0 else "delong",
                n_boot=max(n_boot, 1), seed=seed, band=n_boot > 0)
        c = cutoffs(x, yy, positive=positive, direction=direction, n_boot=n_boot, seed=seed,
                    prevalence=prevalence)
        b = c.best
        rows[sid] = {"auc": r.auc, "auc_ci_low": r.auc_ci_low, "auc_ci_high": r.auc_ci_high,
                     "boot_ci_low": r.boot_ci_low, "boot_ci_high": r.boot_ci_high,
                     "direction": direction, "cutoff": b["cutoff"],
                     **{f"{m}{sfx}": b.get(f"{m}{sfx}") for m in
                        ("sensitivity", "specificity", "ppv", "npv")
                        for sfx in ("", "_ci_low", "_ci_high")},
                     "youden": b["youden_j"], "cases": r.n_cases, "controls": r.n_controls}
        cut = float(b["cutoff"])
        whole = complete_cutoff(cut, rules.get(sid), direction)
        if whole is not None:
            rows[sid]["cutoff_complete"] = whole
            notes.append(f"{sid}: " + L["prorated_cutoff"].format(
                value=f"{'≥' if direction == '>=' else '≤'} {_fmt(cut, 2)}",
                whole=f"{'≥' if direction == '>=' else '≤'} {whole}"))
        results[sid] = c
        ax = fig.add_subplot(nrow, ncol, k + 1)
        plot_roc(r, cutoff=c, ax=ax, title=f"{_sub_name(ctx, sid)} ({sid})")
        ax.title.set_fontsize(FONT + 2)
        ax.set_xlabel(f"1 - {L['specificity'].lower()}", fontsize=FONT + 1)
        ax.set_ylabel(L["sensitivity"].lower(), fontsize=FONT + 1)
        ax.tick_params(labelsize=FONT)
        if ax.get_legend() is not None:
            for t in ax.get_legend().get_texts():
                t.set_fontsize(FONT)
        cols = ["cutoff", "tp", "fp", "tn", "fn", "sensitivity", "specificity", "ppv", "npv",
                "youden_j"]
        t = c.table[[col for col in cols if col in c.table.columns]]
        tables.append(f"<details><summary>{_esc(L['all_cutoffs'])} {_esc(sid)}</summary>"
                      + _table(t, table_id=f"tbl-cutoffs-{sid}", index=False, digits=3, labels=L)
                      + "</details>")
    fig.tight_layout()

    def ci(r, m):
        lo, hi = r.get(f"{m}_ci_low"), r.get(f"{m}_ci_high")
        return (lo, hi) if lo is not None and hi is not None else ""
    tab = pd.DataFrame({
        "auc": [r["auc"] for r in rows.values()],
        "auc_ci": [(r["auc_ci_low"], r["auc_ci_high"]) for r in rows.values()],
        "boot_ci": [(r["boot_ci_low"], r["boot_ci_high"]) if r["boot_ci_low"] is not None
                    else "" for r in rows.values()],
        "cutoff": [f"{'≥' if r['direction'] == '>=' else '≤'} {_fmt(r['cutoff'], 2)}"
                   + (f" ({r['cutoff_complete']})" if "cutoff_complete" in r else "")
                   for r in rows.values()],
        "sensitivity": [r["sensitivity"] for r in rows.values()],
        "sensitivity_ci": [ci(r, "sensitivity") for r in rows.values()],
        "specificity": [r["specificity"] for r in rows.values()],
        "specificity_ci": [ci(r, "specificity") for r in rows.values()],
        "ppv": [r["ppv"] for r in rows.values()], "npv": [r["npv"] for r in rows.values()],
        "youden": [r["youden"] for r in rows.values()]},
        index=pd.Index([f"{_sub_name(ctx, s)} ({s})" for s in rows], name="subscale"))
    lab = {**L, "sensitivity_ci": L["ci_wilson"], "specificity_ci": L["ci_wilson"]}
    label = criterion if isinstance(criterion, str) else "criterion"
    first = rows[subs[0]]
    sample_prev = first["cases"] / max(first["cases"] + first["controls"], 1)
    prev_txt = (L["prevalence"].format(p=f"{100 * prevalence:g}") if prevalence is not None
                else L["sample_prevalence"].format(p=f"{100 * sample_prev:.1f}"))
    positive = results[subs[0]].positive  # as cutoffs resolved it (0/1 criteria: 1)
    body = (f"<p>{_esc(label)} = {_esc(_level_label(positive))}: {first['cases']} "
            f"{_esc(L['cases'])}, {first['controls']} {_esc(L['controls'])}. "
            f"{_esc(prev_txt)}.</p>"
            + _table(tab, table_id="tbl-roc", digits=3, labels=lab) + _notes(notes)
            + _figure(fig, "ROC", None) + "".join(tables))
    data = {"criterion": label, "positive": positive,
            "positive_label": _level_label(positive), "n_boot": n_boot, "seed": seed,
            "prevalence": prevalence, "sample_prevalence": sample_prev, "subscales": rows}
    return data, body, "ok", None


def _groups(ctx: _Context, by, min_group: int):
    from .groups import summarise

    L = ctx.L
    if not by:
        return {}, "", "skipped", L["no_by"]
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in by if c not in ctx.data.columns]
    if missing:
        from .errors import MissingColumnError
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
    body = (f"<p class=\"muted\">{_esc(L['suppressed_note'].format(n=min_group))}</p>"
            + _table(shown, table_id="tbl-groups", index=False,
                     digits={"n": 0, "mean": 2, "sd": 2, "share_top_quartile": 2},
                     labels={**L, "share_top_quartile": L["top_quartile"]},
                     row_class=["suppressed" if s else "" for s in res["suppressed"]]))
    effects = group_effects(frame, by, ctx.subscales, min_group=min_group)
    if len(effects):
        # p as APA prints it (< .001 rather than 0.000); the unrounded p stays in data
        shown_eff = effects.assign(p=["< .001" if v < 0.001 else f"{v:.3f}" if np.isfinite(v)
                                      else "" for v in effects["p"]])
        body += (f"<h3>{_esc(L['effects'])}</h3>"
                 + _table(shown_eff, table_id="tbl-effects", index=False,
                          digits={"groups_n": 0, "F": 2, "p": 3, "eta2": 3, "hedges_g": 2},
                          labels={**L, "subscale": L["subscale"]}))
    data = {"by": by, "min_group": min_group,
            "effects": effects.to_dict(orient="records"),
            "rows": res.to_dict(orient="records"),
            "suppressed": list(res.attrs.get("suppressed", []))}
    return data, body, "ok", None


def group_effects(frame: pd.DataFrame, by: Sequence[str], subscales: Sequence[str], *,
                  min_group: int = 10) -> pd.DataFrame:
    """Effect sizes of group differences: one-way ANOVA, eta squared and Hedges' g.

    Parameters
    ----------
    frame : DataFrame
        Scores (``subscales`` columns) and the grouping columns ``by``.
    by : list of str
        Each grouping column is compared on its own.
    subscales : list of str
    min_group : int
        Groups smaller than this are left out (as they are suppressed in the summaries).

    Returns
    -------
    DataFrame
        ``grouping``, ``subscale``, ``groups_n`` (groups compared), ``n``, ``F``, ``p``,
        ``eta2`` (between-groups sum of squares over the total), ``hedges_g`` (two groups
        only: the first minus the second in sorted order, pooled SD, small-sample corrected).

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
    estimators. *Journal of Educational Statistics*, 6, 107-128.

    Examples
    --------
    >>> df = pd.DataFrame({"EE": [1.0, 2, 3, 4, 5, 6], "g": list("aaabbb")})
    >>> group_effects(df, ["g"], ["EE"], min_group=2)[["F", "eta2"]].round(3).values.tolist()
    [[13.5, 0.771]]
    """
    from scipy import stats

    out = []
    for col in by:
        for sid in subscales:
            d = frame[[col, sid]].dropna()
            sizes = d.groupby(col, observed=True)[sid].transform("size")
            d = d[sizes >= min_group]
            g = d.groupby(col, observed=True)[sid]
            n_i, m_i, v_i = g.size(), g.mean(), g.var(ddof=1)
            k, n = len(n_i), int(n_i.sum())
            if k < 2 or n <= k:
                continue
            grand = d[sid].mean()
            ssb = float((n_i * (m_i - grand) ** 2).sum())
            ssw = float(((n_i - 1) * v_i).sum())
            F = (ssb / (k - 1)) / (ssw / (n - k)) if ssw > 0 else np.nan
            p = float(stats.f.sf(F, k - 1, n - k)) if np.isfinite(F) else np.nan
            g_ = np.nan
            if k == 2:
                sp = math.sqrt(ssw / (n - 2))
                j = 1 - 3 / (4 * (n - 2) - 1)  # Hedges' small-sample correction
                g_ = j * (m_i.iloc[0] - m_i.iloc[1]) / sp if sp > 0 else np.nan
            out.append({"grouping": col, "subscale": sid, "groups_n": k, "n": n, "F": F,
                        "p": p, "eta2": ssb / (ssb + ssw) if ssb + ssw > 0 else np.nan,
                        "hedges_g": g_})
    return pd.DataFrame(out, columns=["grouping", "subscale", "groups_n", "n", "F", "p",
                                      "eta2", "hedges_g"])


def _depression_scores(data: pd.DataFrame, depression, *, id) -> dict:
    """Scores of the depression/anxiety scales to show beside the burnout scores.

    ``depression``: ``"auto"`` (every shipped instrument with a depression or anxiety scale
    whose items are all columns of the data, named by item id), an instrument id or a list of
    ids, a dict ``{instrument id: scores}``, or None (no profile).
    """
    from .classify import comparison_instruments
    from .scoring import resolve_items, score
    if depression is None:
        return {}
    if isinstance(depression, Mapping):
        return dict(depression)
    ids = comparison_instruments() if depression == "auto" else (
        [depression] if isinstance(depression, str) else list(depression))
    out = {}
    for iid in ids:
        try:
            from .instruments import load_instrument
            resolve_items(data.columns, load_instrument(iid, warn=False), None)
        except PsychometricsError:
            if depression == "auto":
                continue  # not in this export
            raise
        out[iid] = score(data, iid, id=id, on_invalid="missing")
    return out


def _profile(ctx: _Context, depression):
    L = ctx.L
    from .classify import profile
    if not depression:
        return {}, "", "skipped", L["no_depression"]
    inst_id = ctx.scores.attrs["psychometrics"]["instrument"]
    res = profile({inst_id: ctx.scores, **depression},
                  norms={inst_id: ctx.norms} if ctx.norms is not None else None, lang=ctx.lang)
    d = res.to_dict() if hasattr(res, "to_dict") else jsonable(res)
    body = (f"<pre>{_esc(res.summary())}</pre>" if hasattr(res, "summary")
            else _table(res if isinstance(res, pd.DataFrame) else pd.DataFrame(d),
                        table_id="tbl-profile", labels=L))
    return {"profile": d}, body, "ok", None


def _methods_section(ctx: _Context, sections: list, criterion, by, min_group: int,
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
    entry = _norm_entry(ctx)
    if ctx.norms is not None and "classification" in got:
        doc = ctx.norms.doc
        src = doc.get("source")
        cut = []
        for sid, sn in (entry.subscales.items() if entry is not None else []):
            if sn.bands:
                cut.append(f"{sid} " + ", ".join(
                    f"{b.text(ctx.lang)} {'≥' if b.lower_inclusive else '>'} {_fmt(b.lower, 2)}"
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
    body = "".join(f"<p>{_esc(t)}</p>" for t in paragraphs)
    html_ = (f'<section id="sec-methods" data-status="ok"><h2>{_esc(ctx.L["methods"])}</h2>'
             f"{body}</section>")
    return Section(id="methods", title=ctx.L["methods"], status="ok",
                   data={"paragraphs": paragraphs, "run": run}, html=html_)


# ============================================================================ the entry point

def _read(data, *, id, source):
    if isinstance(data, pd.DataFrame):
        return data, None
    if isinstance(data, (str, Path)):
        from .io import read_export
        return read_export(data, source=source, id=id), str(data)
    raise DataError(f"data must be a DataFrame or a path to an export, not {type(data).__name__}")


def render_report(data, instrument, *, items=None, id: str | None = None,
                  form: str | None = None, keys=None, missing_codes=None, norms=None,
                  norm_by: Mapping[str, str] | None = None, by: Sequence[str] | str | None = None,
                  criterion=None, positive=None, lang: str = "en", source: str = "auto",
                  min_group: int = 10, longstring_min: int | None = None,
                  irv_max: float | None = None, estimator: str = "MLR",
                  cfa_missing: str = "auto", n_boot: int = 1000, omega_boot: int = 200,
                  seed=0, prevalence: float | None = None, depression="auto",
                  title: str | None = None, progress: bool | None = None,
                  irt=None) -> Report:
    """Render the whole analysis of one export as a self-contained HTML report.

    Parameters
    ----------
    data : DataFrame, str or Path
        The export (a path is read with :func:`psychometrics.io.read_export`). Never modified.
    instrument : str, Path or Instrument
        Instrument id or file.
    items : None, dict, str or path
        Item mapping, as for :func:`psychometrics.score`.
    id : str, optional
        Respondent id column.
    form, keys, missing_codes
        As for :func:`psychometrics.score`.
    norms : str, Path or NormSet, optional
        Norm set: bands drawn on the histograms, band counts, the norm set's rules.
    norm_by : dict, optional
        Norm stratum -> data column (``by`` of :func:`psychometrics.apply_norms`).
    by : str or list of str, optional
        Grouping columns for the group summaries (small cells suppressed).
    criterion : str or array-like, optional
        A two-level criterion column (or values): ROC curve, AUC and cut-off table per subscale.
    positive : label, optional
        The criterion level that is a case.
    lang : {"en", "nl", "fr"}
        Language of titles, labels, subscale names and band labels.
    source : str
        Export flavour when ``data`` is a path (see :func:`psychometrics.io.read_export`).
    min_group : int
        Groups smaller than this are suppressed in the group summaries.
    longstring_min, irv_max
        Careless-responding thresholds (see :func:`careless_flags`).
    estimator : str
        CFA estimator: ``"MLR"`` (default: robust ML, lavaan's MLR), ``"ML"``, ``"WLSMV"``,
        ``"DWLS"``.
    cfa_missing : {"auto", "fiml", "listwise"}
        Missing answers in the CFA: ``"auto"`` is full-information ML (lavaan's
        ``missing = "ml"``: every respondent with at least one answer) for ML/MLR and
        listwise deletion for the ordinal estimators, which have no FIML.
    n_boot, seed
        Bootstrap resamples and seed of the ROC/cut-off CIs (``n_boot=0``: DeLong only).
    omega_boot : int
        Bootstrap resamples of the omega CIs (0: omega without CI); the same ``seed``.
    prevalence : float, optional
        Population prevalence at which PPV and NPV of the cut-offs are given (default: the
        sample's).
    depression : "auto", str, list, dict or None
        Depression/anxiety scales for the differential-diagnosis profile
        (:func:`psychometrics.profile`): ``"auto"`` (default) scores every shipped instrument
        with a depression or anxiety scale (4DKL, HAMD-17, BDI-II) whose items are columns of
        the data, named by item id; or instrument ids, or ``{instrument id: scores}``. The
        section is left out when there is none.
    title : str, optional
        The page title (default: "Questionnaire report" in ``lang``).
    progress : bool, optional
        A progress line on stderr; shown only when stderr is a terminal, never when False.
    irt : str or dict, optional
        Opt-in IRT section: a model name (``"pcm"``, ``"grm"``...) or options of
        :func:`psychometrics.irt_analysis` (``{"model": "pcm", "dif": "language"}``).

    Returns
    -------
    Report
        ``html`` (the page), ``save(path)``, ``to_dict()`` (the numbers shown, unrounded),
        ``sections`` (each ``ok``, ``failed`` with the reason, or ``skipped``).

    Raises
    ------
    DataError
        When the instrument's items cannot all be found in the data (the message gives the
        mapping check's problems and a suggested ``items=`` pattern).

    Notes
    -----
    Every number comes from the package's public functions, called as a user would:
    :func:`~psychometrics.scoring.score` with ``on_invalid="missing"`` (invalid cells are
    listed, not fatal), :func:`~psychometrics.reliability.reliability` (pairwise, Feldt CI),
    :func:`~psychometrics.factor.cfa.cfa` on the reverse-keyed items with the instrument's own
    model, :func:`~psychometrics.norms.apply_norms`, :func:`~psychometrics.cutoff.roc` and
    :func:`~psychometrics.cutoff.cutoffs` (direction from the subscale's ``higher_is``) and
    :func:`~psychometrics.norms.summarise`. Their R agreement is documented there.
    Careless-responding indices are computed on the raw codes in questionnaire order.

    Examples
    --------
    >>> from psychometrics.io import example_path
    >>> rep = render_report(example_path("mbi-hss-qualtrics.csv"), "mbi-hss",
    ...                     items=example_path("mbi-hss-items.yaml"), id="ResponseId",
    ...                     norms="mbi-hss-overall", by="department")
    >>> [s.status for s in rep.sections]
    ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'skipped', 'ok', 'skipped']
    >>> rep.to_dict()["sections"]["quality"]["data"]["invalid_cells"]
    3
    >>> rep.html.startswith("<!DOCTYPE html>")
    True
    """
    from . import __version__
    from .instruments import load_instrument
    from .norms import apply_norms, load_norms
    from .scoring import match_items, read_items, resolve_items, score

    if lang not in LANGS:
        raise DataError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    L = LABELS[lang]
    check_choice(cfa_missing, ("auto", "fiml", "ml", "listwise"), "cfa_missing")
    if cfa_missing == "ml":
        cfa_missing = "fiml"
    check_positive_int(omega_boot, "omega_boot", minimum=0)
    if prevalence is not None and not 0 < float(prevalence) < 1:
        raise OptionError(f"prevalence must be between 0 and 1 (exclusive), not {prevalence!r}",
                          "prevalence", prevalence)
    steps = ["read", "quality", "distributions", "reliability", "factor", "classification",
             "criterion", "groups", "profile"]
    bar = _Progress(steps, progress)
    try:
        bar.step("reading the export")
        frame, path = _read(data, id=id, source=source)
        if isinstance(items, Path):
            items = str(items)
        inst = load_instrument(instrument, keys=keys, form=form)
        match = match_items(frame, inst, items=items, id=id)
        if match.missing:
            raise DataError(f"the items of {inst.id!r} cannot be found in the data: "
                            + "; ".join(match.problems))
        mapping = resolve_items(frame.columns, inst, items)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scores = score(frame, inst, items=mapping, id=id, on_invalid="missing",
                           missing_codes=missing_codes)
        scoring_notes = list(dict.fromkeys(str(w.message) for w in caught))
        raw, invalid = read_items(frame, inst, mapping, id=id, on_invalid="missing",
                                  missing_codes=missing_codes)
        respondents = list(frame[id]) if id is not None else list(frame.index)
        subs = [s for s in inst.subscales if s in scores.columns]
        ctx = _Context(data=frame, inst=inst, mapping=mapping, id=id, lang=lang, L=L,
                       scores=scores, raw=raw, invalid=invalid, respondents=respondents,
                       subscales=subs, norm_by=dict(norm_by) if norm_by else None)
        norm_error = None
        if norms is not None:
            try:
                ctx.norms = load_norms(norms)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ctx.normed = apply_norms(scores, ctx.norms, norm_by=ctx.norm_by, lang=lang,
                                             data=frame)
            except PsychometricsError as exc:
                norm_error = f"{type(exc).__name__}: {exc}"
                ctx.norms = ctx.normed = None
        codes = [c for it in inst.items for c in inst.item_codes(it)]
        careless = careless_flags(pd.DataFrame(raw, index=frame.index, columns=inst.item_ids),
                                  longstring_min=longstring_min, irv_max=irv_max,
                                  scale_range=float(max(codes) - min(codes)))
        sections = []
        bar.step("data quality")
        sections.append(_run("quality", L["quality"],
                             lambda c: _quality(c, match, careless, scoring_notes), ctx))
        bar.step("score distributions")
        sections.append(_run("distributions", L["distributions"], _distributions, ctx))
        bar.step("reliability")
        sections.append(_run("reliability", L["reliability"],
                             lambda c: _reliability(c, omega_boot, seed), ctx))
        bar.step(f"CFA ({estimator}) and parallel analysis")
        sections.append(_run("factor", L["factor"],
                             lambda c: _factor(c, estimator, cfa_missing, seed), ctx))
        bar.step("classification")
        if norm_error is not None:
            def _norm_failed(c):
                raise DataError(norm_error)
            sections.append(_run("classification", L["classification"], _norm_failed, ctx))
        else:
            sections.append(_run("classification", L["classification"], _classification, ctx))
        bar.step(f"ROC and cut-offs ({n_boot} bootstrap resamples)")
        sections.append(_run("criterion", L["criterion"],
                             lambda c: _criterion(c, criterion, positive, n_boot, seed,
                                                  prevalence), ctx))
        bar.step("group summaries")
        sections.append(_run("groups", L["groups"], lambda c: _groups(c, by, min_group), ctx))
        bar.step("profile")
        sections.append(_run("profile", L["profile"],
                             lambda c: _profile(c, _depression_scores(frame, depression, id=id)), ctx))
        if irt is not None:  # opt-in: psychometrics.irt.report builds the section
            from .irt.report import report_section
            sections.append(_run("irt", "Item response theory", lambda c: report_section(
                c.data, c.inst, irt, items=c.mapping, id=c.id), ctx))
    finally:
        bar.close()
    sections.insert(0, _methods_section(ctx, sections, criterion, by, min_group, prevalence))
    meta = {"instrument": inst.id, "instrument_name": inst.name, "version": inst.version,
            "form": inst.form, "file": path, "n": len(frame), "lang": lang,
            "norms": ctx.norms.id if ctx.norms is not None else None,
            "by": [by] if isinstance(by, str) else list(by or []),
            "criterion": criterion if isinstance(criterion, str) else None,
            "psychometrics": __version__, "date": _dt.date.today().isoformat(),
            "title": title or L["title"]}
    page = _page(title or L["title"], meta, sections, L)
    return Report(meta=meta, sections=tuple(sections), html=page)


def _page(title: str, meta: dict, sections: list[Section], L: dict) -> str:
    shown = [s for s in sections if s.status != "skipped"]
    skipped = [s for s in sections if s.status == "skipped" and s.id != "profile"]
    info = [f"<span><b>{_esc(L['instrument'])}:</b> {_esc(meta['instrument_name'])}"
            + (f" ({_esc(L['form'])} {_esc(meta['form'])})" if meta["form"] else "") + "</span>",
            f"<span><b>n</b> = {meta['n']}</span>"]
    if meta["file"]:
        info.append(f"<span><b>{_esc(L['file'])}:</b> {_esc(Path(meta['file']).name)}</span>")
    if meta["norms"]:
        info.append(f"<span><b>{_esc(L['norms'])}:</b> {_esc(meta['norms'])}</span>")
    info.append(f"<span><b>{_esc(L['generated'])}:</b> {_esc(meta['date'])} "
                f"{_esc(L['by'])} {_esc(meta['psychometrics'])}</span>")
    toc = "".join(f'<li><a href="#sec-{s.id}">{_esc(s.title)}</a></li>' for s in shown)
    skip = ("<p class=\"muted\">" + _esc(L["not_included"]) + ": "
            + "; ".join(f"{_esc(s.title)} ({_esc(s.message)})" for s in skipped) + "</p>"
            if skipped else "")
    return ("<!DOCTYPE html>\n"
            f'<html lang="{_esc(meta["lang"])}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_esc(title)}: {_esc(meta['instrument'])}</title>"
            f"<style>{_CSS}</style></head><body><main>"
            f"<h1>{_esc(title)}</h1><p class=\"meta\">{' '.join(info)}</p>"
            f"<nav><b>{_esc(L['contents'])}</b><ol>{toc}</ol></nav>{skip}"
            + "".join(s.html for s in shown)
            + f"<footer>psychometrics {_esc(meta['psychometrics'])}</footer>"
            "</main></body></html>\n")
