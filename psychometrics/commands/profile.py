"""``psychometrics profile FILE -i mbi-hss -i 4dkl ...``: the differential-diagnosis profile."""

from __future__ import annotations

from .common import add_command, add_norm_by, add_output_options, parse_norm_by, parse_pairs


def _pairs(values: list[str] | None, option: str) -> dict:
    """``--norms mbi-hss=mbi-hss-overall`` (repeatable) -> {instrument: value}."""
    return parse_pairs(values, option, f"INSTRUMENT=VALUE, e.g. {option} 4dkl=4dkl-terluin")


def register(sub) -> None:
    p = add_command(
        sub, "profile", help="differential-diagnosis profile: burnout beside depression/anxiety scales",
        description="Score several instruments of one export and show each respondent's burnout "
                    "scores beside the 4DKL, HAMD-17 or BDI-II with their bands, flagging the "
                    "overlap. Supports a clinician's judgement; it is no diagnosis.",
        examples="psychometrics profile export.csv -i mbi-hss -i 4dkl --items 4dkl=DKL{n} "
                 "--norms mbi-hss=mbi-hss-overall --id id")
    p.add_argument("file", help="the export: .csv, .xlsx or .sav with the items of every instrument")
    p.add_argument("--instrument", "-i", action="append", required=True,
                   help="instrument id (repeat: -i mbi-hss -i 4dkl)")
    p.add_argument("--items", action="append", metavar="INSTRUMENT=PATTERN",
                   help="item column pattern per instrument, e.g. 4dkl=DKL{n} (repeatable)")
    p.add_argument("--form", action="append", metavar="INSTRUMENT=FORM",
                   help="answer-direction form per instrument, e.g. olbi=agree-low (repeatable)")
    p.add_argument("--method", action="append", metavar="INSTRUMENT=mean|sum",
                   help="scoring rule per instrument, e.g. mbi-hss=sum (repeatable)")
    p.add_argument("--norms", action="append", metavar="INSTRUMENT=NORMS",
                   help="norm set (id or file) per instrument, e.g. mbi-hss=mbi-hss-overall")
    add_norm_by(p)
    p.add_argument("--id", help="respondent id column")
    p.add_argument("--lang", default="en", choices=["en", "nl", "fr"], help="language of labels")
    p.add_argument("--table", choices=["long", "wide"],
                   help="print/write only the long or the wide table (e.g. with -o profile.csv)")
    add_output_options(p)
    p.set_defaults(func=_profile)


def _profile(args):
    from ..classify import profile
    from ..io import read_table
    from ..scoring import score
    items, forms = _pairs(args.items, "--items"), _pairs(args.form, "--form")
    methods, norms = _pairs(args.method, "--method"), _pairs(args.norms, "--norms")
    data = read_table(args.file, id=args.id)
    scores = {inst: score(data, inst, items=items.get(inst), id=args.id, form=forms.get(inst),
                          method=methods.get(inst))
              for inst in args.instrument}
    # strata of a stratified norm set: the columns named with --norm-by, or same-named columns
    # of the export (said in the result's provenance), never a silent fallback to overall
    res = profile(scores, norms=norms or None, lang=args.lang, id=args.id,
                  norm_by=parse_norm_by(args.norm_by), data=data)
    if args.table == "long":
        return res.table
    if args.table == "wide":
        return res.wide.reset_index()
    return res
