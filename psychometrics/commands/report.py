"""``psychometrics report FILE --instrument ID ... -o report.html``: the whole job in one file.

    psychometrics report FILE --instrument ID [--items MAPPING] [--id COL] [--form F]
                         [--norms ID] [--norm-by STRATUM=COLUMN ...] [--by COL ...]
                         [--criterion COL --positive LEVEL] [--lang en|nl|fr]
                         [--source auto|qualtrics|limesurvey|spss|csv|excel] -o report.html

The HTML page is written by this handler (``-o`` ending in ``.html``; default
``<FILE stem>-report.html``); ``-o x.json`` or ``--json`` give the numbers shown instead.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..cli import add_output_options
from ..errors import DataError
from .score import parse_by, parse_items


def register(sub) -> None:
    p = sub.add_parser(
        "report", help="one self-contained HTML report: quality, scores, norms, reliability, CFA",
        description="Read a survey export and write one self-contained HTML report (no network "
                    "needed to view it): data quality and careless responding, score "
                    "distributions against the norm bands, reliability with item tables, the "
                    "factor structure (CFA), classification counts, ROC and cut-offs against a "
                    "criterion, and group summaries with small groups suppressed.")
    p.add_argument("file", help="the export: Qualtrics/LimeSurvey CSV, .xlsx, .sav or plain CSV")
    p.add_argument("--instrument", "-i", required=True, help="instrument id or instrument file")
    p.add_argument("--items", help="item mapping: a pattern such as 'Q1_{n}', a YAML file, or id=col,...")
    p.add_argument("--id", help="respondent id column")
    p.add_argument("--form", help="answer-direction form (e.g. OLBI agree-low / agree-high)")
    p.add_argument("--keys", help="your own key file overriding the instrument's keys")
    p.add_argument("--missing-codes", help="codes that mean 'no answer', e.g. -99,99")
    p.add_argument("--source", default="auto",
                   choices=["auto", "qualtrics", "limesurvey", "spss", "csv", "excel"],
                   help="the survey tool that wrote the export (default: recognise it)")
    p.add_argument("--norms", help="norm set id or file: bands, classification rules")
    p.add_argument("--norm-by", action="append", metavar="STRATUM=COLUMN",
                   help="map a norm stratum to a data column (repeatable)")
    p.add_argument("--by", action="extend", nargs="+", metavar="COL",
                   help="grouping column(s) for group summaries")
    p.add_argument("--min-group", type=int, default=10,
                   help="suppress groups with fewer respondents (default 10)")
    p.add_argument("--criterion", help="two-level criterion column (diagnosis): ROC and cut-offs")
    p.add_argument("--positive", help="the criterion level that is a case")
    p.add_argument("--lang", choices=["en", "nl", "fr"], default="en", help="report language")
    p.add_argument("--estimator", default="ML", choices=["ML", "MLR", "DWLS", "WLSMV"],
                   help="CFA estimator (default ML)")
    p.add_argument("--n-boot", type=int, default=1000,
                   help="bootstrap resamples for the ROC/cut-off CIs (0: DeLong only)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    p.add_argument("--title", help="page title")
    p.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    add_output_options(p, formats=(".html", ".json"))
    p.set_defaults(func=run_report)


def run_report(args: argparse.Namespace):
    from ..output import atomic_write, check_format
    from ..report import render_report

    output = args.output or f"{Path(args.file).stem}-report.html"
    suffix = check_format(output, (".html", ".json"))
    if args.positive is not None and args.criterion is None:
        raise DataError("--positive needs --criterion COLUMN")
    missing = ([float(x) for x in args.missing_codes.split(",")] if args.missing_codes else None)
    rep = render_report(args.file, args.instrument, items=parse_items(args.items), id=args.id,
                        form=args.form, keys=args.keys, missing_codes=missing,
                        norms=args.norms, norm_by=parse_by(args.norm_by), by=args.by,
                        criterion=args.criterion, positive=args.positive, lang=args.lang,
                        source=args.source, min_group=args.min_group, estimator=args.estimator,
                        n_boot=args.n_boot, seed=args.seed, title=args.title,
                        progress=not args.no_progress)
    if suffix == ".html":
        atomic_write(output, rep.save)  # never a half-written report
        rep.meta["output"] = str(output)  # shown by summary(); meta is a plain dict
        args.output = None  # written here; the printer must not write it again
    else:
        args.output = output  # cli.emit writes to_dict() as JSON
    return rep
