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


def score_from_args(args):
    """Read the export and score it as the shared options say."""
    from ..io import read_export
    from ..scoring import score
    data = read_export(args.file, id=args.id)
    missing = [float(x) for x in args.missing_codes.split(",")] if args.missing_codes else None
    return score(data, args.instrument, items=parse_items(args.items), id=args.id,
                 on_invalid=args.on_invalid, method=getattr(args, "method", None),
                 missing_codes=missing, keys=args.keys, form=args.form), data


def register(sub) -> None:
    p = sub.add_parser("score", help="score an export with an instrument")
    add_instrument_options(p)
    p.add_argument("--method", choices=["mean", "sum"], help="override the instrument's scoring rule")
    p.add_argument("--norms", help="apply a norm set (id or file) to the scores")
    p.add_argument("--by", action="append", metavar="STRATUM=COLUMN",
                   help="map a norm stratum to a data column (repeatable)")
    p.add_argument("--fallback", choices=["error", "overall"], default="error",
                   help="respondents whose stratum is not in the norm set")
    add_stream_options(p)
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


def add_stream_options(p) -> None:
    """``--chunksize``: read a file larger than memory in chunks (psychometrics.stream)."""
    p.add_argument("--chunksize", type=int, metavar="N",
                   help="read the file N respondents at a time, for files larger than memory "
                        "(.csv/.parquet in, -o .csv/.parquet out); automatic for Parquet and "
                        "for files over 200 MB")


#: Input size from which `score` streams by itself (the in-memory path needs ~5x the file).
STREAM_FROM_BYTES = 200 * 2**20


def wants_stream(args) -> bool:
    """Whether to score in chunks: asked for, or a Parquet/large CSV file scored to a file."""
    from pathlib import Path
    out, src = getattr(args, "output", None), Path(args.file)
    suffixes = (".csv", ".txt", ".tsv", ".parquet", ".pq")
    if getattr(args, "chunksize", None) is not None:
        if not out or not str(out).lower().endswith(suffixes):
            raise DataError("--chunksize writes the scores as it reads: give -o OUT.csv or -o OUT.parquet")
        return True
    if not out or not str(out).lower().endswith(suffixes) or getattr(args, "json", False) \
            or getattr(args, "norms", None) or src.suffix.lower() not in suffixes:
        return False
    return src.suffix.lower() in (".parquet", ".pq") or (src.is_file() and src.stat().st_size > STREAM_FROM_BYTES)


def _score_stream(args):
    from ..stream import DEFAULT_CHUNKSIZE, score_file
    missing = [float(x) for x in args.missing_codes.split(",")] if args.missing_codes else None
    report = score_file(args.file, args.instrument, args.output, items=parse_items(args.items),
                        id=args.id, keys=args.keys, form=args.form,
                        chunksize=args.chunksize or DEFAULT_CHUNKSIZE, on_invalid=args.on_invalid,
                        method=getattr(args, "method", None), missing_codes=missing)
    args.output = None  # written chunk by chunk; the printer must not overwrite it
    return report


def _score(args):
    import sys
    if wants_stream(args):
        return _score_stream(args)
    scores, data = score_from_args(args)
    report = scores.attrs.get("psychometrics", {})
    if report.get("invalid"):
        print(f"note: {len(report['invalid'])} invalid responses scored as missing "
              "(see --json or the 'invalid' report)", file=sys.stderr)
    if args.norms:
        from ..norms import apply_norms
        by = parse_by(args.by)
        if by:  # bring the stratum columns along from the export
            for col in by.values():
                if col not in scores.columns and col in data.columns:
                    scores[col] = data[col].to_numpy()
        scores = apply_norms(scores, args.norms, by=by, fallback=args.fallback)
    return scores
