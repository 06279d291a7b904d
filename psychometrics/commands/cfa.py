"""``psychometrics cfa`` and ``psychometrics invariance``: confirmatory factor models.

    psychometrics cfa FILE (--model "F =~ x1 + x2 + x3" | --instrument ID)
                     [--estimator ML|MLR|DWLS|WLSMV] [--group COL] [--ordered]
                     [--missing listwise|fiml] [--std-lv] [--json] [-o OUT]
    psychometrics invariance FILE (--model ... | --instrument ID) --group COL
                     [--estimator ML|MLR] [--levels configural,metric,scalar,strict] [--json]

With ``--instrument`` the instrument's own measurement model is fitted to its validated,
reverse-keyed items (``keyed_items``), so reversed items load positively.
"""

from __future__ import annotations

import argparse

from .common import add_command, add_instrument_options, add_output_options, busy, parse_items


def _add_common(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help='lavaan syntax, e.g. "EE =~ i1 + i2 + i3; DP =~ i5 + i10"')
    add_instrument_options(p, instrument_in=src)
    p.add_argument("--missing", choices=["listwise", "fiml", "ml"], default="listwise",
                   help="listwise deletion (default) or full-information ML (fiml, alias ml)")
    p.add_argument("--std-lv", action="store_true",
                   help="fix factor variances to 1 instead of the first loading")


def register(subparsers) -> None:
    p = add_command(
        subparsers, "cfa", help="confirmatory factor analysis (lavaan-compatible fit indices)",
        description="Confirmatory factor analysis as lavaan::cfa: ML, MLR (robust), or "
                    "DWLS/WLSMV for ordinal items; chi-square, CFI, TLI, RMSEA (90% CI), "
                    "SRMR, AIC/BIC and (standardised) loadings. --missing fiml uses every "
                    "respondent with at least one answer (lavaan's missing = \"ml\").",
        examples=["psychometrics cfa examples/mbi-hss-qualtrics.csv -i mbi-hss "
                  "--items 'Q1_{n}' --on-invalid missing --estimator MLR --missing fiml",
                  "psychometrics cfa data.csv --model 'F =~ x1 + x2 + x3; G =~ x4 + x5 + x6'"])
    _add_common(p)
    p.add_argument("--estimator", choices=["ML", "MLR", "DWLS", "WLSMV"], default="ML",
                   help="ML (default), MLR (robust), DWLS or WLSMV (ordinal items)")
    p.add_argument("--group", help="grouping column (multi-group model)")
    p.add_argument("--ordered", action="store_true",
                   help="treat all items as ordinal (polychoric correlations, WLSMV)")
    add_output_options(p)
    p.set_defaults(func=run_cfa)

    q = add_command(
        subparsers, "invariance", help="measurement invariance across groups (configural ... strict)",
        description="Configural, metric, scalar and strict multi-group CFA models with "
                    "chi-square difference tests (lavTestLRT) and changes in CFI/TLI/RMSEA/SRMR.",
        examples="psychometrics invariance examples/validation-sample.csv -i mbi-hss "
                 "--group sex --estimator MLR")
    _add_common(q)
    q.add_argument("--group", required=True, help="grouping column (language, sex, ...)")
    q.add_argument("--estimator", choices=["ML", "MLR"], default="ML",
                   help="ML (default) or MLR (robust)")
    q.add_argument("--levels", default="configural,metric,scalar,strict",
                   help="comma-separated models to fit, in order")
    add_output_options(q)
    q.set_defaults(func=run_invariance)


def _data_and_model(args: argparse.Namespace, group: str | None):
    from psychometrics._checks import check_option
    from psychometrics.io import read_export

    data = read_export(args.file, id=args.id)
    if args.model is not None:
        check_option(bool(args.model.replace(";", "").strip()),
                     "--model is empty; give lavaan syntax such as 'F =~ q1 + q2 + q3'",
                     "model", args.model)
        return data, args.model.replace(";", "\n")
    from psychometrics.instruments import load_instrument
    from psychometrics.scoring import item_frame

    inst = load_instrument(args.instrument, keys=args.keys, form=args.form)
    frame = item_frame(data, inst, items=parse_items(args.items), id=args.id,
                       on_invalid=args.on_invalid)
    if group is not None:
        if group not in data.columns:
            from psychometrics.errors import MissingColumnError
            raise MissingColumnError(f"{args.file}: no group column {group!r}")
        frame[group] = data.loc[frame.index, group]
    return frame, inst.cfa_model()


def run_cfa(args: argparse.Namespace):
    from psychometrics.factor.cfa import cfa

    data, model = _data_and_model(args, args.group)
    with busy(f"CFA ({args.estimator}, missing {args.missing})"):
        return cfa(data, model, estimator=args.estimator, group=args.group,
                   ordered=True if args.ordered else None, missing=args.missing,
                   std_lv=args.std_lv)


def run_invariance(args: argparse.Namespace):
    from psychometrics.factor.invariance import invariance

    data, model = _data_and_model(args, args.group)
    levels = tuple(v.strip() for v in args.levels.split(",") if v.strip())
    with busy(f"invariance models ({', '.join(levels)})"):
        return invariance(data, model, group=args.group, estimator=args.estimator,
                          missing=args.missing, std_lv=args.std_lv, levels=levels)
