"""``psychometrics score FILE --instrument ID ...`` and ``psychometrics match FILE -i ID``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ..errors import MissingColumnError
from ..io.formats import TABLE_FORMATS
from .common import (
    add_command,
    add_instrument_options,
    add_norm_by,
    add_output_options,
    add_scoring_options,
    add_stream_options,
    parse_items,
    parse_min_answered,
    parse_missing_codes,
    parse_norm_by,
)

if TYPE_CHECKING:  # annotations only: `psychometrics --help` must not load pandas
    import pandas as pd


def score_from_args(args):
    """Read the export and score it as the shared options say."""
    from ..io import read_export
    from ..scoring import score
    data = read_export(args.file, id=args.id)
    missing = parse_missing_codes(args.missing_codes)
    scores = score(data, args.instrument, items=parse_items(args.items), id=args.id,
                   on_invalid=args.on_invalid, method=getattr(args, "method", None),
                   missing_codes=missing, keys=args.keys, form=args.form,
                   min_answered=parse_min_answered(getattr(args, "min_answered", None)))
    write_invalid(scores, args)
    return scores, data


def scores_from_args(args):
    """Score the export, or read ready-made scores with ``--scored``; returns (scores, data)."""
    if getattr(args, "scored", False):
        from .._checks import check_option
        from ..instruments import load_instrument
        from ..io import read_table
        data = read_table(args.file, id=args.id)
        inst = load_instrument(args.instrument, keys=args.keys, form=args.form, warn=False)
        check_option(bool(getattr(args, "scale", None)),
                     "--scored: say how the scores in FILE were computed with --scale sum or "
                     "--scale mean (the scale is never guessed)", "scale")
        present = [s for s in inst.subscales if s in data.columns]
        if not present:
            raise MissingColumnError(
                f"{args.file}: --scored needs columns named by subscale id "
                f"({', '.join(inst.subscales)}); columns: {[str(c) for c in data.columns]}")
        scores = data.copy()
        scores.attrs["psychometrics"] = {"instrument": inst.id, "scoring": {
            s: args.scale for s in present}}
        return scores, data
    return score_from_args(args)


def write_invalid(scores: pd.DataFrame, args) -> None:
    """``--invalid-out FILE``: the cells scored as missing, and a note on stderr saying where."""
    invalid = (scores.attrs.get("psychometrics") or {}).get("invalid") or []
    out = getattr(args, "invalid_out", None)
    if out:
        from ..io import write_table
        cols = ["row", "respondent", "column", "item", "value", "problem"]
        import pandas as pd

        table = pd.DataFrame(invalid, columns=cols)
        table["value"] = table["value"].astype(str)
        write_table(table, out)
    if invalid:
        where = f"listed in {out}" if out else "list them with --invalid-out FILE or --json"
        print(f"note: {len(invalid)} invalid response(s) scored as missing ({where})",
              file=sys.stderr)


def register(sub) -> None:
    p = add_command(
        sub, "score", help="score an export with an instrument",
        description="Score every respondent of a survey export on the instrument's subscales "
                    "(reverse keying, recoding, the minimum number of answered items, "
                    "proration of sums), optionally applying a norm set (percentile ranks, "
                    "T-scores, bands). The output keeps the respondents' order and ids; "
                    "--keep carries other columns (a criterion, demographics) through, so the "
                    "scores feed 'cutoff', 'norms build' or 'summarise' directly.\n\n"
                    "With --scored, FILE already holds subscale scores (columns named by "
                    "subscale id) and only the norms are applied.",
        examples=["psychometrics score examples/mbi-hss-qualtrics.csv -i mbi-hss "
                  "--items 'Q1_{n}' --id ResponseId --on-invalid missing -o scores.csv",
                  "psychometrics score examples/validation-sample.csv -i mbi-hss --id id "
                  "--keep diagnosis sex --norms mbi-hss-overall -o scores.csv"])
    add_instrument_options(p)
    add_scoring_options(p)
    p.add_argument("--method", choices=["mean", "sum"], help="override the instrument's scoring rule")
    p.add_argument("--keep", action="extend", nargs="+", metavar="COL", default=[],
                   help="also copy these export columns into the output (e.g. a criterion "
                        "and demographics)")
    p.add_argument("--keep-all", action="store_true",
                   help="copy every export column that is not an item into the output")
    p.add_argument("--scored", action="store_true",
                   help="FILE already holds subscale scores: apply --norms to them")
    p.add_argument("--scale", choices=["sum", "mean"],
                   help="with --scored: how those scores were computed (never guessed)")
    p.add_argument("--norms", help="apply a norm set (id or file) to the scores")
    add_norm_by(p)
    p.add_argument("--fallback", choices=["error", "overall"], default="error",
                   help="respondents whose stratum is not in the norm set: stop (default) or "
                        "use the overall norms")
    p.add_argument("--lang", choices=["en", "nl", "fr"], default="en",
                   help="language of the band labels (default en)")
    add_stream_options(p)
    add_output_options(p, formats=TABLE_FORMATS + (".parquet",))
    p.set_defaults(func=_score)

    m = add_command(
        sub, "match", help="check which instrument items an export holds, before scoring",
        description="Report the instrument items found in an export, the missing ones, the "
                    "columns left unmapped and a likely off-by-one coding (1..7 where the "
                    "instrument says 0..6), with a suggested --items pattern.",
        examples="psychometrics match examples/mbi-hss-qualtrics.csv -i mbi-hss --id ResponseId")
    add_instrument_options(m, on_invalid=False)
    add_output_options(m)
    m.set_defaults(func=_match)


def _match(args):
    from ..io import read_export
    from ..scoring import match_items
    data = read_export(args.file, id=args.id)
    return match_items(data, args.instrument, items=parse_items(args.items), id=args.id,
                       form=args.form, keys=args.keys)


def _kept_columns(args, scores: pd.DataFrame, data: pd.DataFrame) -> list[str]:
    """The export columns --keep/--keep-all ask for, checked, minus those already there."""
    keep = [c for item in args.keep for c in str(item).split(",") if c.strip()]
    missing = [c for c in keep if c not in data.columns]
    if missing:
        raise MissingColumnError(f"{args.file}: --keep column(s) {missing} not in the export; "
                                 f"columns: {[str(c) for c in data.columns]}")
    if args.keep_all:
        info = scores.attrs.get("psychometrics") or {}
        items = set((info.get("items") or {}).values())
        keep += [c for c in data.columns if c not in items and c not in keep]
    return [c for c in dict.fromkeys(keep) if c not in scores.columns]


_NORMED = ("pr", "t", "z", "stanine", "band", "band_id", "top_quartile", "bottom_quartile")


def _drop_normed(scores: pd.DataFrame) -> pd.DataFrame:
    """--scored on a file that was normed before: the old norm columns would stand beside the
    new ones (a PR from one norm set, a band from another), so they are dropped, and said so."""
    subs = (scores.attrs.get("psychometrics") or {}).get("scoring") or {}
    old = [c for c in scores.columns
           if any(str(c) == f"{sid}_{sfx}" for sid in subs for sfx in _NORMED)]
    if old:
        print(f"note: replacing the norm columns already in the file ({', '.join(old)})",
              file=sys.stderr)
        attrs = scores.attrs
        scores = scores.drop(columns=old)
        scores.attrs = attrs
    return scores


#: Input size from which `score` streams by itself (the in-memory path needs ~5x the file).
STREAM_FROM_BYTES = 200 * 2**20


def wants_stream(args) -> bool:
    """Whether to score in chunks: asked for, or a Parquet/large CSV file scored to a file."""
    from pathlib import Path

    from .._checks import check_option
    out, src = getattr(args, "output", None), Path(args.file)
    suffixes = (".csv", ".txt", ".tsv", ".parquet", ".pq")
    if getattr(args, "chunksize", None) is not None:
        check_option(bool(out) and str(out).lower().endswith(suffixes),
                     "--chunksize writes the scores as it reads: give -o OUT.csv or -o "
                     "OUT.parquet", "chunksize", args.chunksize)
        return True
    if not out or not str(out).lower().endswith(suffixes) or getattr(args, "json", False) \
            or getattr(args, "norms", None) or src.suffix.lower() not in suffixes:
        return False
    return src.suffix.lower() in (".parquet", ".pq") or (src.is_file() and src.stat().st_size > STREAM_FROM_BYTES)


def _score_stream(args):
    from ..scoring.stream import DEFAULT_CHUNKSIZE, score_file
    missing = parse_missing_codes(args.missing_codes)
    report = score_file(args.file, args.instrument, args.output, items=parse_items(args.items),
                        id=args.id, keys=args.keys, form=args.form,
                        chunksize=args.chunksize or DEFAULT_CHUNKSIZE, on_invalid=args.on_invalid,
                        method=getattr(args, "method", None), missing_codes=missing)
    args.output = None  # written chunk by chunk; the printer must not overwrite it
    return report


def _score(args):
    from .._checks import check_option
    if wants_stream(args):
        return _score_stream(args)
    scores, data = scores_from_args(args)
    if not args.scored:
        kept = _kept_columns(args, scores, data)
        if kept:  # same respondents, same order: score() keeps the export's rows
            extra = data[kept].reset_index(drop=True)
            extra.index = scores.index
            attrs = scores.attrs
            import pandas as pd

            scores = pd.concat([scores, extra], axis=1)
            scores.attrs = attrs
    else:
        check_option(not (args.keep or args.keep_all),
                     "--keep/--keep-all copy export columns next to new scores; with --scored "
                     "every column of FILE is kept already", "keep", args.keep)
    report = scores.attrs.get("psychometrics", {})
    for key, what in (("prorated", "prorated (mean of the answered items x their number)"),
                      ("unscored", "not scored (too few items answered)")):
        counts = {k: v for k, v in (report.get(key) or {}).items() if v}
        if counts:
            print(f"note: {what}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                  + f" of {len(scores)} respondents", file=sys.stderr)
    if args.norms:
        from ..norms import apply_norms
        if args.scored:
            scores = _drop_normed(scores)
        norm_by = parse_norm_by(args.norm_by)
        # stratum columns (given, or same-named) are looked up in the export too
        normed = apply_norms(scores, args.norms, norm_by=norm_by, fallback=args.fallback,
                             lang=args.lang, data=data)
        for col in (normed.attrs["psychometrics"]["norms"].get("by") or {}).values():
            if col not in normed.columns:  # show the stratum beside its norm group
                normed.insert(len(scores.columns), col, data[col].to_numpy())
        scores = normed
    else:
        check_option(not args.scored, "--scored applies norms to scores: give --norms ID",
                     "scored")
    args.json_extra = {"invalid": (scores.attrs.get("psychometrics") or {}).get("invalid") or []}
    return scores
