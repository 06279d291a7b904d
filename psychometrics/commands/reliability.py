"""``psychometrics reliability FILE --instrument ID``: alpha and item analysis per subscale."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    from psychometrics.cli import add_command, add_output_options

    p = add_command(
        subparsers, "reliability", help="alpha, lambda 6 and item statistics of every subscale",
        description="Internal consistency (Cronbach's alpha, standardised alpha, Guttman's "
                    "lambda 6, average r, a confidence interval) and item analysis of every "
                    "subscale of an instrument, as psych::alpha computes them. For omega, see "
                    "'psychometrics omega'.",
        examples="psychometrics reliability examples/mbi-hss-qualtrics.csv -i mbi-hss "
                 "--items 'Q1_{n}' --id ResponseId --on-invalid missing")
    p.add_argument("file", help="data file (.csv, .xlsx, .sav)")
    p.add_argument("--instrument", "-i", required=True, help="instrument id or instrument YAML file")
    p.add_argument("--items", help="item mapping: a pattern such as 'MBI_{n}' or a YAML file")
    p.add_argument("--form", help="answer direction of instruments published in two forms (OLBI)")
    p.add_argument("--keys", help="a key file of your own that replaces the instrument's keys")
    p.add_argument("--id", help="column of respondent ids (checked for duplicates)")
    p.add_argument("--missing", choices=["pairwise", "listwise"], default="pairwise",
                   help="pairwise covariances (psych's default) or complete cases")
    p.add_argument("--ci", choices=["feldt", "duhachek", "bootstrap", "none"], default="feldt",
                   help="confidence interval of alpha (default: feldt)")
    p.add_argument("--level", type=float, default=0.95, help="CI coverage (default 0.95)")
    p.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples")
    p.add_argument("--seed", type=int, default=None, help="bootstrap seed")
    p.add_argument("--on-invalid", choices=["raise", "missing"], default="raise",
                   help="invalid responses: stop with an error, or treat as missing")
    add_output_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace):
    from psychometrics.cli import busy
    from psychometrics.io import read_export
    from psychometrics.reliability import reliability

    data = read_export(args.file, id=args.id)
    with busy(f"reliability ({args.ci} CI)"):
        return reliability(data, args.instrument, items=args.items, form=args.form,
                           keys=args.keys, id=args.id, missing=args.missing,
                           ci_method=None if args.ci == "none" else args.ci, level=args.level,
                           n_boot=args.n_boot, seed=args.seed, on_invalid=args.on_invalid)
