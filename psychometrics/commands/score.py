"""``psychometrics score FILE --instrument ID ...``."""

from __future__ import annotations

from ..cli import add_output_options
from ..errors import DataError


def parse_items(value: str | None):
    """``--items``: a pattern (``Q{n}``), a YAML file, or ``id=col,id=col``."""
    if value is None or "{" in value or value.endswith((".yaml", ".yml")):
        return value
    pairs = [p.split("=", 1) for p in value.split(",") if p.strip()]
    if not all(len(p) == 2 for p in pairs):
        raise DataError(f"--items {value!r}: use a pattern like 'Q{{n}}', a YAML file, or id=column pairs")
    return {k.strip(): v.strip() for k, v in pairs}


def parse_by(values: list[str] | None) -> dict | None:
    """``--by sex=gender`` (norm stratum = data column) or ``--by gender``."""
    if not values:
        return None
    out = {}
    for v in values:
        k, _, col = v.partition("=")
        out[k] = col or k
    return out


def add_instrument_options(p) -> None:
    """Options shared by every command that reads an export with an instrument."""
    p.add_argument("file", help="the export: .csv (, or ; and decimal commas), .xlsx or .sav")
    p.add_argument("--instrument", "-i", required=True, help="instrument id or instrument file")
    p.add_argument("--items", help="item mapping: a pattern such as 'Q{n}', a YAML file, or id=col,...")
    p.add_argument("--id", help="respondent id column")
    p.add_argument("--form", help="answer-direction form (e.g. OLBI agree-low / agree-high)")
    p.add_argument("--keys", help="your own key file overriding the instrument's keys")
    p.add_argument("--missing-codes", help="codes that mean 'no answer', e.g. -99,99")
    p.add_argument("--on-invalid", choices=["raise", "missing"], default="raise",
                   help="invalid responses: stop with an error (default) or score them as missing")
    p.add_argument("--min-answered", action="append", metavar="N|SUBSCALE=N",
                   help="answered items a subscale needs to be scored (default: the "
                        "instrument's rule); N for all subscales or SUBSCALE=N (repeatable)")


def parse_min_answered(values: list[str] | None):
    """``--min-answered 7`` (every subscale) or ``--min-answered EE=7`` (repeatable)."""
    if not values:
        return None
    out: dict = {}
    for v in values:
        key, sep, num = v.rpartition("=")
        try:
            n = int(num)
        except ValueError:
            raise DataError(f"--min-answered {v!r}: use a whole number, or SUBSCALE=NUMBER "
                            "such as EE=7") from None
        if not sep:
            if len(values) > 1:
                raise DataError("--min-answered: give one number for all subscales, or "
                                "SUBSCALE=N per subscale, not both")
            return n
        out[key] = n
    return out


def score_from_args(args):
    """Read the export and score it as the shared options say."""
    from ..io import read_export
    from ..scoring import score
    data = read_export(args.file, id=args.id)
    missing = [float(x) for x in args.missing_codes.split(",")] if args.missing_codes else None
    return score(data, args.instrument, items=parse_items(args.items), id=args.id,
                 on_invalid=args.on_invalid, method=getattr(args, "method", None),
                 missing_codes=missing, keys=args.keys, form=args.form,
                 min_answered=parse_min_answered(getattr(args, "min_answered", None))), data


def register(sub) -> None:
    p = sub.add_parser("score", help="score an export with an instrument")
    add_instrument_options(p)
    p.add_argument("--method", choices=["mean", "sum"], help="override the instrument's scoring rule")
    p.add_argument("--norms", help="apply a norm set (id or file) to the scores")
    p.add_argument("--by", action="append", metavar="STRATUM=COLUMN",
                   help="map a norm stratum to a data column (repeatable)")
    p.add_argument("--fallback", choices=["error", "overall"], default="error",
                   help="respondents whose stratum is not in the norm set")
    add_output_options(p)
    p.set_defaults(func=_score)

    m = sub.add_parser("match", help="check which instrument items an export holds, before scoring")
    m.add_argument("file", help="the export")
    m.add_argument("--instrument", "-i", required=True, help="instrument id or instrument file")
    m.add_argument("--items", help="item mapping: a pattern such as 'Q{n}', a YAML file, or id=col,...")
    m.add_argument("--id", help="respondent id column")
    m.add_argument("--form", help="answer-direction form")
    m.add_argument("--keys", help="your own key file")
    add_output_options(m)
    m.set_defaults(func=_match)


def _match(args):
    from ..io import match_items, read_export
    data = read_export(args.file, id=args.id)
    return match_items(data, args.instrument, items=parse_items(args.items), id=args.id,
                       form=args.form, keys=args.keys)


def _score(args):
    import sys
    scores, data = score_from_args(args)
    report = scores.attrs.get("psychometrics", {})
    if report.get("invalid"):
        print(f"note: {len(report['invalid'])} invalid responses scored as missing "
              "(see --json or the 'invalid' report)", file=sys.stderr)
    for key, what in (("prorated", "prorated (mean of the answered items x their number)"),
                      ("unscored", "not scored (too few items answered)")):
        counts = {k: v for k, v in (report.get(key) or {}).items() if v}
        if counts:
            print(f"note: {what}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                  + f" of {len(scores)} respondents", file=sys.stderr)
    if args.norms:
        from ..norms import apply_norms
        by = parse_by(args.by)
        # stratum columns (given, or same-named) are looked up in the export too
        normed = apply_norms(scores, args.norms, norm_by=by, fallback=args.fallback, data=data)
        for col in (normed.attrs["psychometrics"]["norms"].get("by") or {}).values():
            if col not in normed.columns:  # show the stratum beside its norm group
                normed.insert(len(scores.columns), col, data[col].to_numpy())
        scores = normed
    return scores
