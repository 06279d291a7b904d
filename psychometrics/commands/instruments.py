"""``psychometrics instruments list|show``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .common import add_command, add_output_options

if TYPE_CHECKING:  # annotations only: `psychometrics --help` must not load pandas
    import pandas as pd

#: Width of ``instruments list`` on a terminal (the name column is shortened to fit).
LIST_WIDTH = 100


def register(sub) -> None:
    p = add_command(sub, "instruments", help="list the shipped instruments or show one",
                    description="The instruments the package can score (MBI, OLBI, UBOS, CBI, "
                                "4DKL, BAT, SMBM, UWES, ...) and, for one of them, its response "
                                "scale, subscales, item key, scoring rule and sources.",
                    examples=["psychometrics instruments list",
                              "psychometrics instruments show mbi-hss --key"])
    isub = p.add_subparsers(dest="action", metavar="ACTION")
    isub.required = True
    lp = add_command(isub, "list", help="list the shipped instruments",
                     description="One line per shipped instrument: id, name, number of items, "
                                 "subscales, answer-direction forms and unconfirmed facts. "
                                 "--json gives the full names.",
                     examples="psychometrics instruments list")
    add_output_options(lp)
    lp.set_defaults(func=_list)
    sp = add_command(isub, "show", help="show an instrument's scale, subscales, keys and sources",
                     description="An instrument's response scale, subscales, scoring and "
                                 "missing-data rules, sources and (with --key) the item key.",
                     examples=["psychometrics instruments show mbi-hss --key",
                               "psychometrics instruments show olbi --form agree-low"])
    sp.add_argument("instrument", help="instrument id or path to an instrument file")
    sp.add_argument("--form", help="answer-direction form, for instruments that have several")
    sp.add_argument("--keys", help="your own key file (YAML) overriding the instrument's keys")
    sp.add_argument("--key", action="store_true", help="print the item key table")
    add_output_options(sp)
    sp.set_defaults(func=_show)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _list(args):
    import pandas as pd  # not at the top: `psychometrics --help` must not load pandas

    from ..instruments import list_instruments, load_instrument
    rows = []
    for iid in list_instruments():
        inst = load_instrument(iid, warn=False, form=_first_form(iid))
        rows.append({"id": iid, "name": inst.name, "items": len(inst.items),
                     "subscales": " ".join(inst.subscales),
                     "forms": " ".join(inst.doc.get("forms") or {}) or "-",
                     "unconfirmed": len(inst.uncertain),
                     "usable": "yes" if inst.usable else "needs --keys"})
    table = pd.DataFrame(rows)
    if args.json or args.output:
        return table
    # on a terminal: one line of at most LIST_WIDTH characters per instrument
    table["subscales"] = table["subscales"].map(lambda s: _shorten(s, 18))
    table["forms"] = table["forms"].map(lambda s: _shorten(s, 14))
    fixed = {c: max(len(c), table[c].astype(str).str.len().max())
             for c in ("id", "items", "subscales", "forms", "unconfirmed", "usable")}
    room = LIST_WIDTH - sum(fixed.values()) - 6  # one space between seven columns
    table["name"] = table["name"].map(lambda s: _shorten(s, max(room, 12)))
    return _Listing(table)


class _Listing:
    """The instruments as left-aligned text columns (pandas right-aligns and pads to the widest)."""

    def __init__(self, table: pd.DataFrame):
        self.table = table

    def to_dict(self):
        return self.table.to_dict(orient="records")

    def summary(self) -> str:
        cols = ["id", "name", "items", "subscales", "forms", "unconfirmed", "usable"]
        t = self.table[cols].astype(str)
        w = {c: max(len(c), t[c].str.len().max()) for c in cols}
        lines = [" ".join(c.ljust(w[c]) for c in cols).rstrip()]
        lines += [" ".join(r[c].ljust(w[c]) for c in cols).rstrip() for _, r in t.iterrows()]
        return "\n".join(lines)


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
