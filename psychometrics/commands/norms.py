"""``psychometrics norms list|show|rules|build``, ``psychometrics classify`` and ``psychometrics summarise``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..errors import DataError, NormError
from .common import (
    add_command,
    add_group,
    add_instrument_options,
    add_norm_by,
    add_output_options,
    add_scoring_options,
    busy,
    parse_items,
    parse_missing_codes,
    parse_norm_by,
    split_list,
)
from .score import scores_from_args

if TYPE_CHECKING:  # annotations only: `psychometrics --help` must not load pandas
    import pandas as pd


def register(sub) -> None:
    p = add_command(
        sub, "norms", help="list, show and build norm sets",
        description="The shipped norm sets and cut-off rules, one norm set's provenance and "
                    "bands (with --ci the bootstrap CIs of its percentiles), and building a "
                    "norm set of your own from a sample (stratified, weighted or raked).",
        examples=["psychometrics norms list -i mbi-hss",
                  "psychometrics norms show mbi-hss-overall",
                  "psychometrics norms build sample.csv -i mbi-hss --id id --norm-by sex "
                  "--norm-by language --margins margins.yaml --seed 1 -o my-norms.yaml"])
    nsub = p.add_subparsers(dest="action", metavar="ACTION")
    nsub.required = True
    _register_list(nsub)
    _register_show(nsub)
    _register_rules(nsub)
    _register_build(nsub)
    _register_classify(sub)
    _register_summarise(sub)


def _register_list(nsub) -> None:
    lp = add_command(nsub, "list", help="list the shipped norm and cut-off sets",
                     description="One line per shipped norm set: instrument, population, "
                                 "country, year, n and method.",
                     examples="psychometrics norms list -i mbi-hss")
    lp.add_argument("--instrument", "-i", help="only the norm sets of this instrument")
    add_output_options(lp)
    lp.set_defaults(func=_list)


def _register_show(nsub) -> None:
    sp = add_command(nsub, "show", help="show a norm set: provenance, bands, quartiles, rules",
                     description="A norm set's source, population, year and n, its bands and "
                                 "quartiles per stratum and its rules; --table prints the "
                                 "score -> percentile rank/T/stanine table of a subscale and "
                                 "--ci the bootstrap confidence intervals of the percentiles "
                                 "held in a built norm file.",
                     examples=["psychometrics norms show mbi-hss-overall",
                               "psychometrics norms show my-norms.yaml --ci",
                               "psychometrics norms show my-norms.yaml --table EE "
                               "--stratum sex=female"])
    sp.add_argument("norms", help="norm set id or norm file")
    sp.add_argument("--table", metavar="SUBSCALE", help="print the score -> PR/T/stanine table of a subscale")
    sp.add_argument("--stratum", action="append", metavar="VAR=LEVEL", help="stratum for --table (repeatable)")
    sp.add_argument("--ci", action="store_true",
                    help="print the percentiles with their bootstrap CIs (norm files built by "
                         "'norms build')")
    add_output_options(sp)
    sp.set_defaults(func=_show)


def _register_rules(nsub) -> None:
    rp = add_command(nsub, "rules", help="list the classification rules (of an instrument)",
                     description="Every shipped classification rule (burnout rules, risk zones, "
                                 "criteria sets): its id, instrument, whether it needs a norm "
                                 "set, and its source.",
                     examples="psychometrics norms rules -i mbi-hss")
    rp.add_argument("--instrument", "-i", help="only the rules for this instrument")
    add_output_options(rp)
    rp.set_defaults(func=_rules)


def _register_build(nsub) -> None:
    bp = add_command(nsub, "build", help="build a norm set from a sample and write it as a norm file",
                     description="Score a sample (or read its scores with --scored) and build "
                                 "empirical norms (percentile tables, quartiles and bands with "
                                 "bootstrap CIs), optionally by strata (--norm-by), with survey "
                                 "weights or raking to population margins. The norm file is "
                                 "then applied with 'score --norms FILE --norm-by ...'.",
                     examples="psychometrics norms build sample.csv -i mbi-hss --id id "
                              "--norm-by sex --norm-by language --margins margins.yaml "
                              "--bootstrap 500 --seed 1 -o my-norms.yaml")
    add_instrument_options(bp)
    add_scoring_options(bp)
    add_norm_by(bp, help="stratum column of the new norms (repeatable or comma-separated); "
                         "STRATUM=COLUMN names the stratum differently from the column")
    bp.add_argument("--scored", action="store_true",
                    help="FILE already holds subscale scores (columns named by subscale id)")
    bp.add_argument("--scale", choices=["sum", "mean"],
                    help="with --scored: how those scores were computed (never guessed)")
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
    bp.add_argument("--country", default="", help="country of the sample (e.g. BE)")
    bp.add_argument("--language", default="", help="language of the questionnaire (e.g. nl)")
    bp.add_argument("--year", type=int, help="year of data collection")
    bp.add_argument("--source", help="citation of the study the sample comes from")
    bp.add_argument("--chunksize", type=int, metavar="N",
                    help="read the file N respondents at a time and build the norms in one pass "
                         "(files larger than memory; .csv or .parquet; no --weights/--margins/--smooth)")
    add_output_options(bp, formats=(".yaml", ".yml", ".json"))
    bp.set_defaults(func=_build)


def _register_classify(sub) -> None:
    cp = add_command(sub, "classify", help="classify respondents with a rule (burnout rules, risk zones, bands)",
                     description="Apply a classification rule (see 'psychometrics norms rules') "
                                 "to each respondent: the level, whether it is positive, and "
                                 "why. Rules on bands or quartiles need --norms.",
                     examples="psychometrics classify examples/validation-sample.csv -i mbi-hss "
                              "--id id --rule mbi-hss-overall-ee-or-dp --norms mbi-hss-overall")
    add_instrument_options(cp)
    add_scoring_options(cp)
    cp.add_argument("--rule", "-r", required=True, help="rule id (see 'psychometrics norms rules')")
    cp.add_argument("--norms", help="norm set for band/quartile conditions (required by the quartile rule)")
    add_norm_by(cp)
    cp.add_argument("--fallback", choices=["error", "overall"], default="error",
                    help="respondents whose stratum is not in the norm set: stop (default) or "
                         "use the overall norms")
    cp.add_argument("--lang", choices=["en", "nl", "fr"], default="en", help="label language")
    cp.add_argument("--scored", action="store_true", help="FILE already holds subscale scores (columns named by subscale id)")
    cp.add_argument("--scale", choices=["sum", "mean"], help="with --scored: how those scores were computed")
    add_output_options(cp)
    cp.set_defaults(func=_classify)


def _register_summarise(sub) -> None:
    gp = add_command(sub, "summarise", aliases=("summarize",),
                     help="group summaries with small groups suppressed",
                     description="Mean, SD and n of every subscale per group (--group), with "
                                 "groups smaller than --min-group suppressed; optionally the "
                                 "share at or above a cut-off or in a norm set's top quartile.",
                     examples="psychometrics summarise examples/mbi-hss-qualtrics.csv -i mbi-hss "
                              "--items 'Q1_{n}' --id ResponseId --on-invalid missing "
                              "--group department")
    add_instrument_options(gp)
    add_scoring_options(gp)
    add_group(gp, required=True)
    gp.add_argument("--min-group", type=int, default=10, help="suppress groups smaller than this (default 10)")
    gp.add_argument("--cutoff", action="append", metavar="SUBSCALE=VALUE", help="report the share at or above VALUE")
    gp.add_argument("--norms", help="report the share in this norm set's top quartile")
    add_norm_by(gp, old_by=False, help="strata of --norms: STRATUM=COLUMN (repeatable)")
    gp.add_argument("--scored", action="store_true", help="FILE already holds subscale scores")
    gp.add_argument("--scale", choices=["sum", "mean"], help="with --scored: how those scores were computed")
    add_output_options(gp)
    gp.set_defaults(func=_summarise)


def _list(args):
    from ..norms import norm_catalogue
    cat = norm_catalogue(args.instrument)
    return cat if args.json else cat.set_index("id")


def _show(args):
    from .._checks import check_key_value
    from ..norms import load_norms
    ns = load_norms(args.norms)
    if args.ci:
        table = norm_cis(ns)
        return table.reset_index() if args.json else table
    if args.table:
        stratum = dict(check_key_value(s, "stratum", hint=f"--stratum {s!r}: use VAR=LEVEL, "
                                                          "e.g. --stratum sex=female")
                       for s in (args.stratum or []))
        return ns.table(args.table, **stratum)
    return ns


def _rules(args):
    from ..classify import list_rules
    return list_rules(args.instrument)


def norm_cis(ns) -> pd.DataFrame:
    """The percentiles of a built norm set with the bootstrap CIs its file holds."""
    created = ns.doc.get("created") or {}
    rows = []
    for e in ns.doc.get("norms") or []:
        stratum = ", ".join(f"{k}={v}" for k, v in (e.get("stratum") or {}).items()) or "overall"
        for sid, sub in (e.get("subscales") or {}).items():
            for key, q in (sub.get("quantiles") or {}).items():
                rows.append({"stratum": stratum, "subscale": sid, "percentile": key,
                             "value": q.get("value"), "ci_low": q.get("ci_low"),
                             "ci_high": q.get("ci_high"), "n": sub.get("n", e.get("n"))})
    if not rows:
        raise NormError(f"norm set {ns.id!r} holds no bootstrap CIs (only norm files built with "
                        "'psychometrics norms build' do); see 'psychometrics norms show "
                        f"{ns.id}'")
    import pandas as pd

    out = pd.DataFrame(rows).set_index(["stratum", "subscale", "percentile"])
    level = created.get("level")
    out.attrs["title"] = (f"{ns.id}: percentiles with {100 * float(level):g}% bootstrap CIs "
                          f"({created.get('bootstrap')} resamples, seed {created.get('seed')})"
                          if level else ns.id)
    return out


def _build(args: argparse.Namespace):
    from .._checks import check_option
    check_option(bool(args.output), "say where to write the norm file with -o OUT.yaml",
                 "output")
    if getattr(args, "chunksize", None) is not None:
        return _build_stream(args)
    scores, data = scores_from_args(args)
    strata = parse_norm_by(args.norm_by) or {}
    renamed = {col: name for name, col in strata.items() if name != col}
    if renamed:  # --norm-by sex=gender: the stratum is called sex, the column is gender
        data = data.rename(columns=renamed)
        scores = scores.rename(columns=renamed)
    margins = None
    if args.margins:
        from pathlib import Path

        from ..instruments import read_yaml
        margins = read_yaml(Path(args.margins))
        if not isinstance(margins, dict):
            raise DataError(f"{args.margins}: margins must be {{column: {{level: share}}}}")
    with busy(f"building norms ({args.bootstrap} bootstrap resamples)"):
        ns = _build_norms(args, scores, data, list(strata) or None, margins)
    ns.to_file(args.output)
    args.output = None  # written as a norm file here; the printer must not overwrite it with JSON
    return ns


def _build_norms(args, scores, data, by, margins):
    from ..norms import build_norms
    return build_norms(scores, args.instrument, by=by, weights=args.weights,
                     margins=margins, bootstrap=args.bootstrap, seed=args.seed, min_n=args.min_n,
                     smooth=args.smooth, age=args.age, data=data, id=args.norm_id, name=args.name,
                     population=args.population, country=args.country, language=args.language,
                     year=args.year, source=args.source)


def _build_stream(args):
    """``norms build --chunksize N``: one pass over a file larger than memory."""
    from .._checks import check_option
    from ..norms_stream import build_norms_file
    check_option(not (args.weights or args.margins or args.smooth or getattr(args, "scored", False)),
                 "--chunksize builds unweighted norms from the items in one pass; --weights, "
                 "--margins, --smooth and --scored need the whole file in memory", "chunksize",
                 args.chunksize)
    missing = parse_missing_codes(args.missing_codes)
    strata = parse_norm_by(args.norm_by) or {}
    check_option(all(name == col for name, col in strata.items()),
                 "--chunksize: name each stratum after its column (--norm-by sex); renaming a "
                 "column needs the in-memory build", "norm_by", args.norm_by)
    ns = build_norms_file(args.file, args.instrument, items=parse_items(args.items), id=args.id,
                          by=list(strata) or None, bootstrap=args.bootstrap, seed=args.seed,
                          min_n=args.min_n, keys=args.keys, form=args.form, chunksize=args.chunksize,
                          norm_id=args.norm_id, name=args.name, population=args.population,
                          country=args.country, language=args.language, year=args.year,
                          source=args.source, on_invalid=args.on_invalid, missing_codes=missing)
    ns.to_file(args.output)
    args.output = None  # written as a norm file here; the printer must not overwrite it with JSON
    return ns


def _classify(args):
    from ..classify import classify
    scores, data = scores_from_args(args)
    return classify(scores, args.rule, norms=args.norms, norm_by=parse_norm_by(args.norm_by), fallback=args.fallback,
                    lang=args.lang, data=data, id=args.id if args.id in scores.columns else None)


def _summarise(args):
    from .._checks import check_key_value, check_number, check_option
    from ..groups import summarise
    scores, data = scores_from_args(args)
    cutoffs = {}
    for c in args.cutoff or []:
        hint = f"--cutoff {c!r}: use SUBSCALE=VALUE, e.g. EE=27"
        k, v = check_key_value(c, "cutoff", hint=hint)
        cutoffs[k] = check_number(v, "cutoff", hint=hint)
    groups = split_list(args.group)
    check_option(bool(groups), "say which column(s) to group by with --group COLUMN", "group")
    return summarise(scores, groups, min_group=args.min_group, cutoffs=cutoffs or None,
                     norms=args.norms, norm_by=parse_norm_by(args.norm_by), data=data)
