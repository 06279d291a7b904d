"""``psychometrics instruments list|show``."""

from __future__ import annotations

from ..cli import add_output_options


def register(sub) -> None:
    p = sub.add_parser("instruments", help="list the shipped instruments or show one")
    isub = p.add_subparsers(dest="action", metavar="ACTION")
    isub.required = True
    lp = isub.add_parser("list", help="list the shipped instruments")
    add_output_options(lp)
    lp.set_defaults(func=_list)
    sp = isub.add_parser("show", help="show an instrument's scale, subscales, keys and sources")
    sp.add_argument("instrument", help="instrument id or path to an instrument file")
    sp.add_argument("--form", help="answer-direction form, for instruments that have several")
    sp.add_argument("--keys", help="your own key file (YAML) overriding the instrument's keys")
    sp.add_argument("--key", action="store_true", help="print the item key table")
    add_output_options(sp)
    sp.set_defaults(func=_show)


def _list(args):
    import pandas as pd  # not at the top: `psychometrics --help` must not load pandas

    from ..instruments import list_instruments, load_instrument
    rows = []
    for iid in list_instruments():
        inst = load_instrument(iid, warn=False, form=_first_form(iid))
        rows.append({"id": iid, "name": inst.name, "items": len(inst.items),
                     "subscales": " ".join(inst.subscales),
                     "forms": " ".join(inst.doc.get("forms") or {}) or "-",
                     "unconfirmed": len(inst.uncertain)})
    return pd.DataFrame(rows).set_index("id") if not args.json else pd.DataFrame(rows)


def _first_form(iid):
    from ..instruments import data_dir, read_yaml
    forms = read_yaml(data_dir("instruments") / f"{iid}.yaml").get("forms") or {}
    return next(iter(forms), None)


def _show(args):
    from ..instruments import load_instrument
    inst = load_instrument(args.instrument, keys=args.keys,
                           form=args.form or (_first_form(args.instrument)
                                              if not str(args.instrument).endswith((".yaml", ".yml")) else None),
                           warn=False)
    if args.key:
        return inst.key()
    return inst
