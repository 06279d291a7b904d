"""``psychometrics report FILE --instrument ID ... -o report.html``: the whole job in one file.

    psychometrics report FILE --instrument ID [--items MAPPING] [--id COL] [--form F]
                         [--norms ID] [--norm-by STRATUM=COLUMN ...] [--group COL ...]
                         [--criterion COL --positive LEVEL] [--lang en|nl|fr]
                         [--source auto|qualtrics|limesurvey|spss|csv|excel] -o report.html

The HTML page is written by this handler (``-o`` ending in ``.html``; default
``<FILE stem>-report.html``); ``-o x.json`` or ``--json`` give the numbers shown instead.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .common import (
    add_command,
    add_group,
    add_instrument_options,
    add_norm_by,
    add_output_options,
    parse_items,
    parse_missing_codes,
    parse_norm_by,
    require_file,
    split_list,
)


def register(sub) -> None:
    p = add_command(
        sub, "report", help="one self-contained HTML (or Word) report: quality, scores, norms, reliability, CFA",
        description="Read a survey export and write one self-contained report (no network "
                    "needed to view it): a methods section written from what was run, data "
                    "quality (incomplete responses apart from careless-responding flags), score "
                    "distributions against the norm bands, item response plots, reliability "
                    "(alpha and omega with CIs) with item tables, the factor structure (CFA by "
                    "MLR with full-information ML for missing answers, an APA fit line, "
                    "loadings with SEs, a scree plot with parallel analysis), classification "
                    "counts, ROC and cut-offs against a criterion, and group summaries with "
                    "effect sizes and small groups suppressed.\n\n"
                    "-o ending in .html writes the page, .docx a Word document with the same "
                    "tables and figures, .json the numbers shown.",
        examples=["psychometrics report examples/mbi-hss-qualtrics.csv -i mbi-hss "
                  "--items examples/mbi-hss-items.yaml --id ResponseId --norms mbi-hss-overall "
                  "--group department -o report.html",
                  "psychometrics report examples/validation-sample.csv -i mbi-hss --id id "
                  "--criterion diagnosis --positive burnout --prevalence 0.1 -o report.docx"])
    add_instrument_options(p, on_invalid=False, file_after_words=True)
    p.add_argument("--missing-codes", help="codes that mean 'no answer', e.g. -99,99")
    p.add_argument("--source", default="auto",
                   choices=["auto", "qualtrics", "limesurvey", "spss", "csv", "excel"],
                   help="the survey tool that wrote the export (default: recognise it)")
    p.add_argument("--norms", help="norm set id or file: bands, classification rules")
    add_norm_by(p, old_by=False)
    add_group(p, help="grouping column for the group summaries and effect sizes (repeatable "
                      "or comma-separated)", old_by="words")
    p.add_argument("--min-group", type=int, default=10,
                   help="suppress groups with fewer respondents (default 10)")
    p.add_argument("--criterion", help="two-level criterion column (diagnosis): ROC and cut-offs")
    p.add_argument("--positive", help="the criterion level that is a case (e.g. burnout, or 1)")
    p.add_argument("--prevalence", type=float,
                   help="population prevalence (0-1) for the PPV/NPV of the cut-offs "
                        "(default: the sample's)")
    p.add_argument("--lang", choices=["en", "nl", "fr"], default="en", help="report language")
    p.add_argument("--estimator", default="MLR", choices=["ML", "MLR", "DWLS", "WLSMV"],
                   help="CFA estimator (default MLR: robust ML)")
    p.add_argument("--cfa-missing", default="auto", choices=["auto", "fiml", "listwise"],
                   help="missing answers in the CFA: auto = full-information ML for ML/MLR, "
                        "listwise for DWLS/WLSMV")
    p.add_argument("--n-boot", type=int, default=1000,
                   help="bootstrap resamples for the ROC/cut-off CIs (0: DeLong only)")
    p.add_argument("--omega-boot", type=int, default=200,
                   help="bootstrap resamples for the omega CIs (default 200; 0: no CI)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--n-jobs", type=int, default=None,
                   help="processes computing the sections side by side (default: one per core, "
                        "at most 4; 1: one after another); the report is the same")
    p.add_argument("--title", help="page title")
    p.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    p.add_argument("--strict", action="store_true",
                   help="exit with an error when any section failed (a section asked for with "
                        "--by, --criterion or --norms always does)")
    add_output_options(p, formats=(".html", ".docx", ".json"))
    p.set_defaults(func=run_report)


#: The report's sections run in at most this many processes by default (eight sections, of
#: which four carry nearly all the work).
MAX_JOBS = 4


def _n_jobs(asked: int | None) -> int | None:
    """``--n-jobs``, or one process per core this program may use, at most :data:`MAX_JOBS`."""
    if asked is not None:
        return asked  # render_report checks it (a whole number >= 1)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_JOBS, cores or 1))


def run_report(args: argparse.Namespace):
    from .._checks import check_option
    from ..io.writers import atomic_write, check_format
    from ..report import render_report

    require_file(args, "report")
    output = args.output or f"{Path(args.file).stem}-report.html"
    suffix = check_format(output, (".html", ".docx", ".json"))
    check_option(args.positive is None or args.criterion is not None,
                 "--positive needs --criterion COLUMN", "positive", args.positive)
    missing = parse_missing_codes(args.missing_codes)
    rep = render_report(args.file, args.instrument, items=parse_items(args.items), id=args.id,
                        form=args.form, keys=args.keys, missing_codes=missing,
                        norms=args.norms, norm_by=parse_norm_by(args.norm_by),
                        by=split_list(args.group) or None,
                        criterion=args.criterion, positive=args.positive, lang=args.lang,
                        source=args.source, min_group=args.min_group, estimator=args.estimator,
                        cfa_missing=args.cfa_missing, n_boot=args.n_boot,
                        omega_boot=args.omega_boot, prevalence=args.prevalence,
                        seed=args.seed, title=args.title,
                        progress=not args.no_progress, n_jobs=_n_jobs(args.n_jobs))
    if suffix in (".html", ".docx"):
        atomic_write(output, rep.save)  # never a half-written report (.docx by its extension)
        rep.meta["output"] = str(output)  # shown by summary(); meta is a plain dict
        args.output = None  # written here; the printer must not write it again
    else:
        args.output = output  # cli.emit writes to_dict() as JSON
    _check_sections(rep, args, output)
    return rep


def _check_sections(rep, args, output) -> None:
    """A section the user asked for (``--group``, ``--criterion``, ``--norms``) that failed is an
    error (exit 2), as is any failed section with ``--strict``; the page is written anyway."""
    asked = {"groups": args.group, "criterion": args.criterion, "classification": args.norms}
    failed = [s for s in rep.sections if s.status == "failed"
              and (getattr(args, "strict", False) or asked.get(s.id))]
    if failed:
        from ..errors import PsychometricsError
        if str(output).lower().endswith(".html"):
            where = f"{output} was written, but "
        else:
            where = ""
        raise PsychometricsError(where + "; ".join(f"section {s.id!r} failed: {s.message}"
                                                   for s in failed))
