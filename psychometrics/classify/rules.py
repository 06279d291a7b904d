"""Declarative classification rules, read from norm and instrument files (never hard-coded).

A rule is data (YAML), checked against ``$defs/rule`` of ``schemas/norms.schema.json``::

    id: ubos-quartile
    name: {en: UBOS quartile rule}
    source: {ref: "...", confidence: confirmed}
    levels:                       # checked in order; the first that holds gives the label
      - id: burnout
        label: {en: burnout, nl: burn-out}
        positive: true
        when: {all: [{top_quartile: U}, {any: [{top_quartile: D}, {bottom_quartile: C}]}]}
    otherwise: {id: no_burnout, label: {en: no burnout}, positive: false}

The condition language (no ``eval``; every node is one of):

* ``{subscale: EE, ">=": 27}`` - a comparison (``>=``, ``>``, ``<=``, ``<``, ``==``, ``!=``,
  ``in: [..]``) of a subscale score; ``{item: q3, "==": 2}`` and ``{column: months, ">=": 6}``
  compare any column of the scores (or of ``data``): item answers, yes/no complaints,
  durations. Numbers are compared with a relative tolerance of 1e-9 (a mean of 2.2 computed as
  11 / 5 reaches ``>= 2.2``); text values are compared as text.
* ``{band: EX, is: red}`` / ``{band: EX, in: [orange, red]}`` - the band (by id) of a score in
  the norm set.
* ``{top_quartile: U}`` / ``{bottom_quartile: C}`` - score >= P75 / <= P25 of the norm group.
* ``{missing: col}`` - the value is missing.
* ``{optional: {column: roles_dropped, "==": 1}}`` - an optional input: the comparison where the
  column is present and answered, else false ("not given"), never undetermined.
* A subscale named ``"@exhaustion"``, ``"@distance"`` or ``"@competence"`` is the subscale that
  plays that role in the scores' instrument (``role`` in its file), so one rule (the quartile
  rule) serves the MBI-HSS/ES/GS/SS and the UBOS alike; a norm file's ``applies_to_roles`` offers
  its rules to every instrument that declares those roles.

Reasons show the respondent's score and the threshold it was compared with
(``EE=27 band high (>= 27)``, ``U in top quartile (U=3.2 >= P75 2.8)``), in English, Dutch or
French (``lang``); subscale ids, numbers and operators are the same in every language.
* ``{all: [...]}``, ``{any: [...]}``, ``{not: {...}}``, ``{at_least: k, of: [...]}``,
  ``{at_most: k, of: [...]}`` - combinations; ``at_least`` counts the conditions that hold
  (criteria sets such as "at least 3 of 8 complaints").

Missing values use three-valued (Kleene) logic: a condition on a missing score is
*undetermined*; ``all`` is false as soon as one part is false, ``any`` true as soon as one part
is true, and a respondent whose classification depends on an undetermined part gets a missing
label and ``positive``, with the reason saying what is missing.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import jsonschema
import numpy as np
import pandas as pd

from .._checks import align
from .._results import Result
from ..errors import DataError, InstrumentError, NormError
from ..instruments import data_dir, read_yaml, schema
from ..norms import (
    EDGE_TOL,
    UncertainNormWarning,
    apply_norm_set,
    list_norms,
    load_norms,
    norm_provenance,
    resolve_norm_by,
)

_OPS = (">=", ">", "<=", "<", "==", "!=", "in")

# The words of a reason, per language. Subscale ids, numbers and operators stay as they are, so
# a reason reads the same in every language apart from these words ("EE=27 >= 27").
_WORDS = {
    "en": {"and": " and ", "not": "not", "missing": "missing", "band": "band",
           "top": "in top quartile", "bottom": "in bottom quartile",
           "not_top": "not in top quartile", "not_bottom": "not in bottom quartile",
           "hold": "{k} of {n} hold", "need": "need {k}", "undetermined": "undetermined: ",
           "not_given": "not given", "answered": "answered"},
    "nl": {"and": " en ", "not": "niet", "missing": "ontbreekt", "band": "band",
           "top": "in het hoogste kwartiel", "bottom": "in het laagste kwartiel",
           "not_top": "niet in het hoogste kwartiel", "not_bottom": "niet in het laagste kwartiel",
           "hold": "{k} van {n} voldaan", "need": "nodig: {k}", "undetermined": "onbepaald: ",
           "not_given": "niet opgegeven", "answered": "beantwoord"},
    "fr": {"and": " et ", "not": "pas", "missing": "manquant", "band": "bande",
           "top": "dans le quartile supérieur", "bottom": "dans le quartile inférieur",
           "not_top": "pas dans le quartile supérieur", "not_bottom": "pas dans le quartile inférieur",
           "hold": "{k} sur {n} remplis", "need": "requis : {k}", "undetermined": "indéterminé : ",
           "not_given": "non renseigné", "answered": "renseigné"},
}


def _words(lang: str) -> dict:
    return _WORDS.get(lang, _WORDS["en"])


@dataclass(frozen=True)
class Rule(Result):
    """One classification rule and where it was declared."""

    id: str
    name: dict
    levels: list
    otherwise: dict
    source: dict
    uncertain: bool = False
    origin: str = ""           # the norm set id (or "instrument:<id>") that declares it
    instruments: tuple = ()
    doc: dict = field(default_factory=dict, repr=False)

    @property
    def uses_norms(self) -> bool:
        """True when a condition needs bands or quartiles from a norm set."""
        return any(_uses_norms(lev["when"]) for lev in self.levels)

    def text(self, lang: str = "en") -> str:
        return self.name.get(lang) or self.name.get("en") or self.id

    def summary(self) -> str:
        lines = [f"{self.text()} ({self.id}; from {self.origin})",
                 f"source ({self.source['confidence']}): {self.source['ref']}"]
        if self.uncertain:
            lines.append("UNCONFIRMED [U]: " + self.doc.get("note", "its numbers or form are not confirmed"))
        for lev in self.levels:
            lines.append(f"  {lev['id']:<20} {'+' if lev['positive'] else '-'} if {describe(lev['when'])}")
        lines.append(f"  {self.otherwise['id']:<20} {'+' if self.otherwise['positive'] else '-'} otherwise")
        return "\n".join(lines)


def describe(cond: Mapping) -> str:
    """A condition as readable text.

    Examples
    --------
    >>> describe({"all": [{"subscale": "U", ">=": 2.2}, {"any": [{"top_quartile": "D"}, {"band": "C", "is": "low"}]}]})
    '(U >= 2.2 and (D in top quartile or C band is low))'
    """
    if "all" in cond or "any" in cond:
        key = "all" if "all" in cond else "any"
        return "(" + f" {'and' if key == 'all' else 'or'} ".join(describe(c) for c in cond[key]) + ")"
    if "not" in cond:
        return f"not {describe(cond['not'])}"
    if "at_least" in cond or "at_most" in cond:
        key = "at_least" if "at_least" in cond else "at_most"
        return f"{key.replace('_', ' ')} {cond[key]} of [" + "; ".join(describe(c) for c in cond["of"]) + "]"
    if "band" in cond:
        return f"{cond['band']} band " + (f"is {cond['is']}" if "is" in cond else f"in {cond['in']}")
    if "top_quartile" in cond:
        return f"{cond['top_quartile']} in top quartile"
    if "bottom_quartile" in cond:
        return f"{cond['bottom_quartile']} in bottom quartile"
    if "missing" in cond:
        return f"{cond['missing']} missing"
    if "optional" in cond:
        return f"{describe(cond['optional'])} (optional input)"
    name = cond.get("subscale", cond.get("item", cond.get("column")))
    op = next(o for o in _OPS if o in cond)
    return f"{name} {op} {cond[op]}"


def _uses_norms(cond: Mapping) -> bool:
    if any(k in cond for k in ("band", "top_quartile", "bottom_quartile")):
        return True
    kids = cond.get("all") or cond.get("any") or cond.get("of") or ([cond["not"]] if "not" in cond else [])
    return any(_uses_norms(c) for c in kids)


def _validator():
    return jsonschema.Draft202012Validator({"$ref": "#/$defs/rule", "$defs": schema("norms")["$defs"]})


def _make_rule(doc: Mapping, origin: str, instruments) -> Rule:
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        raise NormError(f"{origin}: rule {doc.get('id', '?')!r}, field "
                        f"'{'/'.join(map(str, e.absolute_path)) or '(top)'}': {e.message}")
    return Rule(id=doc["id"], name=dict(doc["name"]), levels=list(doc["levels"]),
                otherwise=dict(doc["otherwise"]), source=dict(doc["source"]),
                uncertain=bool(doc.get("uncertain", False)), origin=origin,
                instruments=tuple(instruments), doc=dict(doc))


def _all_rules(instrument: str | None = None) -> list[Rule]:
    rules = []
    own = list_norms(instrument)
    for nid in own:
        ns = load_norms(nid)
        rules += [_make_rule(r, ns.id, ns.applies_to) for r in ns.rules]
    if instrument is not None:  # rules written over roles apply to every instrument with them
        roles = set(instrument_roles(instrument))
        for nid in list_norms():
            ns = load_norms(nid)
            wanted = set(ns.doc.get("applies_to_roles") or [])
            if nid not in own and wanted and wanted <= roles:
                rules += [_make_rule(r, ns.id, [instrument]) for r in ns.rules]
    if instrument is not None:
        path = None
        try:
            path = data_dir("instruments") / f"{instrument}.yaml"
        except InstrumentError:  # no instruments folder
            pass
        if path is not None and path.exists():
            doc = read_yaml(path)
            rules += [_make_rule(r, f"instrument:{instrument}", [instrument]) for r in doc.get("rules") or []]
    return rules


def list_rules(instrument: str | None = None) -> pd.DataFrame:
    """The classification rules shipped for an instrument (or for all instruments).

    Rules come from the norm files (``norms/*.yaml``) that apply to the instrument and from the
    instrument file's own ``rules`` list.

    Returns
    -------
    DataFrame
        One row per rule: ``id``, ``name``, ``instruments``, ``norms`` (the file declaring it),
        ``uses_norms`` (bands/quartiles needed), ``confidence`` of its source and
        ``uncertain`` ([U] rules warn when used).

    Examples
    --------
    >>> r = list_rules("ubos-a")
    >>> r.loc[r.id == "ubos-quartile", ["norms", "uses_norms", "confidence"]].values.tolist()
    [['quartile-rule', True, 'confirmed']]
    """
    rows = [{"id": r.id, "name": r.text(), "instruments": ", ".join(r.instruments), "norms": r.origin,
             "uses_norms": r.uses_norms, "confidence": r.source["confidence"], "uncertain": r.uncertain}
            for r in _all_rules(instrument)]
    return pd.DataFrame(rows, columns=["id", "name", "instruments", "norms", "uses_norms",
                                       "confidence", "uncertain"])


def get_rule(rule, instrument: str | None = None) -> Rule:
    """A rule by id (searched in the shipped norm files and the instrument's file), or a
    rule given as a dict (validated) or a :class:`Rule`."""
    if isinstance(rule, Rule):
        return rule
    if isinstance(rule, Mapping):
        return _make_rule(rule, "inline", [instrument] if instrument else [])
    found = [r for r in _all_rules(instrument) if r.id == rule]
    if not found and instrument is not None:
        found = [r for r in _all_rules(None) if r.id == rule]
        if found:
            raise NormError(f"rule {rule!r} is for {', '.join(found[0].instruments)}, not {instrument!r}")
    if not found:
        known = ", ".join(r.id for r in _all_rules(instrument)) or "none"
        raise NormError(f"unknown rule {rule!r}" + (f" for {instrument!r}" if instrument else "")
                        + f"; rules: {known}")
    return found[0]


# --------------------------------------------------------------------------------------------
# evaluation: every node returns (truth, known, why_true, why_false, why_unknown) over respondents
# --------------------------------------------------------------------------------------------

@dataclass
class _Tri:
    truth: np.ndarray
    known: np.ndarray
    why_true: np.ndarray
    why_false: np.ndarray
    why_unknown: np.ndarray
    soft: np.ndarray | None = None  # false only because an optional input was not given


def _const(n: int, text: str) -> np.ndarray:
    return np.full(n, text, dtype=object)


def _join(parts: list[np.ndarray], masks: list[np.ndarray], sep: str, n: int) -> np.ndarray:
    """Per respondent, join the texts whose mask is set (a loop over parts, not respondents)."""
    acc = _const(n, "")
    for s, m in zip(parts, masks):
        acc = np.where(m, np.where(acc == "", s, acc + sep + s), acc)
    return acc


def _fmt(x: np.ndarray) -> np.ndarray:
    return np.char.mod("%.4g", np.asarray(x, dtype=float)).astype(object)


class _Context:
    def __init__(self, scores: pd.DataFrame, data, rule: Rule, norms, by, fallback, scale=None,
                 lang="en"):
        scores, data = align(scores, data, names=["scores", "data"])
        self.scores, self.data, self.rule = scores, data, rule
        self.norms, self.by, self.fallback, self.scale = norms, by, fallback, scale
        self.n = len(scores)
        self.lang, self.w = lang, _words(lang)
        self._applied = None
        inst = (scores.attrs.get("psychometrics") or {}).get("instrument")
        # roles ('@exhaustion') are read from the scores' instrument, else the rule's own
        self.instrument = inst or (rule.instruments[0] if rule.instruments else None)

    def resolve(self, name: str) -> str:
        """A subscale id, or the subscale of the instrument that plays a role ('@exhaustion')."""
        if not name.startswith("@"):
            return name
        roles = instrument_roles(self.instrument) if self.instrument else {}
        if name[1:] not in roles:
            raise NormError(f"rule {self.rule.id!r} needs the subscale with role {name[1:]!r}, but "
                            + (f"instrument {self.instrument!r} declares no such role (roles: "
                               f"{', '.join(f'{r}={s}' for r, s in roles.items()) or 'none'})"
                               if self.instrument else
                               "the scores do not say their instrument (score() records it)"))
        return roles[name[1:]]

    def column(self, name: str, kind: str, optional: bool = False) -> pd.Series | None:
        for frame in (self.scores, self.data):
            if frame is not None and name in frame.columns:
                return frame[name]
        if optional:
            return None
        raise DataError(f"rule {self.rule.id!r} needs {kind} {name!r}, which is not a column of the "
                        f"scores{' or the data' if self.data is not None else ''} "
                        f"(columns: {', '.join(map(str, list(self.scores.columns)[:15]))})")

    def applied(self):
        if self._applied is None:
            if self.norms is None:
                raise NormError(f"rule {self.rule.id!r} uses bands or quartiles: pass the norm set "
                                "with norms=... (e.g. one built with build_norms)")
            ns = load_norms(self.norms)
            ns.warn_if_uncertain(stacklevel=5)
            self._applied, _ = apply_norm_set(self.scores, ns, norm_by=self.by, fallback=self.fallback,
                                      scale=self.scale, data=self.data, lang=self.lang)
            self._applied.norms_id = ns.id
            self._applied.provenance = norm_provenance(ns, self._applied, self.fallback)
        return self._applied


def instrument_roles(instrument: str) -> dict:
    """Role -> subscale id of a shipped instrument (``role`` in its file; empty if none).

    Examples
    --------
    >>> instrument_roles("mbi-hss")
    {'exhaustion': 'EE', 'distance': 'DP', 'competence': 'PA'}
    """
    try:
        path = data_dir("instruments") / f"{instrument}.yaml"
    except InstrumentError:  # no instruments folder
        return {}
    if not path.exists():
        return {}
    subs = read_yaml(path).get("subscales") or {}
    return {s["role"]: sid for sid, s in subs.items() if isinstance(s, Mapping) and s.get("role")}


def _numeric(col: pd.Series) -> np.ndarray | None:
    if pd.api.types.is_bool_dtype(col):
        return col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=float, na_value=np.nan)
    return None


def _compare(cond: Mapping, ctx: _Context, optional: bool = False) -> _Tri:
    kind = "subscale" if "subscale" in cond else "item" if "item" in cond else "column"
    name = ctx.resolve(cond[kind])
    op = next(o for o in _OPS if o in cond)
    want = cond[op]
    w = ctx.w
    col = ctx.column(name, kind, optional=optional)
    if col is None:  # an optional input that was not given: false, and said so
        return _Tri(np.zeros(ctx.n, bool), np.ones(ctx.n, bool), _const(ctx.n, ""),
                    _const(ctx.n, f"{name} {w['not_given']}"), _const(ctx.n, ""),
                    np.ones(ctx.n, bool))
    num = _numeric(col)
    values = want if op == "in" else [want]
    numeric_want = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if num is not None and numeric_want:
        x = num
        known = ~np.isnan(x)
        xs = np.where(known, x, 0.0)
        tol = EDGE_TOL * np.maximum(1.0, np.abs(np.asarray(values, dtype=float)))
        if op == "in":
            truth = (np.abs(xs[:, None] - np.asarray(values, dtype=float)[None, :]) <= tol).any(axis=1)
        else:
            v, t = float(want), float(tol[0])
            truth = {">=": xs >= v - t, ">": xs > v + t, "<=": xs <= v + t, "<": xs < v - t,
                     "==": np.abs(xs - v) <= t, "!=": np.abs(xs - v) > t}[op]
        shown = _fmt(xs)
    else:
        if op in (">=", ">", "<=", "<"):
            raise DataError(f"rule {ctx.rule.id!r}: {name!r} {op} {want!r} needs numbers, but the "
                            f"column holds text")
        known = col.notna().to_numpy()
        text = col.astype("string").fillna("").to_numpy(dtype=object)
        targets = {str(v).casefold() for v in values}
        hit = pd.Series(text).str.casefold().isin(targets).to_numpy()
        truth = ~hit if op == "!=" else hit
        shown = text
    truth = truth & known
    desc = f"{want}" if op != "in" else f"{list(want)}"
    base = _const(ctx.n, f"{name}=") + shown
    why_false = base + f" {w['not']} {op} {desc}"
    soft = None
    if optional:  # an optional input left blank counts as not given (false), never undetermined
        why_false = np.where(known, why_false, f"{name} {w['not_given']}")
        soft = ~known
        known = np.ones(ctx.n, bool)
    return _Tri(truth, known, base + f" {op} {desc}", why_false,
                _const(ctx.n, f"{name} {w['missing']}"), soft)


def _band(cond: Mapping, ctx: _Context) -> _Tri:
    sid = ctx.resolve(cond["band"])
    res = ctx.applied()
    if sid not in res.band_ids:
        raise NormError(f"rule {ctx.rule.id!r}: the norm set {res.norms_id!r} has no bands for "
                        f"{sid!r} (or {sid!r} is not a column of the scores)")
    ids = res.band_ids[sid]
    known = res.band[sid] >= 0
    wanted = [cond["is"]] if "is" in cond else list(cond["in"])
    truth = np.isin(ids.astype(str), wanted) & known
    # the reason shows the score, its band (label in the language) with the band's edge, and,
    # when the condition fails, the wanted band(s) with their edges: the threshold compared
    shown = np.where(known, res.band_labels[sid], "").astype(object)
    edge = np.where(known, res.band_edges[sid], "").astype(object)
    base = (_const(ctx.n, f"{sid}=") + _fmt(np.nan_to_num(res.x[sid])) + f" {ctx.w['band']} "
            + shown + " (" + edge + ")")
    target = res.band_targets(sid, wanted)
    return _Tri(truth, known, base, base + f", {ctx.w['not']} " + target,
                _const(ctx.n, f"{sid} {ctx.w['missing']}"))


def _quartile(cond: Mapping, ctx: _Context, top: bool) -> _Tri:
    sid = ctx.resolve(cond["top_quartile" if top else "bottom_quartile"])
    res = ctx.applied()
    flags = res.top if top else res.bottom
    if sid not in flags:
        raise NormError(f"rule {ctx.rule.id!r}: the norm set {res.norms_id!r} gives no quartiles for "
                        f"{sid!r}; use a norm set with a percentile table, sample distribution or "
                        "quartiles (e.g. one built with build_norms)")
    f = flags[sid]
    known = ~np.isnan(f)
    truth = (f == 1) & known
    w = ctx.w
    x = _fmt(np.nan_to_num(res.x[sid]))
    q = _fmt(np.nan_to_num(res.q75[sid] if top else res.q25[sid]))
    p = "P75" if top else "P25"
    yes, no = (">=", "<") if top else ("<=", ">")
    head_t = f"{sid} {w['top' if top else 'bottom']} ({sid}="
    head_f = f"{sid} {w['not_top' if top else 'not_bottom']} ({sid}="
    return _Tri(truth, known, head_t + x + f" {yes} {p} " + q + ")",
                head_f + x + f" {no} {p} " + q + ")", _const(ctx.n, f"{sid} {w['missing']}"))


def _evaluate(cond: Mapping, ctx: _Context) -> _Tri:
    n = ctx.n
    w = ctx.w
    if "all" in cond or "any" in cond:
        is_all = "all" in cond
        kids = [_evaluate(c, ctx) for c in cond["all" if is_all else "any"]]
        t = np.array([k.truth for k in kids])
        kn = np.array([k.known for k in kids])
        f = kn & ~t
        if is_all:
            truth = t.all(axis=0)
            known = truth | f.any(axis=0)
            why_t = _join([k.why_true for k in kids], [k.why_true != "" for k in kids], w["and"], n)
            # an optional input that was not given is named only when nothing else failed
            soft = np.array([k.soft if k.soft is not None else np.zeros(n, bool) for k in kids])
            hard = f & ~soft
            shown = np.where(hard.any(axis=0), hard, f)
            why_f = _join([k.why_false for k in kids], list(shown), "; ", n)
        else:
            truth = t.any(axis=0)
            known = truth | f.all(axis=0)
            why_t = _join([k.why_true for k in kids], list(t), "; ", n)
            why_f = _join([k.why_false for k in kids], [np.ones(n, bool)] * len(kids), w["and"], n)
        why_u = _join([k.why_unknown for k in kids], list(~kn), "; ", n)
        return _Tri(truth & known, known, why_t, why_f, why_u)
    if "not" in cond:
        k = _evaluate(cond["not"], ctx)
        return _Tri(~k.truth & k.known, k.known, k.why_false, k.why_true, k.why_unknown)
    if "optional" in cond:
        inner = cond["optional"]
        if not any(key in inner for key in ("subscale", "item", "column")):
            raise NormError(f"rule {ctx.rule.id!r}: 'optional' wraps a comparison of one column")
        return _compare(inner, ctx, optional=True)
    if "at_least" in cond or "at_most" in cond:
        kids = [_evaluate(c, ctx) for c in cond["of"]]
        t = np.array([k.truth for k in kids])
        kn = np.array([k.known for k in kids])
        yes, unknown = t.sum(axis=0), (~kn).sum(axis=0)
        count = pd.Series(yes).astype(str).to_numpy(dtype=object)
        held = _const(n, "") + [w["hold"].format(k=c, n=len(kids)) for c in count]
        if "at_least" in cond:
            k_ = cond["at_least"]
            truth, false = yes >= k_, yes + unknown < k_
            head_t = held + f" (>= {k_}): "
            head_f = held + f" ({w['need'].format(k=k_)}): "
        else:
            k_ = cond["at_most"]
            truth, false = yes + unknown <= k_, yes > k_
            head_t = held + f" (<= {k_}): "
            head_f = held + f" (> {k_}): "
        # bracketed, so a list inside an ``all`` stays readable: "2 of 8 hold (need 3): [a; b]"
        listed = "[" + _join([k.why_true for k in kids], list(t), "; ", n) + "]"
        known = truth | false
        why_u = _join([k.why_unknown for k in kids], list(~kn), "; ", n)
        return _Tri(truth & known, known, head_t + listed, head_f + listed, why_u)
    if "band" in cond:
        return _band(cond, ctx)
    if "top_quartile" in cond:
        return _quartile(cond, ctx, True)
    if "bottom_quartile" in cond:
        return _quartile(cond, ctx, False)
    if "missing" in cond:
        name = ctx.resolve(cond["missing"])
        col = ctx.column(name, "column")
        miss = col.isna().to_numpy()
        return _Tri(miss, np.ones(n, bool), _const(n, f"{name} {w['missing']}"),
                    _const(n, f"{name} {w['answered']}"), _const(n, ""))
    return _compare(cond, ctx)


#: Level of respondents a rule cannot decide because a score or answer it reads is missing.
NOT_SCORED = "not_scored"
NOT_SCORED_LABEL = {"en": "not scored", "nl": "niet gescoord", "fr": "non calculé"}


def _referenced(cond) -> set:
    """Subscales a condition reads (scores, bands, quartile flags)."""
    out: set = set()
    if isinstance(cond, Mapping):
        for k, v in cond.items():
            if k in ("subscale", "band", "top_quartile", "bottom_quartile") and isinstance(v, str):
                out.add(v)
            elif isinstance(v, (Mapping, list)):
                out |= _referenced(v)
    elif isinstance(cond, list):
        for c in cond:
            out |= _referenced(c)
    return out


def _compared(cond) -> set:
    """Subscales whose raw score a condition compares with a number (``{subscale: EE, >=: 27}``)."""
    out: set = set()
    if isinstance(cond, Mapping):
        if isinstance(cond.get("subscale"), str):
            out.add(cond["subscale"])
        for v in cond.values():
            if isinstance(v, (Mapping, list)):
                out |= _compared(v)
    elif isinstance(cond, list):
        for c in cond:
            out |= _compared(c)
    return out


def _check_threshold_scale(scores: pd.DataFrame, rule: Rule, scale) -> None:
    """Cut-offs on raw scores hold on one scale: the one of the norm file declaring the rule.

    Scores whose scale is unknown (``score()``'s record dropped by pandas) or another one are
    refused, never compared as if they were on the rule's scale.
    """
    if rule.origin in ("inline",) or rule.origin.startswith("instrument:"):
        return  # the rule's own file says nothing about the scale of its numbers
    ns = load_norms(rule.origin)
    subs = set()
    for lev in rule.levels:
        subs |= _compared(lev["when"])
    subs = [s for s in sorted(subs) if s in scores.columns and s in ns.subscales]
    if not subs:
        return
    from ..norms import check_scale_range, resolve_scales
    have = resolve_scales(scores, ns, subs, scale)
    for sid in subs:
        want = {e.subscales[sid].score for e in ns.entries if sid in e.subscales}
        if have[sid] not in want:
            raise NormError(f"rule {rule.id!r} compares {sid} with cut-offs on the "
                            f"{'/'.join(sorted(want))} scale, but the scores are {have[sid]}s; "
                            f"rescore with method={next(iter(want))!r}")
        check_scale_range(scores, ns, sid, pd.to_numeric(scores[sid], errors="coerce")
                     .to_numpy(dtype=float), have[sid])


def _prorated_note(reason: np.ndarray, scores: pd.DataFrame, data, rule: Rule) -> np.ndarray:
    """Reasons that say which of the scores they rest on were prorated (fewer items)."""
    subs = set()
    for lev in rule.levels:
        subs |= _referenced(lev["when"])
    out = reason.astype(object).copy()
    for sid in sorted(subs):  # loop over the rule's subscales, vectorised over respondents
        col = f"{sid}_prorated"
        frame = scores if col in scores.columns else data if data is not None and col in data else None
        if frame is None:
            continue
        flag = frame[col].fillna(False).to_numpy(dtype=bool)
        n_col = f"{sid}_n"
        if n_col in frame.columns:
            counts = frame[n_col].to_numpy(dtype=float).astype(int).astype(str)
            note = np.char.add(f"{sid} prorated from ", np.char.add(counts, " items")).astype(object)
        else:
            note = np.full(len(flag), f"{sid} prorated", dtype=object)
        out[flag] = np.where(out[flag] == "", note[flag], out[flag] + "; " + note[flag])
    return out


def _text(label: Mapping, lang: str) -> str:
    return label.get(lang) or label.get("en") or next(iter(label.values()))


def classify(scores: pd.DataFrame, rule, *, norms=None, norm_by: Mapping[str, str] | None = None,
             fallback: str = "error", lang: str = "en", data: pd.DataFrame | None = None,
             id: str | None = None, scale=None,
             by: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Classify every respondent with a declarative rule.

    Parameters
    ----------
    scores : DataFrame
        Subscale scores (from :func:`~psychometrics.scoring.score`); item, yes/no and duration
        columns that the rule reads may be here or in ``data``. Never modified.
    rule : str, dict or Rule
        A rule id (see :func:`list_rules`), or a rule written as a dict in the condition
        language (module docstring).
    norms : str, Path or NormSet, optional
        The norm set for band and quartile conditions. Default: the norm file that declares
        the rule; the quartile rule needs one (any norm set with quartiles, e.g. from
        :func:`~psychometrics.norms.build_norms`). When given it replaces the rule's own norm
        set, so a band rule can be used with another norm set that has the same band ids.
    norm_by, fallback, data, scale
        As in :func:`~psychometrics.norms.apply_norms` (stratified norms; the scale of scores
        that lost ``score()``'s record). ``by`` is the deprecated name of ``norm_by``.
    lang : {"en", "nl", "fr"}
        Language of the labels.
    id : str, optional
        A respondent id column of ``scores`` to put first in the result.

    Returns
    -------
    DataFrame
        Same index and order as ``scores``: (``id``,) ``level`` (the id of the level that
        fired), ``label``, ``positive`` (nullable boolean: the rule's positive levels) and
        ``reason`` - for a level that fired, the conditions that made it hold (with the
        respondent's values); for ``otherwise``, the conditions that failed; for a missing
        result, what was missing. ``attrs["psychometrics"]["rule"]`` records the rule and its
        source.

    Notes
    -----
    Levels are checked in order and the first that holds gives the label, so graded rules
    (risk zones: red before orange) list the most severe level first. Rules marked
    ``uncertain`` ([U] in their source) emit :class:`~psychometrics.norms.UncertainNormWarning`.
    Evaluation is vectorised: each condition is computed once over all respondents.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"total": [2.53, 2.54, 2.96]})
    >>> classify(s, "bat-12-pooled-risk", scale="mean")[["label", "positive", "reason"]]
                    label  positive                   reason
    0             no risk     False  total=2.53 not >= 2.96; total=2.53 not >= 2.54
    1  at risk of burnout      True         total=2.54 >= 2.54
    2      severe burnout      True         total=2.96 >= 2.96
    """
    if not isinstance(scores, pd.DataFrame):
        raise DataError(f"scores must be a DataFrame (from score()), not {type(scores).__name__}")
    inst = (scores.attrs.get("psychometrics") or {}).get("instrument")
    r = get_rule(rule, inst)
    if r.uncertain:
        warnings.warn(f"rule {r.id!r} is not confirmed by its sources ([U]): {r.source['ref']}",
                      UncertainNormWarning, stacklevel=2)
    if norms is None and r.uses_norms and r.origin not in ("inline",) and not r.origin.startswith("instrument:"):
        own = load_norms(r.origin)
        norms = own if own.entries else None
    norm_by = resolve_norm_by(norm_by, by)
    _check_threshold_scale(scores, r, scale)
    ctx = _Context(scores, data, r, norms, norm_by, fallback, scale, lang=lang)
    n = len(scores)
    chosen = np.full(n, -2)  # -2 open, -1 undetermined, i = level i
    reason = _const(n, "")
    failed = [], []
    contains = np.frompyfunc(lambda text, part: part in text, 2, 1)
    for i, lev in enumerate(r.levels):  # loop over levels, not respondents
        t = _evaluate(lev["when"], ctx)
        open_ = chosen == -2
        fire = open_ & t.known & t.truth
        undetermined = open_ & ~t.known
        chosen[fire], reason[fire] = i, t.why_true[fire]
        chosen[undetermined] = -1
        reason[undetermined] = ctx.w["undetermined"] + t.why_unknown[undetermined]
        failed[0].append(t.why_false)
        failed[1].append(open_ & t.known & ~t.truth)
    rest = chosen == -2
    if rest.any():
        # levels often share conditions (a graded rule, a rule with and without a specifier):
        # a failure already said by an earlier level is not repeated
        neg = _const(n, "")
        for text, mask in zip(*failed):
            new = mask & ~contains(neg, text).astype(bool)
            neg = np.where(new, np.where(neg == "", text, neg + "; " + text), neg)
        reason[rest] = neg[rest]
    levels = r.levels + [r.otherwise]
    chosen[rest] = len(r.levels)
    # a respondent the rule cannot decide (a score it reads is missing) is a named level
    lev_ids = np.array([lv["id"] for lv in levels] + [NOT_SCORED], dtype=object)
    labels = np.array([_text(lv["label"], lang) for lv in levels] + [_text(NOT_SCORED_LABEL, lang)],
                      dtype=object)
    pos = np.array([float(lv["positive"]) for lv in levels] + [np.nan])
    k = np.where(chosen == -1, len(levels), chosen)
    out = pd.DataFrame(index=scores.index)
    if id is not None:
        if id not in scores.columns:
            raise DataError(f"id column {id!r} is not in the scores")
        out[id] = scores[id].to_numpy()
    out["level"] = pd.array(lev_ids[k], dtype="string")
    out["label"] = pd.array(labels[k], dtype="string")
    out["positive"] = pd.arrays.BooleanArray(np.nan_to_num(pos[k]) == 1, np.isnan(pos[k]))
    out["reason"] = pd.array(_prorated_note(reason, scores, data, r), dtype="string")
    out.attrs["psychometrics"] = {"rule": r.id, "declared_in": r.origin, "source": r.source,
                                  "uncertain": r.uncertain,
                                  "norms": getattr(ctx._applied, "provenance", None)}
    return out
