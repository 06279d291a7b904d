"""``psychometrics cutoff FILE --score COL --criterion COL``: ROC, AUC and the optimal cut-off."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    from psychometrics.cli import add_output_options

    p = subparsers.add_parser(
        "cutoff", help="ROC analysis and optimal cut-off of a score against a criterion",
        description="AUC with its DeLong CI, the optimal cut-off with a bootstrap CI, and "
                    "sensitivity, specificity, PPV, NPV, likelihood ratios and accuracy of "
                    "every candidate cut-off (as pROC and cutpointr compute them). A score at "
                    "or above the cut-off is positive unless --direction '<='.")
    p.add_argument("file", help="data file (.csv, .xlsx, .sav)")
    p.add_argument("--score", required=True, help="column of the instrument's score")
    p.add_argument("--criterion", required=True, help="column of the reference classification")
    p.add_argument("--positive", help="criterion level that is a case (needed unless 0/1)")
    p.add_argument("--method", default="youden",
                   choices=["youden", "closest_topleft", "min_sensitivity", "min_specificity",
                            "cost"], help="optimality criterion (default: youden)")
    p.add_argument("--min-sensitivity", type=float, help="constraint of method min_sensitivity")
    p.add_argument("--min-specificity", type=float, help="constraint of method min_specificity")
    p.add_argument("--cost-fp", type=float, default=1.0, help="cost of a false positive")
    p.add_argument("--cost-fn", type=float, default=1.0, help="cost of a false negative")
    p.add_argument("--prevalence", type=float,
                   help="population prevalence for PPV/NPV (default: the sample's)")
    p.add_argument("--direction", choices=[">=", "<=", "auto"], default=">=",
                   help="'>=': a score at or above the cut-off is positive (default)")
    p.add_argument("--thresholds", choices=["observed", "midpoint"], default="observed",
                   help="observed score values (cutpointr) or pROC's midpoints")
    p.add_argument("--ci", choices=["wilson", "exact"], default="wilson",
                   help="interval for the rates (default: wilson)")
    p.add_argument("--level", type=float, default=0.95, help="CI coverage (default 0.95)")
    p.add_argument("--n-boot", type=int, default=2000,
                   help="bootstrap resamples for the cut-off's CI (0: none)")
    p.add_argument("--seed", type=int, default=None, help="bootstrap seed")
    p.add_argument("--plot", help="also save the ROC curve with the cut-off to this image file")
    add_output_options(p)
    p.set_defaults(func=run)


def _level(series, label: str | None):
    """The --positive text as the criterion column's type (1 for a numeric column)."""
    if label is None:
        return None
    import pandas as pd

    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        try:
            value = float(label)
        except ValueError:
            return label
        return int(value) if value.is_integer() else value
    return label


def run(args: argparse.Namespace):
    from psychometrics.cutoff import cutoffs, roc
    from psychometrics.errors import MissingColumnError
    from psychometrics.io import read_export

    data = read_export(args.file)
    missing = [c for c in (args.score, args.criterion) if c not in data.columns]
    if missing:
        raise MissingColumnError(f"{args.file}: no column(s) {missing}; columns: "
                                 f"{[str(c) for c in data.columns]}")
    crit = data[args.criterion]
    positive = _level(crit, args.positive)
    res = cutoffs(data[args.score], crit, method=args.method, positive=positive,
                  direction=args.direction, min_sensitivity=args.min_sensitivity,
                  min_specificity=args.min_specificity, cost_fp=args.cost_fp,
                  cost_fn=args.cost_fn, prevalence=args.prevalence, ci=args.ci,
                  level=args.level, n_boot=args.n_boot, seed=args.seed,
                  thresholds=args.thresholds)
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from psychometrics.plots import plot_roc

        curve = roc(data[args.score], crit, positive=positive, direction=res.direction,
                    ci_boot=args.n_boot > 0, n_boot=max(args.n_boot, 1), seed=args.seed,
                    level=args.level, thresholds=args.thresholds, band=args.n_boot > 0)
        fig = plot_roc(curve, cutoff=res, title=f"{args.score} vs {args.criterion}")
        fig.savefig(args.plot, dpi=150, bbox_inches="tight")
        plt.close(fig)
    return res
