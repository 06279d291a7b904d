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

from .._results import Result
from ..errors import DataError, InstrumentError, NormError
from ..i18n import pick, strings
from ..instruments import data_dir, read_yaml, schema
from ..norms import (
    UncertainNormWarning,
    check_scale_range,
    list_norms,
    load_norms,
    norms_for_roles,
    resolve_norm_by,
    resolve_scales,
)
from .conditions import OPS, Context, const, evaluate, instrument_roles

__all__ = ["Rule", "describe", "all_rules", "list_rules", "get_rule", "classify",
           "instrument_roles", "NOT_SCORED", "NOT_SCORED_LABEL"]


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
        return pick(self.name, lang, self.id)

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
    op = next(o for o in OPS if o in cond)
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


def all_rules(instrument: str | None = None) -> list[Rule]:
    """Every rule offered to ``instrument`` (or every rule shipped): those of the norm files
    that apply to it, those written over roles it has (``applies_to_roles``), and its own
    file's ``rules``."""
    rules = []
    own = list_norms(instrument)
    for nid in own:
        ns = load_norms(nid)
        rules += [_make_rule(r, ns.id, ns.applies_to) for r in ns.rules]
    if instrument is not None:  # rules written over roles apply to every instrument with them
        for nid in norms_for_roles(instrument_roles(instrument)):
            if nid not in own:
                rules += [_make_rule(r, load_norms(nid).id, [instrument])
                          for r in load_norms(nid).rules]
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
            for r in all_rules(instrument)]
    return pd.DataFrame(rows, columns=["id", "name", "instruments", "norms", "uses_norms",
                                       "confidence", "uncertain"])


def get_rule(rule, instrument: str | None = None) -> Rule:
    """A rule by id (searched in the shipped norm files and the instrument's file), or a
    rule given as a dict (validated) or a :class:`Rule`."""
    if isinstance(rule, Rule):
        return rule
    if isinstance(rule, Mapping):
        return _make_rule(rule, "inline", [instrument] if instrument else [])
    found = [r for r in all_rules(instrument) if r.id == rule]
    if not found and instrument is not None:
        found = [r for r in all_rules(None) if r.id == rule]
        if found:
            raise NormError(f"rule {rule!r} is for {', '.join(found[0].instruments)}, not {instrument!r}")
    if not found:
        known = ", ".join(r.id for r in all_rules(instrument)) or "none"
        raise NormError(f"unknown rule {rule!r}" + (f" for {instrument!r}" if instrument else "")
                        + f"; rules: {known}")
    return found[0]


#: Level of respondents a rule cannot decide because a score or answer it reads is missing.
NOT_SCORED = "not_scored"
#: Its label per language (``not_scored`` of ``psychometrics/strings/rules.yaml``).
NOT_SCORED_LABEL = strings("rules")["not_scored"]


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
    if _declared_outside_norms(rule):
        return  # the rule's own file says nothing about the scale of its numbers
    ns = load_norms(rule.origin)
    subs = set()
    for lev in rule.levels:
        subs |= _compared(lev["when"])
    subs = [s for s in sorted(subs) if s in scores.columns and s in ns.subscales]
    if not subs:
        return
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

    References
    ----------
    Kleene, S. C. (1952). Introduction to Metamathematics. Amsterdam: North-Holland
    (three-valued logic, section 64). Each rule's own source is in ``rule.source`` and in
    the result's ``attrs["psychometrics"]["source"]``.

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
    if norms is None and r.uses_norms and not _declared_outside_norms(r):
        own = load_norms(r.origin)
        norms = own if own.entries else None
    norm_by = resolve_norm_by(norm_by, by)
    _check_threshold_scale(scores, r, scale)
    ctx = Context(scores, data, r, norms, norm_by, fallback, scale, lang=lang)
    chosen, reason = _choose_levels(r, ctx)
    return _result_frame(scores, data, r, ctx, chosen, reason, lang, id)


def _declared_outside_norms(rule: Rule) -> bool:
    """A rule given inline or declared in an instrument file (no norm file of its own)."""
    return rule.origin == "inline" or rule.origin.startswith("instrument:")


def _choose_levels(r: Rule, ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """The level of each respondent (index into ``r.levels``, ``len(r.levels)`` for
    ``otherwise``, -1 undetermined) and the reason for it."""
    n = ctx.n
    chosen = np.full(n, -2)  # -2 open, -1 undetermined, i = level i
    reason = const(n, "")
    failed = [], []
    for i, lev in enumerate(r.levels):  # loop over levels, not respondents
        t = evaluate(lev["when"], ctx)
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
        contains = np.frompyfunc(lambda text, part: part in text, 2, 1)
        neg = const(n, "")
        for text, mask in zip(*failed):
            new = mask & ~contains(neg, text).astype(bool)
            neg = np.where(new, np.where(neg == "", text, neg + "; " + text), neg)
        reason[rest] = neg[rest]
    chosen[rest] = len(r.levels)
    return chosen, reason


def _result_frame(scores: pd.DataFrame, data, r: Rule, ctx: Context, chosen: np.ndarray,
                  reason: np.ndarray, lang: str, id: str | None) -> pd.DataFrame:
    """The result of :func:`classify`: level, label, positive and reason per respondent."""
    levels = r.levels + [r.otherwise]
    # a respondent the rule cannot decide (a score it reads is missing) is a named level
    lev_ids = np.array([lv["id"] for lv in levels] + [NOT_SCORED], dtype=object)
    labels = np.array([pick(lv["label"], lang) for lv in levels] + [pick(NOT_SCORED_LABEL, lang)],
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
                                  "norms": getattr(ctx.applied_norms, "provenance", None)}
    return out
