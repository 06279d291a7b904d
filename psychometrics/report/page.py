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

This module assembles the page; each section is a module of this package, the page's HTML and
CSS are files in ``templates/``.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from string import Template

import pandas as pd

from .._checks import check_choice, check_positive_int
from ..careless import careless_flags
from ..errors import DataError, OptionError, PsychometricsError
from .classification import classification_section
from .context import Context, run_section
from .criterion import criterion_section
from .distributions import distributions_section
from .factor import factor_section
from .groups import groups_section
from .irt_section import IRT_TITLE, irt_section
from .labels import LABELS, LANGS
from .markup import esc
from .methods_section import methods_section
from .parallel import Job, run_sections
from .profile import depression_scores, profile_section
from .progress import Progress
from .quality import quality_section
from .reliability import reliability_section
from .results import Report, Section

__all__ = ["render_report"]

_TEMPLATES = Path(__file__).parent / "templates"

#: The status line's steps, in the order :func:`render_report` runs them.
_STEPS = ("read", "quality", "distributions", "reliability", "factor", "classification",
          "criterion", "groups", "profile")


def _read(data, *, id, source):
    if isinstance(data, pd.DataFrame):
        return data, None
    if isinstance(data, (str, Path)):
        from ..io import read_export
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
                  irt=None, n_jobs: int | None = 1) -> Report:
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
        Careless-responding thresholds (see :func:`psychometrics.careless.careless_flags`).
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
    n_jobs : int or None
        Processes that compute the sections side by side (default 1: one after another). On
        Linux, from a program with a single Python thread, the sections run in up to
        ``n_jobs`` forked workers; the report is the same byte for byte
        (:mod:`psychometrics.report.parallel`). The CLI uses up to 4.

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
    # Long only by its docstring (every option of the report, documented once); the work is
    # in _check_options, _prepare, _apply_norms, _careless and one module per section.
    from .. import __version__

    cfa_missing = _check_options(lang, cfa_missing, omega_boot, prevalence)
    L = LABELS[lang]
    if n_jobs is not None:
        n_jobs = check_positive_int(n_jobs, "n_jobs")
    bar = Progress(_STEPS + (("irt",) if irt is not None else ()), progress)
    try:
        bar.step("reading the export")
        frame, path = _read(data, id=id, source=source)
        ctx, match, scoring_notes = _prepare(frame, instrument, items=items, id=id, form=form,
                                             keys=keys, missing_codes=missing_codes, lang=lang,
                                             norm_by=norm_by)
        norm_error = _apply_norms(ctx, norms)
        careless = _careless(ctx, longstring_min, irv_max)
        bar.step("data quality")
        quality = run_section("quality", L["quality"],
                              lambda c: quality_section(c, match, careless, scoring_notes), ctx)
        if norm_error is not None:
            def classification(c):
                raise DataError(norm_error)
        else:
            classification = classification_section
        jobs: list[Job] = [
            ("distributions", L["distributions"], distributions_section, "score distributions"),
            ("reliability", L["reliability"], lambda c: reliability_section(c, omega_boot, seed),
             "reliability"),
            ("factor", L["factor"], lambda c: factor_section(c, estimator, cfa_missing, seed),
             f"CFA ({estimator}) and parallel analysis"),
            ("classification", L["classification"], classification, "classification"),
            ("criterion", L["criterion"],
             lambda c: criterion_section(c, criterion, positive, n_boot, seed, prevalence),
             f"ROC and cut-offs ({n_boot} bootstrap resamples)"),
            ("groups", L["groups"], lambda c: groups_section(c, by, min_group), "group summaries"),
            ("profile", L["profile"],
             lambda c: profile_section(c, depression_scores(frame, depression, id=id)), "profile"),
        ]
        if irt is not None:  # opt-in: psychometrics.irt.report builds the section
            jobs.append(("irt", IRT_TITLE, lambda c: irt_section(c, irt), "IRT"))
        sections = [quality, *run_sections(jobs, ctx, n_jobs=n_jobs, step=bar.step)]
    finally:
        bar.close()
    sections.insert(0, methods_section(ctx, sections, criterion, by, min_group, prevalence))
    inst = ctx.inst
    meta = {"instrument": inst.id, "instrument_name": inst.name, "version": inst.version,
            "form": inst.form, "file": path, "n": len(frame), "lang": lang,
            "norms": ctx.norms.id if ctx.norms is not None else None,
            "by": [by] if isinstance(by, str) else list(by or []),
            "criterion": criterion if isinstance(criterion, str) else None,
            "psychometrics": __version__, "date": _dt.date.today().isoformat(),
            "title": title or L["title"]}
    page = _page(title or L["title"], meta, sections, L)
    return Report(meta=meta, sections=tuple(sections), html=page)


def _check_options(lang: str, cfa_missing: str, omega_boot: int, prevalence) -> str:
    """Check the options before any work; returns ``cfa_missing`` with ``"ml"`` as ``"fiml"``."""
    if lang not in LANGS:
        raise DataError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    check_choice(cfa_missing, ("auto", "fiml", "ml", "listwise"), "cfa_missing")
    check_positive_int(omega_boot, "omega_boot", minimum=0)
    if prevalence is not None and not 0 < float(prevalence) < 1:
        raise OptionError(f"prevalence must be between 0 and 1 (exclusive), not {prevalence!r}",
                          "prevalence", prevalence)
    return "fiml" if cfa_missing == "ml" else cfa_missing


def _prepare(frame: pd.DataFrame, instrument, *, items, id, form, keys, missing_codes,
             lang: str, norm_by) -> tuple[Context, object, list]:
    """Load the instrument, check the mapping and score: the context every section reads,
    the mapping check, and the scoring's warnings (shown in the quality section)."""
    from ..instruments import load_instrument
    from ..scoring import match_items, read_items, resolve_items, score

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
    ctx = Context(data=frame, inst=inst, mapping=mapping, id=id, lang=lang, L=LABELS[lang],
                  scores=scores, raw=raw, invalid=invalid, respondents=respondents,
                  subscales=subs, norm_by=dict(norm_by) if norm_by else None)
    return ctx, match, scoring_notes


def _apply_norms(ctx: Context, norms) -> str | None:
    """Load and apply the norm set into ``ctx``; the error's text when that fails (the
    classification section then says why, and the rest of the report goes on)."""
    from ..norms import apply_norms, load_norms

    if norms is None:
        return None
    try:
        ctx.norms = load_norms(norms)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ctx.normed = apply_norms(ctx.scores, ctx.norms, norm_by=ctx.norm_by, lang=ctx.lang,
                                     data=ctx.data)
    except PsychometricsError as exc:
        ctx.norms = ctx.normed = None
        return f"{type(exc).__name__}: {exc}"
    return None


def _careless(ctx: Context, longstring_min: int | None, irv_max: float | None) -> pd.DataFrame:
    """Careless-responding indices on the raw codes, the scale's range from the item codes."""
    inst = ctx.inst
    codes = [c for it in inst.items for c in inst.item_codes(it)]
    return careless_flags(pd.DataFrame(ctx.raw, index=ctx.data.index, columns=inst.item_ids),
                          longstring_min=longstring_min, irv_max=irv_max,
                          scale_range=float(max(codes) - min(codes)))


@cache
def _template(name: str) -> str:
    return (_TEMPLATES / name).read_text(encoding="utf-8")


def _page(title: str, meta: dict, sections: list[Section], L: dict) -> str:
    """The whole page: ``templates/page.html`` with the style sheet inline."""
    shown = [s for s in sections if s.status != "skipped"]
    skipped = [s for s in sections if s.status == "skipped" and s.id != "profile"]
    info = [f"<span><b>{esc(L['instrument'])}:</b> {esc(meta['instrument_name'])}"
            + (f" ({esc(L['form'])} {esc(meta['form'])})" if meta["form"] else "") + "</span>",
            f"<span><b>n</b> = {meta['n']}</span>"]
    if meta["file"]:
        info.append(f"<span><b>{esc(L['file'])}:</b> {esc(Path(meta['file']).name)}</span>")
    if meta["norms"]:
        info.append(f"<span><b>{esc(L['norms'])}:</b> {esc(meta['norms'])}</span>")
    info.append(f"<span><b>{esc(L['generated'])}:</b> {esc(meta['date'])} "
                f"{esc(L['by'])} {esc(meta['psychometrics'])}</span>")
    toc = "".join(f'<li><a href="#sec-{s.id}">{esc(s.title)}</a></li>' for s in shown)
    skip = ("<p class=\"muted\">" + esc(L["not_included"]) + ": "
            + "; ".join(f"{esc(s.title)} ({esc(s.message)})" for s in skipped) + "</p>"
            if skipped else "")
    return Template(_template("page.html")).substitute(
        lang=esc(meta["lang"]), title=esc(title), instrument=esc(meta["instrument"]),
        css=_template("report.css"), info=" ".join(info), contents=esc(L["contents"]),
        toc=toc, skipped=skip, sections="".join(s.html for s in shown),
        version=esc(meta["psychometrics"]))
