"""Evaluation of the condition language of :mod:`.rules`, vectorised over respondents.

Every node of a condition returns a :class:`Tri`: its truth per respondent under three-valued
(Kleene) logic (``known`` False = undetermined because a score it reads is missing) and the
reason in words for each outcome, in the language of the :class:`Context`. Loops run over the
nodes of a condition, never over respondents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._checks import align
from ..errors import DataError, InstrumentError, NormError
from ..i18n import table
from ..instruments import data_dir, read_yaml
from ..norms import EDGE_TOL, apply_norm_set, load_norms, norm_provenance

__all__ = ["OPS", "Tri", "Context", "evaluate", "words", "const", "join", "instrument_roles"]

OPS = (">=", ">", "<=", "<", "==", "!=", "in")


def words(lang: str) -> dict:
    """The words of a reason in ``lang`` (``psychometrics/strings/rules.yaml``, keys
    ``word_*``; English where a language lacks one). Subscale ids, numbers and operators stay
    as they are, so a reason reads the same in every language apart from these words."""
    return {key[len("word_"):]: text for key, text in table("rules", lang).items()
            if key.startswith("word_")}


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


# --------------------------------------------------------------------------------------------
# evaluation: every node returns (truth, known, why_true, why_false, why_unknown) over respondents
# --------------------------------------------------------------------------------------------

@dataclass
class Tri:
    """A condition's outcome per respondent: ``truth`` where ``known``, and why it holds, fails
    or is undetermined (``soft``: false only because an optional input was not given)."""

    truth: np.ndarray
    known: np.ndarray
    why_true: np.ndarray
    why_false: np.ndarray
    why_unknown: np.ndarray
    soft: np.ndarray | None = None  # false only because an optional input was not given


def const(n: int, text: str) -> np.ndarray:
    return np.full(n, text, dtype=object)


def join(parts: list[np.ndarray], masks: list[np.ndarray], sep: str, n: int) -> np.ndarray:
    """Per respondent, join the texts whose mask is set (a loop over parts, not respondents)."""
    acc = const(n, "")
    for s, m in zip(parts, masks):
        acc = np.where(m, np.where(acc == "", s, acc + sep + s), acc)
    return acc


def _fmt(x: np.ndarray) -> np.ndarray:
    return np.char.mod("%.4g", np.asarray(x, dtype=float)).astype(object)


class Context:
    """What the conditions of one rule read: the scores (and ``data``), the rule (a
    :class:`~psychometrics.classify.rules.Rule`), the norm set for bands and quartiles
    (applied once, on first use), and the words of the language."""

    def __init__(self, scores: pd.DataFrame, data, rule, norms, by, fallback, scale=None,
                 lang="en"):
        scores, data = align(scores, data, names=["scores", "data"])
        self.scores, self.data, self.rule = scores, data, rule
        self.norms, self.by, self.fallback, self.scale = norms, by, fallback, scale
        self.n = len(scores)
        self.lang, self.w = lang, words(lang)
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

    @property
    def applied_norms(self):
        """The norm set applied so far (None until a band or quartile condition needs it)."""
        return self._applied

    def applied(self):
        if self._applied is None:
            if self.norms is None:
                raise NormError(f"rule {self.rule.id!r} uses bands or quartiles: pass the norm set "
                                "with norms=... (e.g. one built with build_norms)")
            ns = load_norms(self.norms)
            # points at classify (warn_if_uncertain, applied, _band, evaluate, _choose_levels)
            ns.warn_if_uncertain(stacklevel=6)
            self._applied, _ = apply_norm_set(self.scores, ns, norm_by=self.by, fallback=self.fallback,
                                      scale=self.scale, data=self.data, lang=self.lang)
            self._applied.norms_id = ns.id
            self._applied.provenance = norm_provenance(ns, self._applied, self.fallback)
        return self._applied


def _numeric(col: pd.Series) -> np.ndarray | None:
    if pd.api.types.is_bool_dtype(col):
        return col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=float, na_value=np.nan)
    return None


def _compare(cond: Mapping, ctx: Context, optional: bool = False) -> Tri:
    kind = "subscale" if "subscale" in cond else "item" if "item" in cond else "column"
    name = ctx.resolve(cond[kind])
    op = next(o for o in OPS if o in cond)
    want = cond[op]
    w = ctx.w
    col = ctx.column(name, kind, optional=optional)
    if col is None:  # an optional input that was not given: false, and said so
        return Tri(np.zeros(ctx.n, bool), np.ones(ctx.n, bool), const(ctx.n, ""),
                    const(ctx.n, f"{name} {w['not_given']}"), const(ctx.n, ""),
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
    base = const(ctx.n, f"{name}=") + shown
    why_false = base + f" {w['not']} {op} {desc}"
    soft = None
    if optional:  # an optional input left blank counts as not given (false), never undetermined
        why_false = np.where(known, why_false, f"{name} {w['not_given']}")
        soft = ~known
        known = np.ones(ctx.n, bool)
    return Tri(truth, known, base + f" {op} {desc}", why_false,
                const(ctx.n, f"{name} {w['missing']}"), soft)


def _band(cond: Mapping, ctx: Context) -> Tri:
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
    base = (const(ctx.n, f"{sid}=") + _fmt(np.nan_to_num(res.x[sid])) + f" {ctx.w['band']} "
            + shown + " (" + edge + ")")
    target = res.band_targets(sid, wanted)
    return Tri(truth, known, base, base + f", {ctx.w['not']} " + target,
                const(ctx.n, f"{sid} {ctx.w['missing']}"))


def _quartile(cond: Mapping, ctx: Context, top: bool) -> Tri:
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
    return Tri(truth, known, head_t + x + f" {yes} {p} " + q + ")",
                head_f + x + f" {no} {p} " + q + ")", const(ctx.n, f"{sid} {w['missing']}"))


def evaluate(cond: Mapping, ctx: Context) -> Tri:
    n = ctx.n
    w = ctx.w
    if "all" in cond or "any" in cond:
        is_all = "all" in cond
        kids = [evaluate(c, ctx) for c in cond["all" if is_all else "any"]]
        t = np.array([k.truth for k in kids])
        kn = np.array([k.known for k in kids])
        f = kn & ~t
        if is_all:
            truth = t.all(axis=0)
            known = truth | f.any(axis=0)
            why_t = join([k.why_true for k in kids], [k.why_true != "" for k in kids], w["and"], n)
            # an optional input that was not given is named only when nothing else failed
            soft = np.array([k.soft if k.soft is not None else np.zeros(n, bool) for k in kids])
            hard = f & ~soft
            shown = np.where(hard.any(axis=0), hard, f)
            why_f = join([k.why_false for k in kids], list(shown), "; ", n)
        else:
            truth = t.any(axis=0)
            known = truth | f.all(axis=0)
            why_t = join([k.why_true for k in kids], list(t), "; ", n)
            why_f = join([k.why_false for k in kids], [np.ones(n, bool)] * len(kids), w["and"], n)
        why_u = join([k.why_unknown for k in kids], list(~kn), "; ", n)
        return Tri(truth & known, known, why_t, why_f, why_u)
    if "not" in cond:
        k = evaluate(cond["not"], ctx)
        return Tri(~k.truth & k.known, k.known, k.why_false, k.why_true, k.why_unknown)
    if "optional" in cond:
        inner = cond["optional"]
        if not any(key in inner for key in ("subscale", "item", "column")):
            raise NormError(f"rule {ctx.rule.id!r}: 'optional' wraps a comparison of one column")
        return _compare(inner, ctx, optional=True)
    if "at_least" in cond or "at_most" in cond:
        kids = [evaluate(c, ctx) for c in cond["of"]]
        t = np.array([k.truth for k in kids])
        kn = np.array([k.known for k in kids])
        yes, unknown = t.sum(axis=0), (~kn).sum(axis=0)
        count = pd.Series(yes).astype(str).to_numpy(dtype=object)
        held = const(n, "") + [w["hold"].format(k=c, n=len(kids)) for c in count]
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
        listed = "[" + join([k.why_true for k in kids], list(t), "; ", n) + "]"
        known = truth | false
        why_u = join([k.why_unknown for k in kids], list(~kn), "; ", n)
        return Tri(truth & known, known, head_t + listed, head_f + listed, why_u)
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
        return Tri(miss, np.ones(n, bool), const(n, f"{name} {w['missing']}"),
                    const(n, f"{name} {w['answered']}"), const(n, ""))
    return _compare(cond, ctx)
