"""``psychometrics norms list|show|rules|build``, ``psychometrics classify`` and ``psychometrics summarise``."""

from __future__ import annotations

import argparse

from ..cli import add_output_options
from ..errors import DataError
from .score import add_instrument_options, parse_by, parse_items


def register(sub) -> None:
    p = sub.add_parser("norms", help="list, show and build norm sets")
    nsub = p.add_subparsers(dest="action", metavar="ACTION")
    nsub.required = True

    lp = nsub.add_parser("list", help="list the shipped norm and cut-off sets")
    lp.add_argument("--instrument", "-i", help="only the norm sets of this instrument")
    add_output_options(lp)
    lp.set_defaults(func=_list)

    sp = nsub.add_parser("show", help="show a norm set: provenance, bands, quartiles, rules")
    sp.add_argument("norms", help="norm set id or norm file")
    sp.add_argument("--table", metavar="SUBSCALE", help="print the score -> PR/T/stanine table of a subscale")
    sp.add_argument("--stratum", action="append", metavar="VAR=LEVEL", help="stratum for --table (repeatable)")
    add_output_options(sp)
    sp.set_defaults(func=_show)

    rp = nsub.add_parser("rules", help="list the classification rules (of an instrument)")
    rp.add_argument("--instrument", "-i", help="only the rules for this instrument")
    add_output_options(rp)
    rp.set_defaults(func=_rules)

    bp = nsub.add_parser("build", help="build a norm set from a sample and write it as a norm file",
                         description="Score a sample and build empirical norms (percentile tables, "
                                     "quartiles and bands with bootstrap CIs), optionally by strata, "
                                     "with survey weights or raking to population margins.")
    add_instrument_options(bp)
    bp.add_argument("--by", action="append", metavar="COLUMN", help="stratum column (repeatable or comma-separated)")
    bp.add_argument("--weights", metavar="COLUMN", help="survey weight column")
    bp.add_argument("--margins", metavar="FILE", help="YAML/JSON {column: {level: share}} to rake the sample to")
    bp.add_argument("--bootstrap", type=int, default=2000, help="resamples for the CIs (default 2000; 0 = none)")
    bp.add_argument("--seed", type=int, default=None, help="bootstrap seed (same seed, same norms)")
    bp.add_argument("--min-n", type=int, default=50, help="suppress strata with fewer respondents (default 50)")
    bp.add_argument("--smooth", choices=["age"], help="also fit continuous norms by age (cNORM-like)")
    bp.add_argument("--age", default="age", help="age column for --smooth (default 'age')")
    bp.add_argument("--norm-id", help="id of the new norm set")
    bp.add_argument("--name", help="name of the new norm set")
    bp.add_argument("--population", default="", help="who the sample represents")
    bp.add_argument("--country", default="")
    bp.add_argument("--language", default="")
    bp.add_argument("--year", type=int)
    bp.add_argument("--source", help="citation of the study the sample comes from")
    bp.add_argument("--chunksize", type=int, metavar="N",
                    help="read the file N respondents at a time and build the norms in one pass "
                         "(files larger than memory; .csv or .parquet; no --weights/--margins/--smooth)")
    add_output_options(bp)
    bp.set_defaults(func=_build)

    cp = sub.add_parser("classify", help="classify respondents with a rule (burnout rules, risk zones, bands)")
    add_instrument_options(cp)
    cp.add_argument("--rule", "-r", required=True, help="rule id (see 'psychometrics norms rules')")
    cp.add_argument("--norms", help="norm set for band/quartile conditions (required by the quartile rule)")
    cp.add_argument("--by", action="append", metavar="STRATUM=COLUMN", help="map a norm stratum to a data column")
    cp.add_argument("--fallback", choices=["error", "overall"], default="error")
    cp.add_argument("--lang", choices=["en", "nl", "fr"], default="en", help="label language")
    cp.add_argument("--scored", action="store_true", help="FILE already holds subscale scores (columns named by subscale id)")
    add_output_options(cp)
    cp.set_defaults(func=_classify)

    gp = sub.add_parser("summarise", aliases=["summarize"], help="group summaries with small groups suppressed")
    add_instrument_options(gp)
    gp.add_argument("--by", action="append", required=True, metavar="COLUMN", help="grouping column (repeatable)")
    gp.add_argument("--min-group", type=int, default=10, help="suppress groups smaller than this (default 10)")
    gp.add_argument("--cutoff", action="append", metavar="SUBSCALE=VALUE", help="report the share at or above VALUE")
    gp.add_argument("--norms", help="report the share in this norm set's top quartile")
    gp.add_argument("--norm-by", action="append", metavar="STRATUM=COLUMN", help="strata of --norms")
    gp.add_argument("--scored", action="store_true", help="FILE already holds subscale scores")
    add_output_options(gp)
    gp.set_defaults(func=_summarise)


def _list(args):
    from ..norms import norm_catalogue
    cat = norm_catalogue(args.instrument)
    return cat if args.json else cat.set_index("id")


def _show(args):
    from ..norms import load_norms
    ns = load_norms(args.norms)
    if args.table:
        stratum = dict(s.split("=", 1) for s in (args.stratum or []))
        return ns.table(args.table, **stratum)
    return ns


def _rules(args):
    from ..rules import list_rules
    return list_rules(args.instrument)


def _split(values) -> list[str]:
    return [v.strip() for item in (values or []) for v in item.split(",") if v.strip()]


def _scores(args):
    """Score the export (or read ready-made scores with --scored); returns (scores, data)."""
    if getattr(args, "scored", False):
        from ..instruments import load_instrument
        from ..io import read_table
        data = read_table(args.file, id=args.id)
        inst = load_instrument(args.instrument, keys=args.keys, form=args.form, warn=False)
        scores = data.copy()
        scores.attrs["psychometrics"] = {"instrument": inst.id, "scoring": {
            s: v.scoring for s, v in inst.subscales.items() if s in data.columns}}
        return scores, data
    from .score import score_from_args
    return score_from_args(args)


def _build(args: argparse.Namespace):
    from ..norms import build_norms
    if not args.output:
        raise DataError("say where to write the norm file with -o OUT.yaml")
    if getattr(args, "chunksize", None) is not None:
        return _build_stream(args)
    scores, data = _scores(args)
    margins = None
    if args.margins:
        from pathlib import Path

        from ..instruments import read_yaml
        margins = read_yaml(Path(args.margins))
        if not isinstance(margins, dict):
            raise DataError(f"{args.margins}: margins must be {{column: {{level: share}}}}")
    ns = build_norms(scores, args.instrument, by=_split(args.by) or None, weights=args.weights,
                     margins=margins, bootstrap=args.bootstrap, seed=args.seed, min_n=args.min_n,
                     smooth=args.smooth, age=args.age, data=data, id=args.norm_id, name=args.name,
                     population=args.population, country=args.country, language=args.language,
                     year=args.year, source=args.source)
    ns.to_file(args.output)
    args.output = None  # written as a norm file here; the printer must not overwrite it with JSON
    return ns


def _build_stream(args):
    """``norms build --chunksize N``: one pass over a file larger than memory."""
    from ..stream import build_norms_file
    if args.weights or args.margins or args.smooth or getattr(args, "scored", False):
        raise DataError("--chunksize builds unweighted norms from the items in one pass; "
                        "--weights, --margins, --smooth and --scored need the whole file in memory")
    missing = [float(x) for x in args.missing_codes.split(",")] if args.missing_codes else None
    ns = build_norms_file(args.file, args.instrument, items=parse_items(args.items), id=args.id,
                          by=_split(args.by) or None, bootstrap=args.bootstrap, seed=args.seed,
                          min_n=args.min_n, keys=args.keys, form=args.form, chunksize=args.chunksize,
                          norm_id=args.norm_id, name=args.name, population=args.population,
                          country=args.country, language=args.language, year=args.year,
                          source=args.source, on_invalid=args.on_invalid, missing_codes=missing)
    ns.to_file(args.output)
    args.output = None  # written as a norm file here; the printer must not overwrite it with JSON
    return ns


def _classify(args):
    from ..rules import classify
    scores, data = _scores(args)
    return classify(scores, args.rule, norms=args.norms, by=parse_by(args.by), fallback=args.fallback,
                    lang=args.lang, data=data, id=args.id if args.id in scores.columns else None)


def _summarise(args):
    from ..norms import summarise
    scores, data = _scores(args)
    cutoffs = {}
    for c in args.cutoff or []:
        k, _, v = c.partition("=")
        try:
            cutoffs[k] = float(v)
        except ValueError:
            raise DataError(f"--cutoff {c!r}: use SUBSCALE=VALUE, e.g. EE=27") from None
    return summarise(scores, _split(args.by), min_group=args.min_group, cutoffs=cutoffs or None,
                     norms=args.norms, norm_by=parse_by(args.norm_by), data=data)
