"""``psychometrics irt FILE --instrument ID --model rasch|pcm|rsm|grm [--dif COLUMN]``.

Fits the IRT model to each of the instrument's own subscales (validated, reverse-keyed items,
as ``reliability`` and ``cfa`` use them; answers recoded to categories 0, 1, 2, ... for the Rasch family),
prints item parameters (and item fit for the Rasch family), and with ``--dif`` the DIF table
by a grouping column (lordif's ordinal logistic regression for ``grm``, the CML Wald test for
the Rasch family), with ``--cutoff`` the precision at a raw-score cut-off.
"""

from __future__ import annotations

import argparse

from .common import add_command, add_instrument_options, add_output_options, parse_items


def register(subparsers) -> None:
    p = add_command(
        subparsers, "irt",
        help="item response theory per subscale: Rasch, PCM, RSM or graded response",
        description="Item response theory for each subscale of an instrument: the Rasch "
                    "model, partial credit or rating scale model by conditional ML (as eRm), "
                    "or the graded response model by marginal ML; optional DIF by a group "
                    "column and the measurement precision at a raw-score cut-off.",
        examples=["psychometrics irt examples/mbi-hss-qualtrics.csv -i mbi-hss "
                  "--items examples/mbi-hss-items.yaml --id ResponseId -m pcm --subscale EE "
                  "--on-invalid missing",
                  "psychometrics irt examples/mbi-hss-qualtrics.csv -i mbi-hss "
                  "--items examples/mbi-hss-items.yaml --id ResponseId -m grm --dif gender "
                  "--on-invalid missing"])
    add_instrument_options(p)
    p.add_argument("--model", "-m", required=True, choices=["rasch", "pcm", "rsm", "grm"],
                   help="rasch (binary items), pcm, rsm (CML) or grm (marginal ML)")
    p.add_argument("--link", choices=["logit", "probit"], default="logit",
                   help="grm: logistic (default) or normal-ogive link")
    p.add_argument("--subscale", action="append",
                   help="fit only this subscale (repeatable; default: all own subscales)")
    p.add_argument("--dif", metavar="COLUMN", help="grouping column for DIF (e.g. language)")
    p.add_argument("--alpha", type=float, default=0.01, help="DIF significance level (0.01)")
    p.add_argument("--cutoff", type=float,
                   help="cut-off on the subscale's score as the instrument scores it (sum or "
                        "mean) whose precision to report; with one --subscale")
    add_output_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace):
    from psychometrics.io import read_export
    from psychometrics.irt.analysis import irt_analysis

    data = read_export(args.file, id=args.id)
    return irt_analysis(data, args.instrument, model=args.model, link=args.link,
                        subscales=args.subscale, dif=args.dif, alpha=args.alpha,
                        cutoff=args.cutoff, items=parse_items(args.items), form=args.form,
                        keys=args.keys, id=args.id, on_invalid=args.on_invalid,
                        source=str(args.file))
