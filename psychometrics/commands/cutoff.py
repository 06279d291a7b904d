"""``psychometrics cutoff FILE --score COL --criterion COL``: ROC, AUC and the optimal cut-off."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from .._results import Result
from .common import add_command, add_output_options, busy


@dataclass(frozen=True)
class CompareResult(Result):
    """What ``cutoff --compare`` prints: the cut-off of each score and the paired DeLong test."""

    score: str
    other: str
    cutoff: object
    cutoff_other: object
    test: object

    def to_dict(self) -> dict:
        return {"score": self.score, "compare": self.other, "cutoff": self.cutoff.to_dict(),
                "cutoff_compare": self.cutoff_other.to_dict(), "delong": self.test.to_dict()}

    def summary(self) -> str:
        t = self.test
        line = (f"{self.score} vs {self.other}: AUC {t.auc_a:.3f} vs {t.auc_b:.3f}, difference "
                f"{t.difference:.3f} ({100 * t.level:g}% CI {t.ci_low:.3f} to {t.ci_high:.3f}), "
                f"z = {t.z:.2f}, p = {t.pvalue:.4f} (paired DeLong, {t.n_cases} cases, "
                f"{t.n_controls} controls)")
        return "\n\n".join([f"== {self.score}\n" + self.cutoff.summary(),
                            f"== {self.other}\n" + self.cutoff_other.summary(),
                            t.summary(), line])


def register(subparsers) -> None:
    p = add_command(
        subparsers, "cutoff",
        help="ROC analysis and optimal cut-off of a score against a criterion",
        description="AUC with its DeLong CI, the optimal cut-off with a bootstrap CI, and "
                    "sensitivity and specificity (with Wilson or exact CIs), PPV, NPV (at the "
                    "sample's prevalence or at --prevalence), likelihood ratios and accuracy "
                    "of every candidate cut-off (as pROC and cutpointr compute them). A score "
                    "at or above the cut-off is positive unless --direction '<='.\n\n"
                    "--compare SCORE2 also analyses a second score of the same respondents and "
                    "tests whether the two AUCs differ (paired DeLong test, pROC::roc.test).",
        examples=["psychometrics cutoff scores.csv --score EE --criterion diagnosis "
                  "--positive burnout --prevalence 0.1 --seed 1",
                  "psychometrics cutoff scores.csv --score EE --compare DP --criterion "
                  "diagnosis --positive burnout --n-boot 0"])
    p.add_argument("file", help="data file (.csv, .xlsx, .sav), e.g. the output of 'score --keep'")
    p.add_argument("--score", required=True, help="column of the instrument's score")
    p.add_argument("--criterion", required=True, help="column of the reference classification")
    p.add_argument("--positive", help="criterion level that is a case (needed unless 0/1; "
                                      "'1' names the number 1 of a numeric column)")
    p.add_argument("--compare", metavar="SCORE2",
                   help="a second score column: its cut-off and a paired DeLong test of the AUCs")
    p.add_argument("--method", default="youden",
                   choices=["youden", "closest_topleft", "min_sensitivity", "min_specificity",
                            "cost"], help="optimality criterion (default: youden)")
    p.add_argument("--min-sensitivity", type=float, help="constraint of method min_sensitivity")
    p.add_argument("--min-specificity", type=float, help="constraint of method min_specificity")
    p.add_argument("--cost-fp", type=float, default=1.0, help="cost of a false positive")
    p.add_argument("--cost-fn", type=float, default=1.0, help="cost of a false negative")
    p.add_argument("--prevalence", type=float,
                   help="population prevalence (0-1) for PPV/NPV (default: the sample's)")
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

    if pd.api.types.is_bool_dtype(series):
        low = label.strip().lower()
        if low in ("1", "true", "yes"):
            return True
        if low in ("0", "false", "no"):
            return False
        return label
    if pd.api.types.is_numeric_dtype(series):
        try:
            value = float(label)
        except ValueError:
            return label
        return int(value) if value.is_integer() else value
    return label


def run(args: argparse.Namespace):
    from psychometrics.diagnostic import cutoffs, roc, roc_test
    from psychometrics.errors import MissingColumnError
    from psychometrics.io import read_export

    data = read_export(args.file)
    wanted = [args.score, args.criterion] + ([args.compare] if args.compare else [])
    missing = [c for c in wanted if c not in data.columns]
    if missing:
        raise MissingColumnError(f"{args.file}: no column(s) {missing}; columns: "
                                 f"{[str(c) for c in data.columns]}")
    crit = data[args.criterion]
    positive = _level(crit, args.positive)

    def one(col):
        with busy(f"cut-off of {col} ({args.n_boot} bootstrap resamples)"):
            return cutoffs(data[col], crit, method=args.method, positive=positive,
                           direction=args.direction, min_sensitivity=args.min_sensitivity,
                           min_specificity=args.min_specificity, cost_fp=args.cost_fp,
                           cost_fn=args.cost_fn, prevalence=args.prevalence, ci_method=args.ci,
                           level=args.level, n_boot=args.n_boot, seed=args.seed,
                           thresholds=args.thresholds)
    res = one(args.score)
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from psychometrics.diagnostic import plot_roc

        curve = roc(data[args.score], crit, positive=positive, direction=res.direction,
                    ci_method="bootstrap" if args.n_boot > 0 else "delong", n_boot=max(args.n_boot, 1), seed=args.seed,
                    level=args.level, thresholds=args.thresholds, band=args.n_boot > 0)
        fig = plot_roc(curve, cutoff=res, title=f"{args.score} vs {args.criterion}")
        fig.savefig(args.plot, dpi=150, bbox_inches="tight")
        plt.close(fig)
    if not args.compare:
        return res
    other = one(args.compare)
    test = roc_test(data[args.score], data[args.compare], crit, positive=positive,
                    direction=(res.direction, other.direction), level=args.level)
    return CompareResult(score=args.score, other=args.compare, cutoff=res, cutoff_other=other,
                         test=test)
