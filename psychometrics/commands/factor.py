"""``psychometrics efa FILE (--items A1,A2,... | --instrument ID) [--factors N]``.

Prints factorability (KMO, Bartlett), parallel analysis and the factor solution. Without
``--factors`` the number suggested by parallel analysis is used.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from .._results import Result
from .common import add_command, add_instrument_options, add_output_options, busy, parse_items


@dataclass(frozen=True)
class EFAReport(Result):
    """What ``psychometrics efa`` prints: KMO, Bartlett, parallel analysis and the EFA."""

    kmo: object
    bartlett: object
    parallel: object
    efa: object

    def to_dict(self) -> dict:
        return {"kmo": self.kmo.to_dict(), "bartlett": self.bartlett.to_dict(),
                "parallel": self.parallel.to_dict(), "efa": self.efa.to_dict()}

    def summary(self) -> str:
        return "\n\n".join([self.kmo.summary(), self.bartlett.summary(),
                            self.parallel.summary(), self.efa.summary()])


def register(subparsers) -> None:
    p = add_command(
        subparsers, "efa", help="exploratory factor analysis with KMO, Bartlett and parallel analysis",
        description="Exploratory factor analysis as psych::fa (pairwise correlations, n = all "
                    "rows), with the Kaiser-Meyer-Olkin measure, Bartlett's test and Horn's "
                    "parallel analysis (psych::fa.parallel).",
        examples=["psychometrics efa examples/mbi-hss-qualtrics.csv -i mbi-hss "
                  "--item-map 'Q1_{n}' --on-invalid missing --seed 1",
                  "psychometrics efa data.csv --items A1,A2,A3,A4,A5 --factors 1"])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--items", help="comma-separated item columns, e.g. A1,A2,A3")
    add_instrument_options(p, instrument_in=src, items_option="--item-map")
    p.add_argument("--factors", type=int, default=None,
                   help="number of factors (default: parallel analysis' suggestion)")
    p.add_argument("--method", choices=["minres", "ml"], default="minres", help="factoring method (default minres)")
    p.add_argument("--rotation", choices=["oblimin", "varimax", "promax", "none"],
                   default="oblimin", help="rotation (default oblimin)")
    p.add_argument("--missing", choices=["pairwise", "listwise"], default="pairwise", help="correlations from pairwise (default) or complete rows")
    p.add_argument("--n-iter", type=int, default=20, help="parallel analysis simulations")
    p.add_argument("--seed", type=int, default=None, help="parallel analysis seed")
    add_output_options(p)
    p.set_defaults(func=run)


def _items(args: argparse.Namespace):

    from psychometrics._checks import check_option
    from psychometrics.errors import MissingColumnError
    from psychometrics.io import read_export

    data = read_export(args.file, id=args.id)
    if args.items is not None:
        cols = [c.strip() for c in args.items.split(",") if c.strip()]
        check_option(bool(cols), f"--items {args.items!r} names no columns; give them as "
                     "q1,q2,...", "items", args.items)
        missing = [c for c in cols if c not in data.columns]
        if missing:
            raise MissingColumnError(f"{args.file}: no column(s) {missing}")
        return data[cols]
    from psychometrics.scoring import item_frame
    return item_frame(data, args.instrument, items=parse_items(args.item_map), form=args.form,
                      keys=args.keys, id=args.id, on_invalid=args.on_invalid)


def run(args: argparse.Namespace) -> EFAReport:
    from psychometrics._checks import check_option
    from psychometrics.factor.adequacy import bartlett, kmo
    from psychometrics.factor.efa import efa
    from psychometrics.factor.parallel import parallel_analysis

    items = _items(args)
    with busy(f"parallel analysis ({args.n_iter} simulations)"):
        pa = parallel_analysis(items, n_iter=args.n_iter, seed=args.seed, missing=args.missing)
    nf = args.factors if args.factors is not None else max(1, pa.n_factors)
    check_option(nf < items.shape[1], f"--factors {nf} is too many for {items.shape[1]} items",
                 "factors", nf)
    rotation = None if args.rotation == "none" else args.rotation
    return EFAReport(kmo=kmo(items, missing=args.missing),
                     bartlett=bartlett(items, missing=args.missing), parallel=pa,
                     efa=efa(items, nf, method=args.method, rotation=rotation,
                             missing=args.missing))
