"""``psychometrics omega FILE -i ID``: McDonald's omega of every subscale, with bootstrap CIs."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .common import add_command, add_instrument_options, add_output_options, busy, parse_items

if TYPE_CHECKING:  # annotations only: `psychometrics --help` must not load pandas
    import pandas as pd


def register(subparsers) -> None:
    p = add_command(
        subparsers, "omega", help="McDonald's omega of every subscale (psych::omega), with CIs",
        description="Omega total (and hierarchical, with --n-factors > 1) of every subscale of "
                    "an instrument, on its reverse-keyed items, as psych::omega computes it "
                    "(pairwise correlations, Schmid-Leiman), beside alpha, with percentile "
                    "bootstrap confidence intervals. --columns analyses any set of columns "
                    "as one scale.",
        examples=["psychometrics omega examples/mbi-hss-qualtrics.csv -i mbi-hss "
                  "--items 'Q1_{n}' --on-invalid missing --seed 1",
                  "psychometrics omega data.csv --columns A1,A2,A3,A4,A5 --n-boot 0"])
    src = p.add_mutually_exclusive_group(required=True)
    add_instrument_options(p, instrument_in=src)
    src.add_argument("--columns", help="comma-separated item columns analysed as one scale")
    p.add_argument("--subscale", action="append", metavar="ID",
                   help="only these subscales (repeatable; default: every subscale with 3+ items)")
    p.add_argument("--n-factors", type=int, default=1,
                   help="group factors of the Schmid-Leiman solution (default 1: a one-factor "
                        "model per subscale)")
    p.add_argument("--level", type=float, default=0.95, help="CI coverage (default 0.95)")
    p.add_argument("--n-boot", type=int, default=1000,
                   help="bootstrap resamples for the CIs (default 1000; 0: no CI)")
    p.add_argument("--seed", type=int, default=None, help="bootstrap seed")
    add_output_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> pd.DataFrame:
    from psychometrics._checks import check_option
    from psychometrics.errors import MissingColumnError
    from psychometrics.io import read_export
    from psychometrics.reliability import omega

    data = read_export(args.file, id=args.id)
    if args.columns:
        cols = [c.strip() for c in args.columns.split(",") if c.strip()]
        missing = [c for c in cols if c not in data.columns]
        if missing:
            raise MissingColumnError(f"{args.file}: no column(s) {missing}")
        scales = {"scale": data[cols]}
    else:
        from psychometrics.scoring import keyed_items
        blocks = keyed_items(data, args.instrument, items=parse_items(args.items),
                             form=args.form, keys=args.keys, on_invalid=args.on_invalid)
        wanted = args.subscale or [s for s, b in blocks.items() if b.shape[1] >= 3]
        unknown = [s for s in wanted if s not in blocks]
        check_option(not unknown, f"--subscale {unknown}: not a subscale of {args.instrument} "
                                  f"({', '.join(blocks)})", "subscale", unknown)
        scales = {s: blocks[s] for s in wanted}
    rows = []
    for name, items in scales.items():
        with busy(f"omega of {name} ({args.n_boot} bootstrap resamples)"):
            res = omega(items, n_factors=args.n_factors,
                        ci_method="bootstrap" if args.n_boot > 0 else None, level=args.level,
                        n_boot=max(args.n_boot, 1), seed=args.seed, cfa=False)
        ci = (res.ci or {}).get("omega_total", {})
        rows.append({"subscale": name, "k": items.shape[1], "n": res.n_obs,
                     "omega_total": res.omega_total, "ci_low": ci.get("low"),
                     "ci_high": ci.get("high"), "omega_h": res.omega_h, "alpha": res.alpha})
    import pandas as pd

    out = pd.DataFrame(rows)
    return out if args.json else out.set_index("subscale")
