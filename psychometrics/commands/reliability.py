"""``psychometrics reliability FILE --instrument ID``: alpha and item analysis per subscale."""

from __future__ import annotations

import argparse

from .common import add_command, add_instrument_options, add_output_options, busy


def register(subparsers) -> None:
    p = add_command(
        subparsers, "reliability", help="alpha, lambda 6 and item statistics of every subscale",
        description="Internal consistency (Cronbach's alpha, standardised alpha, Guttman's "
                    "lambda 6, average r, a confidence interval) and item analysis of every "
                    "subscale of an instrument, as psych::alpha computes them. For omega, see "
                    "'psychometrics omega'.",
        examples="psychometrics reliability examples/mbi-hss-qualtrics.csv -i mbi-hss "
                 "--items 'Q1_{n}' --id ResponseId --on-invalid missing")
    add_instrument_options(p)
    p.add_argument("--missing", choices=["pairwise", "listwise"], default="pairwise",
                   help="pairwise covariances (psych's default) or complete cases")
    p.add_argument("--ci", choices=["feldt", "duhachek", "bootstrap", "none"], default="feldt",
                   help="confidence interval of alpha (default: feldt)")
    p.add_argument("--level", type=float, default=0.95, help="CI coverage (default 0.95)")
    p.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples")
    p.add_argument("--seed", type=int, default=None, help="bootstrap seed")
    add_output_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace):
    from psychometrics.io import read_export
    from psychometrics.reliability import reliability

    data = read_export(args.file, id=args.id)
    with busy(f"reliability ({args.ci} CI)"):
        return reliability(data, args.instrument, items=args.items, form=args.form,
                           keys=args.keys, id=args.id, missing=args.missing,
                           ci_method=None if args.ci == "none" else args.ci, level=args.level,
                           n_boot=args.n_boot, seed=args.seed, on_invalid=args.on_invalid)
